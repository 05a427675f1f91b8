"""Per-request options: one object from the caller to the wire.

:class:`ExecOptions` is built once (by the ODM, a batch, or a caller of
``coodie.native.Session``), validated once (here, when it is made) and handed
down unchanged; ``None`` in a field means "the backend's default", which each
backend resolves in one place (for the native driver: the session's
``consistency``, ``serial_consistency`` and ``request_timeout``). It lives
below both the driver contract and ``coodie.native`` so that the native
driver takes the very object the ODM built (``coodie.drivers.base`` re-exports
it under the same names).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Any

from coodie.exceptions import ConfigurationError


class Consistency(enum.IntEnum):
    """CQL consistency levels with their protocol codes."""

    ANY = 0x00
    ONE = 0x01
    TWO = 0x02
    THREE = 0x03
    QUORUM = 0x04
    ALL = 0x05
    LOCAL_QUORUM = 0x06
    EACH_QUORUM = 0x07
    SERIAL = 0x08
    LOCAL_SERIAL = 0x09
    LOCAL_ONE = 0x0A

    @classmethod
    def parse(cls, value: Consistency | str | int, *, option: str = "consistency") -> Consistency:
        """Accept a level, its name in any case, or its code; reject anything else clearly."""
        if isinstance(value, Consistency):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                pass
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        names = ", ".join(c.name for c in cls)
        raise ConfigurationError(f"{option}={value!r} is not a consistency level; use one of {names}")

    @classmethod
    def parse_serial(
        cls, value: Consistency | str | int, *, option: str = "serial_consistency"
    ) -> Consistency:
        """Like :meth:`parse`, accepting only the serial levels."""
        return cls.parse(value, option=option).require_serial(option)

    @property
    def is_serial(self) -> bool:
        return self in (Consistency.SERIAL, Consistency.LOCAL_SERIAL)

    def require_serial(self, option: str = "serial_consistency") -> Consistency:
        if not self.is_serial:
            raise ConfigurationError(f"{option}={self.name}: must be SERIAL or LOCAL_SERIAL")
        return self


@dataclass(frozen=True, slots=True)
class ExecOptions:
    """Per-request options. ``None`` means "the backend's default".

    Validated when made, so a backend passes the fields on without checking
    them again. :meth:`of` builds one from user-facing values (a level's name).
    """

    consistency: Consistency | None = None
    serial_consistency: Consistency | None = None
    timeout: float | None = None
    page_size: int | None = None
    paging_state: bytes | None = None
    timestamp: int | None = None

    def __post_init__(self) -> None:
        if self.timeout is not None and not self.timeout > 0:
            raise ConfigurationError(f"timeout={self.timeout!r}: must be a positive number of seconds")
        if self.page_size is not None and (isinstance(self.page_size, bool) or self.page_size <= 0):
            raise ConfigurationError(f"fetch_size={self.page_size!r}: must be a positive integer")
        if self.serial_consistency is not None:
            self.serial_consistency.require_serial()

    @classmethod
    def of(
        cls,
        *,
        consistency: Consistency | str | int | None = None,
        serial_consistency: Consistency | str | int | None = None,
        timeout: float | None = None,
        page_size: int | None = None,
        paging_state: bytes | None = None,
        timestamp: int | None = None,
    ) -> ExecOptions:
        """Options from what a user writes: levels by name (any case) or code."""
        if (consistency, serial_consistency, timeout, page_size, paging_state, timestamp) == (None,) * 6:
            return DEFAULT_OPTIONS  # shared, so backends can keep precomputed defaults for it
        return cls(
            consistency=None if consistency is None else Consistency.parse(consistency),
            serial_consistency=None
            if serial_consistency is None
            else Consistency.parse_serial(serial_consistency),
            timeout=timeout,
            page_size=page_size,
            paging_state=paging_state,
            timestamp=timestamp,
        )

    @property
    def paged(self) -> bool:
        return self.page_size is not None

    def describe(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


DEFAULT_OPTIONS = ExecOptions()

__all__ = ["DEFAULT_OPTIONS", "Consistency", "ExecOptions"]
