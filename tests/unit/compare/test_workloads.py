"""Benchmark operations are written once as steps; both runners drive them alike."""

import asyncio
from types import SimpleNamespace

from compare import workloads
from compare.run import variants

import coodie.aio
import coodie.sync
from coodie.batch import BatchQuery


def test_every_benchmark_has_an_operation_and_a_description():
    ks = workloads.KeySpace(base=0, ddl_prefix="t")
    m = workloads.build_models(coodie.sync.Document, BatchQuery)
    for spec in workloads.SPECS:
        assert callable(workloads.op_steps(spec.name, m, coodie.sync.Document, ks)), spec.name
        described = spec.describe()
        assert described["title"] and described["description"]


def test_models_live_in_the_benchmark_keyspace_for_both_apis():
    for document in (coodie.sync.Document, coodie.aio.Document):
        m = workloads.build_models(document, object)
        for model in (m.Item, m.Event, m.Notification, m.Order, m.Reading):
            assert model.Settings.keyspace == workloads.KEYSPACE


def steps():
    first = yield "a"
    second = yield first + "b"
    assert (first, second) == ("a", "ab")


def test_blocking_runner_sends_each_value_back():
    workloads.drive_sync(steps())  # the yielded values are already results


def test_asyncio_runner_awaits_each_step_and_sends_its_result():
    seen = []

    def gen():
        x = yield asyncio.sleep(0, result=1)
        seen.append(x)
        y = yield asyncio.sleep(0, result=x + 1)
        seen.append(y)

    asyncio.run(workloads.drive_async(gen()))
    assert seen == [1, 2]


def test_instantiation_needs_no_driver():
    ks = workloads.KeySpace(base=0, ddl_prefix="t")
    m = workloads.build_models(coodie.sync.Document, BatchQuery)
    op = workloads.op_steps("instantiate", m, coodie.sync.Document, ks)
    workloads.drive_sync(op(0, 5))


def test_lwt_operation_flips_its_row_state_only_when_applied():
    ks = workloads.KeySpace(base=100, ddl_prefix="t")
    applied = SimpleNamespace(applied=True)

    class Order:
        def __init__(self, id, status):
            self.id, self.status = id, status

        def update(self, status, if_conditions):
            assert if_conditions == {"status": self.status}
            return applied

    m = SimpleNamespace(Order=Order)
    op = workloads.op_steps("lwt_status", m, object, ks)
    workloads.drive_sync(op(3, 0))
    workloads.drive_sync(op(3, 1))
    assert ks.lwt_state[103] == "open"  # open → closed → open


def test_slow_or_serverside_benchmarks_do_not_run_64_in_flight():
    shapes = {(v.benchmark, v.concurrency) for v in variants(list(workloads.SPECS))}
    for name in ("scan_10k", "sync_table_noop", "sync_table_create", "instantiate"):
        assert (name, 64) not in shapes
    assert ("feed", 64) in shapes and ("lwt_status", 64) in shapes
