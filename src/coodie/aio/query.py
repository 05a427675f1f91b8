"""The asyncio QuerySet: terminal methods await the shared plans."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from coodie.operations.plan import run_async
from coodie.operations.query import BaseQuerySet, D
from coodie.operations.results import LWTResult, PagedResult


class QuerySet(BaseQuerySet[D]):
    async def all(self) -> list[D]:
        return await run_async(self._plan_all())

    async def first(self) -> D | None:
        return await run_async(self._plan_first())

    async def find_one(self) -> D | None:
        return await run_async(self._plan_find_one())

    async def get(self) -> D:
        return await run_async(self._plan_get())

    async def count(self) -> int:
        return await run_async(self._plan_count())

    async def paged_all(self) -> PagedResult[D]:
        return await run_async(self._plan_page())

    async def aggregate(self, **spec: str) -> dict[str, Any]:
        """``aggregate(total="sum(price)")`` → ``{"total": ...}`` in one query."""
        return await run_async(self._plan_aggregate(spec))

    async def sum(self, column: str) -> Any:
        return await run_async(self._plan_function("SUM", column))

    async def avg(self, column: str) -> Any:
        return await run_async(self._plan_function("AVG", column))

    async def min(self, column: str) -> Any:
        return await run_async(self._plan_function("MIN", column))

    async def max(self, column: str) -> Any:
        return await run_async(self._plan_function("MAX", column))

    async def writetime(self, column: str) -> Any:
        """WRITETIME of a column in the first matching row (microseconds), or None."""
        return await run_async(self._plan_function("WRITETIME", column))

    async def column_ttl(self, column: str) -> Any:
        """Remaining TTL of a column in the first matching row (seconds), or None."""
        return await run_async(self._plan_function("TTL", column))

    async def json(self) -> list[str]:
        """The matching rows as JSON strings (``SELECT JSON``)."""
        return await run_async(self._plan_json())

    async def delete(self, if_conditions: Mapping[str, Any] | None = None) -> LWTResult | None:
        return await run_async(self._plan_delete(if_conditions))

    async def update(
        self, ttl: int | None = None, if_conditions: Mapping[str, Any] | None = None, **fields: Any
    ) -> LWTResult | None:
        return await run_async(self._plan_update(fields, ttl, if_conditions))

    async def create(self, **fields: Any) -> LWTResult | None:
        return await run_async(self._plan_create(fields))

    async def __aiter__(self) -> AsyncIterator[D]:
        """Rows page by page (``fetch_size`` rows per request), not all at once."""
        qs = self
        while True:
            page = await run_async(qs._plan_page())
            for item in page.data:
                yield item
            if page.paging_state is None or qs._state.fetch_size is None:
                return
            qs = qs.page(page.paging_state)
