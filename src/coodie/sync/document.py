"""Blocking documents: every method runs a plan shared with ``coodie.aio``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import Self

from coodie.drivers.base import Consistency
from coodie.operations.document import DocumentBase
from coodie.operations.plan import run_sync
from coodie.operations.results import LWTResult
from coodie.sync.batch import BatchQuery
from coodie.sync.query import QuerySet


class Document(DocumentBase):
    """A table row. Subclass it, annotate fields, call ``sync_table()``."""

    @classmethod
    def sync_table(cls, dry_run: bool = False, drop_removed_indexes: bool = False) -> list[str]:
        return run_sync(cls._plan_sync_table(dry_run, drop_removed_indexes))

    @classmethod
    def drop_table(cls) -> None:
        run_sync(cls._plan_drop_table())

    @classmethod
    def truncate(cls) -> None:
        run_sync(cls._plan_truncate())

    @classmethod
    def find(cls, **filters: Any) -> QuerySet[Self]:
        return QuerySet(cls).filter(**filters)

    @classmethod
    def find_one(cls, **filters: Any) -> Self | None:
        return cls.find(**filters).find_one()

    @classmethod
    def get(cls, **filters: Any) -> Self:
        return cls.find(**filters).get()

    @classmethod
    def create(cls, **fields: Any) -> Self:
        doc = cls(**fields)
        doc.save()
        return doc

    def save(
        self,
        ttl: int | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchQuery | None = None,
    ) -> None:
        run_sync(
            self._plan_save(
                ttl=ttl, timestamp=timestamp, consistency=consistency, timeout=timeout, batch=batch
            )
        )

    def insert(
        self,
        ttl: int | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchQuery | None = None,
        serial_consistency: str | Consistency | None = None,
    ) -> LWTResult | None:
        return run_sync(
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

    def update(
        self,
        *,
        if_conditions: Mapping[str, Any] | None = None,
        if_exists: bool = False,
        ttl: int | None = None,
        **fields: Any,
    ) -> LWTResult | None:
        return run_sync(self._plan_update(fields, if_conditions=if_conditions, if_exists=if_exists, ttl=ttl))

    def delete(
        self,
        if_exists: bool = False,
        if_conditions: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchQuery | None = None,
        serial_consistency: str | Consistency | None = None,
    ) -> LWTResult | None:
        return run_sync(
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

    def delete_columns(
        self,
        *names: str,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        timeout: float | None = None,
        batch: BatchQuery | None = None,
        collection_elements: list[tuple[str, Any]] | None = None,
    ) -> None:
        run_sync(
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

    def increment(
        self,
        consistency: str | None = None,
        timeout: float | None = None,
        batch: BatchQuery | None = None,
        **deltas: int,
    ) -> None:
        run_sync(self._plan_increment(deltas, consistency=consistency, timeout=timeout, batch=batch))

    def decrement(
        self,
        consistency: str | None = None,
        timeout: float | None = None,
        batch: BatchQuery | None = None,
        **deltas: int,
    ) -> None:
        run_sync(self._plan_increment(deltas, sign=-1, consistency=consistency, timeout=timeout, batch=batch))
