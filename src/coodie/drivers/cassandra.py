"""Backend over the ``cassandra`` package: scylla-driver or cassandra-driver.

Both distributions install the same import package, so one adapter serves
``driver_type="scylla"`` and ``driver_type="cassandra"``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

from coodie.drivers._guard import install_hint

try:
    import cassandra.connection
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ResponseFuture, Session
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

from coodie import exceptions as exc_mod
from coodie.drivers._guard import installed_version
from coodie.drivers._shared.capabilities import lacking
from coodie.drivers._shared.errors import chained, filtering_kind, translating
from coodie.drivers._shared.options import DEFAULT_HOSTS, PREPARED_CACHE_SIZE
from coodie.drivers._shared.values import (
    EPOCH,
    Converter,
    as_utc,
    convert_each,
    identity,
    list_of,
    map_of,
    set_of,
    tuple_of,
)
from coodie.drivers.base import (
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    ExecOptions,
    ResultPage,
    Row,
    Statement,
)
from coodie.support.lru import LRU
from coodie.support.values import CqlDuration

PROFILE_NAME = "coodie"

_BATCH_TYPES = {
    BatchType.LOGGED: CassBatchType.LOGGED,
    BatchType.UNLOGGED: CassBatchType.UNLOGGED,
    BatchType.COUNTER: CassBatchType.COUNTER,
}


# --------------------------------------------------------- value conversion --
# Converters are built once per column type (and cached per result shape /
# prepared statement); ``None`` means "the driver's value is already canonical".


def _is(typ: Any, kind: Any) -> bool:
    return isinstance(typ, type) and issubclass(typ, kind)


def _decoder(typ: Any) -> Converter | None:
    name = getattr(typ, "typename", "")
    if name == "timestamp":
        return as_utc
    if name == "date":
        return lambda v: v.date() if isinstance(v, util.Date) else v
    if name == "time":
        # int nanoseconds keep the full precision; the ODM converts per field type
        return lambda v: v.nanosecond_time if isinstance(v, util.Time) else v
    if name == "duration":
        return lambda v: CqlDuration(v.months, v.days, v.nanoseconds)
    if name == "inet":
        return ipaddress.ip_address
    if _is(typ, cqltypes.UserType):
        subs = [_decoder(s) for s in typ.subtypes]
        fields = list(typ.fieldnames)
        return lambda v: dict(zip(fields, convert_each(subs, v)))
    if _is(typ, cqltypes.FrozenType):
        return _decoder(typ.subtypes[0])
    if name in ("list", "set", "tuple", "map"):
        subs = [_decoder(s) for s in typ.subtypes]
        # every collection is converted: the driver's sets and maps are its own classes
        elem = subs[0] or identity
        if name == "list":
            return list_of(elem)
        if name == "set":
            return set_of(elem)
        if name == "tuple":
            return tuple_of(subs)
        return map_of(subs[0], subs[1], hashable_keys=True)
    if _is(typ, cqltypes.VectorType):
        return list
    return None


def _timestamp_ms(v: Any) -> Any:
    """Milliseconds since the epoch, rounded down (before 1970 too; cassandra-driver
    rounds toward zero there, one millisecond off). Naive datetimes are UTC."""
    if not isinstance(v, dt.datetime):
        return v
    delta = (v if v.tzinfo is not None else v.replace(tzinfo=dt.timezone.utc)) - EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _encoder(typ: Any) -> Converter | None:
    name = getattr(typ, "typename", "")
    if name == "timestamp":
        return _timestamp_ms
    if name == "inet":
        return str
    if name == "duration":
        return lambda v: util.Duration(v.months, v.days, v.nanoseconds) if isinstance(v, CqlDuration) else v
    if _is(typ, cqltypes.UserType):
        subs = [_encoder(s) for s in typ.subtypes]
        fields = list(typ.fieldnames)

        def encode_udt(v: Any) -> Any:
            get = v.get if isinstance(v, dict) else (lambda f, _v=v: getattr(_v, f, None))
            return tuple(convert_each(subs, (get(f) for f in fields)))

        return encode_udt
    if _is(typ, cqltypes.FrozenType):
        return _encoder(typ.subtypes[0])
    if name in ("list", "set", "tuple", "map"):
        subs = [_encoder(s) for s in typ.subtypes]
        if not any(subs):
            return None
        if name == "tuple":
            return tuple_of(subs)
        if name == "map":
            return map_of(subs[0], subs[1])
        element = subs[0] or identity
        return list_of(element) if name == "list" else set_of(element)
    return None


def _row_converter(names: Sequence[str], types: Sequence[Any]) -> Callable[[Sequence[Any]], Row]:
    decoders = [_decoder(t) for t in types]
    if not any(decoders):
        return lambda row: dict(zip(names, row))
    return lambda row: dict(zip(names, convert_each(decoders, row)))


# ------------------------------------------------------------- errors --


def translate_error(error: BaseException) -> exc_mod.CoodieError:
    """A driver exception as the matching coodie exception (the original is chained)."""
    if isinstance(error, cassandra.cluster.NoHostAvailable):
        # The driver wraps a server's answer (e.g. Unavailable) when it gives up on
        # every host; report that answer, not a connection problem.
        inner = [e for e in error.errors.values() if isinstance(e, cassandra.RequestExecutionException)]
        if inner and len(inner) == len(error.errors):
            translated = translate_error(inner[0])
            translated.__cause__ = error
            return translated
    message = f"{type(error).__name__}: {error}"
    kind: type[exc_mod.DriverError]
    if isinstance(error, cassandra.AlreadyExists):
        kind = exc_mod.AlreadyExists
    elif isinstance(error, cassandra.InvalidRequest | cassandra.protocol.SyntaxException):
        kind = filtering_kind(exc_mod.InvalidRequest, str(error))
    elif isinstance(error, cassandra.protocol.ConfigurationException):
        kind = exc_mod.InvalidRequest
    elif isinstance(error, cassandra.Unauthorized):
        kind = exc_mod.Unauthorized
    elif isinstance(error, cassandra.Unavailable):
        kind = exc_mod.Unavailable
    elif isinstance(error, cassandra.Timeout | cassandra.OperationTimedOut):
        kind = exc_mod.RequestTimeout
    elif isinstance(error, cassandra.AuthenticationFailed):
        kind = exc_mod.AuthenticationFailed
    elif isinstance(error, cassandra.cluster.NoHostAvailable):
        auth = any(isinstance(e, cassandra.AuthenticationFailed) for e in error.errors.values())
        kind = exc_mod.AuthenticationFailed if auth else exc_mod.ConnectionFailed
    elif isinstance(error, cassandra.DriverException | cassandra.RequestExecutionException):
        kind = (
            exc_mod.ServerError
            if isinstance(error, cassandra.RequestExecutionException)
            else exc_mod.DriverError
        )
    else:
        kind = exc_mod.DriverError
    code = getattr(error, "error_code", None)
    return chained(kind, message, error, code if isinstance(code, int) else None)


# -------------------------------------------------------------- the driver --


class _Prepared:
    """A prepared statement with its parameter encoders (built once)."""

    __slots__ = ("encoders", "statement")

    def __init__(self, statement: PreparedStatement) -> None:
        self.statement = statement
        encoders = [_encoder(c.type) for c in statement.column_metadata or ()]
        self.encoders: list[Converter | None] | None = encoders if any(encoders) else None

    def bind(self, params: Sequence[Any]) -> BoundStatement:
        if self.encoders is not None:
            params = list(convert_each(self.encoders, params))
        return self.statement.bind(params)


class CassandraDriver(AbstractDriver):
    """scylla-driver / cassandra-driver behind coodie's contract."""

    driver_types = ("scylla", "cassandra")
    capabilities = lacking(
        per_statement_timestamp="the driver sets write timestamps from its own generator, not per request",
        native_async="the driver completes requests on its own I/O thread; asyncio is bridged",
    )

    def __init__(
        self,
        session: Session,
        default_keyspace: str | None = None,
        *,
        cluster: Cluster | None = None,
        owns_cluster: bool = False,
        cache_size: int = PREPARED_CACHE_SIZE,
    ) -> None:
        super().__init__(default_keyspace or session.keyspace)
        self.session = session
        self.cluster = cluster or session.cluster
        self._owns_cluster = owns_cluster
        # A named profile of our own (tuple rows): the caller's default profile is not touched,
        # and a name is cheaper per request than passing a profile object.
        if PROFILE_NAME not in self.cluster.profile_manager.profiles:
            profile = session.execution_profile_clone_update(EXEC_PROFILE_DEFAULT, row_factory=tuple_factory)
            self.cluster.add_execution_profile(PROFILE_NAME, profile)
        self._profile = PROFILE_NAME
        self._prepared: LRU[str, _Prepared] = LRU(cache_size)
        self._row_converters: dict[tuple[Any, ...], Callable[[Sequence[Any]], Row]] = {}

    def driver_version(self) -> str:
        return str(cassandra.__version__)

    @property
    def driver_name(self) -> str:
        return next((d for d in ("scylla-driver", "cassandra-driver") if installed_version(d)), "cassandra")

    # ----------------------------------------------------- prepared cache --
    def _prepare(self, cql: str) -> _Prepared:
        p = self._prepared.get(cql)
        if p is None:
            try:
                p = self._prepared.put(cql, _Prepared(self.session.prepare(cql)))
            except Exception as error:
                raise translate_error(error) from error
        return p

    async def _prepare_async(self, cql: str) -> _Prepared:
        p = self._prepared.get(cql)
        if p is None:
            loop = asyncio.get_running_loop()
            try:
                prepared = await loop.run_in_executor(None, self.session.prepare, cql)
            except Exception as error:
                raise translate_error(error) from error
            p = self._prepared.put(cql, _Prepared(prepared))
        return p

    # --------------------------------------------------------- statements --
    def _query(self, statement: Statement, prepared: _Prepared | None, options: ExecOptions) -> Any:
        if options.timestamp is not None:
            raise exc_mod.ConfigurationError(
                "this backend cannot set a per-request timestamp; use USING TIMESTAMP (save(timestamp=...))"
            )
        query: Any = (
            prepared.bind(statement.params) if prepared is not None else SimpleStatement(statement.cql)
        )
        if options.consistency is not None:
            query.consistency_level = int(options.consistency)
        if options.serial_consistency is not None:
            query.serial_consistency_level = int(options.serial_consistency)
        if options.page_size is not None:
            query.fetch_size = options.page_size
        query.is_idempotent = statement.idempotent
        return query

    def _convert(
        self, names: Sequence[str] | None, types: Sequence[Any] | None, rows: Sequence[Any]
    ) -> list[Row]:
        if not names:
            return []
        key = (tuple(names), tuple(types or ()))
        convert = self._row_converters.get(key)
        if convert is None:
            convert = _row_converter(names, types or ())
            if len(self._row_converters) < 4096:
                self._row_converters[key] = convert
        return [convert(r) for r in rows]

    def _send(self, query: Any, options: ExecOptions) -> ResponseFuture:
        kwargs: dict[str, Any] = {"execution_profile": self._profile, "paging_state": options.paging_state}
        if options.timeout is not None:
            kwargs["timeout"] = options.timeout
        return self.session.execute_async(query, **kwargs)

    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        prepared = self._prepare(statement.cql) if statement.prepare or statement.params else None
        with translating(translate_error):
            future = self._send(self._query(statement, prepared, options), options)
            rows = list(future.result().current_rows)
            while not options.paged and future.has_more_pages:
                future.start_fetching_next_page()
                rows.extend(future.result().current_rows)
        state = future._paging_state if options.paged else None
        return ResultPage(self._convert(future._col_names, future._col_types, rows), state)

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        prepared = await self._prepare_async(statement.cql) if statement.prepare or statement.params else None
        with translating(translate_error):
            future = self._send(self._query(statement, prepared, options), options)
        rows = await _collect(future, all_pages=not options.paged)
        state = future._paging_state if options.paged else None
        return ResultPage(self._convert(future._col_names, future._col_types, rows), state)

    def _batch(
        self,
        prepared: list[_Prepared],
        statements: Sequence[Statement],
        batch_type: BatchType,
        options: ExecOptions,
    ) -> BatchStatement:
        if options.timestamp is not None:
            raise exc_mod.ConfigurationError(
                "this backend cannot set a batch timestamp; give each statement its own timestamp"
            )
        batch = BatchStatement(batch_type=_BATCH_TYPES[batch_type])
        for p, s in zip(prepared, statements):
            batch.add(p.bind(s.params))
        if options.consistency is not None:
            batch.consistency_level = int(options.consistency)
        if options.serial_consistency is not None:
            batch.serial_consistency_level = int(options.serial_consistency)
        return batch

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        prepared = [self._prepare(s.cql) for s in statements]
        with translating(translate_error):
            future = self._send(self._batch(prepared, statements, batch_type, options), options)
            rows = list(future.result().current_rows)
        return ResultPage(self._convert(future._col_names, future._col_types, rows))

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        prepared = [await self._prepare_async(s.cql) for s in statements]
        with translating(translate_error):
            future = self._send(self._batch(prepared, statements, batch_type, options), options)
        rows = await _collect(future, all_pages=False)
        return ResultPage(self._convert(future._col_names, future._col_types, rows))

    def close(self) -> None:
        if self._owns_cluster:
            self.cluster.shutdown()
        self._prepared.clear()

    async def close_async(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close)


