"""The acsylla driver: coodie's contract over an acsylla session.

acsylla has no blocking API and its session only works on the event loop it
was created on. The driver therefore runs every request on that loop through a
:class:`~coodie.drivers._shared.loop_thread.LoopRunner` (its own private loop
thread, or the caller's loop): blocking calls wait for it, and ``await`` from
any other loop wraps the request's future. Every coroutine below whose name
starts with ``_`` runs on that loop.

acsylla's results carry no column types: the driver converts the values it
returns with the column types :class:`~coodie.drivers.acsylla.columns.ColumnTypes`
reads from ``system_schema``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import weakref
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from coodie import exceptions as exc_mod
from coodie.drivers._guard import installed_version
from coodie.drivers._shared.capabilities import lacking
from coodie.drivers._shared.errors import translating
from coodie.drivers._shared.loop_thread import LoopRunner, LoopThread
from coodie.drivers._shared.options import PREPARED_CACHE_SIZE
from coodie.drivers._shared.two_way import TwoWayDriver
from coodie.drivers.acsylla import lib
from coodie.drivers.acsylla.columns import ColumnTypes
from coodie.drivers.acsylla.errors import translate_error
from coodie.drivers.acsylla.params import Prepared
from coodie.drivers.acsylla.statements import changes_schema
from coodie.drivers.acsylla.values import rows
from coodie.drivers.base import BatchType, Consistency, ExecOptions, ResultPage, Row, Statement
from coodie.support.lru import LRU

T = TypeVar("T")
CLOSE_TIMEOUT = 10.0
#: request timeout of schema changes sent without one (they wait for schema agreement)
SCHEMA_TIMEOUT = 60.0

_CONSISTENCY: dict[int, Any] = {int(c.value): c for c in lib.acsylla.Consistency}
_BATCH_FACTORIES = {
    BatchType.LOGGED: "create_batch_logged",
    BatchType.UNLOGGED: "create_batch_unlogged",
    BatchType.COUNTER: "create_batch_counter",
}


def consistency(level: Consistency | int) -> Any:
    """acsylla's consistency level for coodie's."""
    return _CONSISTENCY[int(level)]


class AcsyllaDriver(TwoWayDriver[Coroutine[Any, Any, ResultPage]]):
    """acsylla behind coodie's contract, with blocking calls bridged through a private loop thread."""

    driver_types = ("acsylla",)
    capabilities = lacking(
        lz4="acsylla exposes no protocol compression option",
        decimal=(
            "acsylla sends a decimal's digits as text in place of its unscaled value and cannot read "
            "correctly encoded decimals; coodie refuses decimal values with this backend"
        ),
        time_nanoseconds="acsylla binds time values as datetime.time (microsecond precision)",
        native_sync="acsylla is asyncio-only; blocking calls run on a private event-loop thread",
        collections_in_sets=(
            "acsylla cannot read a set or map key whose elements are collections or UDTs "
            "(set<frozen<set<int>>>, map<frozen<list<int>>, int>, set<frozen<udt>>)"
        ),
    )

    def __init__(
        self,
        session: Any,
        runner: LoopRunner,
        default_keyspace: str | None = None,
        *,
        cluster: Any = None,
        owns_session: bool = False,
        cache_size: int = PREPARED_CACHE_SIZE,
    ) -> None:
        super().__init__(default_keyspace)
        self._session = session
        self._cluster = cluster
        self._runner = runner
        self._owns_session = owns_session
        self._prepared: LRU[str, Prepared] = LRU(cache_size)
        self._preparing: dict[str, asyncio.Future[Prepared]] = {}
        self._columns = ColumnTypes(default_keyspace or _session_keyspace(session), 4 * cache_size)
        self._closed = False
        state = _CloseState(
            session if owns_session else None, runner if isinstance(runner, LoopThread) else None
        )
        self._close_state = state
        self._finalizer = weakref.finalize(self, _finalize, state)

    @property
    def driver_name(self) -> str:
        return "acsylla"

    def driver_version(self) -> str:
        return installed_version("acsylla") or str(getattr(lib.acsylla, "__version__", "unknown"))

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the acsylla session lives on."""
        return self._runner.loop

    @property
    def loop_thread(self) -> LoopThread | None:
        return self._runner if isinstance(self._runner, LoopThread) else None

    # ------------------------------------------------------------ bridging --
    def _open(self, coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
        """``coro``, unless the driver is closed."""
        if self._closed:
            coro.close()
            raise exc_mod.ConfigurationError("this acsylla driver is closed")
        return coro

    def _wait(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._runner.call(self._open(coro))

    async def _wait_async(self, coro: Coroutine[Any, Any, T]) -> T:
        return await self._runner.acall(self._open(coro))

    # ------------------------------------------------------------- closing --
    def close(self) -> None:
        if self._begin_close():
            _finalize(self._close_state)

    async def close_async(self) -> None:
        if not self._begin_close():
            return
        state = self._close_state
        session, state.session = state.session, None
        if session is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                await self._runner.acall(_close_session(session))
        thread, state.thread = state.thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, thread.stop, CLOSE_TIMEOUT)

    def _begin_close(self) -> bool:
        """Refuse further requests and forget the caches; False when the driver was closed already."""
        if self._closed:
            return False
        self._closed = True
        self._prepared.clear()
        self._columns.clear()
        self._finalizer.detach()
        return True

    # ------------------------------------------------- on the driver's loop --
    async def _prepare(self, cql: str) -> Prepared:
        p = self._prepared.get(cql)
        if p is not None:
            return p
        pending = self._preparing.get(cql)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Prepared] = asyncio.get_running_loop().create_future()
        self._preparing[cql] = future
        try:
            prepared = Prepared(cql, await self._session.create_prepared(cql))
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            self._preparing.pop(cql, None)
        future.set_result(prepared)
        return self._prepared.put(cql, prepared)

    async def _statement(self, statement: Statement, options: ExecOptions) -> Any:
        kwargs = _statement_options(options)
        if options.timeout is None and not statement.prepare and changes_schema(statement.cql):
            kwargs["timeout"] = SCHEMA_TIMEOUT
        if statement.prepare or statement.params:
            prepared = await self._prepare(statement.cql)
            stmt = prepared.bind(statement.params, **kwargs)
        else:
            stmt = lib.acsylla.create_statement(statement.cql, **kwargs)
        if options.timestamp is not None:
            stmt.set_timestamp(int(options.timestamp))
        if statement.idempotent:
            stmt.set_is_idempotent(True)
        return stmt

    async def _execute(self, statement: Statement, options: ExecOptions) -> ResultPage:
        with translating(translate_error, request=options):
            stmt = await self._statement(statement, options)
            result = await self._session.execute(stmt)
            raw = rows(result)
            if not options.paged:
                while result.has_more_pages():
                    stmt.set_page_state(result.page_state())
                    result = await self._session.execute(stmt)
                    raw.extend(rows(result))
            state = result.page_state() if options.paged and result.has_more_pages() else None
        self._columns.after(statement.cql)
        return ResultPage(await self._columns.convert(statement.cql, raw, self._select), state)

    async def _execute_batch(
        self, statements: tuple[Statement, ...], batch_type: BatchType, options: ExecOptions
    ) -> ResultPage:
        if not statements:
            return ResultPage()
        with translating(translate_error, request=options):
            batch = _batch(batch_type, options, idempotent=all(s.idempotent for s in statements))
            for s in statements:
                if s.prepare or s.params:
                    batch.add_statement((await self._prepare(s.cql)).bind(s.params))
                else:
                    batch.add_statement(lib.acsylla.create_statement(s.cql))
            raw = rows(await self._session.execute_batch(batch))
        return ResultPage(await self._columns.convert(statements[0].cql, raw, self._select))

    async def _select(self, cql: str, params: Sequence[Any]) -> list[Row]:
        prepared = await self._prepare(cql)
        return rows(await self._session.execute(prepared.bind(params)))


def _statement_options(options: ExecOptions) -> dict[str, Any]:
    """The keywords of ``acsylla.create_statement`` (and of a prepared statement's ``bind``)."""
    kwargs: dict[str, Any] = {}
    if options.page_size is not None:
        kwargs["page_size"] = options.page_size
    if options.paging_state is not None:
        kwargs["page_state"] = options.paging_state
    if options.timeout is not None:
        kwargs["timeout"] = _timeout_seconds(options.timeout)
    if options.consistency is not None:
        kwargs["consistency"] = consistency(options.consistency)
    if options.serial_consistency is not None:
        kwargs["serial_consistency"] = consistency(options.serial_consistency)
    return kwargs


def _batch(batch_type: BatchType, options: ExecOptions, *, idempotent: bool) -> Any:
    """An empty acsylla batch configured by ``options`` (a batch takes them through setters)."""
    batch = getattr(lib.acsylla, _BATCH_FACTORIES[batch_type])()
    if options.timeout is not None:
        batch.set_request_timeout(max(1, math.ceil(options.timeout * 1000)))
    if options.consistency is not None:
        batch.set_consistency(consistency(options.consistency))
    if options.serial_consistency is not None:
        batch.set_serial_consistency(consistency(options.serial_consistency))
    if options.timestamp is not None:
        batch.set_timestamp(int(options.timestamp))
    if idempotent:
        batch.set_is_idempotent(True)
    return batch


def _timeout_seconds(timeout: float) -> float:
    # acsylla turns seconds into whole milliseconds and treats 0 as "no timeout".
    return max(timeout, 0.001)


def _session_keyspace(session: Any) -> str | None:
    ks = getattr(session, "keyspace", None)
    if callable(ks):
        try:
            ks = ks()
        except Exception:
            ks = None
    return ks if isinstance(ks, str) and ks else None


async def _close_session(session: Any) -> None:
    await session.close()


@dataclasses.dataclass
class _CloseState:
    session: Any
    thread: LoopThread | None


def _finalize(state: _CloseState) -> None:
    """Close the session (if the driver created it) and stop the loop thread; safe to call twice."""
    session, state.session = state.session, None
    thread, state.thread = state.thread, None
    if session is not None and thread is not None and thread.running:
        with contextlib.suppress(Exception):  # closing is best effort
            thread.call(_close_session(session), timeout=CLOSE_TIMEOUT)
    if thread is not None:
        thread.stop(CLOSE_TIMEOUT)
