"""coodie.query: the statements a QuerySet sends, its options and result mapping."""

import asyncio

import pytest

from coodie import aio, sync
from coodie.drivers.base import Consistency, ExecOptions, ResultPage
from coodie.exceptions import InvalidQueryError, MultipleDocumentsFound
from coodie.results import PagedResult

from .fakes import models


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
