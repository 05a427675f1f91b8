"""Backend over the ``cassandra`` package: scylla-driver or cassandra-driver.

Both distributions install the same import package, so one backend serves
``driver_type="scylla"`` and ``driver_type="cassandra"``. One module a job:

* :mod:`.lib`: the driver package, imported with an install hint;
* :mod:`.driver`: :class:`CassandraDriver`, the contract over a session;
* :mod:`.values`: values between coodie's canonical ones and the driver's;
* :mod:`.errors`: the driver's exceptions as coodie's;
* :mod:`.connect`: connection options and :func:`create` / :func:`create_async`.
"""

from __future__ import annotations

from coodie.drivers.cassandra.connect import build_cluster, create, create_async
from coodie.drivers.cassandra.driver import PROFILE_NAME, CassandraDriver
from coodie.drivers.cassandra.errors import translate_error
from coodie.drivers.cassandra.values import decoder, encoder

__all__ = [
    "PROFILE_NAME",
    "CassandraDriver",
    "build_cluster",
    "create",
    "create_async",
    "decoder",
    "encoder",
    "translate_error",
]
