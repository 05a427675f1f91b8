"""coodie — a Pydantic ODM for Apache Cassandra and ScyllaDB.

``from coodie import Document`` gives the asyncio flavour (as upstream coodie
does); ``coodie.sync`` has the blocking one with the same names.
"""

from __future__ import annotations

# Upstream's module paths stay reachable as attributes of the package
# (``import coodie; coodie.fields.PrimaryKey``), as they were when they held the code.
from coodie import (  # noqa: F401  (imported for the attributes)
    batch,
    cql_builder,
    document,
    fields,
    plan,
    query,
    results,
    schema,
    schema_sync,
    types,
    usertype,
)
from coodie._version import __version__ as __version__
from coodie.aio import (
    AsyncBatchQuery,
    CounterDocument,
    Document,
    QuerySet,
    create_keyspace,
    drop_keyspace,
    execute_raw,
    init_coodie,
)
from coodie.drivers import get_driver, init_coodie_async, register_driver
from coodie.exceptions import (
    AlreadyExists,
    AuthenticationFailed,
    BlockingCallInEventLoopWarning,
    ConfigurationError,
    ConnectionFailed,
    CoodieError,
    DocumentNotFound,
    DriverError,
    FilteringRequiredError,
    InvalidQueryError,
    InvalidRequest,
    MigrationError,
    MultipleDocumentsFound,
    RequestTimeout,
    SchemaError,
    ServerError,
    Unauthorized,
    Unavailable,
)
from coodie.model.fields import (
    Ascii,
    BigInt,
    ClusteringKey,
    Counter,
    Discriminator,
    Double,
    Duration,
    Frozen,
    Indexed,
    PrimaryKey,
    SmallInt,
    Static,
    Time,
    TimeUUID,
    TinyInt,
    VarInt,
    Vector,
    VectorIndex,
)
from coodie.model.types import CqlDuration
from coodie.operations.results import LWTResult, PagedResult
from coodie.operations.usertype import UserType
from coodie.sync.batch import BatchQuery

__all__ = [
    "AlreadyExists",
    "Ascii",
    "AsyncBatchQuery",
    "AuthenticationFailed",
    "BatchQuery",
    "BigInt",
    "BlockingCallInEventLoopWarning",
    "ClusteringKey",
    "ConfigurationError",
    "ConnectionFailed",
    "CoodieError",
    "Counter",
    "CounterDocument",
    "CqlDuration",
    "Discriminator",
    "Document",
    "DocumentNotFound",
    "Double",
    "DriverError",
    "Duration",
    "FilteringRequiredError",
    "Frozen",
    "Indexed",
    "InvalidQueryError",
    "InvalidRequest",
    "LWTResult",
    "MigrationError",
    "MultipleDocumentsFound",
    "PagedResult",
    "PrimaryKey",
    "QuerySet",
    "RequestTimeout",
    "SchemaError",
    "ServerError",
    "SmallInt",
    "Static",
    "Time",
    "TimeUUID",
    "TinyInt",
    "Unauthorized",
    "Unavailable",
    "UserType",
    "VarInt",
    "Vector",
    "VectorIndex",
    "__version__",
    "create_keyspace",
    "drop_keyspace",
    "execute_raw",
    "get_driver",
    "init_coodie",
    "init_coodie_async",
    "register_driver",
]
