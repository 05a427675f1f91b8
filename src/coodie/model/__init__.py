"""The model layer: what a table and its values are, with no I/O.

Field markers (:mod:`~coodie.model.fields`), the Python → CQL type mapping
(:mod:`~coodie.model.types`), a model's table schema (:mod:`~coodie.model.schema`)
and user-defined types (:mod:`~coodie.model.usertype`). It imports nothing above
it and no driver; ``lint-imports`` checks both (``[tool.importlinter]`` in
``pyproject.toml``).
"""
