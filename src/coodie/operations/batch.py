"""Batches: statements collected in a ``with`` block and sent as one native BATCH.

Nothing is sent when the block raises. Each statement is prepared on its own
(no concatenated CQL text), so batches reuse the prepared-statement cache.
:class:`BatchBase` collects and plans; ``coodie.sync.batch.BatchQuery`` and
``coodie.aio.batch.AsyncBatchQuery`` run that plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coodie.drivers import get_driver
from coodie.drivers.base import BatchType, Consistency, ExecOptions, Statement, needs_prepare
from coodie.exceptions import InvalidQueryError
from coodie.operations.plan import Plan, execute_batch
from coodie.operations.results import LWTResult


class BatchBase:
    def __init__(
        self,
        logged: bool = True,
        batch_type: str | BatchType | None = None,
        timestamp: int | None = None,
        consistency: str | Consistency | None = None,
        serial_consistency: str | Consistency | None = None,
        timeout: float | None = None,
        connection: str | None = None,
    ) -> None:
        if batch_type is None:
            self.batch_type = BatchType.LOGGED if logged else BatchType.UNLOGGED
        else:
            try:
                self.batch_type = BatchType(str(getattr(batch_type, "value", batch_type)).upper())
            except ValueError:
                raise InvalidQueryError(
                    f"batch_type={batch_type!r}: use one of {', '.join(t.value for t in BatchType)}"
                ) from None
        self.options = ExecOptions.of(
            consistency=consistency,
            serial_consistency=serial_consistency or None,
            timeout=timeout,
            timestamp=timestamp,
        )
        self.connection = connection
        self.statements: list[Statement] = []

    def add(self, stmt: str, params: Sequence[Any] | None = None) -> None:
        """Add a CQL statement with its ``?`` parameters."""
        self.add_statement(Statement(stmt, tuple(params or ()), prepare=needs_prepare(stmt, params)))

    def add_statement(self, statement: Statement) -> None:
        if self.batch_type is BatchType.COUNTER and not statement.cql.lstrip().upper().startswith("UPDATE"):
            raise InvalidQueryError(f"a COUNTER batch takes counter UPDATEs only, not: {statement.cql}")
        self.statements.append(statement)

    def __len__(self) -> int:
        return len(self.statements)

    def _plan_execute(self) -> Plan[LWTResult | None]:
        statements, self.statements = self.statements, []
        if not statements:
            return None
        driver = get_driver(self.connection)
        result = yield from execute_batch(driver, statements, self.batch_type, self.options)
        lwt = any(" IF " in s.cql for s in statements)
        return LWTResult.from_rows(result.rows) if lwt else None
