"""CQL types: the Python → CQL mapping and the value types coodie adds.

A field's annotation is turned into a :class:`CqlType` tree once per model. The
tree renders the DDL type (``str(t)``) and tells the row mapper which columns
hold collections.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import types
import typing
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Union

from pydantic import BaseModel

from coodie.exceptions import SchemaError
from coodie.model import fields as f
from coodie.support.values import NANOS_PER_DAY as NANOS_PER_DAY
from coodie.support.values import CqlDuration as CqlDuration
from coodie.support.values import nanoseconds_to_time as nanoseconds_to_time
from coodie.support.values import time_to_nanoseconds as time_to_nanoseconds

# ------------------------------------------------------------------ the type tree --

COLLECTIONS = ("list", "set", "map")


@dataclass(frozen=True, slots=True)
class CqlType:
    """A CQL type: a name plus sub-types (collections, tuple), a UDT class or a vector size."""

    name: str
    params: tuple[CqlType, ...] = ()
    frozen: bool = False
    udt: type[BaseModel] | None = None
    dimensions: int | None = None

    def __str__(self) -> str:
        if self.name == "udt":
            assert self.udt is not None
            inner = udt_type_name(self.udt)
        elif self.name == "vector":
            inner = f"vector<{self.params[0]}, {self.dimensions}>"
        elif self.params:
            inner = f"{self.name}<{', '.join(str(p) for p in self.params)}>"
        else:
            inner = self.name
        return f"frozen<{inner}>" if self.frozen else inner

    @property
    def is_collection(self) -> bool:
        return self.name in COLLECTIONS

    def frozen_copy(self) -> CqlType:
        if self.frozen or not (self.is_collection or self.name == "udt"):
            return self
        return CqlType(self.name, self.params, True, self.udt, self.dimensions)

    def walk(self) -> Iterable[CqlType]:
        yield self
        for p in self.params:
            yield from p.walk()


_SCALARS: dict[Any, str] = {
    str: "text",
    int: "int",
    float: "float",
    bool: "boolean",
    bytes: "blob",
    uuid.UUID: "uuid",
    dt.datetime: "timestamp",
    dt.date: "date",
    dt.time: "time",
    decimal.Decimal: "decimal",
    ipaddress.IPv4Address: "inet",
    ipaddress.IPv6Address: "inet",
    CqlDuration: "duration",
}

#: CQL scalar types a type-override marker may give, and the Python types each accepts
_OVERRIDE_BASES: dict[str, tuple[type, ...]] = {
    "bigint": (int,),
    "smallint": (int,),
    "tinyint": (int,),
    "varint": (int,),
    "counter": (int,),
    "double": (float,),
    "ascii": (str,),
    "timeuuid": (uuid.UUID,),
    "time": (dt.time, int),
    "duration": (CqlDuration,),
}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``BlogPost`` → ``blog_post``, ``HTTPRequest`` → ``http_request``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def udt_type_name(udt: type[BaseModel]) -> str:
    """The CQL name of a UDT class; one rule used everywhere."""
    settings = getattr(udt, "Settings", None)
    explicit = getattr(settings, "__type_name__", None) if settings is not None else None
    return str(explicit) if explicit else snake_case(udt.__name__)


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(annotation)
        non_none = tuple(a for a in args if a is not type(None))
        optional = len(non_none) != len(args)
        if len(non_none) == 1:
            return non_none[0], optional
        if set(non_none) == {ipaddress.IPv4Address, ipaddress.IPv6Address}:
            return ipaddress.IPv4Address, optional
        raise SchemaError(f"Cannot map Python type {annotation!r}: a Union of several types has no CQL type")
    return annotation, False


def _split_annotated(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if typing.get_origin(annotation) is Annotated:
        base, *meta = typing.get_args(annotation)
        return base, tuple(meta)
    return annotation, ()


def marker(meta: tuple[Any, ...], kind: type) -> Any:
    """The marker of this kind among an annotation's markers (a marker class counts as its instance)."""
    for m in meta:
        if isinstance(m, kind) or (isinstance(m, type) and issubclass(m, kind)):
            return m() if isinstance(m, type) else m
    return None


