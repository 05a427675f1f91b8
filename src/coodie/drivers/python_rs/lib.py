"""python-rs-driver itself (PyPI ``scylladb-rs-driver``, import name ``scylla``), imported once.

A missing package, or PyPI's unrelated ``scylla``, fails with the extra to
install. The other modules reach the driver's modules through this one at
call time, so a test puts a fake in one place.
"""

from __future__ import annotations

from typing import Any

from coodie.drivers._guard import require, require_python_rs


def scylla(module: str) -> Any:
    """A module of python-rs-driver (import name ``scylla``), or an ImportError naming the extra."""
    return require(f"scylla.{module}", driver_type="python-rs", extra="python-rs", package="python-rs-driver")


session_builder: Any = require_python_rs()
batch: Any = scylla("batch")
enums: Any = scylla("enums")
errors: Any = scylla("errors")
results: Any = scylla("results")
statement: Any = scylla("statement")
execution_profile: Any = scylla("execution_profile")
