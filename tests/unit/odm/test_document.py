"""coodie.document: the statements documents send (save, insert, update, delete, increment) and their checks."""

import asyncio
from typing import Any

import pytest

from coodie import aio, sync
from coodie.drivers.base import ResultPage
from coodie.exceptions import ConfigurationError, InvalidQueryError
from coodie.results import LWTResult

from .fakes import models


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


def test_bad_options_fail_before_io(fake):
    Item = models(sync.Document)
    with pytest.raises(ConfigurationError, match="QUORUMM"):
        Item(shop=1, sku="a").save(consistency="QUORUMM")
    with pytest.raises(ConfigurationError, match="serial_consistency"):
        Item(shop=1, sku="a").insert(serial_consistency="ONE")
    with pytest.raises(InvalidQueryError, match="ttl"):
        Item(shop=1, sku="a").save(ttl=-1)
    assert fake.log == []
