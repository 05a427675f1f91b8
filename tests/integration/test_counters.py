"""Counter tables: increments accumulate, decrements subtract, counter batches."""

from typing import Annotated

import pytest

from coodie.cql_builder import build_counter_update
from coodie.exceptions import InvalidQueryError
from coodie.fields import ClusteringKey, Counter, PrimaryKey


def page_views(api):
    class PageViews(api.CounterDocument):
        site: Annotated[str, PrimaryKey()]
        page: Annotated[str, ClusteringKey()]
        hits: Annotated[int, Counter()] = 0
        likes: Annotated[int, Counter()] = 0

        class Settings:
            name = api.name("views")

    statements = api.run(PageViews.sync_table())
    assert '"hits" counter' in statements[0]
    return PageViews


def test_increment_and_decrement_accumulate(api):
    PageViews = page_views(api)
    doc = PageViews(site="s", page="/")
    for _ in range(3):
        api.run(doc.increment(hits=1))
    api.run(doc.increment(hits=10, likes=2))
    api.run(doc.decrement(hits=4))
    api.run(doc.decrement(likes=5))
    got = api.run(PageViews.get(site="s", page="/"))
    assert (got.hits, got.likes) == (9, -3)
    assert (doc.hits, doc.likes) == (9, -3)  # the instance follows its own deltas

    other = PageViews(site="s", page="/other")
    api.run(other.increment(hits=2**40))
    api.run(other.increment(hits=2**40))
    assert api.run(PageViews.get(site="s", page="/other")).hits == 2**41
    assert api.run(PageViews.find(site="s").count()) == 2


def test_concurrent_increments_all_count(api):
    PageViews = page_views(api)
    docs = [PageViews(site="c", page="/") for _ in range(20)]
    api.gather(d.increment(hits=1) for d in docs)
    assert api.run(PageViews.get(site="c", page="/")).hits == 20


def test_counter_documents_refuse_save_and_insert(api):
    PageViews = page_views(api)
    doc = PageViews(site="s", page="/")
    with api.requests() as sent:
        with pytest.raises(InvalidQueryError, match="do not support save"):
            api.run(doc.save())
        with pytest.raises(InvalidQueryError, match="do not support insert"):
            api.run(doc.insert())
        with pytest.raises(InvalidQueryError):
            api.run(doc.increment(nope=1))
        with pytest.raises(InvalidQueryError):
            api.run(doc.increment(hits="1"))
        with pytest.raises(InvalidQueryError):
            api.run(doc.increment())
    assert sent == []


def test_counter_and_regular_columns_do_not_mix(api):
    class Mixed(api.CounterDocument):
        id: Annotated[int, PrimaryKey()]
        hits: Annotated[int, Counter()] = 0
        label: str = ""

        class Settings:
            name = api.name("mixed")

    with pytest.raises(InvalidQueryError, match="label"):
        api.run(Mixed.sync_table())
    assert not api.table_exists(Mixed.table_name())


def test_delete_a_counter_row(api):
    PageViews = page_views(api)
    doc = PageViews(site="d", page="/")
    api.run(doc.increment(hits=5))
    api.run(doc.delete())
    assert api.run(PageViews.find_one(site="d", page="/")) is None


@pytest.mark.requires("batches")
def test_counter_batch(api):
    PageViews = page_views(api)
    a = PageViews(site="b", page="/a")
    b = PageViews(site="b", page="/b")
    api.run(a.increment(hits=1))
    with api.batch(batch_type="COUNTER") as batch:
        api.run(a.increment(hits=5, batch=batch))
        api.run(b.decrement(likes=2, batch=batch))
        batch.add(
            *build_counter_update(
                PageViews.table_name(), api.keyspace, {"hits": 7}, [("site", "=", "b"), ("page", "=", "/b")]
            )
        )
        assert api.run(PageViews.find(site="b").count()) == 1  # nothing sent before the block ends
    rows = {r.page: (r.hits, r.likes) for r in api.run(PageViews.find(site="b").all())}
    assert rows == {"/a": (6, 0), "/b": (7, -2)}


@pytest.mark.requires("batches")
def test_counter_batch_refuses_non_counter_statements(api):
    PageViews = page_views(api)
    batch = api.Batch(batch_type="COUNTER")
    with pytest.raises(InvalidQueryError):
        batch.add(f'INSERT INTO "{api.keyspace}"."{PageViews.table_name()}" ("site") VALUES (?)', ["x"])
