"""The ``cassandra`` package (scylla-driver or cassandra-driver), imported once with an install hint.

The backend's other modules take the driver's names from here, so whichever
of them is imported first, a missing package fails with the extra to install.
"""

from __future__ import annotations

from coodie.drivers._guard import install_hint

try:
    import cassandra.connection
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, NoHostAvailable, ResponseFuture, Session
    from cassandra.query import (
        BatchStatement,
        BoundStatement,
        PreparedStatement,
        SimpleStatement,
        tuple_factory,
    )
    from cassandra.query import BatchType as CassBatchType

    import cassandra
    from cassandra import cqltypes, util
except ImportError as exc:  # pragma: no cover - exercised by the import-guard test
    raise ImportError(f"coodie's scylla/cassandra backend needs: {install_hint('scylla')}") from exc

__all__ = [
    "EXEC_PROFILE_DEFAULT",
    "BatchStatement",
    "BoundStatement",
    "CassBatchType",
    "Cluster",
    "NoHostAvailable",
    "PlainTextAuthProvider",
    "PreparedStatement",
    "ResponseFuture",
    "Session",
    "SimpleStatement",
    "cassandra",
    "cqltypes",
    "tuple_factory",
    "util",
]
