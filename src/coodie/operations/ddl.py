"""Schema management, once for every driver: tables, types, indexes, keyspaces.

The live schema is read from ``system_schema``; only the difference between it
and the model is applied. Every function here is a plan.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from coodie.cql.builder import (
    build_alter_add,
    build_alter_options,
    build_create_index,
    build_create_keyspace,
    build_create_table,
    qualified,
    quote,
)
from coodie.drivers.base import AbstractDriver, ExecOptions, Statement
from coodie.exceptions import DriverError, SchemaError
from coodie.model.column_definition import ColumnDefinition
from coodie.model.types import cql_type_of, model_fields_as_columns, udt_dependencies, udt_type_name
from coodie.operations.plan import Plan, execute

log = logging.getLogger("coodie")

#: schema changes can take far longer than a query on a busy node
DDL_TIMEOUT = 60.0


def _ddl(cql: str) -> Statement:
    return Statement(cql, (), prepare=False)


def _query(cql: str, *params: Any) -> Statement:
    return Statement(cql, tuple(params), idempotent=True)


def _norm_type(t: str) -> str:
    return t.replace(" ", "").replace('"', "").lower()


def plan_apply(driver: AbstractDriver, statements: Sequence[str]) -> Plan[None]:
    """Run DDL statements in order.

    Schema agreement is awaited by the backend after each statement, before the
    next one goes out (the native session does it, as the scylla, cassandra,
    C++ and Rust drivers underneath the other backends do), so it is not awaited
    again here.
    """
    for cql in statements:
        yield from execute(driver, _ddl(cql), ExecOptions(timeout=DDL_TIMEOUT))
    return None


# ----------------------------------------------------------------------- types --


def plan_sync_type(
    driver: AbstractDriver, keyspace: str, udt: type[BaseModel], dry_run: bool = False
) -> Plan[list[str]]:
    """CREATE TYPE for ``udt`` and its dependencies (dependencies first); ADD missing fields."""
    planned = yield from _plan_types(driver, keyspace, udt_dependencies(udt))
    if not dry_run:
        yield from plan_apply(driver, planned)
    return planned


def _plan_types(driver: AbstractDriver, keyspace: str, udts: Sequence[type[BaseModel]]) -> Plan[list[str]]:
    """The statements that bring each UDT (given dependencies first) up to date."""
    planned: list[str] = []
    for t in udts:
        name = udt_type_name(t)
        fields = [
            (n, str(cql_type_of(a, where=f"{t.__name__}.{n}").frozen_copy()))
            for n, a in model_fields_as_columns(t)
        ]
        found = yield from execute(
            driver,
            _query(
                "SELECT field_names FROM system_schema.types WHERE keyspace_name = ? AND type_name = ?",
                keyspace,
                name,
            ),
        )
        if not found.rows:
            body = ", ".join(f"{quote(n)} {ty}" for n, ty in fields)
            planned.append(f"CREATE TYPE IF NOT EXISTS {qualified(keyspace, name)} ({body})")
        else:
            existing = set(found.rows[0].get("field_names") or [])
            planned += [
                f"ALTER TYPE {qualified(keyspace, name)} ADD {quote(n)} {ty}"
                for n, ty in fields
                if n not in existing
            ]
    return planned


# ---------------------------------------------------------------------- tables --


def plan_sync_table(
    driver: AbstractDriver,
    keyspace: str,
    table: str,
    cols: Sequence[ColumnDefinition],
    table_options: Mapping[str, Any] | None = None,
    dry_run: bool = False,
    drop_removed_indexes: bool = False,
    udts: Sequence[type[BaseModel]] = (),
) -> Plan[list[str]]:
    """Create or migrate a table; returns the statements run (or planned, with ``dry_run``)."""
    planned: list[str] = yield from _plan_types(driver, keyspace, udts)
    live = yield from execute(
        driver,
        _query(
            "SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
            keyspace,
            table,
        ),
    )
    live_cols = {r["column_name"]: r for r in live.rows}
    live_indexes: set[str] = set()
    if not live_cols:
        planned.append(build_create_table(table, keyspace, cols, table_options))
    else:
        planned += _column_changes(keyspace, table, cols, live_cols)
        planned += yield from _option_changes(driver, keyspace, table, table_options or {})
        idx = yield from execute(
            driver,
            _query(
                "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?",
                keyspace,
                table,
            ),
        )
        live_indexes = {r["index_name"] for r in idx.rows}
    wanted = {c.index_name or "": c for c in cols if c.index} | {
        c.vector_index_name or "": c for c in cols if c.vector_index
    }
    planned += [
        build_create_index(table, keyspace, c) for name, c in wanted.items() if name not in live_indexes
    ]
    if drop_removed_indexes:
        planned += [
            f"DROP INDEX IF EXISTS {qualified(keyspace, n)}" for n in sorted(live_indexes - set(wanted))
        ]
    if not dry_run:
        yield from plan_apply(driver, planned)
    return planned


def _column_changes(
    keyspace: str, table: str, cols: Sequence[ColumnDefinition], live: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    statements = []
    for c in cols:
        row = live.get(c.name)
        if row is None:
            if c.primary_key or c.clustering_key:
                raise SchemaError(
                    f"{keyspace}.{table}: key column {c.name!r} is not in the live table; "
                    "primary keys cannot be changed — recreate the table"
                )
            statements.append(build_alter_add(table, keyspace, c))
        elif _norm_type(str(row["type"])) != _norm_type(c.cql_type):
            log.warning(
                "Schema drift detected on %s.%s: column %r is %s in the database but %s in the model "
                "(types are never altered)",
                keyspace,
                table,
                c.name,
                row["type"],
                c.cql_type,
            )
    extra = sorted(set(live) - {c.name for c in cols})
    if extra:
        log.warning(
            "Schema drift detected on %s.%s: columns in the database but not in the model: %s",
            keyspace,
            table,
            ", ".join(extra),
        )
    return statements


def _option_changes(
    driver: AbstractDriver, keyspace: str, table: str, options: Mapping[str, Any]
) -> Plan[list[str]]:
    if not options:
        return []
    res = yield from execute(
        driver,
        _query(
            "SELECT * FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?", keyspace, table
        ),
    )
    live = res.rows[0] if res.rows else {}
    changed = {k: v for k, v in options.items() if not _option_equal(live.get(k), v)}
    return [build_alter_options(table, keyspace, changed)] if changed else []


def _option_equal(live: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        if not isinstance(live, Mapping):
            return False
        for k, v in wanted.items():
            lv = live.get(str(k))
            if lv is None or not (str(lv) == str(v) or str(lv).endswith("." + str(v))):
                return False
        return True
    if isinstance(wanted, float) or isinstance(live, float):
        try:
            return float(live) == float(wanted)
        except (TypeError, ValueError):
            return False
    return str(live) == str(wanted)


def plan_drop_table(driver: AbstractDriver, keyspace: str, table: str) -> Plan[None]:
    yield from plan_apply(driver, [f"DROP TABLE IF EXISTS {qualified(keyspace, table)}"])
    return None


def plan_truncate(driver: AbstractDriver, keyspace: str, table: str) -> Plan[None]:
    yield from execute(
        driver, _ddl(f"TRUNCATE TABLE {qualified(keyspace, table)}"), ExecOptions(timeout=DDL_TIMEOUT)
    )
    return None


# ------------------------------------------------------------------- keyspaces --


def plan_create_keyspace(
    driver: AbstractDriver,
    keyspace: str,
    replication_factor: int = 1,
    strategy: str = "SimpleStrategy",
    dc_replication_map: Mapping[str, int] | None = None,
) -> Plan[None]:
    yield from plan_apply(
        driver, [build_create_keyspace(keyspace, replication_factor, strategy, dc_replication_map)]
    )
    return None


def plan_drop_keyspace(driver: AbstractDriver, keyspace: str) -> Plan[None]:
    yield from plan_apply(driver, [f"DROP KEYSPACE IF EXISTS {quote(keyspace)}"])
    return None


__all__ = ["DriverError", "plan_sync_table", "plan_sync_type"]
