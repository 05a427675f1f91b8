"""coodie's blocking API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coodie.drivers import get_driver
from coodie.drivers import init_coodie as init_coodie
from coodie.operations.ddl import plan_create_keyspace, plan_drop_keyspace
from coodie.operations.plan import run_sync
from coodie.operations.raw import plan_execute_raw
from coodie.operations.usertype import UserType
from coodie.sync.batch import BatchQuery
from coodie.sync.document import CounterDocument, Document
from coodie.sync.query import QuerySet


def execute_raw(
    stmt: str, params: Sequence[Any] | None = None, connection: str | None = None
) -> list[dict[str, Any]]:
    """Run CQL with ``?`` parameters on the default (or named) driver; rows as dicts."""
    return run_sync(plan_execute_raw(get_driver(connection), stmt, params))


def create_keyspace(
    keyspace: str,
    replication_factor: int = 1,
    strategy: str = "SimpleStrategy",
    dc_replication_map: Mapping[str, int] | None = None,
    connection: str | None = None,
) -> None:
    run_sync(
        plan_create_keyspace(
            get_driver(connection), keyspace, replication_factor, strategy, dc_replication_map
        )
    )


def drop_keyspace(keyspace: str, connection: str | None = None) -> None:
    run_sync(plan_drop_keyspace(get_driver(connection), keyspace))


def sync_type(udt: type[UserType], keyspace: str | None = None, connection: str | None = None) -> list[str]:
    """CREATE TYPE for a UDT and its dependencies (same as ``udt.sync_type()``)."""
    return udt.sync_type(keyspace, connection)


__all__ = [
    "BatchQuery",
    "CounterDocument",
    "Document",
    "QuerySet",
    "create_keyspace",
    "drop_keyspace",
    "execute_raw",
    "init_coodie",
    "sync_type",
]
