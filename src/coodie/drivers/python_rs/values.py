"""Values between coodie's canonical ones and python-rs-driver's.

Converters are built from the driver's column types (objects whose class name
says the CQL type: ``CqlList``, ``CqlDuration``, ...), once per prepared
statement (parameters) or result shape (rows); ``None`` means "no change".

* ``duration`` travels as a ``dateutil`` ``relativedelta`` with microsecond
  precision: reading one needs ``python-dateutil`` installed, and sending a
  duration whose nanoseconds are not whole microseconds is refused;
* the driver takes only UTC datetimes and ``datetime.time`` (microseconds);
* sets (and map keys) whose elements are sets, lists, maps or UDTs can be
  neither sent nor read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.values import (
    Converter,
    convert_fields,
    fields_plan,
    is_int,
    list_of,
    map_of,
    nanoseconds_to_time,
    row_converter_of,
    tuple_of,
)
from coodie.drivers.base import Row
from coodie.support.values import CqlDuration


def _kind(t: Any) -> str:
    return type(t).__name__


def _element_type(t: Any) -> Any:
    """The element type of a list, set or vector type."""
    return getattr(t, "column_type", None) or getattr(t, "typ", None)


def _has(t: Any, kinds: frozenset[str]) -> bool:
    k = _kind(t)
    if k in kinds:
        return True
    if k in ("CqlList", "CqlSet", "CqlVector"):
        return _has(_element_type(t), kinds)
    if k == "CqlMap":
        return _has(t.key_type, kinds) or _has(t.value_type, kinds)
    if k == "CqlTuple":
        return any(_has(e, kinds) for e in t.element_types)
    if k == "CqlUserDefinedType":
        return any(_has(ft, kinds) for _, ft in t.field_types)
    return False


def duration_from_driver(v: Any) -> CqlDuration:
    """A ``relativedelta`` (as python-rs-driver returns durations) as a CqlDuration."""
    months = 12 * int(getattr(v, "years", 0) or 0) + int(getattr(v, "months", 0) or 0)
    days = int(getattr(v, "days", 0) or 0)
    micros = (
        (int(getattr(v, "hours", 0) or 0) * 60 + int(getattr(v, "minutes", 0) or 0)) * 60
        + int(getattr(v, "seconds", 0) or 0)
    ) * 1_000_000 + int(getattr(v, "microseconds", 0) or 0)
    return CqlDuration(months, days, micros * 1000)


@dataclasses.dataclass(frozen=True, slots=True)
class DriverDuration:
    """A duration as python-rs-driver reads it: ``months``, ``days``, ``microseconds`` attributes.

    (The driver reads exactly these three attributes of a ``relativedelta``; a real
    ``relativedelta`` would normalise months into years and microseconds into
    seconds, which the driver then ignores.)
    """

    months: int
    days: int
    microseconds: int


def duration_to_driver(v: Any) -> Any:
    if isinstance(v, CqlDuration):
        micros, rest = divmod(abs(v.nanoseconds), 1000)
        if rest:
            raise exc_mod.InvalidQueryError(
                f"{v!r}: driver_type='python-rs' sends durations with microsecond precision; "
                f"{v.nanoseconds} ns is not a whole number of microseconds"
            )
        return DriverDuration(v.months, v.days, micros if v.nanoseconds >= 0 else -micros)
    return v


def decoder(t: Any) -> Converter | None:
    """Converter from python-rs-driver's value of CQL type ``t`` to the canonical value."""
    k = _kind(t)
    if k == "CqlDuration":
        return duration_from_driver
    if not _has(t, frozenset({"CqlDuration"})):
        return None
    if k in ("CqlList", "CqlVector"):
        c = decoder(_element_type(t))
        return list_of(c) if c else None
    if k == "CqlMap":
        vc = decoder(t.value_type)
        return map_of(None, vc) if vc else None
    if k == "CqlTuple":
        return tuple_of([decoder(e) for e in t.element_types])
    if k == "CqlUserDefinedType":
        plan = fields_plan(t.field_types, decoder)
        return lambda v: convert_fields(dict(v), plan)
    return None


