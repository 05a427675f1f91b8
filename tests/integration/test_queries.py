"""QuerySet features against real data: filters, ordering, limits, projections."""

import datetime as dt
import json
import time
from typing import Annotated

import pytest

from coodie.exceptions import InvalidQueryError
from coodie.fields import ClusteringKey, Indexed, PrimaryKey

UTC = dt.timezone.utc
BASE = dt.datetime(2024, 1, 1, tzinfo=UTC)


def dataset(api):
    """3 partitions (shop 1..3) x 5 clustering rows (day 0..4), newest first."""

    class Sale(api.Document):
        shop: Annotated[int, PrimaryKey()]
        at: Annotated[dt.datetime, ClusteringKey(order="DESC")]
        item: str = ""
        amount: int = 0
        region: Annotated[str, Indexed()] = ""
        tags: set[str] = set()
        note: str | None = "default note"

        class Settings:
            name = api.name("sales")

    api.run(Sale.sync_table())
    docs = []
    for shop in (1, 2, 3):
        for day in range(5):
            docs.append(
                Sale(
                    shop=shop,
                    at=BASE + dt.timedelta(days=day),
                    item=f"item{shop}{day}",
                    amount=shop * 10 + day,
                    region="north" if shop < 3 else "south",
                    tags={f"d{day}", "all"},
                    note=f"n{shop}{day}",
                )
            )
    api.gather(d.save() for d in docs)
    return Sale


def days(rows):
    return [(r.at - BASE).days for r in rows]


def test_comparison_filters_on_clustering_column(api):
    Sale = dataset(api)
    at = BASE + dt.timedelta(days=2)
    assert days(api.run(Sale.find(shop=1, at=at).all())) == [2]
    assert days(api.run(Sale.find(shop=1, at__eq=at).all())) == [2]
    assert days(api.run(Sale.find(shop=1, at__gt=at).all())) == [4, 3]
    assert days(api.run(Sale.find(shop=1, at__gte=at).all())) == [4, 3, 2]
    assert days(api.run(Sale.find(shop=1, at__lt=at).all())) == [1, 0]
    assert days(api.run(Sale.find(shop=1, at__lte=at).all())) == [2, 1, 0]
    ranged = Sale.find(shop=1).filter(at__gt=BASE).filter(at__lt=BASE + dt.timedelta(days=4))
    assert days(api.run(ranged.all())) == [3, 2, 1]


def test_in_filters(api):
    Sale = dataset(api)
    rows = api.run(Sale.find(shop__in=[1, 3]).all())
    assert sorted({r.shop for r in rows}) == [1, 3] and len(rows) == 10
    picked = api.run(Sale.find(shop=2, at__in=[BASE, BASE + dt.timedelta(days=3)]).all())
    assert sorted(days(picked)) == [0, 3]
    assert api.run(Sale.find(shop__in=[]).all()) == []


def test_contains_and_indexed_filters(api):
    Sale = dataset(api)
    north = api.run(Sale.find(region="north").all())
    assert len(north) == 10 and {r.shop for r in north} == {1, 2}
    tagged = api.run(Sale.find(shop=1, tags__contains="d3").allow_filtering().all())
    assert days(tagged) == [3]


def test_token_ranges_cover_every_partition(api):
    Sale = dataset(api)
    everything = api.run(Sale.find(shop__token__gt=-(2**63)).allow_filtering().all())
    assert len(everything) == 15
    everything = api.run(Sale.find(shop__token__gte=-(2**63), shop__token__lte=2**63 - 1).all())
    assert len(everything) == 15
    # splitting the ring in two halves gives every row exactly once
    low = api.run(Sale.find(shop__token__lt=0).all())
    high = api.run(Sale.find(shop__token__gte=0).all())
    assert sorted((r.shop, r.at) for r in low + high) == sorted((r.shop, r.at) for r in everything)


def test_order_by_limit_and_first(api):
    Sale = dataset(api)
    assert days(api.run(Sale.find(shop=2).all())) == [4, 3, 2, 1, 0]  # declared order
    assert days(api.run(Sale.find(shop=2).order_by("at").all())) == [0, 1, 2, 3, 4]
    assert days(api.run(Sale.find(shop=2).order_by("-at").all())) == [4, 3, 2, 1, 0]
    assert days(api.run(Sale.find(shop=2).order_by("at").limit(2).all())) == [0, 1]
    assert days(api.run(Sale.find(shop=2).limit(3).all())) == [4, 3, 2]
    first = api.run(Sale.find(shop=2).order_by("at").first())
    assert (first.shop, days([first])) == (2, [0])
    assert api.run(Sale.find(shop=99).first()) is None
    assert len(api.run(Sale.find().limit(7).all())) == 7


def test_per_partition_limit(api):
    Sale = dataset(api)
    rows = api.run(Sale.find().per_partition_limit(2).all())
    assert len(rows) == 6
    by_shop: dict[int, list[int]] = {}
    for r in rows:
        by_shop.setdefault(r.shop, []).append((r.at - BASE).days)
    assert by_shop == {1: [4, 3], 2: [4, 3], 3: [4, 3]}
    assert len(api.run(Sale.find().per_partition_limit(2).limit(3).all())) == 3


