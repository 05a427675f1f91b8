"""Nodes, connections, the handshake, prepared statements and paging.

One :class:`Session` talks to a cluster through one connection per node and
mode:

* a *blocking* connection, shared by every thread (the C connection releases
  the GIL while it waits and lets concurrent callers share the socket);
* one *asyncio* connection per event loop that uses the session (the C
  connection watches its socket with ``loop.add_reader``).

Both are created on first use. Prepared statements with partition key
values go to a replica of their partition first (:mod:`coodie.native.routing`);
other requests go to the nodes round-robin. After DDL on a cluster of
several nodes the session waits (up to ``schema_agreement_timeout``) until the reachable nodes report
one schema version. Errors
are the C connection's own (``cql.ServerError``, ``cql.ConnectionClosed``,
``cql.OperationTimedOut``, ``coodie._native.ProtocolError``) and ``OSError``
for connecting; :mod:`coodie.drivers.native` maps them to coodie's exceptions.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from coodie import _native

# re-exported: the session's errors are the extension's own classes
from coodie._native import ConnectionClosed as ConnectionClosed
from coodie._native import OperationTimedOut as OperationTimedOut
from coodie._native import ProtocolError as ProtocolError
from coodie._native import ServerError as ServerError
from coodie.native.health import DEFAULT_HEARTBEAT_INTERVAL, Backoff, Heartbeat
from coodie.native.routing import Router
from coodie.support.cql_names import quote
from coodie.support.lru import LRU

#: error codes the session reacts to
UNPREPARED = 0x2500
AUTH_ERROR = 0x0100

DEFAULT_PORT = 9042
DEFAULT_PAGE_SIZE = 5000
#: how long a node that refused a connection is left alone
NODE_RETRY_DELAY = 2.0


class BatchKind(enum.IntEnum):
    LOGGED = 0
    UNLOGGED = 1
    COUNTER = 2


@dataclass(frozen=True)
class TlsOptions:
    """TLS settings; the handshake runs in C (OpenSSL) on the connection's socket."""

    cafile: str | None = None
    cadata: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    password: str | None = None
    verify: bool = True
    check_hostname: bool = True
    server_hostname: str | None = None


@dataclass(frozen=True)
class ConnectionOptions:
    """Everything a new connection needs."""

    username: str | None = None
    password: str | None = None
    compression: str | None = None  # "lz4" or None
    tls: TlsOptions | None = None
    connect_timeout: float = 5.0
    request_timeout: float | None = 10.0
    max_streams: int = 1024
    tick: float = 0.02
    driver_name: str = "coodie-native"
    driver_version: str = ""


@dataclass
class Node:
    host: str
    port: int = DEFAULT_PORT
    down_until: float = 0.0
    last_error: BaseException | None = field(default=None, repr=False)
    failures: int = 0  # consecutive failed connection attempts (reconnection backoff)

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_contact_points(hosts: Sequence[str] | None, port: int | None) -> list[Node]:
    """``"host"``, ``"host:port"``, ``"[v6]:port"`` or a bare IPv6 address."""
    nodes: list[Node] = []
    for raw in hosts or ["127.0.0.1"]:
        h = raw.strip()
        node_port = port or DEFAULT_PORT
        if h.startswith("["):
            host, _, rest = h[1:].partition("]")
            if rest.startswith(":") and rest[1:].isdigit():
                node_port = int(rest[1:])
        elif h.count(":") == 1:
            host, _, p = h.partition(":")
            if p.isdigit():
                node_port = int(p)
            else:
                host = h
        else:
            host = h
        nodes.append(Node(host, node_port))
    return nodes


class Conn:
    """A C connection with what the session tracks about it."""

    __slots__ = ("keyspace", "loop", "native", "node")

    def __init__(self, native: Any, node: Node, loop: asyncio.AbstractEventLoop | None) -> None:
        self.native = native
        self.node = node
        self.loop = loop
        self.keyspace: str | None = None

    @property
    def usable(self) -> bool:
        return not self.native.closed


