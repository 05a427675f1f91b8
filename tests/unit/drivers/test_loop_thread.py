"""The loop-thread bridge: blocking calls from threads and from inside a running loop, awaits from other loops."""

import asyncio
import threading

import pytest

from coodie.drivers._shared.loop_thread import ForeignLoop, LoopThread
from coodie.exceptions import ConfigurationError


async def _where() -> int:
    await asyncio.sleep(0)
    return threading.get_ident()


@pytest.fixture
def lt():
    thread = LoopThread("test-loop").start()
    yield thread
    thread.stop()


def test_blocking_call_runs_on_the_loop_thread(lt):
    assert lt.call(_where()) == lt.thread_id != threading.get_ident()


def test_blocking_call_from_several_plain_threads(lt):
    results = []
    threads = [threading.Thread(target=lambda: results.append(lt.call(_where()))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [lt.thread_id] * 8


def test_blocking_call_inside_a_running_loop(lt):
    async def user_code():
        return lt.call(_where())  # blocks this loop, but the driver's loop is another thread

    assert asyncio.run(user_code()) == lt.thread_id


def test_await_from_another_loop_does_not_block_it(lt):
    async def slow():
        await asyncio.sleep(0.05)
        return threading.get_ident()

    async def user_code():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        task = asyncio.create_task(ticker())
        got = await lt.acall(slow())
        task.cancel()
        return got, ticks

    got, ticks = asyncio.run(user_code())
    assert got == lt.thread_id
    assert ticks > 3


def test_await_on_the_loop_itself_runs_directly(lt):
    async def nested():
        return await lt.acall(_where())

    assert lt.call(nested()) == lt.thread_id


def test_blocking_call_on_the_loop_itself_is_refused(lt):
    async def nested():
        coro = _where()
        with pytest.raises(ConfigurationError, match="own event loop"):
            lt.call(coro)
        return True

    assert lt.call(nested()) is True


def test_errors_travel_back(lt):
    async def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        lt.call(boom())

    async def user():
        with pytest.raises(KeyError):
            await lt.acall(boom())

    asyncio.run(user())


def test_cancelling_the_awaiting_task_cancels_the_request(lt):
    started, cancelled = threading.Event(), threading.Event()

    async def forever():
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def user():
        task = asyncio.create_task(lt.acall(forever()))
        await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(user())
    assert cancelled.wait(5)


def test_stop_joins_the_thread_and_closes_the_loop():
    before = threading.active_count()
    lt = LoopThread("short").start()
    assert threading.active_count() == before + 1
    lt.call(_where())
    lt.stop()
    assert not lt.thread.is_alive()
    assert lt.loop.is_closed()
    assert threading.active_count() == before
    lt.stop()  # twice is fine
    coro = _where()
    with pytest.raises(ConfigurationError):
        lt.call(coro)


def test_stop_cancels_pending_work():
    lt = LoopThread("pending").start()
    started, cancelled = threading.Event(), threading.Event()

    async def forever():
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    asyncio.run_coroutine_threadsafe(forever(), lt.loop)
    assert started.wait(5)
    lt.stop()
    assert cancelled.is_set()
    assert not lt.thread.is_alive()


def test_foreign_loop_runs_on_the_callers_loop():
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        runner = ForeignLoop(loop)
        assert runner.call(_where()) == thread.ident
        runner.stop()  # not ours: nothing happens
        assert loop.is_running()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_foreign_loop_that_is_not_running_is_reported():
    loop = asyncio.new_event_loop()
    try:
        coro = _where()
        with pytest.raises(ConfigurationError, match="not running"):
            ForeignLoop(loop).call(coro)
    finally:
        loop.close()
