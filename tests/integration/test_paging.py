"""Paging: a 10,000-row partition read page by page, resumed from a saved state, streamed."""

from typing import Annotated

import pytest

from coodie.fields import ClusteringKey, PrimaryKey
from coodie.results import PagedResult

ROWS = 10_000
PAGE = 500
ROWS_PER_BATCH = 100

pytestmark = pytest.mark.requires("paging_state")


def big_partition(api, rows=ROWS):
    class Reading(api.Document):
        sensor: Annotated[int, PrimaryKey()]
        seq: Annotated[int, ClusteringKey()]
        value: float = 0.0

        class Settings:
            name = api.name("readings")

    api.run(Reading.sync_table())

    def batches():
        for start in range(0, rows, ROWS_PER_BATCH):
            b = api.Batch(logged=False)  # one partition: an unlogged batch is one mutation
            for seq in range(start, min(start + ROWS_PER_BATCH, rows)):
                api.run(Reading(sensor=1, seq=seq, value=seq / 2).save(batch=b))
            yield b.execute()

    api.gather(batches())
    return Reading


def test_every_row_exactly_once_in_pages_of_at_most_fetch_size(api):
    Reading = big_partition(api)
    assert api.run(Reading.find(sensor=1).count()) == ROWS

    seen: list[int] = []
    sizes: list[int] = []
    state = None
    pages = 0
    while True:
        qs = Reading.find(sensor=1).fetch_size(PAGE)
        if state is not None:
            qs = qs.page(state)
        result = api.run(qs.paged_all())
        assert isinstance(result, PagedResult)
        pages += 1
        sizes.append(len(result.data))
        seen.extend(r.seq for r in result.data)
        state = result.paging_state
        if state is None:
            break
        assert isinstance(state, bytes)
        assert pages <= ROWS // PAGE + 1, "paging does not end"
    assert max(sizes) <= PAGE
    assert sizes[0] == PAGE
    assert len(seen) == ROWS
    assert seen == list(range(ROWS)), "rows missing, repeated or out of clustering order"


def test_saved_paging_state_resumes_in_a_fresh_queryset(api):
    Reading = big_partition(api, rows=2_000)
    first = api.run(Reading.find(sensor=1).fetch_size(PAGE).paged_all())
    assert [r.seq for r in first.data] == list(range(PAGE))
    saved = bytes(first.paging_state)

    # a new QuerySet (as a later web request would build) continues where the first stopped
    second = api.run(Reading.find(sensor=1).fetch_size(PAGE).page(saved).paged_all())
    assert [r.seq for r in second.data] == list(range(PAGE, 2 * PAGE))
    # the same state can be used again: it is a value, not a cursor
    again = api.run(Reading.find(sensor=1).fetch_size(PAGE).page(saved).paged_all())
    assert [r.seq for r in again.data] == [r.seq for r in second.data]
    # page(None) starts from the beginning
    restart = api.run(Reading.find(sensor=1).fetch_size(PAGE).page(None).paged_all())
    assert [r.seq for r in restart.data] == list(range(PAGE))


def test_paged_all_without_fetch_size_is_one_page(api):
    Reading = big_partition(api, rows=1_200)
    result = api.run(Reading.find(sensor=1).paged_all())
    assert len(result.data) == 1_200
    assert result.paging_state is None


def test_all_with_fetch_size_returns_everything(api):
    Reading = big_partition(api)
    with api.requests() as sent:
        everything = api.run(Reading.find(sensor=1).fetch_size(PAGE).all())
    assert [r.seq for r in everything] == list(range(ROWS))
    assert ROWS // PAGE <= len(sent) <= ROWS // PAGE + 1
    assert all(r.options.page_size == PAGE for r in sent)


def test_iteration_streams_page_by_page(api):
    Reading = big_partition(api, rows=3_000)
    qs = Reading.find(sensor=1).fetch_size(PAGE)
    with api.requests() as sent:
        first = api.take(qs, 3)
    assert [r.seq for r in first] == [0, 1, 2]
    assert len(sent) == 1, "taking 3 rows must fetch one page, not the whole partition"

    with api.requests() as sent:
        items = api.take(qs, PAGE + 1)
    assert len(items) == PAGE + 1
    assert len(sent) == 2

    with api.requests() as sent:
        everything = api.collect(qs)
    assert [r.seq for r in everything] == list(range(3_000))
    assert 3_000 // PAGE <= len(sent) <= 3_000 // PAGE + 1


def test_paging_with_a_filter_and_limit(api):
    Reading = big_partition(api, rows=2_000)
    qs = Reading.find(sensor=1, seq__gte=1_000).limit(734).fetch_size(100)
    everything = api.run(qs.all())
    assert [r.seq for r in everything] == list(range(1_000, 1_734))
    page = api.run(qs.paged_all())
    assert len(page.data) == 100 and page.paging_state is not None
