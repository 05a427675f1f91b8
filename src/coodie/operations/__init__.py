"""The operations layer: every ODM operation written once, as a plan of driver requests.

:mod:`~coodie.operations.plan` defines plans and the two runners; the other
modules are the plans for documents, queries, batches, DDL and raw CQL. ``coodie.sync``
and ``coodie.aio`` run them blocking or awaited; nothing here knows which.
"""
