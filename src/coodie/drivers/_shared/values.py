"""Building blocks of value converters, between a driver's values and coodie's canonical ones.

A converter takes one non-null value; ``None`` in place of a converter means
"leave the value as it is". Null values are never passed to a converter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers.base import Row
from coodie.support.values import NANOS_PER_DAY
from coodie.support.values import nanoseconds_to_time as _time_of_day

Converter = Callable[[Any], Any]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def identity(v: Any) -> Any:
    return v


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def hashable(v: Any) -> Any:
    """A collection as a set element or map key can hold it (sets, lists and dicts are not hashable)."""
    if isinstance(v, set):
        return frozenset(v)
    if isinstance(v, list):
        return tuple(v)
    if isinstance(v, dict):
        return tuple(v.items())
    return v


def convert_each(converters: Sequence[Converter | None], values: Iterable[Any]) -> Iterator[Any]:
    """Each value through the converter at its position."""
    return (c(v) if c is not None and v is not None else v for c, v in zip(converters, values))


def list_of(element: Converter) -> Converter:
    return lambda v: [element(x) if x is not None else x for x in v]


def set_of(element: Converter) -> Converter:
    return lambda v: {hashable(element(x)) for x in v}


def tuple_of(elements: Sequence[Converter | None]) -> Converter:
    return lambda v: tuple(convert_each(elements, v))


def map_of(key: Converter | None, value: Converter | None, *, hashable_keys: bool = False) -> Converter:
    """A map converter; ``hashable_keys`` makes collection keys hashable (for maps read back)."""
    if hashable_keys:
        return lambda v: {
            hashable(key(k) if key else k): (value(x) if value and x is not None else x) for k, x in v.items()
        }
    return lambda v: {
        (key(k) if key else k): (value(x) if value and x is not None else x) for k, x in v.items()
    }


def convert_fields(values: dict[str, Any], plan: Sequence[tuple[str, Converter]]) -> dict[str, Any]:
    """Convert, in place, the non-null entries of ``values`` that ``plan`` names; returns ``values``."""
    for name, convert in plan:
        v = values.get(name)
        if v is not None:
            values[name] = convert(v)
    return values


def fields_plan(
    fields: Iterable[tuple[str, Any]], converter: Callable[[Any], Converter | None]
) -> list[tuple[str, Converter]]:
    """(name, converter) for each (name, type) whose type needs converting, as :func:`convert_fields` takes it."""
    return [(name, c) for name, t in fields for c in [converter(t)] if c is not None]


def row_converter_of(plan: Sequence[tuple[str, Converter]]) -> Callable[[Row], Row] | None:
    """A converter of dict rows by column name (None when no column needs converting)."""
    if not plan:
        return None
    return lambda row: convert_fields(row, plan)


def as_utc(v: Any) -> Any:
    """A naive ``datetime`` read from a driver as the UTC instant it is (aware values pass as they are)."""
    return v.replace(tzinfo=dt.timezone.utc) if isinstance(v, dt.datetime) and v.tzinfo is None else v


def nanoseconds_to_time(ns: int, *, sender: str) -> dt.time:
    """A CQL ``time`` given as nanoseconds since midnight as a ``datetime.time``, for a driver that
    sends time with microsecond precision (``sender`` says which, in the error message)."""
    if not 0 <= ns < NANOS_PER_DAY:
        raise exc_mod.InvalidQueryError(
            f"time value {ns!r}: nanoseconds since midnight must be in [0, 86400e9)"
        )
    if ns % 1000:
        raise exc_mod.InvalidQueryError(
            f"time value {ns} ns: {sender} time with microsecond precision; {ns} is not a whole number of "
            "microseconds"
        )
    return _time_of_day(ns)
