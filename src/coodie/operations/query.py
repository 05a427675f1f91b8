"""The chainable, lazy QuerySet, written once.

Chain methods return a new QuerySet (the state is an immutable dataclass);
terminal operations are plans that ``coodie.sync.QuerySet`` and
``coodie.aio.QuerySet`` run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from typing_extensions import Self

from coodie.cql.builder import (
    Select,
    build_delete,
    build_insert,
    build_select,
    build_update,
    quote,
)
from coodie.cql.operators import Filter, parse_assignments, parse_filter, parse_if_conditions
from coodie.drivers.base import AbstractDriver, Consistency, ExecOptions, Statement
from coodie.exceptions import (
    CoodieError,
    DocumentNotFound,
    FilteringRequiredError,
    InvalidQueryError,
    MultipleDocumentsFound,
)
from coodie.model.schema import Column, TableSchema
from coodie.operations.document import DocumentBase, _check_ttl
from coodie.operations.plan import Plan, execute
from coodie.operations.results import LWTResult, PagedResult

D = TypeVar("D", bound=DocumentBase)


class QueryState(NamedTuple):
    """Everything a QuerySet has been told; immutable, copied with ``_replace`` per chained call."""

    filters: tuple[Filter, ...] = ()
    limit: int | None = None
    per_partition_limit: int | None = None
    order_by: tuple[tuple[str, str], ...] = ()
    allow_filtering: bool = False
    only: tuple[str, ...] = ()
    defer: tuple[str, ...] = ()
    values_list: tuple[str, ...] = ()
    distinct: bool = False
    fetch_size: int | None = None
    paging_state: bytes | None = None
    consistency: Consistency | None = None
    serial_consistency: Consistency | None = None
    timeout: float | None = None
    ttl: int | None = None
    timestamp: int | None = None
    if_not_exists: bool = False
    if_exists: bool = False


def check_filtering(schema: TableSchema, filters: tuple[Filter, ...], allowed: bool) -> None:
    """Refuse, before any I/O, a filter the server would reject without ALLOW FILTERING."""
    if allowed:
        return
    for f in filters:
        d = f.column.definition
        if not (f.token or d.primary_key or d.clustering_key or d.index or d.vector_index):
            raise FilteringRequiredError(
                f"filtering on column {d.name!r} of {schema.table!r} (not a key, not indexed) needs "
                f".allow_filtering() or an Indexed() marker on the field"
            )


class BaseQuerySet(Generic[D]):
    """State and chain methods shared by the sync and async QuerySets."""

    __slots__ = ("_doc", "_state")

    def __init__(self, doc_cls: type[D], state: QueryState | None = None) -> None:
        self._doc = doc_cls
        self._state = state if state is not None else QueryState()

    def _with(self, **changes: Any) -> Self:
        return type(self)(self._doc, self._state._replace(**changes))

    def __repr__(self) -> str:
        try:
            _, statement = self._select()
        except CoodieError as exc:  # no driver yet, or a query the server would refuse
            return f"<{type(self).__name__} of {self._doc.__name__}: {exc}>"
        return f"<{type(self).__name__} {statement.cql!r} {list(statement.params)!r}>"

    # ------------------------------------------------------------- chaining --
    def filter(self, **filters: Any) -> Self:
        schema = self._doc._schema()
        new = tuple(parse_filter(schema, k, v) for k, v in filters.items())
        return self._with(filters=self._state.filters + new)

    def limit(self, n: int) -> Self:
        return self._with(limit=_positive(n, "limit"))

    def per_partition_limit(self, n: int) -> Self:
        return self._with(per_partition_limit=_positive(n, "per_partition_limit"))

    def order_by(self, *columns: str) -> Self:
        schema = self._doc._schema()
        order = []
        for c in columns:
            name, direction = (c[1:], "DESC") if c.startswith("-") else (c, "ASC")
            col = schema.column(name, what="order_by field")
            if not col.definition.clustering_key:
                raise InvalidQueryError(f"order_by({c!r}): only clustering columns can be ordered")
            order.append((col.name, direction))
        return self._with(order_by=tuple(order))

    def allow_filtering(self) -> Self:
        return self._with(allow_filtering=True)

    def only(self, *columns: str) -> Self:
        schema = self._doc._schema()
        return self._with(only=tuple(schema.column(c, what="only() field").name for c in columns))

    def defer(self, *columns: str) -> Self:
        schema = self._doc._schema()
        return self._with(defer=tuple(schema.column(c, what="defer() field").name for c in columns))

    def values_list(self, *columns: str) -> Self:
        schema = self._doc._schema()
        return self._with(
            values_list=tuple(schema.column(c, what="values_list() field").name for c in columns)
        )

    def distinct(self) -> Self:
        return self._with(distinct=True)

    def fetch_size(self, n: int) -> Self:
        return self._with(fetch_size=_positive(n, "fetch_size"))

    def page(self, paging_state: bytes | None) -> Self:
        if paging_state is not None and not isinstance(paging_state, (bytes, bytearray)):
            raise InvalidQueryError(
                f"page(): paging_state must be bytes or None, not {type(paging_state).__name__}"
            )
        return self._with(paging_state=bytes(paging_state) if paging_state is not None else None)

    def consistency(self, level: str | Consistency) -> Self:
        return self._with(consistency=Consistency.parse(level))

    def serial_consistency(self, level: str | Consistency) -> Self:
        return self._with(serial_consistency=Consistency.parse(level, option="serial_consistency"))

    def timeout(self, seconds: float) -> Self:
        if not (isinstance(seconds, (int, float)) and seconds > 0):
            raise InvalidQueryError(f"timeout({seconds!r}): must be a positive number of seconds")
        return self._with(timeout=float(seconds))

    def ttl(self, seconds: int) -> Self:
        _check_ttl(seconds)
        return self._with(ttl=seconds)

    def timestamp(self, micros: int) -> Self:
        return self._with(timestamp=int(micros))

    def using(
        self,
        *,
        ttl: int | None = None,
        timestamp: int | None = None,
        consistency: str | None = None,
        timeout: float | None = None,
    ) -> Self:
        qs = self
        if ttl is not None:
            qs = qs.ttl(ttl)
        if timestamp is not None:
            qs = qs.timestamp(timestamp)
        if consistency is not None:
            qs = qs.consistency(consistency)
        if timeout is not None:
            qs = qs.timeout(timeout)
        return qs

    def if_not_exists(self) -> Self:
        return self._with(if_not_exists=True)

    def if_exists(self) -> Self:
        return self._with(if_exists=True)

    # -------------------------------------------------------------- building --
    def _selected(self) -> tuple[str, ...]:
        s = self._state
        if s.values_list:
            return s.values_list
        if s.only:
            return s.only
        if s.defer:
            return tuple(c.name for c in self._doc._schema().columns if c.name not in s.defer)
        return ()

    def _select(
        self,
        *,
        columns: tuple[str, ...] | None = None,
        count: bool = False,
        expressions: tuple[str, ...] = (),
        json: bool = False,
    ) -> tuple[AbstractDriver, Statement]:
        """The driver and SELECT of this query; ``count``/``expressions`` make it a one-row aggregate."""
        s = self._state
        driver, keyspace, schema = self._doc._target()
        check_filtering(schema, s.filters, s.allow_filtering)
        aggregate = count or bool(expressions)
        if count:
            expressions = ("COUNT(*)",)
        cols = expressions or tuple(quote(c) for c in (columns if columns is not None else self._selected()))
        cql, params = build_select(
            Select(
                keyspace=keyspace,
                table=schema.table,
                columns=cols,
                where=tuple(f.condition for f in s.filters),
                order_by=() if aggregate else s.order_by,
                limit=None if aggregate else s.limit,
                per_partition_limit=None if aggregate else s.per_partition_limit,
                allow_filtering=s.allow_filtering,
                distinct=s.distinct and not aggregate,
                json=json,
            )
        )
        return driver, Statement(cql, tuple(params), idempotent=True)

    def _options(self, *, page_size: int | None = None, paging_state: bytes | None = None) -> ExecOptions:
        s = self._state
        return ExecOptions(
            consistency=s.consistency,
            serial_consistency=s.serial_consistency,
            timeout=s.timeout,
            page_size=page_size,
            paging_state=paging_state,
        )

    def _map_rows(self, rows: list[dict[str, Any]]) -> list[Any]:
        s = self._state
        if s.values_list:
            schema = self._doc._schema()
            cols = [schema.by_name[c] for c in s.values_list]
            return [tuple(_read_value(c, row.get(c.name)) for c in cols) for row in rows]
        if s.only or s.defer:
            return [self._doc._from_partial_row(row) for row in rows]
        return [self._doc._from_row(row) for row in rows]

    # ------------------------------------------------------ terminal plans --
    def _plan_page(self) -> Plan[PagedResult[Any]]:
        """One page (``fetch_size`` rows from ``page(state)``), or everything without fetch_size."""
        driver, statement = self._select()
        options = self._options(page_size=self._state.fetch_size, paging_state=self._state.paging_state)
        result = yield from execute(driver, statement, options)
        return PagedResult(self._map_rows(result.rows), result.paging_state)

    def _plan_all(self) -> Plan[list[Any]]:
        if self._state.fetch_size is None:
            page = yield from self._plan_page()
            return page.data
        items: list[Any] = []
        qs = self
        while True:
            page = yield from qs._plan_page()
            items.extend(page.data)
            if page.paging_state is None:
                return items
            qs = qs.page(page.paging_state)

    def _plan_first(self) -> Plan[Any]:
        items = yield from self.limit(1)._plan_all()
        return items[0] if items else None

    def _plan_count(self) -> Plan[int]:
        driver, statement = self._select(count=True)
        result = yield from execute(driver, statement, self._options())
        if not result.rows:
            return 0
        value = next(iter(result.rows[0].values()))
        return int(value or 0)

    def _plan_scalars(self, expressions: dict[str, str]) -> Plan[dict[str, Any]]:
        """One row of aggregate/function expressions (``{"total": 'SUM("price")'}``)."""
        driver, statement = self._select(
            expressions=tuple(f"{e} AS {quote(n)}" for n, e in expressions.items())
        )
        result = yield from execute(driver, statement, self._options())
        row = result.rows[0] if result.rows else {}
        return {n: row.get(n) for n in expressions}

    def _expression(self, func: str, column: str) -> str:
        col = self._doc._schema().column(column, what=f"{func.lower()}() field")
        return f"{func}({quote(col.name)})"

    def _plan_aggregate(self, spec: Mapping[str, str]) -> Plan[dict[str, Any]]:
        """``aggregate(total="sum(price)", n="count(id)")``: functions checked before I/O."""
        expressions = {}
        for name, text in spec.items():
            match = _AGGREGATE.fullmatch(text.strip())
            if match is None:
                raise InvalidQueryError(
                    f"aggregate {name}={text!r}: expected one of {', '.join(_AGGREGATES)} applied to a field, e.g. 'sum(price)'"
                )
            expressions[name] = self._expression(match.group(1).upper(), match.group(2))
        return self._plan_scalars(expressions)

    def _plan_function(self, func: str, column: str) -> Plan[Any]:
        values = yield from self._plan_scalars({"value": self._expression(func, column)})
        return values["value"]

    def _plan_json(self) -> Plan[list[str]]:
        driver, statement = self._select(json=True)
        result = yield from execute(driver, statement, self._options())
        return [str(next(iter(r.values()))) for r in result.rows]

    def _plan_find_one(self) -> Plan[Any]:
        items = yield from self.limit(2)._plan_all()
        if len(items) > 1:
            raise MultipleDocumentsFound(
                f"{self._doc.__name__}: more than one row matches {self._describe()}"
            )
        return items[0] if items else None

    def _plan_get(self) -> Plan[Any]:
        doc = yield from self._plan_find_one()
        if doc is None:
            raise DocumentNotFound(f"{self._doc.__name__}: no row matches {self._describe()}")
        return doc

    def _describe(self) -> str:
        parts = [
            f"{f.condition.lhs} {f.condition.op} {list(f.condition.values)}" for f in self._state.filters
        ]
        return " AND ".join(parts) or "(no filter)"

    def _plan_delete(self, if_conditions: Mapping[str, Any] | None = None) -> Plan[LWTResult | None]:
        s = self._state
        driver, keyspace, schema = self._doc._target()
        conditions = parse_if_conditions(schema, if_conditions or {})
        cql, params = build_delete(
            schema.table,
            keyspace,
            [f.condition for f in s.filters],
            timestamp=s.timestamp,
            if_exists=s.if_exists,
            if_conditions=() if s.if_exists else conditions,
        )
        options = self._options()
        result = yield from execute(driver, Statement(cql, tuple(params)), options)
        return LWTResult.from_rows(result.rows) if (s.if_exists or conditions) else None

    def _plan_update(
        self,
        fields: Mapping[str, Any],
        ttl: int | None = None,
        if_conditions: Mapping[str, Any] | None = None,
    ) -> Plan[LWTResult | None]:
        s = self._state
        driver, keyspace, schema = self._doc._target()
        ttl = ttl if ttl is not None else s.ttl
        _check_ttl(ttl)
        assignments, _ = parse_assignments(schema, fields)
        conditions = parse_if_conditions(schema, if_conditions or {})
        cql, params = build_update(
            schema.table,
            keyspace,
            assignments,
            [f.condition for f in s.filters],
            ttl=ttl,
            timestamp=s.timestamp,
            if_exists=s.if_exists,
            if_conditions=() if s.if_exists else conditions,
        )
        options = self._options()
        result = yield from execute(driver, Statement(cql, tuple(params)), options)
        return LWTResult.from_rows(result.rows) if (s.if_exists or conditions) else None

    def _plan_create(self, fields: Mapping[str, Any]) -> Plan[LWTResult | None]:
        s = self._state
        driver, keyspace, schema = self._doc._target()
        columns = {k: schema.column(k) for k in fields}
        data = {columns[k].name: columns[k].validate(v) for k, v in fields.items()}
        cql, params = build_insert(
            schema.table, keyspace, data, ttl=s.ttl, if_not_exists=s.if_not_exists, timestamp=s.timestamp
        )
        options = self._options()
        result = yield from execute(driver, Statement(cql, tuple(params)), options)
        return LWTResult.from_rows(result.rows) if s.if_not_exists else None


_AGGREGATES = ("count", "sum", "avg", "min", "max")
_AGGREGATE = re.compile(r"(?i)(count|sum|avg|min|max)\(\s*\"?([A-Za-z_][A-Za-z0-9_]*)\"?\s*\)")


def _read_value(col: Column, value: Any) -> Any:
    if col.read_fix is not None:
        value = col.read_fix(value)
    return None if value is None else col.validate(value)


def _positive(n: int, option: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise InvalidQueryError(f"{option}({n!r}): must be a positive int")
    return n
