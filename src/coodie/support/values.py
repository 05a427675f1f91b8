"""Value types and conversions that cross the driver contract.

A backend hands these to coodie and takes them from it, so they live below both
(``coodie.types`` re-exports them for users).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CqlDuration:
    """A CQL ``duration``: months, days and nanoseconds, each signed (all with one sign)."""

    months: int = 0
    days: int = 0
    nanoseconds: int = 0

    def __post_init__(self) -> None:
        signs = {(v > 0) - (v < 0) for v in (self.months, self.days, self.nanoseconds)} - {0}
        if len(signs) > 1:
            raise ValueError(f"{self!r}: months, days and nanoseconds must all have the same sign")


NANOS_PER_DAY = 86_400_000_000_000


def nanoseconds_to_time(ns: int) -> dt.time:
    """A CQL ``time`` (nanoseconds since midnight) as ``datetime.time`` (to the microsecond, truncated)."""
    seconds, rest = divmod(ns, 1_000_000_000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, rest // 1000)


def time_to_nanoseconds(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000_000 + t.microsecond * 1000
