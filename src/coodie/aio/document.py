"""asyncio documents: every method awaits a plan shared with ``coodie.sync``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import Self

from coodie.aio.batch import AsyncBatchQuery
from coodie.aio.query import QuerySet
from coodie.drivers.base import Consistency
from coodie.operations.document import DocumentBase
from coodie.operations.plan import run_async
from coodie.operations.results import LWTResult


class Document(DocumentBase):
    """A table row. Subclass it, annotate fields, call ``sync_table()``."""

    @classmethod
    async def sync_table(cls, dry_run: bool = False, drop_removed_indexes: bool = False) -> list[str]:
        return await run_async(cls._plan_sync_table(dry_run, drop_removed_indexes))

    @classmethod
    async def drop_table(cls) -> None:
        await run_async(cls._plan_drop_table())

    @classmethod
    async def truncate(cls) -> None:
        await run_async(cls._plan_truncate())

    @classmethod
    def find(cls, **filters: Any) -> QuerySet[Self]:
        return QuerySet(cls).filter(**filters)

    @classmethod
    async def find_one(cls, **filters: Any) -> Self | None:
        return await cls.find(**filters).find_one()

    @classmethod
    async def get(cls, **filters: Any) -> Self:
        return await cls.find(**filters).get()

    @classmethod
    async def create(cls, **fields: Any) -> Self:
        doc = cls(**fields)
        await doc.save()
        return doc

    async def save(
        self,
        ttl: int | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: AsyncBatchQuery | None = None,
    ) -> None:
        await run_async(
            self._plan_save(
                ttl=ttl, timestamp=timestamp, consistency=consistency, timeout=timeout, batch=batch
            )
        )

    async def insert(
        self,
        ttl: int | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: AsyncBatchQuery | None = None,
        serial_consistency: str | Consistency | None = None,
    ) -> LWTResult | None:
        return await run_async(
            self._plan_save(
                ttl=ttl,
                timestamp=timestamp,
                consistency=consistency,
                timeout=timeout,
                batch=batch,
                if_not_exists=True,
                serial_consistency=serial_consistency,
            )
        )

    async def update(
        self,
        *,
        if_conditions: Mapping[str, Any] | None = None,
        if_exists: bool = False,
        ttl: int | None = None,
        **fields: Any,
    ) -> LWTResult | None:
        return await run_async(
            self._plan_update(fields, if_conditions=if_conditions, if_exists=if_exists, ttl=ttl)
        )

    async def delete(
        self,
        if_exists: bool = False,
        if_conditions: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: AsyncBatchQuery | None = None,
        serial_consistency: str | Consistency | None = None,
    ) -> LWTResult | None:
        return await run_async(
            self._plan_delete(
                if_exists=if_exists,
                if_conditions=if_conditions,
                timestamp=timestamp,
                consistency=consistency,
                serial_consistency=serial_consistency,
                timeout=timeout,
                batch=batch,
            )
        )

    async def delete_columns(
        self,
        *names: str,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: AsyncBatchQuery | None = None,
        collection_elements: list[tuple[str, Any]] | None = None,
    ) -> None:
        await run_async(
            self._plan_delete(
                timestamp=timestamp,
                consistency=consistency,
                timeout=timeout,
                batch=batch,
                columns=names,
                elements=tuple(collection_elements or ()),
            )
        )


class CounterDocument(Document):
    """A counter table: every non-key field is ``Annotated[int, Counter()]``."""

    async def increment(
        self,
        consistency: str | None = None,
        timeout: float | None = None,
        batch: AsyncBatchQuery | None = None,
        **deltas: int,
    ) -> None:
        await run_async(self._plan_increment(deltas, consistency=consistency, timeout=timeout, batch=batch))

    async def decrement(
        self,
        consistency: str | None = None,
        timeout: float | None = None,
        batch: AsyncBatchQuery | None = None,
        **deltas: int,
    ) -> None:
        await run_async(
            self._plan_increment(deltas, sign=-1, consistency=consistency, timeout=timeout, batch=batch)
        )
