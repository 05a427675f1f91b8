"""CQL text builders. Pure functions: (names, values) in, (cql, params) out.

Values are always bound (``?``) — including TTL, TIMESTAMP and LIMIT — so the
number of distinct statement texts, and with it the prepared-statement cache,
stays bounded by the query shapes a program uses.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coodie.cql.operators import Assignment as Assignment
from coodie.cql.operators import Condition as Condition
from coodie.exceptions import InvalidQueryError
from coodie.model.column_definition import ColumnDefinition
from coodie.support.cql_names import quote as quote

Params = list[Any]


def qualified(keyspace: str, table: str) -> str:
    return f"{quote(keyspace)}.{quote(table)}"


def literal(value: Any) -> str:
    """A CQL literal, for DDL only (table options, replication maps)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items()) + "}"
    raise InvalidQueryError(f"cannot render {value!r} as a CQL literal")


# ------------------------------------------------------------------------- DDL --


def build_table_options(options: Mapping[str, Any]) -> str:
    return " AND ".join(f"{k} = {literal(v)}" for k, v in options.items())


def build_create_table(
    table: str,
    keyspace: str,
    cols: Sequence[ColumnDefinition],
    table_options: Mapping[str, Any] | None = None,
) -> str:
    pks = sorted((c for c in cols if c.primary_key), key=lambda c: c.partition_key_index)
    cks = sorted((c for c in cols if c.clustering_key), key=lambda c: c.clustering_key_index)
    if not pks:
        raise ValueError(f"table {table!r} has no partition key column")
    defs = [f"{quote(c.name)} {c.cql_type}{' STATIC' if c.static else ''}" for c in cols]
    partition = quote(pks[0].name) if len(pks) == 1 else "(" + ", ".join(quote(c.name) for c in pks) + ")"
    key = ", ".join([partition, *(quote(c.name) for c in cks)])
    cql = f"CREATE TABLE IF NOT EXISTS {qualified(keyspace, table)} ({', '.join(defs)}, PRIMARY KEY ({key}))"
    withs: list[str] = []
    if any(c.clustering_order != "ASC" for c in cks):
        withs.append(
            "CLUSTERING ORDER BY (" + ", ".join(f"{quote(c.name)} {c.clustering_order}" for c in cks) + ")"
        )
    if table_options:
        withs.append(build_table_options(table_options))
    return cql + (" WITH " + " AND ".join(withs) if withs else "")


def build_alter_add(table: str, keyspace: str, col: ColumnDefinition) -> str:
    static = " STATIC" if col.static else ""
    return f"ALTER TABLE {qualified(keyspace, table)} ADD {quote(col.name)} {col.cql_type}{static}"


def build_alter_options(table: str, keyspace: str, options: Mapping[str, Any]) -> str:
    return f"ALTER TABLE {qualified(keyspace, table)} WITH {build_table_options(options)}"


def build_create_index(table: str, keyspace: str, col: ColumnDefinition) -> str:
    if col.vector_index:
        sim = col.vector_similarity_function or "COSINE"
        return (
            f"CREATE CUSTOM INDEX IF NOT EXISTS {quote(col.vector_index_name or '')} ON {qualified(keyspace, table)} "
            f"({quote(col.name)}) USING 'StorageAttachedIndex' WITH OPTIONS = {{'similarity_function': '{sim}'}}"
        )
    # A frozen collection can only be indexed whole; others index their values.
    target = f"FULL({quote(col.name)})" if col.cql_type.startswith("frozen<") else quote(col.name)
    return (
        f"CREATE INDEX IF NOT EXISTS {quote(col.index_name or '')} ON {qualified(keyspace, table)} ({target})"
    )


def build_create_keyspace(
    keyspace: str,
    replication_factor: int = 1,
    strategy: str = "SimpleStrategy",
    dc_replication_map: Mapping[str, int] | None = None,
    durable_writes: bool | None = None,
) -> str:
    if dc_replication_map:
        replication: dict[str, Any] = {"class": "NetworkTopologyStrategy"}
        replication.update({dc: str(rf) for dc, rf in dc_replication_map.items()})
    else:
        if (
            isinstance(replication_factor, bool)
            or not isinstance(replication_factor, int)
            or replication_factor < 1
        ):
            raise InvalidQueryError(f"replication_factor={replication_factor!r}: must be a positive int")
        replication = {"class": strategy, "replication_factor": str(replication_factor)}
    cql = f"CREATE KEYSPACE IF NOT EXISTS {quote(keyspace)} WITH replication = {literal(replication)}"
    if durable_writes is not None:
        cql += f" AND durable_writes = {literal(durable_writes)}"
    return cql


# ------------------------------------------------------------------- conditions --


def render_conditions(conds: Iterable[Condition], joiner: str = " AND ") -> tuple[str, Params]:
    parts: list[str] = []
    params: Params = []
    for c in conds:
        text, values = c.render()
        parts.append(text)
        params.extend(values)
    return joiner.join(parts), params


def using_clause(ttl: int | None, timestamp: int | None) -> tuple[str, Params]:
    parts: list[str] = []
    params: Params = []
    if ttl is not None:
        parts.append("TTL ?")
        params.append(int(ttl))
    if timestamp is not None:
        parts.append("TIMESTAMP ?")
        params.append(int(timestamp))
    return (" USING " + " AND ".join(parts), params) if parts else ("", params)


# ------------------------------------------------------------------------ DML --


def build_insert(
    table: str,
    keyspace: str,
    data: Mapping[str, Any],
    ttl: int | None = None,
    if_not_exists: bool = False,
    timestamp: int | None = None,
) -> tuple[str, Params]:
    using_params = [int(v) for v in (ttl, timestamp) if v is not None]
    cql = _insert_text(table, keyspace, tuple(data), ttl is not None, timestamp is not None, if_not_exists)
    return cql, [*data.values(), *using_params]


