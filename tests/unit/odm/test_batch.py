"""coodie.batch: statements collected in a block and sent as one native batch."""

import asyncio

import pytest

import coodie.drivers as drivers
from coodie import aio, sync
from coodie.batch import AsyncBatchQuery, BatchQuery
from coodie.drivers.base import BatchType, Consistency, ExecOptions, ResultPage
from coodie.exceptions import ConfigurationError, InvalidQueryError
from coodie.results import LWTResult

from .fakes import FakeDriver, models, page_views, readings


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


# ----------------------------------------------- batches through both facades --

T = '"ks"."readings"'
WHERE_ROW = 'WHERE "sensor" = ? AND "day" = ? AND "at" = ?'
ROW = ("a", 1, 3)


def batches_sent(fake):
    """``(batch type, [(cql, params), ...], options)`` of every batch request."""
    return [
        (batch_type, list(zip(cqls, params)), options)
        for kind, cqls, (batch_type, params), options in (e for e in fake.log if e[0] == "batch")
    ]


def test_every_document_write_joins_a_batch(api, fake):
    Reading = readings(api.Document)
    doc = Reading(sensor="a", day=1, at=3)
    batch = api.BatchQuery()
    assert api.run(doc.save(batch=batch, ttl=5)) is None
    assert api.run(doc.insert(batch=batch)) is None
    assert api.run(doc.update(note="n", tags__add={"x"}, batch=batch)) is None
    assert api.run(doc.update(note="m", if_conditions={"note": "n"}, batch=batch)) is None
    assert api.run(doc.delete_columns("note", batch=batch)) is None
    assert api.run(doc.delete(batch=batch, timestamp=8)) is None
    assert fake.log == [], "nothing is sent before the batch runs"
    assert len(batch) == 6
    api.run(batch.execute())
    insert = (
        f'INSERT INTO {T} ("sensor", "day", "at", "value", "kind", "samples", "tags", "labels", "note") '
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    values = ("a", 1, 3, 0.0, "", [], set(), {}, None)
    assert batches_sent(fake) == [
        (
            BatchType.LOGGED,
            [
                (f"{insert} USING TTL ?", (*values, 5)),
                (f"{insert} IF NOT EXISTS", values),
                (f'UPDATE {T} SET "note" = ?, "tags" = "tags" + ? {WHERE_ROW}', ("n", {"x"}, *ROW)),
                (f'UPDATE {T} SET "note" = ? {WHERE_ROW} IF "note" = ?', ("m", *ROW, "n")),
                (f'DELETE "note" FROM {T} {WHERE_ROW}', ROW),
                (f"DELETE FROM {T} USING TIMESTAMP ? {WHERE_ROW}", (8, *ROW)),
            ],
            ExecOptions(),
        )
    ]
    assert len(batch) == 0, "a batch that ran is empty"


def test_batch_options_reach_the_driver(api, fake):
    batch = api.BatchQuery(
        logged=False, timestamp=123, consistency="quorum", serial_consistency="local_serial", timeout=4
    )
    batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', [1, 2])
    api.run(batch.execute())
    assert batches_sent(fake) == [
        (
            BatchType.UNLOGGED,
            [('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', (1, 2))],
            ExecOptions(Consistency.QUORUM, Consistency.LOCAL_SERIAL, timeout=4, timestamp=123),
        )
    ]


@pytest.mark.parametrize(
    ("kwargs", "batch_type"),
    [
        ({}, BatchType.LOGGED),
        ({"logged": False}, BatchType.UNLOGGED),
        ({"batch_type": "counter"}, BatchType.COUNTER),
        ({"batch_type": "Unlogged", "logged": True}, BatchType.UNLOGGED),
        ({"batch_type": BatchType.COUNTER}, BatchType.COUNTER),
    ],
)
def test_batch_type(api, kwargs, batch_type):
    assert api.BatchQuery(**kwargs).batch_type is batch_type


def test_an_unknown_batch_type_names_the_choices(api):
    with pytest.raises(InvalidQueryError) as caught:
        api.BatchQuery(batch_type="eventual")
    assert str(caught.value) == "batch_type='eventual': use one of LOGGED, UNLOGGED, COUNTER"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("consistency", "QUORUMM", "QUORUMM"),
        ("serial_consistency", "ONE", "serial_consistency"),
    ],
)
def test_bad_batch_options_fail_when_the_batch_is_made(api, fake, option, value, message):
    with pytest.raises(ConfigurationError, match=message):
        api.BatchQuery(**{option: value})


