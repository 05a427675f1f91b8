"""Backend over python-rs-driver (PyPI ``scylladb-rs-driver``, import name ``scylla``).

One module a job:

* :mod:`.lib`: python-rs-driver itself, imported with an install hint;
* :mod:`.driver`: :class:`PythonRsDriver`, the contract over a session, each
  request written once for blocking and asyncio callers;
* :mod:`.values`: values between coodie's canonical ones and the driver's;
* :mod:`.errors`: the driver's exceptions as coodie's;
* :mod:`.connect`: connection options and :func:`create` / :func:`create_async`.
"""

from __future__ import annotations

from coodie.drivers.python_rs.connect import DEFAULT_CONSISTENCY, builder, create, create_async
from coodie.drivers.python_rs.driver import PythonRsDriver
from coodie.drivers.python_rs.errors import translate_error
from coodie.drivers.python_rs.values import (
    DriverDuration,
    decoder,
    duration_from_driver,
    duration_to_driver,
    encoder,
)

__all__ = [
    "DEFAULT_CONSISTENCY",
    "DriverDuration",
    "PythonRsDriver",
    "builder",
    "create",
    "create_async",
    "decoder",
    "duration_from_driver",
    "duration_to_driver",
    "encoder",
    "translate_error",
]
