"""Plans and their runners, with a fake driver: sync and async run the same plan."""

import asyncio
import uuid
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import pytest

import coodie.drivers as drivers
from coodie import aio, sync
from coodie.batch import AsyncBatchQuery, BatchQuery
from coodie.drivers.base import (
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    Consistency,
    ExecOptions,
    ResultPage,
    Statement,
)
from coodie.exceptions import (
    BlockingCallInEventLoopWarning,
    ConfigurationError,
    DriverError,
    InvalidQueryError,
    MultipleDocumentsFound,
)
from coodie.fields import ClusteringKey, PrimaryKey
from coodie.plan import Pause, Run, RunBatch, done, execute, execute_batch, run_async, run_sync
from coodie.results import LWTResult, PagedResult

_yield_to_loop = asyncio.sleep  # kept before any test patches asyncio.sleep
Responder = Callable[[str, tuple[Any, ...], ExecOptions], ResultPage]


class FakeDriver(AbstractDriver):
    """Records every request; answers from ``respond`` (empty pages by default)."""

    driver_types = ("fake",)

    def __init__(self, respond: Responder | None = None, keyspace: str = "ks") -> None:
        super().__init__(keyspace)
        self.respond = respond or (lambda cql, params, options: ResultPage())
        self.log: list[tuple[str, Any, Any, ExecOptions]] = []
        self.closed = False

    def _answer(self, statement: Statement, options: ExecOptions) -> ResultPage:
        self.log.append(("run", statement.cql, statement.params, options))
        return self.respond(statement.cql, statement.params, options)

    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return self._answer(statement, options)

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        await _yield_to_loop(0)
        return self._answer(statement, options)

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        self.log.append(
            (
                "batch",
                tuple(s.cql for s in statements),
                (batch_type, tuple(s.params for s in statements)),
                options,
            )
        )
        return ResultPage()

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        await _yield_to_loop(0)
        return self.run_batch(statements, batch_type, options)

    def close(self) -> None:
        self.closed = True

    async def close_async(self) -> None:
        self.closed = True


@pytest.fixture
def fake():
    saved_registry, saved_default = dict(drivers._registry), drivers._default_name
    driver = FakeDriver()
    drivers._registry.clear()
    drivers.register_driver("default", driver, default=True)
    yield driver
    drivers._registry.clear()
    drivers._registry.update(saved_registry)
    drivers._default_name = saved_default


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
        await _yield_to_loop(0)

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


# ------------------------------------------ documents over the fake driver --


def models(base):
    class Item(base):
        shop: Annotated[int, PrimaryKey()]
        sku: Annotated[str, ClusteringKey()]
        price: float = 0.0
        tags: set[str] = set()
        note: str | None = None

        class Settings:
            name = "items"

    return Item


def run_in(flavour, value):
    return value if flavour == "sync" else asyncio.run(value)


def workload(Item, flavour):
    """The same operations through one flavour; returns the results."""
    r = lambda v: run_in(flavour, v)  # noqa: E731
    doc = Item(shop=1, sku="a", price=2.5, tags={"x"})
    out: list[Any] = []
    out.append(r(doc.save(ttl=60)))
    out.append(r(doc.insert(serial_consistency="LOCAL_SERIAL")))
    out.append(r(doc.update(price=3.0, tags__add={"y"}, if_conditions={"price": 2.5})))
    out.append(r(doc.delete(if_exists=True, consistency="QUORUM")))
    out.append(
        r(Item.find(shop=1).order_by("-sku").limit(5).fetch_size(2).consistency("one").timeout(3).all())
    )
    out.append(r(Item.find(shop__in=[1, 2], sku__gte="a").count()))
    out.append(r(Item.find(shop=1).values_list("sku", "price").all()))
    out.append(r(Item.find(shop=1).update(note="n")))
    return out


def responder(cql, params, options):
    if "COUNT(*)" in cql:
        return ResultPage([{"count": 7}])
    if cql.startswith("SELECT"):
        return ResultPage([{"shop": 1, "sku": "a", "price": 2.5, "tags": None, "note": None}])
    if " IF " in cql:
        return ResultPage([{"[applied]": False, "price": 9.0}])
    return ResultPage()


