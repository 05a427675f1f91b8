"""Plans of the native session and their two runners.

The session's rare paths (connecting, the handshake, peer discovery, preparing
and re-preparing, paging, batches, schema agreement, loading the token ring,
heartbeats) are written once, as generators that yield :class:`Step` requests
and receive each step's result (or have its exception thrown in at the
``yield``). :func:`run_blocking` performs every step as a blocking call,
:func:`run_async` awaits it: the same convention as the C connection's, where
each blocking method ``name`` has an awaitable twin ``name_async``.

The hot path (executing an already prepared statement on a ready connection)
does not come through here: the session calls the C extension directly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to do, in either mode: ``blocking(*args)`` or ``await awaited(*args)``."""

    blocking: Callable[..., Any]
    awaited: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...] = ()


Plan = Generator[Step, Any, T]


def _absent(*args: Any) -> Any:
    raise TypeError("this step has no form for the mode the plan runs in")


def call(target: Any, name: str, *args: Any) -> Step:
    """``target.name(*args)`` when blocking, ``await target.name_async(*args)`` under asyncio."""
    return Step(getattr(target, name, _absent), getattr(target, name + "_async", _absent), args)


def blocking_only(function: Callable[..., Any], *args: Any) -> Step:
    """A step given as a blocking function only (a plan run by :func:`run_blocking`)."""
    return Step(function, _absent, args)


def awaited_only(function: Callable[..., Awaitable[Any]], *args: Any) -> Step:
    """A step given as a coroutine function only (a plan run by :func:`run_async`)."""
    return Step(_absent, function, args)


def one(step: Step) -> Plan[Any]:
    """The smallest plan: one step, its result returned."""
    return (yield step)


def pause(seconds: float) -> Step:
    """Wait before the next step (between schema-agreement checks)."""
    return Step(time.sleep, asyncio.sleep, (seconds,))


async def _drive(plan: Plan[T], blocking: bool) -> T:
    """The one loop behind both runners; with ``blocking`` it never suspends."""
    reply: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                step = plan.send(reply) if error is None else plan.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                reply = step.blocking(*step.args) if blocking else await step.awaited(*step.args)
                error = None
            except Exception as exc:  # the plan handles or re-raises it at its own line
                reply, error = None, exc
    finally:
        plan.close()  # a cancelled plan runs its own clean-up now, not when collected


def run_blocking(plan: Plan[T]) -> T:
    """Run a plan with blocking calls."""
    driving: Coroutine[Any, Any, T] = _drive(plan, True)
    try:
        driving.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    driving.close()
    raise RuntimeError("a plan run blocking awaited something")


async def run_async(plan: Plan[T]) -> T:
    """Run a plan on the running event loop."""
    return await _drive(plan, False)
