"""The CQL layer: statement text from the model, with no I/O.

:mod:`~coodie.cql.operators` holds every operator's grammar (filters, IF
conditions, update forms); :mod:`~coodie.cql.builder` renders whole statements.
It sees the model layer and nothing above it.
"""