def _startup_options(options: ConnectionOptions, supported: dict[str, list[str]]) -> dict[str, str]:
    versions = supported.get("CQL_VERSION") or ["3.0.0"]
    startup = {"CQL_VERSION": versions[0], "DRIVER_NAME": options.driver_name}
    if options.driver_version:
        startup["DRIVER_VERSION"] = options.driver_version
    if options.compression:
        offered = [c.lower() for c in supported.get("COMPRESSION", [])]
        if options.compression not in offered:
            raise ConnectionError(
                f"the server does not offer {options.compression} compression (it offers {offered or 'none'})"
            )
        startup["COMPRESSION"] = options.compression
    return startup


class AuthenticationError(Exception):
    """The server wants credentials that were not given (or a mechanism we lack)."""


def _auth_token(options: ConnectionOptions, authenticator: str) -> bytes:
    if options.username is None:
        raise AuthenticationError(
            f"the server requires authentication ({authenticator}); pass username= and password="
        )
    return b"\x00" + options.username.encode() + b"\x00" + (options.password or "").encode()


class Session:
    """Connections to a cluster, with a prepared statement cache."""

    def __init__(
        self,
        contact_points: list[Node],
        options: ConnectionOptions | None = None,
        *,
        keyspace: str | None = None,
        prepared_cache_size: int = 512,
        discover_peers: bool = True,
        schema_agreement_timeout: float = 10.0,
        heartbeat_interval: float | None = DEFAULT_HEARTBEAT_INTERVAL,
        backoff: Backoff | None = None,
    ) -> None:
        if not contact_points:
            raise ValueError("at least one contact point is needed")
        self.options = options or ConnectionOptions()
        self.nodes: list[Node] = list(contact_points)
        self.keyspace = keyspace
        self.discover_peers = discover_peers
        self.schema_agreement_timeout = schema_agreement_timeout
        self._rr = 0
        self._lock = threading.Lock()
        self._sync: dict[tuple[str, int], Conn] = {}
        self._async: dict[tuple[int, tuple[str, int]], Conn] = {}
        self._connecting: dict[tuple[int, tuple[str, int]], asyncio.Future[Conn]] = {}
        self._prepared: LRU[tuple[str, str | None], Any] = LRU(prepared_cache_size)
        self._closed = False
        self._peers_done = False
        self.router = Router()
        self.backoff = backoff or Backoff()
        self.heartbeat = Heartbeat(heartbeat_interval, self.options.request_timeout or 10.0)

    # ------------------------------------------------------------ nodes --
    def _next_nodes(self, prefer: Sequence[tuple[str, int]] | None = None) -> list[Node]:
        """Nodes in round-robin order (``prefer``: those replicas first), those marked down last."""
        n = len(self.nodes)
        self._rr = (self._rr + 1) % n
        ordered = self.nodes[self._rr :] + self.nodes[: self._rr]
        if prefer:
            rank = {address: i for i, address in enumerate(prefer)}
            ordered.sort(key=lambda x: rank.get(x.address, n))
        now = time.monotonic()
        return [x for x in ordered if x.down_until <= now] + [x for x in ordered if x.down_until > now]

    def _mark_down(self, node: Node, error: BaseException) -> None:
        node.failures += 1
        node.down_until = time.monotonic() + self.backoff.delay(node.failures)
        node.last_error = error

    def _heartbeat_failed(self, conn: Conn, error: BaseException) -> None:
        """A heartbeat failed: the connection is closed; leave its node alone for a while."""
        self._mark_down(conn.node, error)

    def _add_peers(self, rows: list[dict[str, Any]], port_default: int) -> None:
        known = {n.address for n in self.nodes}
        for row in rows:
            addr = row.get("native_address") or row.get("rpc_address") or row.get("peer")
            if addr is None:
                continue
            if isinstance(addr, ipaddress.IPv4Address | ipaddress.IPv6Address) and addr.is_unspecified:
                addr = row.get("peer")
                if addr is None:
                    continue
            port = row.get("native_port") or port_default
            node = Node(str(addr), int(port))
            if node.address not in known:
                known.add(node.address)
                self.nodes.append(node)

    _PEERS_V2 = "SELECT peer, native_address, native_port FROM system.peers_v2"
    _PEERS = "SELECT peer, rpc_address FROM system.peers"

    # ------------------------------------------------------- blocking side --
    def _open_sync(self, node: Node) -> Conn:
        o = self.options
        native = _native_connection(socket.create_connection(node.address, timeout=o.connect_timeout), o)
        conn = Conn(native, node, None)
        try:
            if o.tls is not None:
                native.start_tls(**_tls_kwargs(o.tls, node), timeout=o.connect_timeout)
            supported = native.options(timeout=o.connect_timeout)
            authenticator = native.startup(_startup_options(o, supported), timeout=o.connect_timeout)
            if authenticator is not None:
                kind, _ = native.authenticate(_auth_token(o, authenticator), timeout=o.connect_timeout)
                while kind == "challenge":
                    kind, _ = native.authenticate(None, timeout=o.connect_timeout)
            if self.keyspace:
                native.query(f"USE {quote(self.keyspace)}", timeout=o.connect_timeout)
                conn.keyspace = self.keyspace
        except BaseException:
            native.close()
            raise
        return conn

    def _discover_sync(self, conn: Conn) -> None:
        self._peers_done = True
        if not self.discover_peers:
            return
        for cql in (self._PEERS_V2, self._PEERS):
            try:
                rows, _, _ = conn.native.query(cql, timeout=self.options.connect_timeout)
            except ServerError:
                continue
            self._add_peers(rows, conn.node.port)
            return

    def connect(self) -> None:
        """Open a blocking connection to the first reachable contact point."""
        self.sync_conn()

    def sync_conn(self, prefer: Sequence[tuple[str, int]] | None = None) -> Conn:
        """A blocking connection (opened on first use), round-robin over the nodes."""
        if self._closed:
            raise ConnectionClosed("the session is closed")
        errors: list[tuple[Node, BaseException]] = []
        for node in self._next_nodes(prefer):
            conn = self._sync.get(node.address)
            if conn is not None and conn.usable and self.heartbeat.ensure(conn, self._heartbeat_failed):
                return conn
            with self._lock:
                conn = self._sync.get(node.address)
                if conn is not None and conn.usable:
                    return conn
                try:
                    conn = self._open_sync(node)
                except _OPEN_ERRORS as error:
                    if _is_auth_failure(error):
                        raise
                    self._mark_down(node, error)
                    errors.append((node, error))
                    continue
                self._sync[node.address] = conn
                node.failures = 0
                self.heartbeat.track(conn)
            if not self._peers_done:
                self._discover_sync(conn)
                if self.discover_peers:
                    self.router.load(_sync_rows(conn, self.options.connect_timeout), node.address)
            return conn
        raise _no_host(errors)

    def _use_keyspace(self, conn: Conn) -> None:
        if conn.keyspace != self.keyspace and self.keyspace:
            conn.native.query(f"USE {quote(self.keyspace)}", timeout=self.options.request_timeout)
            conn.keyspace = self.keyspace

    def _track(self, conn: Conn, info: Any) -> None:
        if isinstance(info, str):  # USE changed the keyspace of this connection
            conn.keyspace = info
            self.keyspace = info

    # schema agreement ---------------------------------------------------------
    _LOCAL_VERSION = "SELECT schema_version FROM system.local WHERE key = 'local'"
    _PEER_VERSIONS = "SELECT peer, rpc_address, schema_version FROM system.peers"

    def _versions(self, local: list[dict[str, Any]], peers: list[dict[str, Any]]) -> set[Any]:
        """Schema versions of this node and of the peers this session can reach."""
        reachable = {n.host for n in self.nodes if n.down_until <= time.monotonic()}
        versions = {row.get("schema_version") for row in local}
        for row in peers:
            addresses = {str(row.get("rpc_address")), str(row.get("peer"))}
            if addresses & reachable and row.get("schema_version") is not None:
                versions.add(row["schema_version"])
        versions.discard(None)
        return versions

    def await_schema_agreement(self, conn: Conn) -> bool:
        """After DDL on a cluster: wait until the reachable nodes report one schema version."""
        if len(self.nodes) < 2:
            return True
        deadline = time.monotonic() + self.schema_agreement_timeout
        timeout = self.options.request_timeout
        while True:
            local, _, _ = conn.native.query(self._LOCAL_VERSION, timeout=timeout)
            peers, _, _ = conn.native.query(self._PEER_VERSIONS, timeout=timeout)
            if len(self._versions(local, peers)) <= 1:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    async def await_schema_agreement_async(self, conn: Conn) -> bool:
        if len(self.nodes) < 2:
            return True
        deadline = time.monotonic() + self.schema_agreement_timeout
        timeout = self.options.request_timeout
        while True:
            local, _, _ = await conn.native.query_async(self._LOCAL_VERSION, timeout=timeout)
            peers, _, _ = await conn.native.query_async(self._PEER_VERSIONS, timeout=timeout)
            if len(self._versions(local, peers)) <= 1:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.2)

    # prepared statements ---------------------------------------------------
    def cached(self, cql: str) -> Any:
        return self._prepared.get((cql, self.keyspace))

    def remember(self, cql: str, prepared: Any) -> Any:
        return self._prepared.put((cql, self.keyspace), prepared)

    def prepare(self, cql: str, conn: Conn | None = None) -> Any:
        p = self.cached(cql)
        if p is None:
            conn = conn or self.sync_conn()
            self._use_keyspace(conn)
            p = self.remember(cql, conn.native.prepare(cql, timeout=self.options.request_timeout))
        return p

    # running ------------------------------------------------------------------
    def execute(
        self,
        cql: str,
        params: Sequence[Any] = (),
        *,
        prepare: bool = True,
        consistency: int = 1,
        serial_consistency: int | None = None,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> tuple[list[dict[str, Any]], bytes | None]:
        """One page (or everything when ``page_size`` is None and the server does not page)."""
        prefer = self.router.replicas(self.cached(cql), params, self.keyspace) if prepare else None
        conn = self.sync_conn(prefer)
        if conn.keyspace != self.keyspace:
            self._use_keyspace(conn)
        if timeout is None:
            timeout = self.options.request_timeout
        if not prepare and not params:
            rows, state, info = conn.native.query(
                cql, consistency, page_size, paging_state, serial_consistency, timestamp, timeout
            )
            if info is not None:
                self._track(conn, info)
                if isinstance(info, tuple):
                    self.await_schema_agreement(conn)
                    self.router.schema_changed(info, _sync_rows(conn, timeout))
            return rows, state
        p = self.cached(cql) or self.prepare(cql, conn)
        args = (params, consistency, page_size, paging_state, serial_consistency, timestamp, timeout)
        try:
            rows, state, _ = conn.native.execute(p, *args)
        except ServerError as error:
            if getattr(error, "code", None) != UNPREPARED:
                raise
            p = self.remember(cql, conn.native.prepare(cql, timeout=timeout))
            rows, state, _ = conn.native.execute(p, *args)
        return rows, state

    def execute_all(
        self,
        cql: str,
        params: Sequence[Any] = (),
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """Every row, fetching page after page."""
        rows, state = self.execute(cql, params, page_size=page_size, **kwargs)
        while state is not None:
            more, state = self.execute(cql, params, page_size=page_size, paging_state=state, **kwargs)
            rows.extend(more)
        return rows

    def batch(
        self,
        kind: BatchKind,
        statements: Sequence[tuple[str, Sequence[Any]]],
        *,
        consistency: int = 1,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        conn = self.sync_conn()
        if conn.keyspace != self.keyspace:
            self._use_keyspace(conn)
        if timeout is None:
            timeout = self.options.request_timeout
        for _attempt in range(3):
            items = [
                (self.cached(cql) or self.prepare(cql, conn), tuple(params)) for cql, params in statements
            ]
            try:
                rows, _, _ = conn.native.batch(
                    int(kind), items, consistency, serial_consistency, timestamp, timeout
                )
                return list(rows)
            except ServerError as error:
                if getattr(error, "code", None) != UNPREPARED:
                    raise
                self._forget(getattr(error, "info", {}).get("id"))
        raise ConnectionClosed("batch statements kept coming back unprepared")

    def _forget(self, statement_id: bytes | None) -> None:
        self._prepared.discard_where(lambda p: statement_id is None or p.id == statement_id)

    # --------------------------------------------------------- asyncio side --
    async def _open_async(self, node: Node, loop: asyncio.AbstractEventLoop) -> Conn:
        o = self.options
        infos = await loop.getaddrinfo(node.host, node.port, type=socket.SOCK_STREAM)
        last: BaseException | None = None
        sock: socket.socket | None = None
        for family, type_, proto, _, addr in infos:
            s = socket.socket(family, type_, proto)
            s.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(s, addr), o.connect_timeout)
            except (OSError, asyncio.TimeoutError) as error:
                s.close()
                last = (
                    error if isinstance(error, OSError) else TimeoutError(f"connecting to {node} timed out")
                )
                continue
            sock = s
            break
        if sock is None:
            raise last or OSError(f"cannot resolve {node}")
        native = _native_connection(sock, o)
        conn = Conn(native, node, loop)
        try:
            if o.tls is not None:
                native.start_tls(**_tls_kwargs(o.tls, node), handshake=False)
                await _tls_handshake_async(native, loop, o.connect_timeout)
            native.attach(loop)
            supported = await native.options_async(timeout=o.connect_timeout)
            authenticator = await native.startup_async(
                _startup_options(o, supported), timeout=o.connect_timeout
            )
            if authenticator is not None:
                kind, _ = await native.authenticate_async(
                    _auth_token(o, authenticator), timeout=o.connect_timeout
                )
                while kind == "challenge":
                    kind, _ = await native.authenticate_async(None, timeout=o.connect_timeout)
            if self.keyspace:
                await native.query_async(f"USE {quote(self.keyspace)}", timeout=o.connect_timeout)
                conn.keyspace = self.keyspace
        except BaseException:
            native.close()
            raise
        return conn

    def _sweep(self) -> None:
        """Forget connections whose event loop is closed."""
        for key, conn in list(self._async.items()):
            if conn.loop is not None and conn.loop.is_closed():
                conn.native.close()
                del self._async[key]

    async def connect_async(self) -> None:
        await self.async_conn()

    async def async_conn(self, prefer: Sequence[tuple[str, int]] | None = None) -> Conn:
        """An asyncio connection for the running loop (opened on first use)."""
        if self._closed:
            raise ConnectionClosed("the session is closed")
        loop = asyncio.get_running_loop()
        errors: list[tuple[Node, BaseException]] = []
        for node in self._next_nodes(prefer):
            key = (id(loop), node.address)
            conn = self._async.get(key)
            if conn is not None and conn.loop is loop and conn.usable:
                return conn
            pending = self._connecting.get(key)
            if pending is not None and pending.get_loop() is loop:
                try:
                    return await asyncio.shield(pending)
                except _NODE_ERRORS as error:
                    errors.append((node, error))
                    continue
            if len(self._async) > len(self.nodes):
                self._sweep()
            fut: asyncio.Future[Conn] = loop.create_future()
            self._connecting[key] = fut
            try:
                conn = await self._open_async(node, loop)
            except _OPEN_ERRORS as error:
                fut.set_exception(error)
                fut.exception()  # retrieved: waiters get it through shield
                if _is_auth_failure(error):
                    raise
                self._mark_down(node, error)
                errors.append((node, error))
                continue
            except BaseException as error:
                fut.cancel()
                raise error
            finally:
                self._connecting.pop(key, None)
            old = self._async.get(key)
            if old is not None:
                old.native.close()
            self._async[key] = conn
            node.failures = 0
            self.heartbeat.watch_async(conn, loop, self._heartbeat_failed)
            fut.set_result(conn)
            if not self._peers_done:
                await self._discover_async(conn)
                if self.discover_peers:
                    await self.router.load_async(
                        _async_rows(conn, self.options.connect_timeout), node.address
                    )
            return conn
        raise _no_host(errors)

    async def _discover_async(self, conn: Conn) -> None:
        self._peers_done = True
        if not self.discover_peers:
            return
        for cql in (self._PEERS_V2, self._PEERS):
            try:
                rows, _, _ = await conn.native.query_async(cql, timeout=self.options.connect_timeout)
            except ServerError:
                continue
            self._add_peers(rows, conn.node.port)
            return

    async def _use_keyspace_async(self, conn: Conn) -> None:
        if conn.keyspace != self.keyspace and self.keyspace:
            await conn.native.query_async(f"USE {quote(self.keyspace)}", timeout=self.options.request_timeout)
            conn.keyspace = self.keyspace

    async def prepare_async(self, cql: str, conn: Conn | None = None) -> Any:
        p = self.cached(cql)
        if p is None:
            conn = conn or await self.async_conn()
            await self._use_keyspace_async(conn)
            p = self.remember(cql, await conn.native.prepare_async(cql, timeout=self.options.request_timeout))
        return p

    async def execute_async(
        self,
        cql: str,
        params: Sequence[Any] = (),
        *,
        prepare: bool = True,
        consistency: int = 1,
        serial_consistency: int | None = None,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> tuple[list[dict[str, Any]], bytes | None]:
        prefer = self.router.replicas(self.cached(cql), params, self.keyspace) if prepare else None
        conn = await self.async_conn(prefer)
        if conn.keyspace != self.keyspace:
            await self._use_keyspace_async(conn)
        if timeout is None:
            timeout = self.options.request_timeout
        if not prepare and not params:
            rows, state, info = await conn.native.query_async(
                cql, consistency, page_size, paging_state, serial_consistency, timestamp, timeout
            )
            if info is not None:
                self._track(conn, info)
                if isinstance(info, tuple):
                    await self.await_schema_agreement_async(conn)
                    await self.router.schema_changed_async(info, _async_rows(conn, timeout))
            return rows, state
        p = self.cached(cql) or await self.prepare_async(cql, conn)
        args = (params, consistency, page_size, paging_state, serial_consistency, timestamp, timeout)
        try:
            rows, state, _ = await conn.native.execute_async(p, *args)
        except ServerError as error:
            if getattr(error, "code", None) != UNPREPARED:
                raise
            p = self.remember(cql, await conn.native.prepare_async(cql, timeout=timeout))
            rows, state, _ = await conn.native.execute_async(p, *args)
        return rows, state

    async def execute_all_async(
        self,
        cql: str,
        params: Sequence[Any] = (),
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        rows, state = await self.execute_async(cql, params, page_size=page_size, **kwargs)
        while state is not None:
            more, state = await self.execute_async(
                cql, params, page_size=page_size, paging_state=state, **kwargs
            )
            rows.extend(more)
        return rows

    async def batch_async(
        self,
        kind: BatchKind,
        statements: Sequence[tuple[str, Sequence[Any]]],
        *,
        consistency: int = 1,
        serial_consistency: int | None = None,
        timestamp: int | None = None,
        timeout: float | None = None,
    ) -> list[dict[str, Any]]:
        conn = await self.async_conn()
        if conn.keyspace != self.keyspace:
            await self._use_keyspace_async(conn)
        if timeout is None:
            timeout = self.options.request_timeout
        for _attempt in range(3):
            items = [
                (self.cached(cql) or await self.prepare_async(cql, conn), tuple(params))
                for cql, params in statements
            ]
            try:
                rows, _, _ = await conn.native.batch_async(
                    int(kind), items, consistency, serial_consistency, timestamp, timeout
                )
                return list(rows)
            except ServerError as error:
                if getattr(error, "code", None) != UNPREPARED:
                    raise
                self._forget(getattr(error, "info", {}).get("id"))
        raise ConnectionClosed("batch statements kept coming back unprepared")

    # -------------------------------------------------------------- closing --
    def close(self) -> None:
        """Close every connection (blocking and asyncio). Idempotent."""
        self._closed = True
        self.heartbeat.stop()
        with self._lock:
            conns = list(self._sync.values()) + list(self._async.values())
            self._sync.clear()
            self._async.clear()
            self._prepared.clear()
        for conn in conns:
            conn.native.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def connections(self) -> list[Conn]:
        return list(self._sync.values()) + list(self._async.values())


def _sync_rows(conn: Conn, timeout: float | None) -> Any:
    """A function running one query on a blocking connection and returning its rows."""

    def query(cql: str) -> Any:
        rows, _, _ = conn.native.query(cql, timeout=timeout)
        return rows

    return query


def _async_rows(conn: Conn, timeout: float | None) -> Any:
    """A coroutine function running one query on an asyncio connection and returning its rows."""

    async def query(cql: str) -> Any:
        rows, _, _ = await conn.native.query_async(cql, timeout=timeout)
        return rows

    return query


#: what connecting to (or through) one node can raise, short of a refused login: try the next node
_NODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    ServerError,
    ConnectionClosed,
    OperationTimedOut,
    ProtocolError,
)
#: what opening a connection can raise
_OPEN_ERRORS: tuple[type[BaseException], ...] = (*_NODE_ERRORS, AuthenticationError)


def _is_auth_failure(error: BaseException) -> bool:
    """A refused login: every node would refuse it too."""
    return isinstance(error, AuthenticationError) or (
        isinstance(error, ServerError) and getattr(error, "code", None) == AUTH_ERROR
    )


def _native_connection(sock: socket.socket, options: ConnectionOptions) -> Any:
    """The C connection over a connected socket (which it takes over)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _native.Connection(sock.detach(), max_streams=options.max_streams, tick=options.tick)
    finally:
        sock.close()


def _no_host(errors: list[tuple[Node, BaseException]]) -> ConnectionError:
    detail = "; ".join(f"{node}: {type(e).__name__}: {e}" for node, e in errors) or "no nodes"
    error = ConnectionError(f"cannot connect to any node ({detail})")
    if errors:
        error.__cause__ = errors[-1][1]
    return error


def _tls_kwargs(tls: TlsOptions, node: Node) -> dict[str, Any]:
    hostname = tls.server_hostname or node.host
    return {
        "cafile": tls.cafile,
        "cadata": tls.cadata,
        "certfile": tls.certfile,
        "keyfile": tls.keyfile,
        "password": tls.password,
        "verify": tls.verify,
        "check_hostname": tls.check_hostname and tls.verify,
        "server_hostname": hostname,
    }


async def _tls_handshake_async(native: Any, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
    """Drive the C TLS handshake from the event loop (readiness through add_reader/add_writer)."""
    deadline = loop.time() + timeout
    fd = native.fileno()
    while True:
        want = native.tls_handshake_step()
        if want == 0:
            return
        ready: asyncio.Future[None] = loop.create_future()

        def wake(f: asyncio.Future[None] = ready) -> None:
            if not f.done():
                f.set_result(None)

        if want == 1:
            loop.add_reader(fd, wake)
        else:
            loop.add_writer(fd, wake)
        try:
            await asyncio.wait_for(ready, max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            raise OperationTimedOut("TLS handshake timed out") from None
        finally:
            if want == 1:
                loop.remove_reader(fd)
            else:
                loop.remove_writer(fd)
