"""Steps over futures: one generator, run blocking or awaited, with the same outcome."""

import asyncio

import pytest

from coodie.drivers._shared.futures import wait, wait_async


class Future:
    """A future that is done: waited on with result(), or awaited."""

    def __init__(self, value=None, error=None):
        self.value, self.error = value, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value

    def __await__(self):
        yield from ()
        return self.result()


def adding(*futures):
    total = 0
    for f in futures:
        total += yield f
    return total


def recovering():
    try:
        yield Future(error=KeyError("gone"))
    except KeyError as error:
        caught = error.args[0]
    value = yield Future(1)
    return caught, value


def both(steps_factory):
    return wait(steps_factory()), asyncio.run(wait_async(steps_factory()))


def test_results_are_sent_back_and_the_return_value_is_the_outcome():
    assert both(lambda: adding(Future(1), Future(2), Future(3))) == (6, 6)


def test_no_future_at_all():
    def nothing():
        return "done"
        yield  # a generator

    assert both(nothing) == ("done", "done")


def test_a_future_error_is_raised_at_its_yield():
    assert both(recovering) == (("gone", 1), ("gone", 1))


def test_an_unhandled_error_leaves_the_runner():
    with pytest.raises(ValueError, match="bad"):
        wait(adding(Future(1), Future(error=ValueError("bad"))))
    with pytest.raises(ValueError, match="bad"):
        asyncio.run(wait_async(adding(Future(1), Future(error=ValueError("bad")))))


def test_wait_async_awaits_pending_futures_on_the_loop():
    async def main():
        loop = asyncio.get_running_loop()
        pending = loop.create_future()
        loop.call_later(0.01, pending.set_result, 41)
        return await wait_async(adding(pending, Future(1)))

    assert asyncio.run(main()) == 42


def test_cancelling_the_awaiting_task_reaches_the_steps():
    seen = []

    def steps(pending):
        try:
            yield pending
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    async def main():
        pending = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(wait_async(steps(pending)))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert seen == ["cancelled"]
