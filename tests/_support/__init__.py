"""Helpers shared by the node-backed test suites (``tests/integration``, ``tests/secure``).

Imported as the top-level package ``_support``: pytest puts ``tests/`` on
``sys.path`` for the suites below it, whose directories are packages.
"""