def test_sync_and_aio_documents_issue_identical_requests(fake):
    fake.respond = responder
    sync_results = workload(models(sync.Document), "sync")
    sync_log = list(fake.log)
    fake.log.clear()
    aio_results = workload(models(aio.Document), "aio")
    assert fake.log == sync_log
    assert repr(aio_results) == repr(sync_results)
    assert sync_results[1] == LWTResult(False, {"price": 9.0})
    assert sync_results[5] == 7
    assert sync_results[6] == [("a", 2.5)]


def test_the_statements_documents_send(fake):
    Item = models(sync.Document)
    Item(shop=1, sku="a", price=2.5).save(ttl=60, timestamp=5)
    Item.find(shop=1, sku__in=["a", "b"]).limit(3).all()
    Item(shop=1, sku="a").update(tags__remove={"x"}, note="n")
    (save, select, update) = fake.log
    assert (
        save[1]
        == 'INSERT INTO "ks"."items" ("shop", "sku", "price", "tags", "note") VALUES (?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?'
    )
    assert save[2] == (1, "a", 2.5, set(), None, 60, 5)
    assert select[1] == 'SELECT * FROM "ks"."items" WHERE "shop" = ? AND "sku" IN ? LIMIT ?'
    assert select[2] == (1, ["a", "b"], 3)
    assert (
        update[1] == 'UPDATE "ks"."items" SET "tags" = "tags" - ?, "note" = ? WHERE "shop" = ? AND "sku" = ?'
    )
    assert update[2] == ({"x"}, "n", 1, "a")


def test_options_reach_the_driver(fake):
    Item = models(sync.Document)
    Item.find(shop=1).fetch_size(10).page(b"state").consistency("local_quorum").timeout(1.5).paged_all()
    options = fake.log[-1][3]
    assert options == ExecOptions(
        consistency=Consistency.LOCAL_QUORUM, timeout=1.5, page_size=10, paging_state=b"state"
    )
    Item(shop=1, sku="a").insert(consistency="ONE", serial_consistency="SERIAL", timeout=2)
    options = fake.log[-1][3]
    assert (options.consistency, options.serial_consistency, options.timeout) == (
        Consistency.ONE,
        Consistency.SERIAL,
        2,
    )


def test_bad_options_fail_before_io(fake):
    Item = models(sync.Document)
    with pytest.raises(ConfigurationError, match="QUORUMM"):
        Item(shop=1, sku="a").save(consistency="QUORUMM")
    with pytest.raises(ConfigurationError, match="serial_consistency"):
        Item(shop=1, sku="a").insert(serial_consistency="ONE")
    with pytest.raises(InvalidQueryError, match="ttl"):
        Item(shop=1, sku="a").save(ttl=-1)
    assert fake.log == []


def test_in_lists_are_one_bound_value(fake):
    """The statement text does not grow with the list, and an empty list is valid."""
    Item = models(sync.Document)
    Item.find(shop__in=[1, 2, 3]).all()
    assert Item.find(shop__in=[]).all() == []
    Item.find(shop__in=(n for n in (7,))).all()
    (three, empty, generated) = fake.log
    assert three[1] == empty[1] == generated[1] == 'SELECT * FROM "ks"."items" WHERE "shop" IN ?'
    assert (three[2], empty[2], generated[2]) == (([1, 2, 3],), ([],), ([7],))
    with pytest.raises(InvalidQueryError):
        Item.find(shop__in=["not an int"])
    with pytest.raises(InvalidQueryError):
        Item.find(shop__in=5)


def test_find_one_and_get(fake):
    rows = [{"shop": 1, "sku": "a"}, {"shop": 1, "sku": "b"}]
    fake.respond = lambda cql, params, options: ResultPage(rows[: params[-1]])
    Item = models(sync.Document)
    with pytest.raises(MultipleDocumentsFound):
        Item.find_one(shop=1)
    assert fake.log[-1][2][-1] == 2  # find_one asks for two rows, not all
    rows[:] = rows[:1]
    assert Item.get(shop=1).sku == "a"


