"""A driver that records what the ODM sends, and the models the ODM tests share."""

import asyncio
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

import coodie.drivers as drivers
from coodie import aio, sync
from coodie.batch import AsyncBatchQuery, BatchQuery
from coodie.drivers.base import DEFAULT_OPTIONS, AbstractDriver, BatchType, ExecOptions, ResultPage, Statement
from coodie.fields import ClusteringKey, Counter, Indexed, PrimaryKey

yield_to_loop = asyncio.sleep  # kept before any test patches asyncio.sleep
Responder = Callable[[str, tuple[Any, ...], ExecOptions], ResultPage]


class FakeDriver(AbstractDriver):
    """Records every request; answers from ``respond`` (empty pages by default).

    ``log`` holds ``(kind, cql, params, options)`` per request; ``statements``
    the :class:`Statement` objects themselves (for their prepare/idempotent flags).
    """

    driver_types = ("fake",)

    def __init__(self, respond: Responder | None = None, keyspace: str = "ks") -> None:
        super().__init__(keyspace)
        self.respond = respond or (lambda cql, params, options: ResultPage())
        self.log: list[tuple[str, Any, Any, ExecOptions]] = []
        self.statements: list[Statement] = []
        self.closed = False

    def _answer(self, statement: Statement, options: ExecOptions) -> ResultPage:
        self.log.append(("run", statement.cql, statement.params, options))
        self.statements.append(statement)
        return self.respond(statement.cql, statement.params, options)

    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return self._answer(statement, options)

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        await yield_to_loop(0)
        return self._answer(statement, options)

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        self.log.append(
            (
                "batch",
                tuple(s.cql for s in statements),
                (batch_type, tuple(s.params for s in statements)),
                options,
            )
        )
        self.statements.extend(statements)
        return self.respond("BATCH", (), options)

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        await yield_to_loop(0)
        return self.run_batch(statements, batch_type, options)

    def close(self) -> None:
        self.closed = True

    async def close_async(self) -> None:
        self.closed = True

    def sent(self) -> list[tuple[str, tuple[Any, ...]]]:
        """``(cql, params)`` of every single-statement request, in order."""
        return [(cql, params) for kind, cql, params, _ in self.log if kind == "run"]


@contextmanager
def installed(driver: FakeDriver) -> Iterator[FakeDriver]:
    """``driver`` as the only registered (default) driver, the registry restored afterwards."""
    saved_registry, saved_default = dict(drivers._registry), drivers._default_name
    drivers._registry.clear()
    drivers.register_driver("default", driver, default=True)
    try:
        yield driver
    finally:
        drivers._registry.clear()
        drivers._registry.update(saved_registry)
        drivers._default_name = saved_default


class Api:
    """One API flavour: its base classes, and ``run`` that returns a sync result or awaits an aio one."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        module = sync if flavour == "sync" else aio
        self.Document = module.Document
        self.CounterDocument = module.CounterDocument
        self.BatchQuery = BatchQuery if flavour == "sync" else AsyncBatchQuery

    def run(self, value: Any) -> Any:
        return value if self.flavour == "sync" else asyncio.run(value)

    def __repr__(self) -> str:
        return self.flavour


def models(base):
    class Item(base):
        shop: Annotated[int, PrimaryKey()]
        sku: Annotated[str, ClusteringKey()]
        price: float = 0.0
        tags: set[str] = set()
        note: str | None = None

        class Settings:
            name = "items"

    return Item


@functools.cache
def readings(base):
    """A table with every kind of column an operator cares about: a composite partition key,
    a clustering key, an indexed column, a scalar, each collection kind and a nullable column."""

    class Reading(base):
        sensor: Annotated[str, PrimaryKey(partition_key_index=0)]
        day: Annotated[int, PrimaryKey(partition_key_index=1)]
        at: Annotated[int, ClusteringKey()]
        value: float = 0.0
        kind: Annotated[str, Indexed()] = ""
        samples: list[int] = []
        tags: set[str] = set()
        labels: dict[str, int] = {}
        note: str | None = None

        class Settings:
            name = "readings"

    return Reading


@functools.cache
def page_views(base):
    class PageView(base):
        site: Annotated[str, PrimaryKey()]
        page: Annotated[str, ClusteringKey()]
        hits: Annotated[int, Counter()] = 0
        likes: Annotated[int, Counter()] = 0

        class Settings:
            name = "page_views"

    return PageView
