"""The document model and its write operations, written once.

``coodie.sync.Document`` and ``coodie.aio.Document`` subclass
:class:`DocumentBase`; their methods only run the plans defined here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from coodie.cql.builder import (
    Assignment,
    Condition,
    build_delete,
    build_insert,
    build_update,
    quote,
)
from coodie.cql.operators import parse_assignments, parse_if_conditions
from coodie.drivers import get_driver
from coodie.drivers.base import AbstractDriver, Consistency, ExecOptions, Statement
from coodie.exceptions import InvalidQueryError
from coodie.model.schema import TableSchema, build_table_schema, table_name_of
from coodie.operations.ddl import plan_drop_table, plan_sync_table, plan_truncate
from coodie.operations.plan import Plan, done, execute
from coodie.operations.results import LWTResult

if TYPE_CHECKING:
    from coodie.operations.batch import BatchBase

D = TypeVar("D", bound="DocumentBase")

_UPDATE_OPTIONS = frozenset({"timestamp", "consistency", "serial_consistency", "timeout", "batch"})


class DocumentBase(BaseModel):
    """A table row as a Pydantic model. Subclass ``coodie.sync.Document`` or ``coodie.aio.Document``."""

    model_config = ConfigDict(
        arbitrary_types_allowed=True,
        revalidate_instances="never",
        use_enum_values=True,
        populate_by_name=True,
    )

    class Settings:
        pass

    _schema_cache: ClassVar[dict[type, TableSchema]] = {}

    # ------------------------------------------------------------ metadata --
    @classmethod
    def table_name(cls) -> str:
        return table_name_of(cls)

    @classmethod
    def _schema(cls) -> TableSchema:
        schema = DocumentBase._schema_cache.get(cls)
        if schema is None:
            schema = build_table_schema(cls)
            DocumentBase._schema_cache[cls] = schema
        return schema

    @classmethod
    def _is_abstract(cls) -> bool:
        return bool(getattr(cls.__dict__.get("Settings"), "__abstract__", False))

    @classmethod
    def _driver(cls) -> AbstractDriver:
        return get_driver(getattr(cls.Settings, "connection", None))

    @classmethod
    def _keyspace(cls, driver: AbstractDriver | None = None) -> str:
        ks = cls._schema().explicit_keyspace or (driver or cls._driver()).default_keyspace
        if not ks:
            raise InvalidQueryError(
                f"No keyspace configured for {cls.__name__}: set Settings.keyspace or init_coodie(keyspace=...)"
            )
        return ks

    @classmethod
    def _target(cls) -> tuple[AbstractDriver, str, TableSchema]:
        driver = cls._driver()
        return driver, cls._keyspace(driver), cls._schema()

    # ---------------------------------------------------------------- schema --
    @classmethod
    def _plan_sync_table(cls, dry_run: bool = False, drop_removed_indexes: bool = False) -> Plan[list[str]]:
        if cls._is_abstract():
            return done([])
        driver, keyspace, schema = cls._target()
        return plan_sync_table(
            driver,
            keyspace,
            schema.table,
            schema.definitions,
            schema.options,
            dry_run=dry_run,
            drop_removed_indexes=drop_removed_indexes,
            udts=schema.udts(),
        )

    @classmethod
    def _plan_drop_table(cls) -> Plan[None]:
        driver, keyspace, schema = cls._target()
        return plan_drop_table(driver, keyspace, schema.table)

    @classmethod
    def _plan_truncate(cls) -> Plan[None]:
        driver, keyspace, schema = cls._target()
        return plan_truncate(driver, keyspace, schema.table)

    # ----------------------------------------------------------- row mapping --
    @classmethod
    def _from_row(cls: type[D], row: Mapping[str, Any]) -> D:
        """Build a document from a driver row (canonical values). The row dict is the
        driver's fresh one, fixed in place rather than copied."""
        data = row if isinstance(row, dict) else dict(row)
        for name, fix in cls._schema().read_fixes:
            data[name] = fix(data.get(name))
        return cls.model_validate(data)

    @classmethod
    def _from_partial_row(cls: type[D], row: Mapping[str, Any]) -> D:
        """A document from a row holding only some columns (``only``/``defer``): defaults elsewhere."""
        schema = cls._schema()
        values: dict[str, Any] = {}
        for name, value in row.items():
            col = schema.by_name.get(name)
            if col is None:
                continue
            if col.read_fix is not None:
                value = col.read_fix(value)
            values[name] = col.validate(value) if value is not None else None
        return cls.model_construct(**values)

    def _key_conditions(self) -> list[Condition]:
        return [
            Condition(quote(c.name), "=", (getattr(self, c.field_name),)) for c in self._schema().primary_key
        ]

    def _column_values(self) -> dict[str, Any]:
        return {c.name: getattr(self, c.field_name) for c in self._schema().columns}

    # ---------------------------------------------------------------- writes --
    def _plan_save(
        self,
        *,
        ttl: int | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchBase | None = None,
        if_not_exists: bool = False,
        serial_consistency: str | Consistency | None = None,
    ) -> Plan[LWTResult | None]:
        driver, keyspace, schema = self._target()
        verb = "insert" if if_not_exists else "save"
        if schema.counter_table:
            raise InvalidQueryError(
                f"{type(self).__name__}: counter tables do not support {verb}(); use increment()/decrement()"
            )
        _check_ttl(ttl)
        cql, params = build_insert(
            schema.table,
            keyspace,
            self._column_values(),
            ttl=ttl,
            if_not_exists=if_not_exists,
            timestamp=timestamp,
        )
        statement = Statement(cql, tuple(params), idempotent=not if_not_exists)
        if batch is not None:
            batch.add_statement(statement)
            return None
        result = yield from execute(driver, statement, _options(consistency, timeout, serial_consistency))
        return LWTResult.from_rows(result.rows) if if_not_exists else None

    def _plan_update(
        self,
        kwargs: Mapping[str, Any],
        *,
        if_conditions: Mapping[str, Any] | None = None,
        if_exists: bool = False,
        ttl: int | None = None,
    ) -> Plan[LWTResult | None]:
        """``update(**kwargs)``: column keywords are SET; option keywords that are not
        columns (timestamp, consistency, serial_consistency, timeout, batch) are options."""
        driver, keyspace, schema = self._target()
        fields = {k: v for k, v in kwargs.items() if k in schema.by_name or k not in _UPDATE_OPTIONS}
        opts = {k: v for k, v in kwargs.items() if k not in fields}
        timestamp: int | None = opts.get("timestamp")
        consistency = opts.get("consistency")
        serial_consistency = opts.get("serial_consistency")
        timeout: float | None = opts.get("timeout")
        batch: BatchBase | None = opts.get("batch")
        if not fields:
            return None
        _check_ttl(ttl)
        assignments, plain = parse_assignments(schema, fields)
        conditions = parse_if_conditions(schema, if_conditions or {})
        cql, params = build_update(
            schema.table,
            keyspace,
            assignments,
            self._key_conditions(),
            ttl=ttl,
            timestamp=timestamp,
            if_exists=if_exists,
            if_conditions=() if if_exists else conditions,
        )
        lwt = if_exists or bool(conditions)
        statement = Statement(cql, tuple(params))
        if batch is not None:
            batch.add_statement(statement)
            result_rows: list[dict[str, Any]] = []
        else:
            result = yield from execute(driver, statement, _options(consistency, timeout, serial_consistency))
            result_rows = result.rows
        outcome = LWTResult.from_rows(result_rows) if lwt and batch is None else None
        if outcome is None or outcome.applied:
            for name, value in plain.items():
                setattr(self, schema.by_name[name].field_name, value)
        return outcome

    def _plan_delete(
        self,
        *,
        if_exists: bool = False,
        if_conditions: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        serial_consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchBase | None = None,
        columns: tuple[str, ...] = (),
        elements: tuple[tuple[str, Any], ...] = (),
    ) -> Plan[LWTResult | None]:
        driver, keyspace, schema = self._target()
        for name in (*columns, *(c for c, _ in elements)):
            schema.column(name)
        conditions = parse_if_conditions(schema, if_conditions or {})
        cql, params = build_delete(
            schema.table,
            keyspace,
            self._key_conditions(),
            columns=columns,
            elements=elements,
            timestamp=timestamp,
            if_exists=if_exists,
            if_conditions=() if if_exists else conditions,
        )
        statement = Statement(cql, tuple(params))
        if batch is not None:
            batch.add_statement(statement)
            return None
        result = yield from execute(driver, statement, _options(consistency, timeout, serial_consistency))
        return LWTResult.from_rows(result.rows) if (if_exists or conditions) else None

    def _plan_increment(
        self,
        deltas: Mapping[str, int],
        *,
        sign: int = 1,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchBase | None = None,
    ) -> Plan[None]:
        driver, keyspace, schema = self._target()
        if not deltas:
            raise InvalidQueryError("increment()/decrement() needs at least one counter=delta")
        assignments = []
        for name, delta in deltas.items():
            col = schema.column(name, what="counter column")
            if not col.counter:
                raise InvalidQueryError(f"column {name!r} of {schema.table!r} is not a counter")
            if isinstance(delta, bool) or not isinstance(delta, int):
                raise InvalidQueryError(f"counter {name!r}: the delta must be an int, not {delta!r}")
            assignments.append(Assignment(col.name, "append", (sign * delta,)))
        cql, params = build_update(schema.table, keyspace, assignments, self._key_conditions())
        statement = Statement(cql, tuple(params))
        if batch is not None:
            batch.add_statement(statement)
            return None
        yield from execute(driver, statement, _options(consistency, timeout))
        for name, delta in deltas.items():
            field = schema.by_name[name].field_name
            current = getattr(self, field) or 0
            setattr(self, field, current + sign * delta)
        return None


# ------------------------------------------------------------------ helpers --


def _check_ttl(ttl: int | None) -> None:
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 0):
        raise InvalidQueryError(f"ttl={ttl!r}: must be a non-negative int (seconds)")


def _options(
    consistency: str | Consistency | None,
    timeout: float | None,
    serial_consistency: str | Consistency | None = None,
) -> ExecOptions:
    return ExecOptions.of(consistency=consistency, serial_consistency=serial_consistency, timeout=timeout)
