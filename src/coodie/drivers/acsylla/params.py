"""Parameters as acsylla binds them.

``CqlDuration`` is sent as ``(months, days, nanoseconds)``. acsylla binds a
plain ``int`` to a ``time`` column as seconds and to a ``timestamp`` column as
seconds since the epoch, and wants bytes for a ``varint`` or a ``vector``; how
each parameter must be sent is learned once per prepared statement (from
acsylla's own errors) and kept with it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import struct
import uuid
from collections.abc import Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.values import EPOCH, is_int, nanoseconds_to_time
from coodie.drivers.acsylla.values import DECIMAL_REFUSED, varint_to_bytes
from coodie.support.values import CqlDuration

_PLAIN_TYPES = frozenset(
    {
        str,
        int,
        float,
        bool,
        bytes,
        type(None),
        uuid.UUID,
        dt.datetime,
        dt.date,
        dt.time,
        dt.timedelta,
        ipaddress.IPv4Address,
        ipaddress.IPv6Address,
    }
)


def adapt(v: Any) -> Any:
    """A canonical Python value as acsylla binds it (recursively)."""
    t = type(v)
    if t in _PLAIN_TYPES:
        return v
    if isinstance(v, CqlDuration):
        return (v.months, v.days, v.nanoseconds)
    if isinstance(v, decimal.Decimal):
        raise exc_mod.InvalidQueryError(DECIMAL_REFUSED)
    fields = getattr(t, "model_fields", None)
    if isinstance(fields, dict):  # a UDT model
        return {name: adapt(getattr(v, name, None)) for name in fields}
    if isinstance(v, list | tuple):
        return t(adapt(x) for x in v) if t in (list, tuple) else [adapt(x) for x in v]
    if isinstance(v, set | frozenset):
        return {_frozen(adapt(x)) for x in v}
    if isinstance(v, dict):
        return {_frozen(adapt(k)): adapt(x) for k, x in v.items()}
    return v


def _frozen(v: Any) -> Any:
    return frozenset(v) if isinstance(v, set) else v


# How a parameter is sent, learned per prepared statement and parameter index.
PLAIN, VARINT, FLOAT_VECTOR, VARINT_ITEMS, TIME_NS, TIMESTAMP_MS = 0, 1, 2, 3, 4, 5


def _is_number_sequence(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in v
    )


def convert_param(v: Any, mode: int) -> Any:
    if v is None or mode == PLAIN:
        return v
    if mode == VARINT and is_int(v):
        return varint_to_bytes(v)
    if mode == TIME_NS and is_int(v):
        return nanoseconds_to_time(v, sender="acsylla binds")
    if mode == TIMESTAMP_MS and is_int(v):
        return EPOCH + dt.timedelta(milliseconds=v)
    if mode == FLOAT_VECTOR and _is_number_sequence(v):
        return struct.pack(f">{len(v)}f", *v)
    if mode == VARINT_ITEMS:
        if isinstance(v, list | tuple):
            return [varint_to_bytes(x) if is_int(x) else x for x in v]
        if isinstance(v, set | frozenset):
            return {varint_to_bytes(x) if is_int(x) else x for x in v}
    return v


class _Probe:
    """A value no CQL type accepts: binding it makes acsylla say what the parameter's type wants."""

    def __repr__(self) -> str:
        return "<probe>"


def probe_int_mode(statement: Any, index: int) -> int:
    """How an ``int`` must be sent for parameter ``index`` of an acsylla prepared statement.

    acsylla binds a plain ``int`` to a ``time`` column as seconds and to a
    ``timestamp`` column as seconds since the epoch, and wants bytes for a
    ``varint``. Its error for an unbindable value tells these apart.
    """
    try:
        statement.bind().bind(index, _Probe())
    except TypeError as error:
        if "unsupported operand" not in str(error):
            return PLAIN
    except ValueError as error:
        return VARINT if wants_bytes(error) else PLAIN
    except Exception:
        return PLAIN
    else:
        return PLAIN
    # a time or a timestamp: only a time accepts a datetime.time
    try:
        statement.bind().bind(index, dt.time(0, 0))
    except Exception:
        return TIMESTAMP_MS
    return TIME_NS


def _bytes_candidates(v: Any) -> list[int]:
    if is_int(v):
        return [VARINT]
    out = []
    if _is_number_sequence(v) and v:
        out.append(FLOAT_VECTOR)
    if isinstance(v, list | tuple | set | frozenset) and any(isinstance(x, int) for x in v):
        out.append(VARINT_ITEMS)
    return out


def wants_bytes(error: BaseException) -> bool:
    """Whether acsylla refused a value because the parameter wants bytes."""
    return isinstance(error, ValueError) and "is not bytes" in str(error)


class Prepared:
    """An acsylla prepared statement plus, per parameter, how acsylla wants it sent."""

    __slots__ = ("cql", "modes", "statement")

    def __init__(self, cql: str, statement: Any) -> None:
        self.cql = cql
        self.statement = statement
        self.modes: dict[int, int] = {}

    def bind(self, params: Sequence[Any], **kwargs: Any) -> Any:
        values = [adapt(v) for v in params]
        modes = self.modes
        for i, v in enumerate(values):
            if i not in modes and is_int(v):
                modes[i] = probe_int_mode(self.statement, i)
        for i, mode in modes.items():
            if mode != PLAIN and i < len(values):
                values[i] = convert_param(values[i], mode)
        stmt = self.statement.bind(**kwargs)
        if not values:
            return stmt
        try:
            stmt.bind_list(values)
        except ValueError as error:
            if not wants_bytes(error):
                raise
            stmt = self.statement.bind(**kwargs)
            self._bind_learning(stmt, values)
        return stmt

    def _bind_learning(self, stmt: Any, values: list[Any]) -> None:
        for i, v in enumerate(values):
            try:
                stmt.bind(i, v)
                continue
            except ValueError as error:
                if not wants_bytes(error):
                    raise
                first = error
            for mode in _bytes_candidates(v):
                try:
                    stmt.bind(i, convert_param(v, mode))
                except ValueError:
                    continue
                self.modes[i] = mode
                break
            else:
                raise first
