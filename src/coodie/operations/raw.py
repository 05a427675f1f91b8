"""Raw CQL: the caller's own statement with ``?`` parameters, its rows as dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coodie.drivers.base import AbstractDriver, Statement, needs_prepare
from coodie.operations.plan import Plan, execute


def plan_execute_raw(
    driver: AbstractDriver, cql: str, params: Sequence[Any] | None = None
) -> Plan[list[dict[str, Any]]]:
    result = yield from execute(
        driver, Statement(cql, tuple(params or ()), prepare=needs_prepare(cql, params))
    )
    return result.rows
