"""Values between coodie's canonical ones and the ``cassandra`` driver's.

Converters are built once per column type (and cached per result shape /
prepared statement); ``None`` means "the driver's value is already canonical".
The driver's own classes (``util.Date``, ``util.Time``, its sorted sets and
maps) become plain Python values; timestamps are sent as milliseconds.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

from coodie.drivers._shared.values import (
    EPOCH,
    Converter,
    as_utc,
    convert_each,
    identity,
    list_of,
    map_of,
    set_of,
    tuple_of,
)
from coodie.drivers.base import Row
from coodie.drivers.cassandra.lib import cqltypes, util
from coodie.support.values import CqlDuration


def _is(typ: Any, kind: Any) -> bool:
    return isinstance(typ, type) and issubclass(typ, kind)


def decoder(typ: Any) -> Converter | None:
    name = getattr(typ, "typename", "")
    if name == "timestamp":
        return as_utc
    if name == "date":
        return lambda v: v.date() if isinstance(v, util.Date) else v
    if name == "time":
        # int nanoseconds keep the full precision; the ODM converts per field type
        return lambda v: v.nanosecond_time if isinstance(v, util.Time) else v
    if name == "duration":
        return lambda v: CqlDuration(v.months, v.days, v.nanoseconds)
    if name == "inet":
        return ipaddress.ip_address
    if _is(typ, cqltypes.UserType):
        subs = [decoder(s) for s in typ.subtypes]
        fields = list(typ.fieldnames)
        return lambda v: dict(zip(fields, convert_each(subs, v)))
    if _is(typ, cqltypes.FrozenType):
        return decoder(typ.subtypes[0])
    if name in ("list", "set", "tuple", "map"):
        subs = [decoder(s) for s in typ.subtypes]
        # every collection is converted: the driver's sets and maps are its own classes
        elem = subs[0] or identity
        if name == "list":
            return list_of(elem)
        if name == "set":
            return set_of(elem)
        if name == "tuple":
            return tuple_of(subs)
        return map_of(subs[0], subs[1], hashable_keys=True)
    if _is(typ, cqltypes.VectorType):
        return list
    return None


def timestamp_ms(v: Any) -> Any:
    """Milliseconds since the epoch, rounded down (before 1970 too; cassandra-driver
    rounds toward zero there, one millisecond off). Naive datetimes are UTC."""
    if not isinstance(v, dt.datetime):
        return v
    delta = as_utc(v) - EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def encoder(typ: Any) -> Converter | None:
    name = getattr(typ, "typename", "")
    if name == "timestamp":
        return timestamp_ms
    if name == "inet":
        return str
    if name == "duration":
        return lambda v: util.Duration(v.months, v.days, v.nanoseconds) if isinstance(v, CqlDuration) else v
    if _is(typ, cqltypes.UserType):
        subs = [encoder(s) for s in typ.subtypes]
        fields = list(typ.fieldnames)

        def encode_udt(v: Any) -> Any:
            get = v.get if isinstance(v, dict) else (lambda f, _v=v: getattr(_v, f, None))
            return tuple(convert_each(subs, (get(f) for f in fields)))

        return encode_udt
    if _is(typ, cqltypes.FrozenType):
        return encoder(typ.subtypes[0])
    if name in ("list", "set", "tuple", "map"):
        subs = [encoder(s) for s in typ.subtypes]
        if not any(subs):
            return None
        if name == "tuple":
            return tuple_of(subs)
        if name == "map":
            return map_of(subs[0], subs[1])
        element = subs[0] or identity
        return list_of(element) if name == "list" else set_of(element)
    return None


def row_converter(names: Sequence[str], types: Sequence[Any]) -> Callable[[Sequence[Any]], Row]:
    decoders = [decoder(t) for t in types]
    if not any(decoders):
        return lambda row: dict(zip(names, row))
    return lambda row: dict(zip(names, convert_each(decoders, row)))