def test_allow_filtering_on_a_regular_column(api):
    Sale = dataset(api)
    rows = api.run(Sale.find(amount__gte=33).allow_filtering().all())
    assert sorted(r.amount for r in rows) == [33, 34]
    assert api.run(Sale.find(amount__gte=33).allow_filtering().count()) == 2


def test_count(api):
    Sale = dataset(api)
    assert api.run(Sale.find().count()) == 15
    assert api.run(Sale.find(shop=1).count()) == 5
    assert api.run(Sale.find(shop=1, at__gte=BASE + dt.timedelta(days=3)).count()) == 2
    assert api.run(Sale.find(shop=1).limit(2).count()) == 5  # count ignores limit
    assert api.run(Sale.find(shop=42).count()) == 0


def test_only_defer_and_values_list(api):
    Sale = dataset(api)
    at = BASE + dt.timedelta(days=1)
    only = api.run(Sale.find(shop=1, at=at).only("shop", "at", "item").all())[0]
    assert (only.shop, only.at, only.item) == (1, at, "item11")
    assert only.amount == 0 and only.note == "default note"  # not selected: model defaults

    deferred = api.run(Sale.find(shop=1, at=at).defer("item", "note").all())[0]
    assert (deferred.amount, deferred.region, deferred.tags) == (11, "north", {"d1", "all"})
    assert deferred.item == "" and deferred.note == "default note"

    values = api.run(Sale.find(shop=1).order_by("at").values_list("amount", "item").all())
    assert values == [(10 + d, f"item1{d}") for d in range(5)]
    assert all(isinstance(v, tuple) for v in values)
    combined = api.run(Sale.find(shop=1, at=at).only("shop", "item").values_list("item", "shop").all())
    assert combined == [("item11", 1)]
    typed = api.run(Sale.find(shop=1, at=at).values_list("at", "tags").all())
    assert typed == [(at, {"d1", "all"})]


def test_all_and_iteration_agree(api):
    Sale = dataset(api)
    listed = api.run(Sale.find(shop=3).all())
    iterated = api.collect(Sale.find(shop=3))
    assert listed == iterated
    assert len(iterated) == 5 and all(isinstance(s, Sale) for s in iterated)
    streamed = api.collect(Sale.find().fetch_size(4))
    assert len(streamed) == 15
    assert len({(s.shop, s.at) for s in streamed}) == 15


@pytest.mark.requires("paging_state")
def test_paged_all_across_partitions(api):
    Sale = dataset(api)
    seen = []
    qs = Sale.find().fetch_size(4)
    while True:
        page = api.run(qs.paged_all())
        assert len(page.data) <= 4
        seen.extend((s.shop, s.at) for s in page.data)
        if page.paging_state is None:
            break
        qs = qs.page(page.paging_state)
    assert len(seen) == 15 and len(set(seen)) == 15


def test_queryset_is_immutable_and_reusable(api):
    Sale = dataset(api)
    base = Sale.find(shop=1)
    limited = base.limit(1)
    ordered = base.order_by("at")
    assert len(api.run(base.all())) == 5
    assert len(api.run(limited.all())) == 1
    assert days(api.run(ordered.all())) == [0, 1, 2, 3, 4]
    assert days(api.run(base.all())) == [4, 3, 2, 1, 0]
    assert api.run(base.all()) == api.run(base.all())


def test_bulk_update_and_delete_through_queryset(api):
    Sale = dataset(api)
    api.run(Sale.find(shop=1, at=BASE).update(item="renamed", tags__add={"x"}))
    got = api.run(Sale.get(shop=1, at=BASE))
    assert got.item == "renamed" and got.tags == {"d0", "all", "x"}
    api.run(Sale.find(shop=1, at__gte=BASE + dt.timedelta(days=3)).delete())
    assert days(api.run(Sale.find(shop=1).all())) == [2, 1, 0]
    api.run(Sale.find(shop=2).delete())
    assert api.run(Sale.find(shop=2).count()) == 0
    assert api.run(Sale.find().count()) == 8


def test_aggregates_functions_and_json(api):
    Sale = dataset(api)
    one = Sale.find(shop=2)
    amounts = [20 + day for day in range(5)]
    assert api.run(one.sum("amount")) == sum(amounts)
    assert api.run(one.min("amount")) == min(amounts)
    assert api.run(one.max("amount")) == max(amounts)
    assert api.run(one.avg("amount")) == sum(amounts) // len(amounts)  # CQL avg of int is an int
    totals = api.run(one.aggregate(total="sum(amount)", n="count(item)", top='MAX("amount")'))
    assert totals == {"total": sum(amounts), "n": len(amounts), "top": max(amounts)}
    with pytest.raises(InvalidQueryError, match="median"):
        api.run(one.aggregate(x="median(amount)"))
    with pytest.raises(InvalidQueryError, match="nope"):
        api.run(one.sum("nope"))

    newest = api.run(Sale.get(shop=2, at=BASE + dt.timedelta(days=4)))
    later = int(time.time() * 1_000_000) + 60_000_000  # newer than the first write
    api.run(newest.save(ttl=3600, timestamp=later))
    first = Sale.find(shop=2, at=newest.at)
    assert api.run(first.writetime("item")) == later
    assert 3500 < api.run(first.column_ttl("item")) <= 3600

    rows = [json.loads(text) for text in api.run(Sale.find(shop=2).json())]
    assert sorted(r["amount"] for r in rows) == sorted(amounts)
    assert {r["shop"] for r in rows} == {2}
