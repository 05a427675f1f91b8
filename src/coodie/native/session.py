"""Nodes, connections, the handshake, prepared statements and paging.

One :class:`Session` talks to a cluster through one connection per node and
mode:

* a *blocking* connection, shared by every thread (the C connection releases
  the GIL while it waits and lets concurrent callers share the socket);
* one *asyncio* connection per event loop that uses the session (the C
  connection watches its socket with ``loop.add_reader``).

Both are created on first use. Everything but the hot path is written once, as
plans (:mod:`coodie.native.runner`) that the blocking methods run with
``run_blocking`` and the ``*_async`` ones with ``run_async``; executing a
statement already prepared on a connection already open calls the C extension
directly. Prepared statements with partition key values go to a replica of
their partition first (:mod:`coodie.native.routing`); other requests go to the
nodes round-robin. After DDL on a cluster of several nodes the session waits
(up to ``schema_agreement_timeout``) until the reachable nodes report one
schema version. A request's options are one :class:`ExecOptions`, resolved
against the session's defaults in :meth:`Session._arguments`. Errors are the C
connection's own (``cql.ServerError``, ``cql.ConnectionClosed``,
``cql.OperationTimedOut``, ``cql.ProtocolError``) and ``OSError``
for connecting; :mod:`coodie.drivers.native` maps them to coodie's exceptions.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from typing_extensions import TypedDict, Unpack

# re-exported: the session's errors are the extension's own classes
from coodie._native import Connection as NativeConnection
from coodie._native import ConnectionClosed as ConnectionClosed
from coodie._native import OperationTimedOut as OperationTimedOut
from coodie._native import ProtocolError as ProtocolError
from coodie._native import ServerError as ServerError
from coodie.exceptions import ConfigurationError
from coodie.native.health import DEFAULT_HEARTBEAT_INTERVAL, Backoff, Heartbeat
from coodie.native.routing import Ask, Router
from coodie.native.runner import Plan, call, pause, run_async, run_blocking
from coodie.support.cql_names import quote
from coodie.support.hosts import split_host_port
from coodie.support.lru import LRU
from coodie.support.options import DEFAULT_OPTIONS, Consistency, ExecOptions

#: error codes the session reacts to
UNPREPARED = 0x2500
AUTH_ERROR = 0x0100

DEFAULT_PORT = 9042
DEFAULT_PAGE_SIZE = 5000
#: what a request without options of its own runs with (unless the session is given others)
DEFAULT_CONSISTENCY = Consistency.LOCAL_ONE
DEFAULT_REQUEST_TIMEOUT = 10.0
#: every row of a statement: pages of DEFAULT_PAGE_SIZE rows
ALL_PAGES = ExecOptions(page_size=DEFAULT_PAGE_SIZE)

#: the values bound to a statement's markers, in order
Params = Sequence[Any]
#: the statements of a BATCH with their values
Statements = Sequence[tuple[str, Params]]
#: one page of rows and the paging state of the next (None: no more)
Page = tuple[list[dict[str, Any]], bytes | None]
#: the option arguments of the C connection's query() and execute(), in its order:
#: consistency, page size, paging state, serial consistency, timestamp, timeout
_Arguments = tuple[int, int | None, bytes | None, int | None, int | None, float | None]
#: how long a node that refused a connection is left alone
NODE_RETRY_DELAY = 2.0

log = logging.getLogger("coodie.native")


class Keywords(TypedDict, total=False):
    """The keywords of :meth:`Session.execute` and co: ``prepare`` and a shorthand for ExecOptions."""

    prepare: bool
    consistency: Consistency | str | int | None
    serial_consistency: Consistency | str | int | None
    timeout: float | None
    page_size: int | None
    paging_state: bytes | None
    timestamp: int | None


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
    #: what a request waits for its answer unless its options say otherwise; None: forever
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    max_streams: int = 1024
    tick: float = 0.02
    driver_name: str = "coodie-native"
    driver_version: str = ""

    def __post_init__(self) -> None:
        if self.request_timeout is not None and not self.request_timeout > 0:
            raise ConfigurationError(f"request_timeout={self.request_timeout!r}: must be positive or None")
        if not self.connect_timeout > 0:
            raise ConfigurationError(f"connect_timeout={self.connect_timeout!r}: must be positive")


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
        host, own_port = split_host_port(raw.strip())
        nodes.append(Node(host, own_port or port or DEFAULT_PORT))
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
    """Connections to a cluster, with a prepared statement cache.

    A request's options are one :class:`ExecOptions`; its ``None`` fields take
    the session's defaults: ``consistency`` (LOCAL_ONE unless given),
    ``serial_consistency`` (none: the server's SERIAL) and the connection
    options' ``request_timeout`` (10 s). The ``native`` backend uses the same
    defaults, so a session behaves the same used directly or through coodie.
    """

    def __init__(
        self,
        contact_points: list[Node],
        options: ConnectionOptions | None = None,
        *,
        keyspace: str | None = None,
        prepared_cache_size: int = 512,
        discover_peers: bool = True,
        consistency: Consistency | str | int = DEFAULT_CONSISTENCY,
        serial_consistency: Consistency | str | int | None = None,
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
        self.heartbeat = Heartbeat(
            heartbeat_interval, self.options.request_timeout or DEFAULT_REQUEST_TIMEOUT
        )
        self._consistency = Consistency.parse(consistency)
        self._serial_consistency = (
            None if serial_consistency is None else Consistency.parse_serial(serial_consistency)
        )
        self._default_arguments = self._arguments(ExecOptions())
        self._all_pages_arguments = self._arguments(ExecOptions(page_size=DEFAULT_PAGE_SIZE))

    @property
    def consistency(self) -> Consistency:
        """The level of a request whose options name none (fixed when the session is made)."""
        return self._consistency

    @property
    def serial_consistency(self) -> Consistency | None:
        """The serial level of a conditional request whose options name none (None: SERIAL)."""
        return self._serial_consistency

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
        if node.last_error is error:  # one failed attempt, reported to each task that waited on it
            return
        node.failures += 1
        node.down_until = time.monotonic() + self.backoff.delay(node.failures)
        node.last_error = error

    def _heartbeat_failed(self, conn: Conn, error: BaseException) -> None:
        """A heartbeat failed: the connection is closed; leave its node alone for a while."""
        self._mark_down(conn.node, error)

    def _add_peers(self, rows: Sequence[Mapping[str, Any]], port_default: int) -> None:
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

    # ------------------------------------------------------- options to wire --
    def _arguments(self, options: ExecOptions) -> _Arguments:
        """The C call's option arguments: ``options`` over the session's defaults.

        The one place where a request's options meet the wire; everything above
        hands the same :class:`ExecOptions` down unchanged.
        """
        if options is DEFAULT_OPTIONS:
            return self._default_arguments
        if options is ALL_PAGES:
            return self._all_pages_arguments
        return (
            self._consistency if options.consistency is None else options.consistency,
            options.page_size,
            options.paging_state,
            self._serial_consistency if options.serial_consistency is None else options.serial_consistency,
            options.timestamp,
            self.options.request_timeout if options.timeout is None else options.timeout,
        )

    def _rows(self, conn: Conn, cql: str, timeout: float | None) -> Plan[list[dict[str, Any]]]:
        """The rows of one unprepared query (the session's own: system tables, USE)."""
        rows, _, _ = yield call(conn.native, "query", cql, *self._arguments(ExecOptions(timeout=timeout)))
        return list(rows)

    def _asker(self, conn: Conn, timeout: float | None) -> Ask:
        return lambda cql: self._rows(conn, cql, timeout)

    # ------------------------------------------------------------ connecting --
    def connect(self) -> None:
        """Open a blocking connection to the first reachable contact point."""
        self.sync_conn()

    async def connect_async(self) -> None:
        await self.async_conn()

    def sync_conn(self, prefer: Sequence[tuple[str, int]] | None = None) -> Conn:
        """A blocking connection (opened on first use), round-robin over the nodes."""
        return run_blocking(self._connection(prefer))

    async def async_conn(self, prefer: Sequence[tuple[str, int]] | None = None) -> Conn:
        """An asyncio connection for the running loop (opened on first use)."""
        return await run_async(self._connection(prefer))

    def _connection(self, prefer: Sequence[tuple[str, int]] | None) -> Plan[Conn]:
        """A connection through the first node that has or takes one (``prefer``: those first)."""
        if self._closed:
            raise ConnectionClosed("the session is closed")
        errors: list[tuple[Node, BaseException]] = []
        for node in self._next_nodes(prefer):
            try:
                conn: Conn = yield call(self, "_claim", node)
            except _OPEN_ERRORS as error:
                if _is_auth_failure(error):
                    raise
                self._mark_down(node, error)
                errors.append((node, error))
                continue
            if not self._peers_done:
                yield from self._discover(conn)
            return conn
        raise _no_host(errors)

    def _ready(self, node: Node) -> Conn | None:
        """The node's blocking connection if it is open (and answers, when it sat idle)."""
        conn = self._sync.get(node.address)
        if conn is not None and conn.usable and self.heartbeat.ensure(conn, self._heartbeat_failed):
            return conn
        return None

    def _ready_async(self, node: Node) -> Conn | None:
        """The node's connection for the running event loop, if it is open."""
        loop = asyncio.get_running_loop()
        conn = self._async.get((id(loop), node.address))
        return conn if conn is not None and conn.loop is loop and conn.usable else None

    def _claim(self, node: Node) -> Conn:
        """The node's blocking connection, opened once (by whichever thread asks first)."""
        conn = self._ready(node)
        if conn is not None:
            return conn
        with self._lock:
            conn = self._sync.get(node.address)
            if conn is not None and conn.usable:
                return conn
            conn = run_blocking(self._open(node))
            self._sync[node.address] = conn
            node.failures = 0
            self.heartbeat.track(conn)
        return conn

    async def _claim_async(self, node: Node) -> Conn:
        """The node's connection for the running loop, opened once (however many tasks ask)."""
        conn = self._ready_async(node)
        if conn is not None:
            return conn
        loop = asyncio.get_running_loop()
        key = (id(loop), node.address)
        pending = self._connecting.get(key)
        if pending is not None and pending.get_loop() is loop:
            return await asyncio.shield(pending)
        if len(self._async) > len(self.nodes):
            self._sweep()
        opened: asyncio.Future[Conn] = loop.create_future()
        self._connecting[key] = opened
        try:
            conn = await run_async(self._open(node))
        except Exception as error:
            opened.set_exception(error)
            opened.exception()  # retrieved: the waiters get it through shield
            raise
        except BaseException:
            opened.cancel()
            raise
        finally:
            self._connecting.pop(key, None)
        old = self._async.get(key)
        if old is not None:
            old.native.close()
        self._async[key] = conn
        node.failures = 0
        self.heartbeat.watch_async(conn, loop, self._heartbeat_failed)
        opened.set_result(conn)
        return conn

    def _sweep(self) -> None:
        """Forget connections whose event loop is closed."""
        for key, conn in list(self._async.items()):
            if conn.loop is not None and conn.loop.is_closed():
                conn.native.close()
                del self._async[key]

    def _open(self, node: Node) -> Plan[Conn]:
        """A new connection ready for requests: handshake, login, the session's keyspace."""
        o = self.options
        native = yield call(self, "_dial", node)
        conn = Conn(native, node, native.loop)
        try:
            supported = yield call(native, "options", o.connect_timeout)
            startup = _startup_options(o, supported)
            authenticator = yield call(native, "startup", startup, o.connect_timeout)
            if authenticator is not None:
                token = _auth_token(o, authenticator)
                kind, _ = yield call(native, "authenticate", token, o.connect_timeout)
                while kind == "challenge":
                    kind, _ = yield call(native, "authenticate", None, o.connect_timeout)
            yield from self._use_keyspace(conn, o.connect_timeout)
        except BaseException:
            native.close()
            raise
        return conn

    def _dial(self, node: Node) -> Any:
        """A C connection over a new TCP (and TLS) connection to the node, blocking."""
        o = self.options
        native = _native_connection(socket.create_connection(node.address, timeout=o.connect_timeout), o)
        try:
            if o.tls is not None:
                native.start_tls(**_tls_kwargs(o.tls, node), timeout=o.connect_timeout)
        except BaseException:
            native.close()
            raise
        return native

    async def _dial_async(self, node: Node) -> Any:
        """A C connection over a new TCP (and TLS) connection, attached to the running loop."""
        o = self.options
        loop = asyncio.get_running_loop()
        native = _native_connection(await _connected_socket(loop, node, o.connect_timeout), o)
        try:
            if o.tls is not None:
                native.start_tls(**_tls_kwargs(o.tls, node), handshake=False)
                await _tls_handshake_async(native, loop, o.connect_timeout)
            native.attach(loop)
        except BaseException:
            native.close()
            raise
        return native

    def _discover(self, conn: Conn) -> Plan[None]:
        """Once per session: add the cluster's other nodes and load the token ring."""
        self._peers_done = True
        if not self.discover_peers:
            return
        ask = self._asker(conn, self.options.connect_timeout)
        for cql in (self._PEERS_V2, self._PEERS):
            try:
                rows = yield from ask(cql)
            except ServerError:
                continue
            self._add_peers(rows, conn.node.port)
            break
        yield from self.router.loading(ask, conn.node.address)

    def _use_keyspace(self, conn: Conn, timeout: float | None) -> Plan[None]:
        """Switch a connection to the session's keyspace (a USE ran on another connection)."""
        keyspace = self.keyspace
        if keyspace and conn.keyspace != keyspace:
            yield from self._rows(conn, f"USE {quote(keyspace)}", timeout)
            conn.keyspace = keyspace

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

    def _agreement(self, conn: Conn) -> Plan[bool]:
        """After DDL on a cluster: wait until the reachable nodes report one schema version.

        The only wait for schema agreement on coodie's native path (the ODM's
        schema sync relies on it); gives up, returning False, after
        ``schema_agreement_timeout`` with a warning on the ``coodie.native`` logger.
        """
        if len(self.nodes) < 2:
            return True
        deadline = time.monotonic() + self.schema_agreement_timeout
        timeout = self.options.request_timeout
        while True:
            local = yield from self._rows(conn, self._LOCAL_VERSION, timeout)
            peers = yield from self._rows(conn, self._PEER_VERSIONS, timeout)
            versions = self._versions(local, peers)
            if len(versions) <= 1:
                return True
            if time.monotonic() >= deadline:
                log.warning(
                    "schema agreement not reached after %gs: the nodes report versions %s",
                    self.schema_agreement_timeout,
                    sorted(map(str, versions)),
                )
                return False
            yield pause(0.2)

    def _after_query(self, conn: Conn, info: Any) -> Plan[None]:
        """What a QUERY's result reports: a keyspace change, or a schema change to wait out."""
        self._track(conn, info)
        if isinstance(info, tuple):
            yield from self._agreement(conn)
            yield from self.router.reloading(info, self._asker(conn, self.options.request_timeout))

    # prepared statements ---------------------------------------------------
    def cached(self, cql: str) -> Any:
        return self._prepared.get((cql, self.keyspace))

    def remember(self, cql: str, prepared: Any) -> Any:
        return self._prepared.put((cql, self.keyspace), prepared)

    def _forget(self, statement_id: bytes | None) -> None:
        self._prepared.discard_where(lambda p: statement_id is None or p.id == statement_id)

    def _preparing(self, cql: str, conn: Conn | None) -> Plan[Any]:
        p = self.cached(cql)
        if p is None:
            if conn is None:
                conn = yield from self._connection(None)
            yield from self._use_keyspace(conn, self.options.request_timeout)
            p = self.remember(cql, (yield call(conn.native, "prepare", cql, self.options.request_timeout)))
        return p

    def prepare(self, cql: str, conn: Conn | None = None) -> Any:
        """The prepared statement of ``cql`` (prepared on first use, then cached)."""
        return run_blocking(self._preparing(cql, conn))

    async def prepare_async(self, cql: str, conn: Conn | None = None) -> Any:
        return await run_async(self._preparing(cql, conn))

    # running ------------------------------------------------------------------
    def _fast_lane(
        self, cql: str, params: Sequence[Any], prepare: bool, ready: Callable[[Node], Conn | None]
    ) -> tuple[Any, Conn] | None:
        """The hot path's prerequisites, or None: the statement prepared, its node's connection ready."""
        p = self._prepared.get((cql, self.keyspace)) if prepare else None
        if p is None:
            return None
        conn = ready(self._next_nodes(self.router.replicas(p, params, self.keyspace))[0])
        return (p, conn) if conn is not None and conn.keyspace == self.keyspace else None

    def _unprepared(self, cql: str, error: ServerError) -> None:
        """The hot path met a node that forgot the statement: the long way prepares it again."""
        if error.code != UNPREPARED:
            raise error
        self._prepared.pop((cql, self.keyspace))

    def _executing(self, cql: str, params: Sequence[Any], options: ExecOptions, prepare: bool) -> Plan[Page]:
        """One page the long way: connecting, switching keyspace and (re-)preparing as needed."""
        prefer = self.router.replicas(self.cached(cql), params, self.keyspace) if prepare else None
        conn = yield from self._connection(prefer)
        yield from self._use_keyspace(conn, self.options.request_timeout)
        arguments = self._arguments(options)
        if not prepare and not params:
            rows, state, info = yield call(conn.native, "query", cql, *arguments)
            if info is not None:
                yield from self._after_query(conn, info)
            return rows, state
        p = yield from self._preparing(cql, conn)
        try:
            rows, state, _ = yield call(conn.native, "execute", p, params, *arguments)
        except ServerError as error:
            if error.code != UNPREPARED:
                raise
            p = self.remember(cql, (yield call(conn.native, "prepare", cql, arguments[-1])))
            rows, state, _ = yield call(conn.native, "execute", p, params, *arguments)
        return rows, state

    def execute(
        self, cql: str, params: Params = (), options: ExecOptions = DEFAULT_OPTIONS, **kw: Unpack[Keywords]
    ) -> Page:
        """One page (everything when ``page_size`` is None and the server does not page).

        ``kw``: ``prepare=False`` sends the statement unprepared; the other
        keywords (``timeout=``, ``page_size=``...) are a shorthand for the
        fields of ``options``.
        """
        prepare = kw.pop("prepare", True)
        options = _overridden(options, kw)
        lane = self._fast_lane(cql, params, prepare, self._ready)
        if lane is not None:  # the hot path: straight into C
            try:
                rows, state, _ = lane[1].native.execute(lane[0], params, *self._arguments(options))
                return rows, state
            except ServerError as error:
                self._unprepared(cql, error)
        return run_blocking(self._executing(cql, params, options, prepare))

    async def execute_async(
        self, cql: str, params: Params = (), options: ExecOptions = DEFAULT_OPTIONS, **kw: Unpack[Keywords]
    ) -> Page:
        prepare = kw.pop("prepare", True)
        options = _overridden(options, kw)
        lane = self._fast_lane(cql, params, prepare, self._ready_async)
        if lane is not None:
            future = lane[1].native.execute_async(lane[0], params, *self._arguments(options))
            try:
                rows, state, _ = await future
                return rows, state
            except ServerError as error:
                self._unprepared(cql, error)
        return await run_async(self._executing(cql, params, options, prepare))

    def execute_all(
        self, cql: str, params: Params = (), options: ExecOptions = DEFAULT_OPTIONS, **kw: Unpack[Keywords]
    ) -> list[dict[str, Any]]:
        """Every row, page after page (``page_size`` defaults to DEFAULT_PAGE_SIZE)."""
        prepare = kw.pop("prepare", True)
        first = _paging(_overridden(options, kw))
        rows, state = self.execute(cql, params, first, prepare=prepare)
        if state is not None:
            rows.extend(run_blocking(self._rest(cql, params, first, prepare, state)))
        return rows

    async def execute_all_async(
        self, cql: str, params: Params = (), options: ExecOptions = DEFAULT_OPTIONS, **kw: Unpack[Keywords]
    ) -> list[dict[str, Any]]:
        prepare = kw.pop("prepare", True)
        first = _paging(_overridden(options, kw))
        rows, state = await self.execute_async(cql, params, first, prepare=prepare)
        if state is not None:
            rows.extend(await run_async(self._rest(cql, params, first, prepare, state)))
        return rows

    def _rest(
        self, cql: str, params: Sequence[Any], options: ExecOptions, prepare: bool, state: bytes | None
    ) -> Plan[list[dict[str, Any]]]:
        """The pages after the first."""
        rows: list[dict[str, Any]] = []
        while state is not None:
            more, state = yield from self._executing(
                cql, params, replace(options, paging_state=state), prepare
            )
            rows.extend(more)
        return rows

    def _batching(
        self, kind: BatchKind, statements: Statements, options: ExecOptions
    ) -> Plan[list[dict[str, Any]]]:
        conn = yield from self._connection(None)
        yield from self._use_keyspace(conn, self.options.request_timeout)
        consistency, _, _, serial, timestamp, timeout = self._arguments(options)
        for _attempt in range(3):
            items = []
            for cql, params in statements:
                items.append(((yield from self._preparing(cql, conn)), tuple(params)))
            try:
                rows, _, _ = yield call(
                    conn.native, "batch", int(kind), items, consistency, serial, timestamp, timeout
                )
                return list(rows)
            except ServerError as error:
                if error.code != UNPREPARED:
                    raise
                self._forget((error.info or {}).get("id"))
        raise ConnectionClosed("batch statements kept coming back unprepared")

    def batch(
        self, kind: BatchKind, statements: Statements, options: ExecOptions = DEFAULT_OPTIONS
    ) -> list[dict[str, Any]]:
        """One BATCH of prepared statements (re-prepared if a node forgot them)."""
        return run_blocking(self._batching(kind, statements, options))

    async def batch_async(
        self, kind: BatchKind, statements: Statements, options: ExecOptions = DEFAULT_OPTIONS
    ) -> list[dict[str, Any]]:
        return await run_async(self._batching(kind, statements, options))

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
        return NativeConnection(sock.detach(), max_streams=options.max_streams, tick=options.tick)
    finally:
        sock.close()


def _no_host(errors: list[tuple[Node, BaseException]]) -> ConnectionError:
    detail = "; ".join(f"{node}: {type(e).__name__}: {e}" for node, e in errors) or "no nodes"
    error = ConnectionError(f"cannot connect to any node ({detail})")
    if errors:
        error.__cause__ = errors[-1][1]
    return error


def _overridden(options: ExecOptions, fields: Mapping[str, Any]) -> ExecOptions:
    """``options`` with the fields given as keywords (levels by name or code) replaced."""
    if not fields:
        return options
    return replace(options, **ExecOptions.of(**fields).describe())


def _paging(options: ExecOptions) -> ExecOptions:
    """``options`` for reading every row: paged (DEFAULT_PAGE_SIZE rows unless they say)."""
    if options is DEFAULT_OPTIONS:
        return ALL_PAGES
    return options if options.page_size is not None else replace(options, page_size=DEFAULT_PAGE_SIZE)


async def _connected_socket(loop: asyncio.AbstractEventLoop, node: Node, timeout: float) -> socket.socket:
    """A non-blocking socket connected to the node (each resolved address tried in turn)."""
    infos = await loop.getaddrinfo(node.host, node.port, type=socket.SOCK_STREAM)
    last: BaseException | None = None
    for family, type_, proto, _, addr in infos:
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_connect(sock, addr), timeout)
        except (OSError, asyncio.TimeoutError) as error:
            sock.close()
            last = error if isinstance(error, OSError) else TimeoutError(f"connecting to {node} timed out")
            continue
        return sock
    raise last or OSError(f"cannot resolve {node}")


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
