"""The raw layer: each driver's own prepared statements on its own session, no ODM.

Run beside coodie's ``get`` and ``save`` so the ODM's own cost shows per
driver. Each is written as that driver's users write it: prepare once, bind,
execute, read the row in the driver's default row form.
"""

from __future__ import annotations

import asyncio
from typing import Any

from compare.workloads import KEYSPACE, SEEDED_ITEMS, item_fields

SELECT = f"SELECT * FROM {KEYSPACE}.item WHERE id = ?"
INSERT = (
    f"INSERT INTO {KEYSPACE}.item (id, name, score, count, active, ref, created, note) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
COLUMNS = ("id", "name", "score", "count", "active", "ref", "created", "note")


def insert_values(key: int) -> tuple[Any, ...]:
    fields = item_fields(key)
    return tuple(fields[c] for c in COLUMNS)


class RawDriver:
    """No raw layer for this backend (``reason`` says why)."""

    reason: str | None = "no raw layer for this backend"
    has_sync = False
    has_async = False

    def __init__(self, coodie_driver: Any, base: int) -> None:
        self.driver = coodie_driver
        self.base = base

    async def open(self) -> None:
        """Prepare (and connect, for a driver whose session lives on another loop)."""

    def get(self, slot: int, i: int) -> Any:
        raise NotImplementedError

    def save(self, slot: int, i: int) -> Any:
        raise NotImplementedError

    async def get_async(self, slot: int, i: int) -> Any:
        raise NotImplementedError

    async def save_async(self, slot: int, i: int) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        """Release what :meth:`open` made."""


class CassandraRaw(RawDriver):
    """scylla-driver / cassandra-driver: ``session.execute`` and, for asyncio,
    ``execute_async`` with its callbacks bridged into an asyncio future."""

    reason = None
    has_sync = True
    has_async = True

    async def open(self) -> None:
        self.session = self.driver.session
        self.select = self.session.prepare(SELECT)
        self.insert = self.session.prepare(INSERT)

    def get(self, slot: int, i: int) -> Any:
        return self.session.execute(self.select, (i % SEEDED_ITEMS,)).one()

    def save(self, slot: int, i: int) -> Any:
        return self.session.execute(self.insert, insert_values(self.base + i))

    def _bridge(self, future: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()

        def ok(rows: Any) -> None:
            loop.call_soon_threadsafe(_resolve, done, rows, None)

        def failed(error: BaseException) -> None:
            loop.call_soon_threadsafe(_resolve, done, None, error)

        future.add_callbacks(ok, failed)
        return done

    async def get_async(self, slot: int, i: int) -> Any:
        rows = await self._bridge(self.session.execute_async(self.select, (i % SEEDED_ITEMS,)))
        return rows[0] if rows else None

    async def save_async(self, slot: int, i: int) -> Any:
        return await self._bridge(self.session.execute_async(self.insert, insert_values(self.base + i)))


def _resolve(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class AcsyllaRaw(RawDriver):
    """acsylla: a session of its own on the benchmark's event loop (coodie's acsylla
    backend runs its session on a private loop thread); asyncio only."""

    reason = None
    has_async = True

    async def open(self) -> None:
        import acsylla

        self.cluster = acsylla.create_cluster(["127.0.0.1"])
        self.session = await self.cluster.create_session(keyspace=KEYSPACE)
        self.select = await self.session.create_prepared(SELECT)
        self.insert = await self.session.create_prepared(INSERT)

    async def get_async(self, slot: int, i: int) -> Any:
        result = await self.session.execute(self.select.bind([i % SEEDED_ITEMS]))
        row = result.first()
        return row.as_dict() if row is not None else None

    async def save_async(self, slot: int, i: int) -> Any:
        return await self.session.execute(self.insert.bind(list(insert_values(self.base + i))))

    async def close(self) -> None:
        await self.session.close()


class PythonRsRaw(RawDriver):
    """python-rs-driver: ``await session.execute(prepared, values)``; its blocking
    form is ``.result()`` on the same call."""

    reason = None
    has_sync = True
    has_async = True

    async def open(self) -> None:
        self.session = self.driver.session
        self.select = await self.session.prepare(SELECT)
        self.insert = await self.session.prepare(INSERT)

    def get(self, slot: int, i: int) -> Any:
        result = self.session.execute(self.select, (i % SEEDED_ITEMS,)).result()
        return next(iter(result.iter_current_page()), None)

    def save(self, slot: int, i: int) -> Any:
        return self.session.execute(self.insert, insert_values(self.base + i)).result()

    async def get_async(self, slot: int, i: int) -> Any:
        result = await self.session.execute(self.select, (i % SEEDED_ITEMS,))
        return next(iter(result.iter_current_page()), None)

    async def save_async(self, slot: int, i: int) -> Any:
        return await self.session.execute(self.insert, insert_values(self.base + i))


class NativeRaw(RawDriver):
    """coodie's native driver used directly: ``coodie.native.Session.execute``."""

    reason = None
    has_sync = True
    has_async = True

    async def open(self) -> None:
        self.session = self.driver.session

    def get(self, slot: int, i: int) -> Any:
        rows, _ = self.session.execute(SELECT, (i % SEEDED_ITEMS,))
        return rows[0] if rows else None

    def save(self, slot: int, i: int) -> Any:
        return self.session.execute(INSERT, insert_values(self.base + i))

    async def get_async(self, slot: int, i: int) -> Any:
        rows, _ = await self.session.execute_async(SELECT, (i % SEEDED_ITEMS,))
        return rows[0] if rows else None

    async def save_async(self, slot: int, i: int) -> Any:
        return await self.session.execute_async(INSERT, insert_values(self.base + i))


RAW: dict[str, type[RawDriver]] = {
    "scylla": CassandraRaw,
    "cassandra": CassandraRaw,
    "acsylla": AcsyllaRaw,
    "python-rs": PythonRsRaw,
    "native": NativeRaw,
}
