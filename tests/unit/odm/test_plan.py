"""coodie.plan: plans and their two runners, over a fake driver — sync and async run the same plan."""

import asyncio
import uuid
import warnings
from typing import Annotated

import pytest

from coodie import aio, sync
from coodie.drivers.base import DEFAULT_OPTIONS, BatchType, ExecOptions, ResultPage, Statement
from coodie.exceptions import BlockingCallInEventLoopWarning, DriverError
from coodie.fields import PrimaryKey
from coodie.plan import Pause, Run, RunBatch, done, execute, execute_batch, run_async, run_sync

from .fakes import FakeDriver, models, yield_to_loop

# ------------------------------------------------------------------- runners --


def two_step_plan(driver):
    first = yield from execute(driver, Statement("SELECT 1", (1,)))
    second = yield from execute(
        driver, Statement("SELECT 2", (first.rows[0]["n"] + 1,)), ExecOptions(timeout=2.0)
    )
    return [r["n"] for r in first.rows + second.rows]


def numbering(cql, params, options):
    return ResultPage([{"n": params[0] * 10}])


def test_sync_and_async_runners_send_the_same_requests():
    a, b = FakeDriver(numbering), FakeDriver(numbering)
    assert run_sync(two_step_plan(a)) == [10, 110]
    assert asyncio.run(run_async(two_step_plan(b))) == [10, 110]
    assert a.log == b.log
    assert a.log[1] == ("run", "SELECT 2", (11,), ExecOptions(timeout=2.0))


def test_done_sends_nothing():
    d = FakeDriver()
    assert run_sync(done(42)) == 42
    assert asyncio.run(run_async(done("x"))) == "x"
    assert d.log == []


def failing(cql, params, options):
    raise DriverError(f"server said no to {cql}")


def recovering_plan(driver):
    try:
        yield from execute(driver, Statement("BAD"))
    except DriverError as exc:
        result = yield from execute(driver, Statement("FALLBACK"))
        return ("recovered", str(exc), result.rows)
    return "not reached"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_driver_errors_are_thrown_into_the_plan(flavour):
    def respond(cql, params, options):
        if cql == "BAD":
            return failing(cql, params, options)
        return ResultPage([{"ok": True}])

    d = FakeDriver(respond)
    plan = recovering_plan(d)
    result = run_sync(plan) if flavour == "sync" else asyncio.run(run_async(plan))
    assert result == ("recovered", "server said no to BAD", [{"ok": True}])
    assert [entry[1] for entry in d.log] == ["BAD", "FALLBACK"]


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_uncaught_errors_propagate_unchanged(flavour):
    d = FakeDriver(failing)
    plan = execute(d, Statement("X"))
    with pytest.raises(DriverError, match="no to X"):
        run_sync(plan) if flavour == "sync" else asyncio.run(run_async(plan))


def paused_plan(driver):
    yield Pause(0.01)
    yield from execute(driver, Statement("AFTER"))
    return "done"


def test_pause_sleeps_in_both_runners(monkeypatch):
    slept = []
    monkeypatch.setattr("coodie.operations.plan.time.sleep", slept.append)
    d = FakeDriver()
    assert run_sync(paused_plan(d)) == "done"
    assert slept == [0.01]

    awaited = []

    async def fake_sleep(seconds):
        awaited.append(seconds)
        await yield_to_loop(0)

    monkeypatch.setattr("coodie.operations.plan.asyncio.sleep", fake_sleep)
    assert asyncio.run(run_async(paused_plan(d))) == "done"
    assert awaited == [0.01]


def batch_plan(driver):
    statements = [Statement("A", (1,)), Statement("B", (2,))]
    return (yield from execute_batch(driver, statements, BatchType.UNLOGGED, ExecOptions()))


def test_batches_in_both_runners():
    a, b = FakeDriver(), FakeDriver()
    run_sync(batch_plan(a))
    asyncio.run(run_async(batch_plan(b)))
    assert a.log == b.log == [("batch", ("A", "B"), (BatchType.UNLOGGED, ((1,), (2,))), ExecOptions())]


def test_requests_are_immutable_values():
    d = FakeDriver()
    r = Run(d, Statement("X"))
    with pytest.raises(AttributeError):
        r.statement = Statement("Y")  # type: ignore[misc]
    assert RunBatch(d, (Statement("A"),), BatchType.LOGGED).batch_type is BatchType.LOGGED


# -------------------------------------------------- blocking call in a loop --


def test_sync_call_inside_a_running_loop_warns(fake):
    async def main():
        with pytest.warns(BlockingCallInEventLoopWarning) as record:
            run_sync(done(1))
        return record

    asyncio.run(main())


def test_blocking_warning_points_at_the_caller(fake):
    class W(sync.Document):
        id: Annotated[int, PrimaryKey()]

    async def main():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            W.find(id=1).all()
            W(id=1).save()
        return caught

    caught = [w for w in asyncio.run(main()) if issubclass(w.category, BlockingCallInEventLoopWarning)]
    assert len(caught) == 2
    assert all(w.filename == __file__ for w in caught), [w.filename for w in caught]


def test_no_warning_outside_a_loop(fake):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BlockingCallInEventLoopWarning)
        assert run_sync(done(1)) == 1


def test_async_api_inside_a_loop_does_not_warn(fake):
    class A(aio.Document):
        id: Annotated[int, PrimaryKey()]

    async def main():
        with warnings.catch_warnings():
            warnings.simplefilter("error", BlockingCallInEventLoopWarning)
            await A.find(id=1).all()
            await A(id=1).save()

    asyncio.run(main())


def test_plans_are_generators_that_do_nothing_until_run(fake):
    Item = models(sync.Document)
    plan = Item(shop=1, sku=str(uuid.uuid4()))._plan_save()
    assert fake.log == []
    request = next(plan)
    assert isinstance(request, Run) and request.driver is fake
    assert fake.log == []
    plan.close()


def failing_batch_plan(driver):
    try:
        yield from execute_batch(driver, [Statement("A")], BatchType.LOGGED, ExecOptions())
    except DriverError as exc:
        return f"caught {exc}"
    return "not reached"


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_batch_errors_are_thrown_into_the_plan(flavour):
    class RefusingBatches(FakeDriver):
        def run_batch(self, statements, batch_type, options=DEFAULT_OPTIONS):
            raise DriverError("batch too large")

    plan = failing_batch_plan(RefusingBatches())
    result = run_sync(plan) if flavour == "sync" else asyncio.run(run_async(plan))
    assert result == "caught batch too large"


def pause_reply_plan():
    reply = yield Pause(0)
    return reply


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_pause_is_answered_with_an_empty_page(flavour, monkeypatch):
    monkeypatch.setattr("coodie.operations.plan.time.sleep", lambda seconds: None)
    plan = pause_reply_plan()
    reply = run_sync(plan) if flavour == "sync" else asyncio.run(run_async(plan))
    assert reply == ResultPage()
    assert (reply.rows, reply.paging_state) == ([], None)


def test_every_request_of_a_plan_goes_to_its_own_driver():
    a, b = FakeDriver(), FakeDriver()

    def two_drivers():
        yield from execute(a, Statement("TO A"))
        yield from execute(b, Statement("TO B"))

    run_sync(two_drivers())
    assert ([e[1] for e in a.log], [e[1] for e in b.log]) == (["TO A"], ["TO B"])
