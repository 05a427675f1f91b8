"""coodie's asyncio API (the same names as ``coodie.sync``, awaited)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coodie.aio.batch import AsyncBatchQuery
from coodie.aio.document import CounterDocument, Document
from coodie.aio.query import QuerySet
from coodie.drivers import get_driver
from coodie.drivers import init_coodie_async as init_coodie
from coodie.operations.ddl import plan_create_keyspace, plan_drop_keyspace
from coodie.operations.plan import run_async
from coodie.operations.raw import plan_execute_raw
from coodie.operations.usertype import UserType


async def execute_raw(
    stmt: str, params: Sequence[Any] | None = None, connection: str | None = None
) -> list[dict[str, Any]]:
    return await run_async(plan_execute_raw(get_driver(connection), stmt, params))


async def create_keyspace(
    keyspace: str,
    replication_factor: int = 1,
    strategy: str = "SimpleStrategy",
    dc_replication_map: Mapping[str, int] | None = None,
    connection: str | None = None,
) -> None:
    await run_async(
        plan_create_keyspace(
            get_driver(connection), keyspace, replication_factor, strategy, dc_replication_map
        )
    )


async def drop_keyspace(keyspace: str, connection: str | None = None) -> None:
    await run_async(plan_drop_keyspace(get_driver(connection), keyspace))


async def sync_type(
    udt: type[UserType], keyspace: str | None = None, connection: str | None = None
) -> list[str]:
    return await udt.sync_type_async(keyspace, connection)


__all__ = [
    "AsyncBatchQuery",
    "CounterDocument",
    "Document",
    "QuerySet",
    "create_keyspace",
    "drop_keyspace",
    "execute_raw",
    "init_coodie",
    "sync_type",
]
