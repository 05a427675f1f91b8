"""The asyncio batch: ``async with AsyncBatchQuery() as b: await doc.save(batch=b)``."""

from __future__ import annotations

from types import TracebackType

from coodie.operations.batch import BatchBase
from coodie.operations.plan import run_async
from coodie.operations.results import LWTResult


class AsyncBatchQuery(BatchBase):
    """``async with AsyncBatchQuery() as b: await doc.save(batch=b)``."""

    async def execute(self) -> LWTResult | None:
        return await run_async(self._plan_execute())

    async def __aenter__(self) -> AsyncBatchQuery:
        self.statements.clear()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.statements.clear()
            return
        await self.execute()