def test_a_counter_batch_takes_counter_updates_only(api, fake):
    PageView = page_views(api.CounterDocument)
    views = PageView(site="s", page="p")
    batch = api.BatchQuery(batch_type="counter")
    api.run(views.increment(hits=2, batch=batch))
    api.run(views.decrement(likes=1, batch=batch))
    with pytest.raises(InvalidQueryError) as caught:
        api.run(views.delete(batch=batch))
    assert str(caught.value) == (
        'a COUNTER batch takes counter UPDATEs only, not: DELETE FROM "ks"."page_views" WHERE "site" = ? AND "page" = ?'
    )
    with pytest.raises(InvalidQueryError, match="counter UPDATEs only"):
        batch.add('INSERT INTO "ks"."t" ("k") VALUES (?)', [1])
    api.run(batch.execute())
    where = 'WHERE "site" = ? AND "page" = ?'
    assert batches_sent(fake) == [
        (
            BatchType.COUNTER,
            [
                (f'UPDATE "ks"."page_views" SET "hits" = "hits" + ? {where}', (2, "s", "p")),
                (f'UPDATE "ks"."page_views" SET "likes" = "likes" + ? {where}', (-1, "s", "p")),
            ],
            ExecOptions(),
        )
    ]


def test_raw_statements_are_prepared_when_they_have_parameters(api, fake):
    batch = api.BatchQuery()
    batch.add('INSERT INTO "ks"."t" ("k") VALUES (?)', [1])
    batch.add("INSERT INTO ks.t (k) VALUES (2)")
    batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', (3, 4))
    api.run(batch.execute())
    assert [(s.cql, s.params, s.prepare) for s in fake.statements] == [
        ('INSERT INTO "ks"."t" ("k") VALUES (?)', (1,), True),
        ("INSERT INTO ks.t (k) VALUES (2)", (), True),
        ('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', (3, 4), True),
    ]


def test_an_empty_batch_sends_nothing(api, fake):
    assert api.run(api.BatchQuery().execute()) is None
    assert fake.log == []


def test_a_conditional_batch_returns_the_lwt_result(api, fake):
    fake.respond = lambda cql, params, options: ResultPage([{"[applied]": False, "note": "theirs"}])
    doc = readings(api.Document)(sensor="a", day=1, at=3)
    batch = api.BatchQuery()
    api.run(doc.update(note="x", if_conditions={"note": None}, batch=batch))
    api.run(doc.update(value=2, batch=batch))
    assert api.run(batch.execute()) == LWTResult(False, {"note": "theirs"})
    plain = api.BatchQuery()
    api.run(doc.update(value=2, batch=plain))
    assert api.run(plain.execute()) is None, "a batch without conditions has no LWT result"


def test_a_batch_runs_on_its_named_connection(api, fake):
    other = FakeDriver(keyspace="ks")
    drivers.register_driver("other", other)
    batch = api.BatchQuery(connection="other")
    batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', [1, 2])
    api.run(batch.execute())
    assert fake.log == []
    assert [entry[0] for entry in other.log] == ["batch"]
    with pytest.raises(ConfigurationError):
        missing = api.BatchQuery(connection="missing")
        missing.add("UPDATE t SET v = ? WHERE k = ?", [1, 2])
        api.run(missing.execute())


def test_the_batch_is_sent_when_the_block_ends(fake):
    with BatchQuery() as batch:
        batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', [1, 2])
        assert fake.log == []
    assert len(batches_sent(fake)) == 1

    async def main():
        async with AsyncBatchQuery() as batch:
            batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', [1, 2])
            assert len(batches_sent(fake)) == 1

    asyncio.run(main())
    assert len(batches_sent(fake)) == 2


def test_entering_a_batch_forgets_statements_added_before(fake):
    batch = BatchQuery()
    batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', [0, 0])
    with batch:
        batch.add('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', [1, 2])
    assert batches_sent(fake)[0][1] == [('UPDATE "ks"."t" SET "v" = ? WHERE "k" = ?', (1, 2))]