def unwrap(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """An annotation's base type, ``Optional`` and ``Annotated`` looked through, and its markers."""
    base, meta = _split_annotated(annotation)
    base, _ = _strip_optional(base)
    base, inner_meta = _split_annotated(base)
    return base, meta + inner_meta


def cql_type_of(annotation: Any, *, where: str = "field") -> CqlType:
    """The CQL type of a Python annotation (markers inside ``Annotated`` apply)."""
    base, meta = unwrap(annotation)
    if marker(meta, f.Counter) is not None:
        return _checked_override(base, "counter", where)
    vector = marker(meta, f.Vector)
    if vector is not None:
        elem = typing.get_args(base)
        if typing.get_origin(base) is not list or len(elem) != 1 or elem[0] is not float:
            raise SchemaError(f"{where}: Vector() applies only to list[float], not {base!r}")
        return CqlType("vector", (CqlType("float"),), dimensions=vector.dimensions)
    override = marker(meta, f.CqlTypeOverride)
    if override is not None:
        return _checked_override(base, override.cql_type, where)
    t = _map_base(base, where)
    if marker(meta, f.Frozen) is not None:
        t = t.frozen_copy()
    return t


def _checked_override(base: Any, cql: str, where: str) -> CqlType:
    allowed = _OVERRIDE_BASES[cql]
    if base not in allowed:
        names = " or ".join(a.__name__ for a in allowed)
        raise SchemaError(f"{where}: the CQL type {cql} needs a {names} field, not {base!r}")
    return CqlType(cql)


def _map_base(base: Any, where: str) -> CqlType:
    if base in _SCALARS:
        return CqlType(_SCALARS[base])
    if isinstance(base, type) and issubclass(base, BaseModel):
        return CqlType("udt", frozen=True, udt=base)
    origin = typing.get_origin(base)
    args = typing.get_args(base)
    if origin in (list, typing.List) and len(args) == 1:  # noqa: UP006
        return CqlType("list", (_element(args[0], where),))
    if origin in (set, typing.Set) and len(args) == 1:  # noqa: UP006
        return CqlType("set", (_element(args[0], where),))
    if origin in (frozenset, typing.FrozenSet) and len(args) == 1:  # noqa: UP006
        return CqlType("set", (_element(args[0], where),), frozen=True)
    if origin in (dict, typing.Dict) and len(args) == 2:  # noqa: UP006
        return CqlType("map", (_element(args[0], where), _element(args[1], where)))
    if origin in (tuple, typing.Tuple) and args and Ellipsis not in args:  # noqa: UP006
        return CqlType("tuple", tuple(_element(a, where) for a in args))
    raise SchemaError(f"{where}: Cannot map Python type {base!r} to a CQL type")


def _element(annotation: Any, where: str) -> CqlType:
    # Collections nested in collections (and UDTs) must be frozen in CQL.
    return cql_type_of(annotation, where=where).frozen_copy()


def model_fields_as_columns(model: type[BaseModel]) -> list[tuple[str, Any]]:
    """(name, annotation with Annotated metadata) of every model field, in order."""
    hints = typing.get_type_hints(model, include_extras=True)
    return [(name, hints.get(name, info.annotation)) for name, info in model.model_fields.items()]


def udt_dependencies(udt: type[BaseModel], _stack: tuple[type[BaseModel], ...] = ()) -> list[type[BaseModel]]:
    """``udt`` and every UDT it uses, dependencies first. Cycles are an error."""
    if udt in _stack:
        path = " -> ".join(t.__name__ for t in (*_stack, udt))
        raise SchemaError(f"Circular UDT dependency: {path}")
    ordered: list[type[BaseModel]] = []
    for name, ann in model_fields_as_columns(udt):
        for t in cql_type_of(ann, where=f"{udt.__name__}.{name}").walk():
            if t.udt is not None:
                for dep in udt_dependencies(t.udt, (*_stack, udt)):
                    if dep not in ordered:
                        ordered.append(dep)
    ordered.append(udt)
    return ordered


def python_type_to_cql_type_str(annotation: Any) -> str:
    """Upstream-compatible helper: the CQL type name of an annotation."""
    return str(cql_type_of(annotation))


def empty_collection(t: CqlType) -> Any:
    """What a null collection column reads back as."""
    if t.name == "list":
        return []
    if t.name == "set":
        return set()
    if t.name == "map":
        return {}
    if t.name == "tuple":
        return None
    return None


__all__ = [
    "CqlDuration",
    "CqlType",
    "cql_type_of",
    "python_type_to_cql_type_str",
    "snake_case",
    "udt_type_name",
]
