"""The blocking batch: ``with BatchQuery() as b: doc.save(batch=b)``."""

from __future__ import annotations

from types import TracebackType

from coodie.operations.batch import BatchBase
from coodie.operations.plan import run_sync
from coodie.operations.results import LWTResult


class BatchQuery(BatchBase):
    """``with BatchQuery() as b: doc.save(batch=b)`` — sent when the block ends without error."""

    def execute(self) -> LWTResult | None:
        return run_sync(self._plan_execute())

    def __enter__(self) -> BatchQuery:
        self.statements.clear()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is not None:
            self.statements.clear()
            return
        self.execute()
