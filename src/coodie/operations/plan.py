"""Plans: every operation written once, as a generator of driver requests.

A plan yields :class:`Run` / :class:`RunBatch` requests and receives each
request's :class:`ResultPage`; its return value is the operation's result.
``run_sync`` drives a plan with blocking driver calls, ``run_async`` with
awaited ones — so ``coodie.sync`` and ``coodie.aio`` share every line of logic.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from coodie.drivers.base import DEFAULT_OPTIONS, AbstractDriver, BatchType, ExecOptions, ResultPage, Statement
from coodie.exceptions import BlockingCallInEventLoopWarning

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Run:
    driver: AbstractDriver
    statement: Statement
    options: ExecOptions = DEFAULT_OPTIONS


@dataclass(frozen=True, slots=True)
class RunBatch:
    driver: AbstractDriver
    statements: tuple[Statement, ...]
    batch_type: BatchType
    options: ExecOptions = DEFAULT_OPTIONS


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before the next request (e.g. between schema-agreement checks)."""

    seconds: float


Request = Run | RunBatch | Pause
Plan = Generator[Request, ResultPage, T]


def execute(
    driver: AbstractDriver, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS
) -> Plan[ResultPage]:
    """The smallest plan: one statement."""
    return (yield Run(driver, statement, options))


def execute_batch(
    driver: AbstractDriver, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions
) -> Plan[ResultPage]:
    return (yield RunBatch(driver, tuple(statements), batch_type, options))


def done(value: T) -> Plan[T]:
    """A plan that sends nothing."""
    yield from ()
    return value


def run_sync(plan: Plan[T]) -> T:
    """Drive a plan with blocking driver calls."""
    _warn_if_in_event_loop()
    try:
        request = next(plan)
        while True:
            try:
                if isinstance(request, Run):
                    result = request.driver.run(request.statement, request.options)
                elif isinstance(request, Pause):
                    time.sleep(request.seconds)
                    result = ResultPage()
                else:
                    result = request.driver.run_batch(request.statements, request.batch_type, request.options)
            except Exception as exc:  # let the plan handle or re-raise it at its own line
                request = plan.throw(exc)
            else:
                request = plan.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def run_async(plan: Plan[T]) -> T:
    """Drive a plan with awaited driver calls."""
    try:
        request = next(plan)
        while True:
            try:
                if isinstance(request, Run):
                    result = await request.driver.run_async(request.statement, request.options)
                elif isinstance(request, Pause):
                    await asyncio.sleep(request.seconds)
                    result = ResultPage()
                else:
                    result = await request.driver.run_batch_async(
                        request.statements, request.batch_type, request.options
                    )
            except Exception as exc:
                request = plan.throw(exc)
            else:
                request = plan.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def _warn_if_in_event_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    warnings.warn(
        "a blocking coodie.sync call runs inside a running event loop and blocks it; "
        "use coodie.aio (await ...) in async code",
        BlockingCallInEventLoopWarning,
        stacklevel=4,
    )
