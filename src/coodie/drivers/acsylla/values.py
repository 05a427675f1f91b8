"""acsylla's values read back as coodie's canonical values.

acsylla returns ``uuid``/``timeuuid`` and ``inet`` values as strings,
``duration`` as text (``"1mo2d3ns"``), ``varint`` and ``vector`` as raw bytes,
and exposes no column types with a result: the converters are built from the
column types the driver reads from ``system_schema``
(:mod:`coodie.drivers._shared.type_strings`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import struct
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.type_strings import CqlT
from coodie.drivers._shared.values import (
    Converter,
    as_utc,
    convert_fields,
    fields_plan,
    list_of,
    map_of,
    row_converter_of,
    set_of,
    tuple_of,
)
from coodie.drivers.acsylla.errors import unreadable
from coodie.drivers.base import Row
from coodie.support.values import CqlDuration

DECIMAL_REFUSED = (
    "acsylla cannot exchange decimal values correctly: it sends the digits of the number as text in place of "
    "its unscaled value (Decimal('1.50') is stored as 8251118.56) and cannot read decimals written by other "
    "clients; use driver_type='scylla' or 'python-rs' for decimal columns"
)

_DURATION = re.compile(r"(\d+)(y|mo|w|d|h|ms|m|us|µs|ns|s)")
_NS = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "µs": 1_000,
    "ns": 1,
}


def parse_duration(text: str) -> CqlDuration:
    """acsylla's duration text (``"-1y2mo3d4h5m6s7ms8us9ns"``; ``""`` is zero) as a CqlDuration."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    months = days = nanos = 0
    end = 0
    for m in _DURATION.finditer(body):
        if m.start() != end:
            break
        end = m.end()
        n, unit = int(m.group(1)), m.group(2)
        if unit == "y":
            months += 12 * n
        elif unit == "mo":
            months += n
        elif unit == "w":
            days += 7 * n
        elif unit == "d":
            days += n
        else:
            nanos += n * _NS[unit]
    if end != len(body):
        raise ValueError(f"cannot read duration {text!r}")
    return CqlDuration(sign * months, sign * days, sign * nanos)


def varint_to_bytes(n: int) -> bytes:
    return n.to_bytes(((n + (n < 0)).bit_length() + 8) // 8, "big", signed=True)


def bytes_to_varint(b: bytes) -> int:
    return int.from_bytes(b, "big", signed=True)


_VECTOR_FORMATS = {"float": "f", "double": "d", "int": "i", "bigint": "q"}


def _to_uuid(v: Any) -> Any:
    return uuid.UUID(v) if isinstance(v, str) else v


def _to_inet(v: Any) -> Any:
    return ipaddress.ip_address(v) if isinstance(v, str) else v


def _to_varint(v: Any) -> Any:
    return bytes_to_varint(bytes(v)) if isinstance(v, bytes | bytearray) else v


def _to_duration(v: Any) -> Any:
    if isinstance(v, str):
        return parse_duration(v)
    if isinstance(v, dt.timedelta):
        return CqlDuration(0, v.days, (v.seconds * 1_000_000 + v.microseconds) * 1000)
    return v


def _refuse_decimal(v: Any) -> Any:
    raise exc_mod.DriverError(DECIMAL_REFUSED)


#: converters of the native types acsylla does not return canonically
_SCALARS: dict[str, Converter] = {
    "uuid": _to_uuid,
    "timeuuid": _to_uuid,
    "inet": _to_inet,
    "varint": _to_varint,
    "duration": _to_duration,
    "timestamp": as_utc,
    "decimal": _refuse_decimal,
}


def _vector_decoder(t: CqlT) -> Converter:
    fmt = _VECTOR_FORMATS.get(t.params[0].name)
    sub = decoder(t.params[0])
    if fmt is None:
        return list_of(sub) if sub else list
    unpack = struct.Struct(f">{t.size}{fmt}").unpack

    def decode_vector(v: Any) -> Any:
        return list(unpack(v)) if isinstance(v, bytes | bytearray) else list(v)

    return decode_vector


def _udt_decoder(t: CqlT) -> Converter | None:
    plan = fields_plan(t.fields, decoder)
    if not plan:
        return None

    def decode_udt(v: Any) -> Any:
        return convert_fields(dict(v), plan) if isinstance(v, dict) else v

    return decode_udt


def _collection_decoder(t: CqlT) -> Converter | None:
    subs = [decoder(p) for p in t.params]
    if t.name in ("list", "set"):
        if subs[0] is None:
            return None
        return list_of(subs[0]) if t.name == "list" else set_of(subs[0])
    if t.name == "tuple":
        return tuple_of(subs) if any(subs) else None
    key, value = subs
    return map_of(key, value, hashable_keys=True) if key or value else None


def decoder(t: CqlT) -> Converter | None:
    """The converter from acsylla's value of type ``t`` to the canonical value (None: already canonical)."""
    name = t.name
    scalar = _SCALARS.get(name)
    if scalar is not None:
        return scalar
    if name == "vector":
        return _vector_decoder(t)
    if name.startswith("udt:"):
        return _udt_decoder(t)
    if name in ("list", "set", "map", "tuple"):
        return _collection_decoder(t)
    return None


def row_converter(names: Sequence[str], types: dict[str, CqlT]) -> Callable[[Row], Row] | None:
    """A converter for rows with these column names (None when nothing needs converting)."""
    return row_converter_of(fields_plan(((n, types[n]) for n in names if n in types), decoder))


def rows(result: Any) -> list[Row]:
    """The rows of an acsylla result as dicts (acsylla's values, not yet converted)."""
    try:
        return [row.as_dict() for row in result.all()]
    except TypeError as error:
        raise unreadable(error) from error
    except (decimal.InvalidOperation, UnicodeDecodeError) as error:
        translated = exc_mod.DriverError(f"acsylla could not decode a value ({error!r}). {DECIMAL_REFUSED}")
        raise translated from error
