"""Backend logic written once for blocking and asyncio callers, as steps over a driver's futures.

A driver whose requests return a future that can be both waited on
(``future.result()``, from any thread) and awaited (from any loop) needs no
second copy of its logic for asyncio: write it once as a generator that yields
each future and receives its result, and run it with :func:`wait` (blocking)
or :func:`wait_async` (awaiting). A future's exception is raised inside the
generator at its ``yield``, so ``try``/``with`` blocks there handle it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

T = TypeVar("T")

#: a generator yielding futures, receiving their results, returning a T
Steps = Generator[Any, Any, T]


def wait(steps: Steps[T]) -> T:
    """Run ``steps`` in this thread, waiting on each future it yields."""
    try:
        future = next(steps)
        while True:
            future = _resume(steps, *_outcome(future))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def wait_async(steps: Steps[T]) -> T:
    """Run ``steps`` on the running event loop, awaiting each future it yields."""
    try:
        future = next(steps)
        while True:
            future = _resume(steps, *await _outcome_async(future))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def _outcome(future: Any) -> tuple[Any, BaseException | None]:
    try:
        return future.result(), None
    except BaseException as error:
        return None, error


async def _outcome_async(future: Any) -> tuple[Any, BaseException | None]:
    try:
        return await future, None
    except BaseException as error:
        return None, error


def _resume(steps: Steps[Any], value: Any, error: BaseException | None) -> Any:
    """Hand a future's outcome to ``steps``; returns the next future (StopIteration when done)."""
    return steps.throw(error) if error is not None else steps.send(value)
