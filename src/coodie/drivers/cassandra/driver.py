"""The scylla/cassandra driver: coodie's contract over a ``cassandra`` session.

Requests run on the driver's own I/O thread: blocking calls wait on its
``ResponseFuture``, async calls are called back on the caller's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._guard import installed_version
from coodie.drivers._shared.capabilities import lacking
from coodie.drivers._shared.errors import translating
from coodie.drivers._shared.options import PREPARED_CACHE_SIZE
from coodie.drivers._shared.values import Converter, convert_each
from coodie.drivers.base import (
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    ExecOptions,
    ResultPage,
    Row,
    Statement,
)
from coodie.drivers.cassandra.errors import translate_error
from coodie.drivers.cassandra.lib import (
    EXEC_PROFILE_DEFAULT,
    BatchStatement,
    BoundStatement,
    CassBatchType,
    Cluster,
    PreparedStatement,
    ResponseFuture,
    Session,
    SimpleStatement,
    cassandra,
    tuple_factory,
)
from coodie.drivers.cassandra.values import encoder, row_converter
from coodie.support.lru import LRU

PROFILE_NAME = "coodie"

_BATCH_TYPES = {
    BatchType.LOGGED: CassBatchType.LOGGED,
    BatchType.UNLOGGED: CassBatchType.UNLOGGED,
    BatchType.COUNTER: CassBatchType.COUNTER,
}


class _Prepared:
    """A prepared statement with its parameter encoders (built once)."""

    __slots__ = ("encoders", "statement")

    def __init__(self, statement: PreparedStatement) -> None:
        self.statement = statement
        encoders = [encoder(c.type) for c in statement.column_metadata or ()]
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
            convert = row_converter(names, types or ())
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
