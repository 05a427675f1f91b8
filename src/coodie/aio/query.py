"""The asyncio QuerySet: terminal methods await the shared plans."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from coodie.plan import run_async
from coodie.query import BaseQuerySet, D
from coodie.results import LWTResult, PagedResult


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