@functools.lru_cache(maxsize=1024)
def _insert_text(
    table: str, keyspace: str, names: tuple[str, ...], ttl: bool, timestamp: bool, if_not_exists: bool
) -> str:
    """The INSERT text of one statement shape; every ``save()`` of a model reuses it."""
    using = [part for part, wanted in (("TTL ?", ttl), ("TIMESTAMP ?", timestamp)) if wanted]
    using_text = " USING " + " AND ".join(using) if using else ""
    lwt = " IF NOT EXISTS" if if_not_exists else ""
    columns = ", ".join(quote(k) for k in names)
    marks = ", ".join("?" * len(names))
    return f"INSERT INTO {qualified(keyspace, table)} ({columns}) VALUES ({marks}){lwt}{using_text}"


def build_update(
    table: str,
    keyspace: str,
    assignments: Sequence[Assignment],
    where: Sequence[Condition],
    ttl: int | None = None,
    timestamp: int | None = None,
    if_exists: bool = False,
    if_conditions: Sequence[Condition] = (),
) -> tuple[str, Params]:
    if not assignments:
        raise InvalidQueryError("an UPDATE needs at least one column to set")
    using, params = using_clause(ttl, timestamp)
    set_text = ", ".join(a.render() for a in assignments)
    for a in assignments:
        params.extend(a.values)
    where_text, where_params = render_conditions(where)
    params.extend(where_params)
    cql = f"UPDATE {qualified(keyspace, table)}{using} SET {set_text} WHERE {where_text}"
    cql += _lwt_suffix(if_exists, if_conditions, params)
    return cql, params


def _lwt_suffix(if_exists: bool, if_conditions: Sequence[Condition], params: Params) -> str:
    if if_exists:
        return " IF EXISTS"
    if if_conditions:
        text, cond_params = render_conditions(if_conditions)
        params.extend(cond_params)
        return " IF " + text
    return ""


def build_delete(
    table: str,
    keyspace: str,
    where: Sequence[Condition],
    columns: Sequence[str] = (),
    elements: Sequence[tuple[str, Any]] = (),
    timestamp: int | None = None,
    if_exists: bool = False,
    if_conditions: Sequence[Condition] = (),
) -> tuple[str, Params]:
    if not where:
        raise InvalidQueryError("a DELETE needs a WHERE clause (filter on the primary key)")
    targets = [quote(c) for c in columns] + [f"{quote(c)}[?]" for c, _ in elements]
    params: Params = [key for _, key in elements]
    using, using_params = using_clause(None, timestamp)
    params.extend(using_params)
    where_text, where_params = render_conditions(where)
    params.extend(where_params)
    what = (" " + ", ".join(targets)) if targets else ""
    cql = f"DELETE{what} FROM {qualified(keyspace, table)}{using} WHERE {where_text}"
    cql += _lwt_suffix(if_exists, if_conditions, params)
    return cql, params


def build_counter_update(
    table: str,
    keyspace: str,
    deltas: Mapping[str, int],
    where: Sequence[tuple[str, str, Any]] | Sequence[Condition],
) -> tuple[str, Params]:
    conds = [w if isinstance(w, Condition) else Condition(quote(w[0]), w[1], (w[2],)) for w in where]
    assignments = [Assignment(name, "append", (int(v),)) for name, v in deltas.items()]
    return build_update(table, keyspace, assignments, conds)


@dataclass(frozen=True, slots=True)
class Select:
    """The parts of a SELECT."""

    keyspace: str
    table: str
    columns: tuple[str, ...] = ()  # already rendered select expressions; () = *
    where: tuple[Condition, ...] = ()
    order_by: tuple[tuple[str, str], ...] = ()
    limit: int | None = None
    per_partition_limit: int | None = None
    allow_filtering: bool = False
    distinct: bool = False
    group_by: tuple[str, ...] = ()
    json: bool = False


def build_select(s: Select) -> tuple[str, Params]:
    what = ", ".join(s.columns) if s.columns else "*"
    head = "SELECT " + ("JSON " if s.json else "") + ("DISTINCT " if s.distinct else "")
    cql = f"{head}{what} FROM {qualified(s.keyspace, s.table)}"
    params: Params = []
    if s.where:
        where_text, params = render_conditions(s.where)
        cql += " WHERE " + where_text
    if s.group_by:
        cql += " GROUP BY " + ", ".join(quote(c) for c in s.group_by)
    if s.order_by:
        cql += " ORDER BY " + ", ".join(f"{quote(c)} {d}" for c, d in s.order_by)
    if s.per_partition_limit is not None:
        cql += " PER PARTITION LIMIT ?"
        params.append(int(s.per_partition_limit))
    if s.limit is not None:
        cql += " LIMIT ?"
        params.append(int(s.limit))
    if s.allow_filtering:
        cql += " ALLOW FILTERING"
    return cql, params


def build_batch(
    statements: Sequence[tuple[str, Sequence[Any]]],
    logged: bool = True,
    batch_type: str | None = None,
    timestamp: int | None = None,
) -> tuple[str, Params]:
    """Upstream-compatible text batch (coodie itself sends native batches)."""
    kind = batch_type.upper() + " " if batch_type else ("" if logged else "UNLOGGED ")
    using = f" USING TIMESTAMP {int(timestamp)}" if timestamp is not None else ""
    body = "".join(f"{cql};\n" for cql, _ in statements)
    params: Params = [p for _, ps in statements for p in ps]
    return f"BEGIN {kind}BATCH{using}\n{body}APPLY BATCH", params
