"""The python-rs driver: coodie's contract over a python-rs-driver session.

python-rs-driver runs every request on its own tokio runtime and hands back a
``DriverFuture`` that can be awaited from any asyncio loop or waited on with
``.result()`` from any thread (the GIL is released while waiting). The backend
therefore needs no event-loop thread of its own, and writes each request once,
as steps over those futures (:mod:`coodie.drivers._shared.futures`): blocking
calls wait on them, async calls await them.

What the driver lacks: a per-statement timestamp (``ExecOptions.timestamp``
raises :class:`~coodie.exceptions.ConfigurationError`: write ``USING
TIMESTAMP``), and a way to close a session (:meth:`PythonRsDriver.close` drops
the driver's references; the connections go with the session object).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._guard import installed_version
from coodie.drivers._shared.capabilities import lacking
from coodie.drivers._shared.errors import translating
from coodie.drivers._shared.futures import Steps, wait, wait_async
from coodie.drivers._shared.options import PREPARED_CACHE_SIZE
from coodie.drivers._shared.two_way import TwoWayDriver
from coodie.drivers._shared.values import Converter, convert_each
from coodie.drivers.base import BatchType, Consistency, ExecOptions, ResultPage, Row, Statement
from coodie.drivers.python_rs import lib
from coodie.drivers.python_rs.errors import translate_error
from coodie.drivers.python_rs.values import encoder, row_converter
from coodie.support.lru import LRU

CONSISTENCY: dict[Consistency, Any] = {
    Consistency.ANY: lib.enums.Consistency.Any,
    Consistency.ONE: lib.enums.Consistency.One,
    Consistency.TWO: lib.enums.Consistency.Two,
    Consistency.THREE: lib.enums.Consistency.Three,
    Consistency.QUORUM: lib.enums.Consistency.Quorum,
    Consistency.ALL: lib.enums.Consistency.All,
    Consistency.LOCAL_QUORUM: lib.enums.Consistency.LocalQuorum,
    Consistency.EACH_QUORUM: lib.enums.Consistency.EachQuorum,
    Consistency.SERIAL: lib.enums.Consistency.Serial,
    Consistency.LOCAL_SERIAL: lib.enums.Consistency.LocalSerial,
    Consistency.LOCAL_ONE: lib.enums.Consistency.LocalOne,
}
SERIAL_CONSISTENCY: dict[Consistency, Any] = {
    Consistency.SERIAL: lib.enums.SerialConsistency.Serial,
    Consistency.LOCAL_SERIAL: lib.enums.SerialConsistency.LocalSerial,
}
BATCH_TYPES = {
    BatchType.LOGGED: lib.batch.BatchType.Logged,
    BatchType.UNLOGGED: lib.batch.BatchType.Unlogged,
    BatchType.COUNTER: lib.batch.BatchType.Counter,
}

_NO_TIMESTAMP = (
    "driver_type='python-rs' cannot set a per-request write timestamp (python-rs-driver has only a "
    "session-wide timestamp generator); write USING TIMESTAMP in the statement instead"
)
#: result shapes whose row converter a prepared statement keeps
_SHAPES_KEPT = 64


class _Prepared:
    """A prepared statement, its parameter encoders and its row converters (built once)."""

    __slots__ = ("converters", "encoders", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        try:
            columns = tuple(statement.bind_columns)
        except Exception:
            columns = ()
        encoders = [encoder(c.cql_type) for c in columns]
        self.encoders: list[Converter | None] | None = encoders if any(encoders) else None
        self.converters: dict[tuple[str, ...], Callable[[Row], Row] | None] = {}

    def values(self, params: Sequence[Any]) -> tuple[Any, ...]:
        if self.encoders is None:
            return tuple(params)
        return tuple(convert_each(self.encoders, params))


class PythonRsDriver(TwoWayDriver[Steps[ResultPage]]):
    """python-rs-driver behind coodie's contract (native blocking and async calls)."""

    driver_types = ("python-rs",)
    capabilities = lacking(
        per_statement_timestamp="python-rs-driver has only a session-wide timestamp generator",
        close=(
            "python-rs-driver has no session close/shutdown; connections are released when the session "
            "is garbage-collected"
        ),
        collections_in_sets=(
            "python-rs-driver can neither send nor read a set or map key whose elements are collections "
            "or UDTs (set<frozen<set<int>>>)"
        ),
        udt_null_fields="python-rs-driver cannot send a UDT value with a null or missing field",
        time_nanoseconds="python-rs-driver sends time values as datetime.time (microsecond precision)",
        duration_nanoseconds=(
            "durations travel as dateutil relativedelta: microsecond precision, a time part of 24 h or "
            "more comes back folded into days, and reading one needs python-dateutil"
        ),
    )

    def __init__(
        self, session: Any, default_keyspace: str | None = None, *, cache_size: int = PREPARED_CACHE_SIZE
    ) -> None:
        super().__init__(default_keyspace)
        self._session: Any = session
        self._prepared: LRU[str, _Prepared] = LRU(cache_size)

    @property
    def driver_name(self) -> str:
        return "python-rs-driver"

    def driver_version(self) -> str:
        return installed_version("scylladb-rs-driver") or "unknown"

    @property
    def session(self) -> Any:
        if self._session is None:
            raise exc_mod.ConfigurationError("this python-rs driver is closed")
        return self._session

    # ------------------------------------------------------------ running --
    def _wait(self, request: Steps[ResultPage]) -> ResultPage:
        return wait(request)

    async def _wait_async(self, request: Steps[ResultPage]) -> ResultPage:
        return await wait_async(request)

    # ------------------------------------------------------------- closing --
    def close(self) -> None:
        """Forget the session: python-rs-driver has no close; its connections go with the session object."""
        self._session = None
        self._prepared.clear()

    async def close_async(self) -> None:
        self.close()

    # ------------------------------------------------------------ requests --
    # Each yields the driver's futures (see coodie.drivers._shared.futures).

    def _prepare(self, cql: str) -> Steps[_Prepared]:
        p = self._prepared.get(cql)
        if p is None:
            with translating(translate_error):
                statement = yield self.session.prepare(cql)
            p = self._prepared.put(cql, _Prepared(statement))
        return p

    def _execute(self, statement: Statement, options: ExecOptions) -> Steps[ResultPage]:
        prepared = (
            (yield from self._prepare(statement.cql)) if statement.prepare or statement.params else None
        )
        with translating(translate_error, request=options):
            stmt, values = self._request(statement, prepared, options)
            result = yield self.session.execute(stmt, values, paging_state=_paging(options))
            if options.paged:
                rows, state = list(result.iter_current_page()), _state(result)
            else:
                rows, state = (yield result.all()), None
            return ResultPage(self._page(prepared, result, rows), state)

    def _execute_batch(
        self, statements: tuple[Statement, ...], batch_type: BatchType, options: ExecOptions
    ) -> Steps[ResultPage]:
        if not statements:
            return ResultPage()
        if options.timestamp is not None:
            raise exc_mod.ConfigurationError(_NO_TIMESTAMP)
        prepared = []
        for s in statements:
            prepared.append((yield from self._prepare(s.cql)) if s.prepare or s.params else None)
        with translating(translate_error, request=options):
            result = yield self.session.batch(self._batch(prepared, statements, batch_type, options))
            rows = (yield result.all()) if result.columns else []
            return ResultPage(self._page(None, result, rows))

    def _request(
        self, statement: Statement, prepared: _Prepared | None, options: ExecOptions
    ) -> tuple[Any, Any]:
        if prepared is not None:
            stmt, values = prepared.statement, prepared.values(statement.params)
        else:
            stmt, values = lib.statement.Statement(statement.cql), None
        return _configure(stmt, options, statement.idempotent), values

    def _batch(
        self,
        prepared: Sequence[_Prepared | None],
        statements: Sequence[Statement],
        batch_type: BatchType,
        options: ExecOptions,
    ) -> Any:
        batch = lib.batch.Batch(BATCH_TYPES[batch_type])
        for p, s in zip(prepared, statements):
            if p is not None:
                batch.add(p.statement, p.values(s.params))
            else:
                batch.add(s.cql, None)
        return _configure(batch, options, all(s.idempotent for s in statements), batch=True)

    def _page(self, prepared: _Prepared | None, result: Any, rows: list[Row]) -> list[Row]:
        if not rows:
            return rows
        names = tuple(rows[0])
        if prepared is not None and names in prepared.converters:
            convert = prepared.converters[names]
        else:
            convert = row_converter(tuple(result.columns))
            if prepared is not None and len(prepared.converters) < _SHAPES_KEPT:
                prepared.converters[names] = convert
        return [convert(r) for r in rows] if convert is not None else rows


def _configure(stmt: Any, options: ExecOptions, idempotent: bool, *, batch: bool = False) -> Any:
    """A statement or batch with the request's options applied (the driver's statements are immutable)."""
    if options.timestamp is not None:
        raise exc_mod.ConfigurationError(_NO_TIMESTAMP)
    if options.consistency is not None:
        stmt = stmt.with_consistency(CONSISTENCY[options.consistency])
    if options.serial_consistency is not None:
        stmt = stmt.with_serial_consistency(SERIAL_CONSISTENCY[options.serial_consistency])
    if options.timeout is not None:
        stmt = stmt.with_request_timeout(float(options.timeout))
    if options.page_size is not None and not batch:
        stmt = stmt.with_page_size(int(options.page_size))
    if idempotent:
        stmt = stmt.set_is_idempotent(True)
    return stmt


def _paging(options: ExecOptions) -> Any:
    if options.paging_state is None:
        return None
    return lib.results.PagingState.from_bytes(options.paging_state)


def _state(result: Any) -> bytes | None:
    if not result.has_more_pages():
        return None
    state = result.paging_state()
    return state.as_bytes() if state is not None else None