_ENCODED = frozenset({"CqlDuration", "CqlSet", "CqlUserDefinedType", "CqlTimestamp", "CqlTime"})
_UTC = dt.timezone.utc


def timestamp_to_driver(v: Any) -> Any:
    """python-rs-driver takes only UTC datetimes: a naive one is UTC, an aware one is converted."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            return v.replace(tzinfo=_UTC)
        if v.tzinfo is not _UTC:
            return v.astimezone(_UTC)
    return v


def time_to_driver(v: Any) -> Any:
    """A ``time`` given as int nanoseconds since midnight, as a ``datetime.time`` (microsecond precision)."""
    return nanoseconds_to_time(v, sender="driver_type='python-rs' sends") if is_int(v) else v


_CONTAINERS = frozenset({"CqlList", "CqlSet", "CqlMap", "CqlTuple", "CqlUserDefinedType", "CqlVector"})
_SCALAR_ENCODERS: dict[str, Converter] = {
    "CqlDuration": duration_to_driver,
    "CqlTimestamp": timestamp_to_driver,
    "CqlTime": time_to_driver,
}


def _refuse_set_of_collections(v: Any) -> Any:
    raise exc_mod.InvalidQueryError(
        "driver_type='python-rs' cannot send a set or map key whose elements are collections or UDTs "
        "(python-rs-driver wants Python sets/lists/dicts as set elements or map keys, which Python cannot build)"
    )


def _set_encoder(t: Any) -> Converter:
    if _kind(t.column_type) in _CONTAINERS:
        return _refuse_set_of_collections
    element = encoder(t.column_type)
    if element is None:
        return lambda v: set(v) if isinstance(v, frozenset) else v
    convert: Converter = element
    return lambda v: {convert(x) for x in v}


def _udt_encoder(t: Any) -> Converter:
    names = [f for f, _ in t.field_types]
    plan = fields_plan(t.field_types, encoder)
    udt = getattr(t, "name", "?")

    def encode_udt(v: Any) -> Any:
        if not isinstance(v, dict):
            if not isinstance(getattr(type(v), "model_fields", None), dict):
                return v
            v = {f: getattr(v, f, None) for f in names}  # a UDT model
        missing = [f for f in names if v.get(f) is None]
        if missing:
            raise exc_mod.InvalidQueryError(
                f"driver_type='python-rs' cannot send UDT {udt!r} with null fields {missing}: "
                "python-rs-driver needs every field of a UDT value set"
            )
        out = dict(v)
        for f, c in plan:
            out[f] = c(out[f])
        return out

    return encode_udt


def encoder(t: Any) -> Converter | None:
    """Converter from a canonical parameter value to what python-rs-driver accepts for CQL type ``t``."""
    k = _kind(t)
    scalar = _SCALAR_ENCODERS.get(k)
    if scalar is not None:
        return scalar
    if not _has(t, _ENCODED) and not (k == "CqlMap" and _kind(t.key_type) in _CONTAINERS):
        return None
    if k == "CqlSet":
        return _set_encoder(t)
    if k in ("CqlList", "CqlVector"):
        c = encoder(_element_type(t))
        return list_of(c) if c else None
    if k == "CqlMap":
        if _kind(t.key_type) in _CONTAINERS:
            return _refuse_set_of_collections
        return map_of(encoder(t.key_type), encoder(t.value_type))
    if k == "CqlTuple":
        return tuple_of([encoder(e) for e in t.element_types])
    if k == "CqlUserDefinedType":
        return _udt_encoder(t)
    return None


def row_converter(columns: Sequence[Any]) -> Callable[[Row], Row] | None:
    return row_converter_of(fields_plan(((c.name, c.cql_type) for c in columns), decoder))
