"""The blocking QuerySet: terminal methods run the shared plans."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from coodie.operations.plan import run_sync
from coodie.operations.query import BaseQuerySet, D
from coodie.operations.results import LWTResult, PagedResult


class QuerySet(BaseQuerySet[D]):
    def all(self) -> list[D]:
        return run_sync(self._plan_all())

    def first(self) -> D | None:
        return run_sync(self._plan_first())  # type: ignore[no-any-return]

    def find_one(self) -> D | None:
        return run_sync(self._plan_find_one())  # type: ignore[no-any-return]

    def get(self) -> D:
        return run_sync(self._plan_get())  # type: ignore[no-any-return]

    def count(self) -> int:
        return run_sync(self._plan_count())

    def paged_all(self) -> PagedResult[D]:
        return run_sync(self._plan_page())

    def aggregate(self, **spec: str) -> dict[str, Any]:
        """``aggregate(total="sum(price)")`` → ``{"total": ...}`` in one query."""
        return run_sync(self._plan_aggregate(spec))

    def sum(self, column: str) -> Any:
        return run_sync(self._plan_function("SUM", column))

    def avg(self, column: str) -> Any:
        return run_sync(self._plan_function("AVG", column))

    def min(self, column: str) -> Any:
        return run_sync(self._plan_function("MIN", column))

    def max(self, column: str) -> Any:
        return run_sync(self._plan_function("MAX", column))

    def writetime(self, column: str) -> Any:
        """WRITETIME of a column in the first matching row (microseconds), or None."""
        return run_sync(self._plan_function("WRITETIME", column))

    def column_ttl(self, column: str) -> Any:
        """Remaining TTL of a column in the first matching row (seconds), or None."""
        return run_sync(self._plan_function("TTL", column))

    def json(self) -> list[str]:
        """The matching rows as JSON strings (``SELECT JSON``)."""
        return run_sync(self._plan_json())

    def delete(self, if_conditions: Mapping[str, Any] | None = None) -> LWTResult | None:
        return run_sync(self._plan_delete(if_conditions))

    def update(
        self, ttl: int | None = None, if_conditions: Mapping[str, Any] | None = None, **fields: Any
    ) -> LWTResult | None:
        return run_sync(self._plan_update(fields, ttl, if_conditions))

    def create(self, **fields: Any) -> LWTResult | None:
        return run_sync(self._plan_create(fields))

    def __iter__(self) -> Iterator[D]:
        """Rows page by page (``fetch_size`` rows per request), not all at once."""
        qs = self
        while True:
            page = run_sync(qs._plan_page())
            yield from page.data
            if page.paging_state is None or qs._state.fetch_size is None:
                return
            qs = qs.page(page.paging_state)

    def __len__(self) -> int:
        return self.count()