def test_paged_result_and_streaming_iteration(fake):
    pages = {None: (["a", "b"], b"p1"), b"p1": (["c", "d"], b"p2"), b"p2": (["e"], None)}

    def respond(cql, params, options):
        skus, state = pages[options.paging_state]
        return ResultPage([{"shop": 1, "sku": s} for s in skus], state)

    fake.respond = respond
    Item = models(sync.Document)
    qs = Item.find(shop=1).fetch_size(2)
    first = qs.paged_all()
    assert isinstance(first, PagedResult)
    assert ([d.sku for d in first.data], first.paging_state) == (["a", "b"], b"p1")
    assert [d.sku for d in qs.page(b"p2").paged_all().data] == ["e"]

    fake.log.clear()
    for item in qs:
        assert item.sku == "a"
        break
    assert len(fake.log) == 1, "iteration fetches one page at a time"
    fake.log.clear()
    assert [d.sku for d in qs] == ["a", "b", "c", "d", "e"]
    assert len(fake.log) == 3
    fake.log.clear()
    assert [d.sku for d in qs.all()] == ["a", "b", "c", "d", "e"]
    assert len(fake.log) == 3

    async def collect():
        return [d.sku async for d in models(aio.Document).find(shop=1).fetch_size(2)]

    assert asyncio.run(collect()) == ["a", "b", "c", "d", "e"]


def test_null_collections_read_back_empty(fake):
    fake.respond = lambda cql, params, options: ResultPage(
        [{"shop": 1, "sku": "a", "tags": None, "note": None}]
    )
    Item = models(sync.Document)
    assert Item.get(shop=1, sku="a").tags == set()
    assert Item.find(shop=1).values_list("tags").all() == [(set(),)]


# -------------------------------------------------------------------- batches --


def test_batch_sends_one_native_batch(fake):
    Item = models(sync.Document)
    with BatchQuery(logged=False) as b:
        Item(shop=1, sku="a").save(batch=b)
        Item(shop=1, sku="b").delete(batch=b)
        assert fake.log == []
    assert len(fake.log) == 1
    kind, cqls, (batch_type, _params), _ = fake.log[0]
    assert kind == "batch" and batch_type is BatchType.UNLOGGED
    assert cqls[0].startswith('INSERT INTO "ks"."items"') and cqls[1].startswith('DELETE FROM "ks"."items"')


def test_batch_block_that_raises_sends_nothing(fake):
    Item = models(sync.Document)
    with pytest.raises(KeyError), BatchQuery() as b:
        Item(shop=1, sku="a").save(batch=b)
        raise KeyError("x")
    assert fake.log == []
    with BatchQuery():
        pass
    assert fake.log == []


def test_async_batch(fake):
    Item = models(aio.Document)

    async def main():
        async with AsyncBatchQuery(batch_type="counter") as b:
            assert b.batch_type is BatchType.COUNTER
        async with AsyncBatchQuery() as b:
            await Item(shop=1, sku="a").save(batch=b)
        with pytest.raises(ValueError):
            async with AsyncBatchQuery() as b:
                await Item(shop=1, sku="b").save(batch=b)
                raise ValueError

    asyncio.run(main())
    assert [entry[0] for entry in fake.log] == ["batch"]
    assert fake.log[0][2][0] is BatchType.LOGGED


# ----------------------------------------------------------------- LWTResult --


def test_lwt_result_from_rows():
    assert LWTResult.from_rows([]) == LWTResult(True, None)
    assert LWTResult.from_rows([{"[applied]": True}]) == LWTResult(True, None)
    failed = LWTResult.from_rows([{"[applied]": False, "id": 1, "name": "x"}])
    assert failed == LWTResult(False, {"id": 1, "name": "x"})
    assert not failed
    assert LWTResult.from_rows([{"[applied]": True, "v": 2}]).existing == {"v": 2}


def test_registry(fake):
    assert drivers.get_driver() is fake
    other = FakeDriver()
    drivers.register_driver("other", other)
    assert drivers.get_driver() is fake, "registering without default=True keeps the default"
    drivers.register_driver("other", other, default=True)
    assert drivers.get_driver() is other
    assert drivers.get_driver("default") is fake
    with pytest.raises(ConfigurationError):
        drivers.get_driver("missing")
    drivers._registry.clear()
    with pytest.raises(ConfigurationError, match="init_coodie"):
        drivers.get_driver()


def test_unknown_driver_type():
    with pytest.raises(ConfigurationError, match="nope"):
        drivers.init_coodie(driver_type="nope")


def test_plans_are_generators_that_do_nothing_until_run(fake):
    Item = models(sync.Document)
    plan = Item(shop=1, sku=str(uuid.uuid4()))._plan_save()
    assert fake.log == []
    request = next(plan)
    assert isinstance(request, Run) and request.driver is fake
    assert fake.log == []
    plan.close()
