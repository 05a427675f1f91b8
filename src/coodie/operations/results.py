"""Result objects returned by coodie operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LWTResult:
    """The outcome of a lightweight transaction (``IF ...``).

    ``existing`` holds the row's current values when the condition failed.
    """

    applied: bool
    existing: dict[str, Any] | None = None

    def __bool__(self) -> bool:
        return self.applied

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> LWTResult:
        if not rows:
            return cls(True)
        row = rows[0]
        applied = bool(row.get("[applied]", True))
        existing = {k: v for k, v in row.items() if k != "[applied]"}
        return cls(applied, existing or None)


@dataclass(frozen=True, slots=True)
class PagedResult(Generic[T]):
    """One page of documents and the state to fetch the next (``None`` at the end)."""

    data: list[T] = field(default_factory=list)
    paging_state: bytes | None = None
