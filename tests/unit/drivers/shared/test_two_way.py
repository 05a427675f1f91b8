"""TwoWayDriver: the contract's four request methods from one request and two runners."""

import asyncio

from coodie.drivers._shared.two_way import TwoWayDriver
from coodie.drivers.base import DEFAULT_OPTIONS, BatchType, ExecOptions, ResultPage, Statement


class Recorder(TwoWayDriver[tuple]):
    """Requests are tuples saying what was asked; the runners say how it ran."""

    driver_types = ("recorder",)

    def _execute(self, statement, options):
        return ("one", statement, options)

    def _execute_batch(self, statements, batch_type, options):
        return ("batch", statements, batch_type, options)

    def _wait(self, request):
        return ResultPage([{"how": "waited", "request": request}])

    async def _wait_async(self, request):
        await asyncio.sleep(0)
        return ResultPage([{"how": "awaited", "request": request}])

    def close(self):
        pass

    async def close_async(self):
        pass


def _only(page):
    (row,) = page.rows
    return row["how"], row["request"]


def test_run_and_run_async_share_the_request():
    d, s, o = Recorder(), Statement("SELECT 1"), ExecOptions(page_size=5)
    assert _only(d.run(s, o)) == ("waited", ("one", s, o))
    assert _only(asyncio.run(d.run_async(s, o))) == ("awaited", ("one", s, o))
    assert _only(d.run(s)) == ("waited", ("one", s, DEFAULT_OPTIONS))


def test_batches_take_any_sequence_as_a_tuple():
    d, o = Recorder(), ExecOptions(timeout=2.0)
    statements = [Statement("INSERT 1"), Statement("INSERT 2")]
    expected = ("batch", tuple(statements), BatchType.UNLOGGED, o)
    assert _only(d.run_batch(statements, BatchType.UNLOGGED, o)) == ("waited", expected)
    assert _only(asyncio.run(d.run_batch_async(statements, BatchType.UNLOGGED, o))) == ("awaited", expected)
