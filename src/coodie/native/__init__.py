"""coodie's native CQL driver: a small Python session over the C connection.

The C extension (``coodie._native``) owns the sockets and does everything per
request: framing, stream ids, encoding bound values, decoding rows into
canonical Python values, asyncio integration and timeouts. This package adds
what is decided once per connection or per statement: contact points and
nodes, the handshake (compression, authentication, TLS options), keyspace,
prepared statement cache with re-prepare, paging loops, token-aware routing
and heartbeats: written once as plans (:mod:`coodie.native.runner`) run
blocking or awaited.
"""

from coodie.native.session import (
    BatchKind,
    ConnectionOptions,
    Node,
    Session,
    TlsOptions,
)

__all__ = ["BatchKind", "ConnectionOptions", "Node", "Session", "TlsOptions"]
