"""Batches: logged, unlogged, conditional; nothing is sent when the block fails."""

import time
from typing import Annotated

import pytest

from coodie.cql_builder import build_insert
from coodie.exceptions import InvalidQueryError
from coodie.fields import ClusteringKey, PrimaryKey
from coodie.results import LWTResult

pytestmark = pytest.mark.requires("batches")


def two_tables(api):
    class Order(api.Document):
        id: Annotated[int, PrimaryKey()]
        total: int = 0

        class Settings:
            name = api.name("orders")

    class Line(api.Document):
        order_id: Annotated[int, PrimaryKey()]
        n: Annotated[int, ClusteringKey()]
        item: str = ""
        note: str | None = None

        class Settings:
            name = api.name("lines")

    api.run(Order.sync_table())
    api.run(Line.sync_table())
    return Order, Line


@pytest.mark.parametrize("logged", [True, False], ids=["logged", "unlogged"])
def test_batch_across_two_tables(api, logged):
    Order, Line = two_tables(api)
    stale = Line(order_id=1, n=99, item="stale")
    api.run(stale.save())
    with api.requests() as sent, api.batch(logged=logged) as b:
        api.run(Order(id=1, total=30).save(batch=b))
        api.run(Line(order_id=1, n=1, item="a").save(batch=b))
        api.run(Line(order_id=1, n=2, item="b").save(batch=b))
        api.run(stale.delete(batch=b))
        assert len(b) == 4
        assert sent == [], "statements are only sent when the block ends"
    assert len(sent) == 1 and sent[0].kind == "batch" and len(sent[0].cql) == 4
    assert api.run(Order.get(id=1)).total == 30
    assert [(x.n, x.item) for x in api.run(Line.find(order_id=1).all())] == [(1, "a"), (2, "b")]


def test_exception_inside_the_block_writes_nothing(api):
    Order, Line = two_tables(api)
    with api.requests() as sent, pytest.raises(RuntimeError, match="boom"), api.batch() as b:
        api.run(Order(id=2, total=1).save(batch=b))
        api.run(Line(order_id=2, n=1).save(batch=b))
        raise RuntimeError("boom")
    assert sent == []
    assert api.run(Order.find_one(id=2)) is None
    assert api.run(Line.find(order_id=2).all()) == []


def test_empty_batch_is_a_no_op(api):
    with api.requests() as sent:
        with api.batch():
            pass
        assert api.run(api.Batch().execute()) is None
    assert sent == []


def test_batch_add_raw_statements_and_execute_clears(api):
    Order, _ = two_tables(api)
    b = api.Batch(logged=False)
    for i in range(3):
        b.add(*build_insert(Order.table_name(), api.keyspace, {"id": 10 + i, "total": i}))
    b.add(f'UPDATE "{api.keyspace}"."{Order.table_name()}" SET "total" = ? WHERE "id" = ?', [100, 10])
    assert len(b) == 4
    api.run(b.execute())
    assert len(b) == 0
    with api.requests() as sent:
        api.run(b.execute())  # nothing left to send
    assert sent == []
    totals = {o.id: o.total for o in api.run(Order.find(id__in=[10, 11, 12]).all())}
    assert totals == {10: 100, 11: 1, 12: 2}


def test_update_delete_columns_and_ttl_join_a_batch(api):
    Order, Line = two_tables(api)
    line = api.run(Line.create(order_id=3, n=1, item="x", note="n"))
    order = api.run(Order.create(id=3, total=1))
    with api.batch() as b:
        api.run(order.update(total=2, batch=b))
        api.run(line.delete_columns("note", batch=b))
        api.run(Line(order_id=3, n=2, item="short-lived").save(ttl=3600, batch=b))
    assert api.run(Order.get(id=3)).total == 2
    assert api.run(Line.get(order_id=3, n=1)).note is None
    ttl = api.execute_raw(
        f'SELECT TTL("item") AS t FROM "{api.keyspace}"."{Line.table_name()}" WHERE "order_id" = 3 AND "n" = 2'
    )
    assert 3500 < ttl[0]["t"] <= 3600


def test_conditional_batch_returns_lwt_result(api):
    _, Line = two_tables(api)
    b = api.Batch()
    api.run(Line(order_id=4, n=1, item="a").insert(batch=b))
    api.run(Line(order_id=4, n=2, item="b").insert(batch=b))
    first = api.run(b.execute())
    assert isinstance(first, LWTResult) and first.applied is True
    api.run(Line(order_id=4, n=1, item="other").insert(batch=b))
    second = api.run(b.execute())
    assert isinstance(second, LWTResult) and second.applied is False
    assert api.run(Line.get(order_id=4, n=1)).item == "a"


def test_bad_batch_type_is_refused(api):
    with pytest.raises(InvalidQueryError, match="SIDEWAYS"):
        api.Batch(batch_type="SIDEWAYS")


@pytest.mark.requires("per_statement_timestamp")
def test_batch_timestamp_applies_to_every_statement(api):
    Order, Line = two_tables(api)
    stamp = int(time.time() * 1_000_000) - 3_600_000_000  # an hour ago
    with api.batch(timestamp=stamp) as b:
        api.run(Order(id=5, total=1).save(batch=b))
        api.run(Line(order_id=5, n=1, item="x").save(batch=b))
    rows = api.execute_raw(
        f'SELECT WRITETIME("total") AS w FROM "{api.keyspace}"."{Order.table_name()}" WHERE "id" = 5'
    )
    assert rows[0]["w"] == stamp
    rows = api.execute_raw(
        f'SELECT WRITETIME("item") AS w FROM "{api.keyspace}"."{Line.table_name()}" WHERE "order_id" = 5 AND "n" = 1'
    )
    assert rows[0]["w"] == stamp
