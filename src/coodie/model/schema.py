"""From a model class to its table: columns, keys, indexes and options.

Computed once per model class (``DocumentBase._schema``); everything that builds
CQL or maps rows reads this.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from coodie.exceptions import SchemaError
from coodie.model import fields as f
from coodie.model.column_definition import ColumnDefinition
from coodie.model.types import (
    CqlType,
    cql_type_of,
    empty_collection,
    model_fields_as_columns,
    nanoseconds_to_time,
    snake_case,
    time_to_nanoseconds,
    udt_dependencies,
    udt_type_name,
    unwrap,
)
from coodie.model.types import marker as marker_of


@dataclass
class Column:
    """A model field as a column: its definition, type tree and validator."""

    field_name: str
    definition: ColumnDefinition
    type: CqlType
    optional: bool
    counter: bool = False
    discriminator: bool = False
    adapter: TypeAdapter[Any] | None = None
    #: turns a driver value (canonical, possibly None) into what the field holds
    read_fix: Callable[[Any], Any] | None = None
    #: for a map column: validators of its keys and of its values
    entry_adapters: tuple[TypeAdapter[Any], TypeAdapter[Any]] | None = None

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def is_key(self) -> bool:
        return self.definition.primary_key or self.definition.clustering_key

    def validate(self, value: Any) -> Any:
        """Check a value for this column before any I/O; errors name the column."""
        if value is None:
            if self.is_key:
                raise SchemaError(f"column {self.name!r} is part of the primary key and cannot be None")
            if not (self.optional or self.type.is_collection):
                raise SchemaError(
                    f"column {self.name!r} is not Optional, so it cannot be None "
                    "(a null there could no longer be read into the model)"
                )
            return None
        assert self.adapter is not None
        return self._checked(self.adapter, value, str(self.type))

    def validate_map_key(self, key: Any) -> Any:
        """Check a key of this map column (``CONTAINS KEY``, removing keys)."""
        assert self.entry_adapters is not None, f"{self.name} is not a map column"
        return self._checked(self.entry_adapters[0], key, f"{self.type.params[0]}, a key of {self.type}")

    def validate_map_value(self, value: Any) -> Any:
        """Check a value of this map column (``CONTAINS``)."""
        assert self.entry_adapters is not None, f"{self.name} is not a map column"
        return self._checked(self.entry_adapters[1], value, f"{self.type.params[1]}, a value of {self.type}")

    def _checked(self, adapter: TypeAdapter[Any], value: Any, cql_type: str) -> Any:
        try:
            return adapter.validate_python(value)
        except Exception as exc:
            raise SchemaError(
                f"bad value for column {self.name!r} (CQL type {cql_type}): {value!r} — {first_line(exc)}"
            ) from exc


def first_line(exc: BaseException) -> str:
    """The reason an error gives, in one line (pydantic's first error message, not its docs link)."""
    if isinstance(exc, ValidationError) and exc.errors():
        return str(exc.errors()[0]["msg"])
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__


@dataclass
class TableSchema:
    table: str
    explicit_keyspace: str | None
    columns: list[Column]
    options: dict[str, Any] = field(default_factory=dict)
    counter_table: bool = False
    # derived once here: every write and read uses them
    by_name: dict[str, Column] = field(init=False)
    read_fixes: list[tuple[str, Callable[[Any], Any]]] = field(init=False)
    partition_keys: list[Column] = field(init=False)
    clustering_keys: list[Column] = field(init=False)
    primary_key: list[Column] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {c.name: c for c in self.columns}
        self.read_fixes = [(c.name, c.read_fix) for c in self.columns if c.read_fix is not None]
        self.partition_keys = sorted(
            (c for c in self.columns if c.definition.primary_key),
            key=lambda c: c.definition.partition_key_index,
        )
        self.clustering_keys = sorted(
            (c for c in self.columns if c.definition.clustering_key),
            key=lambda c: c.definition.clustering_key_index,
        )
        self.primary_key = self.partition_keys + self.clustering_keys

    @property
    def definitions(self) -> list[ColumnDefinition]:
        return [c.definition for c in self.columns]

    def column(self, name: str, *, what: str = "field") -> Column:
        col = self.by_name.get(name)
        if col is None:
            known = ", ".join(self.by_name)
            raise SchemaError(f"unknown {what} {name!r} on table {self.table!r}; columns are: {known}")
        return col

    def udts(self) -> list[type[BaseModel]]:
        """Every UDT class the table uses, dependencies first."""
        seen: list[type[BaseModel]] = []
        for c in self.columns:
            for t in c.type.walk():
                if t.udt is not None:
                    for dep in udt_dependencies(t.udt):
                        if dep not in seen:
                            seen.append(dep)
        return seen


def build_column(name: str, annotation: Any, table: str) -> Column:
    where = f"field {name!r}"
    cql = cql_type_of(annotation, where=where)
    _, meta = unwrap(annotation)  # markers outside and inside Optional alike

    def marker(kind: type) -> Any:
        return marker_of(meta, kind)

    pk, ck, idx = marker(f.PrimaryKey), marker(f.ClusteringKey), marker(f.Indexed)
    vidx = marker(f.VectorIndex)
    static = marker(f.Static) is not None
    optional = _is_optional(annotation)
    if vidx is not None:
        if cql.name != "vector":
            raise SchemaError(f"{where}: VectorIndex() needs a Vector() column")
        if idx is not None or pk is not None or ck is not None or static:
            raise SchemaError(f"{where}: VectorIndex() cannot be combined with keys, Static() or Indexed()")
    if pk is not None and ck is not None:
        raise SchemaError(f"{where}: a column cannot be both PrimaryKey and ClusteringKey")
    if static and (pk is not None or ck is not None):
        raise SchemaError(f"{where}: a key column cannot be Static()")
    definition = ColumnDefinition(
        name=name,
        cql_type=str(cql),
        primary_key=pk is not None,
        partition_key_index=pk.partition_key_index if pk else 0,
        clustering_key=ck is not None,
        clustering_key_index=ck.clustering_key_index if ck else 0,
        clustering_order=str(ck.order).upper() if ck else "ASC",
        index=idx is not None,
        index_name=(idx.index_name or f"{table}_{name}_idx") if idx else None,
        required=not optional,
        static=static,
        vector_index=vidx is not None,
        vector_index_name=f"{table}_{name}_idx" if vidx else None,
        vector_similarity_function=vidx.similarity_function.upper() if vidx else None,
    )
    return Column(
        field_name=name,
        definition=definition,
        type=cql,
        optional=optional,
        counter=cql.name == "counter",
        discriminator=marker(f.Discriminator) is not None,
        adapter=TypeAdapter(annotation),
        read_fix=_read_fix(cql, annotation),
        entry_adapters=_map_entry_adapters(annotation) if cql.name == "map" else None,
    )


def _map_entry_adapters(annotation: Any) -> tuple[TypeAdapter[Any], TypeAdapter[Any]]:
    """Validators of a map annotation's keys and values."""
    key, value = typing.get_args(unwrap(annotation)[0])
    return TypeAdapter(key), TypeAdapter(value)


Fix = Callable[[Any], Any]


def _read_fix(cql: CqlType, annotation: Any) -> Fix | None:
    """Null collections read as empty ones, null counters as 0; a ``time`` (which drivers
    may give as int nanoseconds, losslessly) becomes what the field holds."""
    if cql.name == "counter":
        return lambda v: 0 if v is None else v
    if cql.name == "time" and _base_type(annotation) is int:
        return lambda v: time_to_nanoseconds(v) if isinstance(v, dt.time) else v
    times = _time_fix(cql)
    if cql.is_collection:
        empty = empty_collection(cql)
        if times is None:
            return lambda v: type(empty)() if v is None else v
        return lambda v: type(empty)() if v is None else times(v)
    return None if times is None else (lambda v: None if v is None else times(v))


def _time_fix(t: CqlType, _seen: tuple[type, ...] = ()) -> Fix | None:
    """Turns int nanoseconds into ``datetime.time`` wherever ``t`` holds a time, nested too."""
    if t.name == "time":
        return lambda v: nanoseconds_to_time(v) if isinstance(v, int) else v
    if t.name == "udt" and t.udt is not None:
        udt = t.udt
        if udt in _seen:  # a cycle; schema sync reports it
            return None
        fixes = {
            n: f
            for n, a in model_fields_as_columns(udt)
            if (f := _time_fix(cql_type_of(a, where=f"{udt.__name__}.{n}"), (*_seen, udt))) is not None
        }
        if not fixes:
            return None
        return lambda v: (
            {k: (fixes[k](x) if k in fixes and x is not None else x) for k, x in v.items()}
            if isinstance(v, dict)
            else v
        )
    subs = [_time_fix(p, _seen) for p in t.params]
    if not any(subs):
        return None
    sub = [f or _same for f in subs]
    if t.name in ("list", "vector"):
        return lambda v: [sub[0](x) if x is not None else x for x in v]
    if t.name == "set":
        return lambda v: {sub[0](x) for x in v}
    if t.name == "map":
        return lambda v: {sub[0](k): (sub[1](x) if x is not None else x) for k, x in v.items()}
    if t.name == "tuple":
        return lambda v: tuple(f(x) if x is not None else x for f, x in zip(sub, v))
    return None


def _same(v: Any) -> Any:
    return v


def _base_type(annotation: Any) -> Any:
    """``int`` for ``Annotated[int, Time()]``, ``Optional[...]`` of it, and the like."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


def _is_optional(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return type(None) in typing.get_args(annotation)


def table_name_of(model: type[BaseModel]) -> str:
    settings = getattr(model, "Settings", None)
    name = getattr(settings, "name", "") if settings is not None else ""
    return str(name) if name else snake_case(model.__name__)


def build_table_schema(model: type[BaseModel], *, table: str | None = None) -> TableSchema:
    settings = getattr(model, "Settings", None)
    table = table or table_name_of(model)
    columns = [build_column(name, ann, table) for name, ann in model_fields_as_columns(model)]
    if not any(c.definition.primary_key for c in columns):
        raise SchemaError(f"{model.__name__}: no PrimaryKey() field; a table needs a partition key")
    _check_key_indexes(model.__name__, columns)
    counters = [c for c in columns if c.counter]
    counter_table = bool(counters)
    if counter_table:
        bad = [c.name for c in columns if not c.counter and not c.is_key]
        if bad:
            raise SchemaError(
                f"{model.__name__}: Counter tables can only have counter and primary key columns; "
                f"not counters: {', '.join(bad)}"
            )
    options: dict[str, Any] = dict(getattr(settings, "__options__", None) or {})
    ttl = getattr(settings, "__default_ttl__", None)
    if ttl is not None:
        options["default_time_to_live"] = ttl
    keyspace = getattr(settings, "keyspace", None) if settings is not None else None
    return TableSchema(table, keyspace or None, columns, options, counter_table)


def _check_key_indexes(model: str, columns: list[Column]) -> None:
    for kind, attr in (("PrimaryKey", "partition_key_index"), ("ClusteringKey", "clustering_key_index")):
        flag = "primary_key" if kind == "PrimaryKey" else "clustering_key"
        keys = [c for c in columns if getattr(c.definition, flag)]
        indexes = [getattr(c.definition, attr) for c in keys]
        if len(keys) > 1 and len(set(indexes)) != len(indexes):
            names = ", ".join(c.name for c in keys)
            raise SchemaError(
                f"{model}: {kind} columns ({names}) need distinct {attr} values to fix their order"
            )


def build_schema(model: type[BaseModel]) -> list[ColumnDefinition]:
    """Upstream-compatible: the column definitions of a model."""
    return build_table_schema(model).definitions


__all__ = ["Column", "ColumnDefinition", "TableSchema", "build_schema", "build_table_schema", "udt_type_name"]