async def _collect(future: ResponseFuture, *, all_pages: bool) -> list[Any]:
    """Await a ResponseFuture from asyncio (its callbacks run on the driver's thread)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[list[Any]] = loop.create_future()
    rows: list[Any] = []

    def finish(result: Any, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(translate_error(error))
        else:
            done.set_result(result)

    def on_page(page: Any) -> None:
        rows.extend(page or ())
        if all_pages and future.has_more_pages:
            future.start_fetching_next_page()
        else:
            loop.call_soon_threadsafe(finish, rows, None)

    def on_error(error: BaseException) -> None:
        loop.call_soon_threadsafe(finish, None, error)

    future.add_callbacks(on_page, on_error)
    return await done


# ------------------------------------------------------------- connecting --


def _check_compression(wanted: Any) -> None:
    """cassandra-driver silently sends uncompressed frames when it lacks the asked-for
    algorithm (cassandra-driver needs the ``lz4`` package; scylla-driver has LZ4 built in):
    an explicit request it cannot honour is a configuration error instead."""
    if wanted is None or wanted is False:
        return
    available = list(cassandra.connection.locally_supported_compressions)
    if (wanted is True and not available) or (isinstance(wanted, str) and wanted not in available):
        raise exc_mod.ConfigurationError(
            f"compression={wanted!r}: this driver install supports "
            f"{', '.join(available) or 'no compression'}; for LZ4 install the 'lz4' package "
            "(coodie[cassandra] includes it)"
        )


def _cluster(hosts: list[str] | None, options: dict[str, Any]) -> Cluster:
    username = options.pop("username", None)
    password = options.pop("password", None)
    if username is not None:
        options.setdefault("auth_provider", PlainTextAuthProvider(username=username, password=password or ""))
    for key in ("ssl_context", "compression", "speculative_execution_policy"):
        if options.get(key) is None:
            options.pop(key, None)
    options.pop("lazy", None)
    options.setdefault("protocol_version", 4)
    _check_compression(options.get("compression"))
    try:
        return Cluster(list(hosts or DEFAULT_HOSTS), **options)
    except TypeError as error:
        raise exc_mod.ConfigurationError(f"bad option for the scylla/cassandra backend: {error}") from error


def create(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "scylla",
    **options: Any,
) -> CassandraDriver:
    if session is not None:
        return CassandraDriver(session, keyspace)
    cluster = _cluster(hosts, dict(options))
    with translating(translate_error, release=cluster.shutdown):
        new_session = cluster.connect(keyspace)
    return CassandraDriver(new_session, keyspace, cluster=cluster, owns_cluster=True)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "scylla",
    **options: Any,
) -> CassandraDriver:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: create(hosts, session, keyspace, driver_type, **options))
