"""The native session's plan runners: one plan, run blocking and awaited alike."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from coodie.native.runner import (
    Plan,
    Step,
    awaited_only,
    blocking_only,
    call,
    one,
    pause,
    run_async,
    run_blocking,
)


class Echo:
    """A target with a blocking method and its awaitable twin, as the C connection has."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def say(self, value: Any) -> Any:
        self.calls.append(("blocking", value))
        if isinstance(value, BaseException):
            raise value
        return value

    async def say_async(self, value: Any) -> Any:
        self.calls.append(("awaited", value))
        await asyncio.sleep(0)
        if isinstance(value, BaseException):
            raise value
        return value


def conversation(echo: Echo) -> Plan[list[Any]]:
    """Results come back at the yield; a failing step's exception is raised there too."""
    heard = [(yield call(echo, "say", 1)), (yield call(echo, "say", "two"))]
    try:
        yield call(echo, "say", KeyError("three"))
    except KeyError as error:
        heard.append(f"caught {error.args[0]}")
    heard.append((yield from one(call(echo, "say", 4))))
    return heard


def test_the_same_plan_runs_blocking_and_awaited() -> None:
    blocking, awaited = Echo(), Echo()
    assert run_blocking(conversation(blocking)) == [1, "two", "caught three", 4]
    assert asyncio.run(run_async(conversation(awaited))) == [1, "two", "caught three", 4]
    assert [mode for mode, _ in blocking.calls] == ["blocking"] * 4
    assert [mode for mode, _ in awaited.calls] == ["awaited"] * 4
    assert [v for _, v in blocking.calls][:2] == [v for _, v in awaited.calls][:2]


def test_an_error_the_plan_does_not_handle_reaches_the_caller() -> None:
    def failing(echo: Echo) -> Plan[None]:
        yield call(echo, "say", ValueError("no"))

    with pytest.raises(ValueError, match="no"):
        run_blocking(failing(Echo()))
    with pytest.raises(ValueError, match="no"):
        asyncio.run(run_async(failing(Echo())))


def test_a_step_without_the_mode_s_form_is_refused() -> None:
    def only_blocking() -> Plan[int]:
        value: int = yield blocking_only(lambda x: x + 1, 1)
        return value

    assert run_blocking(only_blocking()) == 2
    with pytest.raises(TypeError, match="no form for the mode"):
        asyncio.run(run_async(only_blocking()))

    async def plus_one(x: int) -> int:
        return x + 1

    def only_awaited() -> Plan[int]:
        value: int = yield awaited_only(plus_one, 1)
        return value

    assert asyncio.run(run_async(only_awaited())) == 2
    with pytest.raises(TypeError, match="no form for the mode"):
        run_blocking(only_awaited())


def test_pause_sleeps_in_either_mode() -> None:
    def napping() -> Plan[str]:
        yield pause(0.05)
        return "rested"

    start = time.monotonic()
    assert run_blocking(napping()) == "rested"
    assert asyncio.run(run_async(napping())) == "rested"
    assert time.monotonic() - start >= 0.1


def test_a_cancelled_plan_cleans_up_at_once() -> None:
    cleaned: list[str] = []

    async def forever() -> None:
        await asyncio.sleep(3600)

    def holding() -> Plan[None]:
        try:
            yield Step(time.sleep, forever)
        finally:
            cleaned.append("closed")

    async def go() -> None:
        task = asyncio.ensure_future(run_async(holding()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cleaned == ["closed"], "the plan's clean-up ran when it was cancelled, not when collected"

    asyncio.run(go())
