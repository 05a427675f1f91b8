"""coodie.query: the statements a QuerySet sends, its options and result mapping."""

import asyncio
import re

import pytest

from coodie import aio, sync
from coodie.drivers.base import Consistency, ExecOptions, ResultPage
from coodie.exceptions import (
    DocumentNotFound,
    FilteringRequiredError,
    InvalidQueryError,
    MultipleDocumentsFound,
    SchemaError,
)
from coodie.results import LWTResult, PagedResult

from .fakes import models, readings


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


# ------------------------------------------------------------ filter operators --

T = '"ks"."readings"'


def keywords(filters):
    """A test id: the keywords as written in a call."""
    return ",".join(f"{k}={v!r}" for k, v in filters.items())


NEEDS_FILTERING = True

#: (filter keywords, WHERE text, bound values, whether the server needs ALLOW FILTERING)
FILTER_OPERATORS = [
    ({"sensor": "a"}, '"sensor" = ?', ("a",), False),
    ({"sensor__eq": "a"}, '"sensor" = ?', ("a",), False),
    ({"at__gt": 1}, '"at" > ?', (1,), False),
    ({"at__gte": 1}, '"at" >= ?', (1,), False),
    ({"at__lt": 1}, '"at" < ?', (1,), False),
    ({"at__lte": 1}, '"at" <= ?', (1,), False),
    ({"value__ne": 2.5}, '"value" != ?', (2.5,), NEEDS_FILTERING),
    ({"sensor__in": ["a", "b"]}, '"sensor" IN ?', (["a", "b"],), False),
    ({"at__in": (1, 2)}, '"at" IN ?', ([1, 2],), False),
    ({"kind": "temp"}, '"kind" = ?', ("temp",), False),
    ({"samples__contains": 3}, '"samples" CONTAINS ?', (3,), NEEDS_FILTERING),
    ({"tags__contains": "x"}, '"tags" CONTAINS ?', ("x",), NEEDS_FILTERING),
    ({"labels__contains": 7}, '"labels" CONTAINS ?', (7,), NEEDS_FILTERING),
    ({"labels__contains_key": "k"}, '"labels" CONTAINS KEY ?', ("k",), NEEDS_FILTERING),
    ({"note__like": "ab%"}, '"note" LIKE ?', ("ab%",), NEEDS_FILTERING),
    ({"note__isnull": True}, '"note" IS NULL', (), NEEDS_FILTERING),
    ({"note__isnull": False}, '"note" IS NOT NULL', (), NEEDS_FILTERING),
    # TOKEN() spans the whole partition key, in partition key order, whichever key column is named
    ({"sensor__token__gt": -5}, 'TOKEN("sensor", "day") > ?', (-5,), False),
    ({"day__token__gte": 0}, 'TOKEN("sensor", "day") >= ?', (0,), False),
    ({"sensor__token__lt": 9}, 'TOKEN("sensor", "day") < ?', (9,), False),
    ({"sensor__token__lte": 2**63 - 1}, 'TOKEN("sensor", "day") <= ?', (2**63 - 1,), False),
]


@pytest.mark.parametrize(
    ("filters", "where", "params", "needs_filtering"),
    FILTER_OPERATORS,
    ids=[keywords(f) for f, *_ in FILTER_OPERATORS],
)
def test_each_filter_operator(api, fake, filters, where, params, needs_filtering):
    Reading = readings(api.Document)
    query = Reading.find(**filters)
    if needs_filtering:
        column = next(iter(filters)).split("__")[0]
        with pytest.raises(FilteringRequiredError, match=f"column '{column}' of 'readings'.*allow_filtering"):
            api.run(query.all())
        assert fake.log == [], "refused before any I/O"
        query = query.allow_filtering()
    api.run(query.all())
    suffix = " ALLOW FILTERING" if needs_filtering else ""
    assert fake.sent() == [(f"SELECT * FROM {T} WHERE {where}{suffix}", params)]


def test_filter_values_are_checked_and_converted_to_the_column_type(api, fake):
    Reading = readings(api.Document)
    api.run(Reading.find(sensor="a", day="3", at__gte="7", samples__contains="4").allow_filtering().all())
    ((cql, params),) = fake.sent()
    assert (
        cql
        == f'SELECT * FROM {T} WHERE "sensor" = ? AND "day" = ? AND "at" >= ? AND "samples" CONTAINS ? ALLOW FILTERING'
    )
    assert params == ("a", 3, 7, 4)
    assert [type(p) for p in params] == [str, int, int, int]


def test_filters_keep_their_order_and_chain(api, fake):
    Reading = readings(api.Document)
    query = Reading.find(sensor="a").filter(day=1).filter(at__gt=2, at__lte=9)
    api.run(query.all())
    assert fake.sent() == [
        (f'SELECT * FROM {T} WHERE "sensor" = ? AND "day" = ? AND "at" > ? AND "at" <= ?', ("a", 1, 2, 9))
    ]


def test_an_indexed_column_or_a_token_range_needs_no_allow_filtering(api, fake):
    Reading = readings(api.Document)
    api.run(Reading.find(kind="t").all())
    api.run(Reading.find(sensor__token__gt=1).all())
    assert [cql for cql, _ in fake.sent()] == [
        f'SELECT * FROM {T} WHERE "kind" = ?',
        f'SELECT * FROM {T} WHERE TOKEN("sensor", "day") > ?',
    ]


@pytest.mark.parametrize("terminal", ["all", "first", "count", "json", "paged_all"])
def test_filtering_that_needs_allow_filtering_is_refused_by_every_terminal(api, fake, terminal):
    Reading = readings(api.Document)
    query = Reading.find(sensor="a", day=1, value__gt=1.0)
    with pytest.raises(FilteringRequiredError) as caught:
        api.run(getattr(query, terminal)())
    assert str(caught.value) == (
        "filtering on column 'value' of 'readings' (not a key, not indexed) needs "
        ".allow_filtering() or an Indexed() marker on the field"
    )
    assert fake.log == []


def test_repr_shows_the_statement_or_why_there_is_none(fake):
    Reading = readings(sync.Document)
    assert repr(Reading.find(sensor="a", day=1)) == (
        f"<QuerySet 'SELECT * FROM {T} WHERE \"sensor\" = ? AND \"day\" = ?' ['a', 1]>"
    )
    assert repr(Reading.find(value__gt=1)).startswith("<QuerySet of Reading: filtering on column 'value'")
    assert fake.log == []


#: (filter keywords, the exact error)
FILTER_ERRORS = [
    (
        {"nope": 1},
        "unknown filter field 'nope' on table 'readings'; columns are: "
        "sensor, day, at, value, kind, samples, tags, labels, note",
    ),
    (
        {"value__startswith": "a"},
        "filter 'value__startswith': unknown operator 'startswith'; "
        "use one of eq, gt, gte, lt, lte, ne, in, contains, contains_key, like, isnull",
    ),
    ({"value__gt__x": 1}, "filter 'value__gt__x': expected 'field' or 'field__operator'"),
    ({"sensor__token__eq": 1}, "filter 'sensor__token__eq': token operator must be one of gt, gte, lt, lte"),
    ({"at__token__gt": 1}, "filter 'at__token__gt': TOKEN() applies to partition key columns only"),
    ({"value__token__gt": 1}, "filter 'value__token__gt': TOKEN() applies to partition key columns only"),
    ({"sensor__token__gt": "1"}, "filter 'sensor__token__gt': a token is an int, not '1'"),
    ({"sensor__token__gt": True}, "filter 'sensor__token__gt': a token is an int, not True"),
    ({"sensor__in": "ab"}, "filter 'sensor__in': IN takes a list of values, not 'ab'"),
    ({"sensor__in": b"ab"}, "filter 'sensor__in': IN takes a list of values, not b'ab'"),
    ({"sensor__in": 5}, "filter 'sensor__in': IN takes a list of values, not 5"),
    ({"value__contains": 1}, "filter 'value__contains': CONTAINS applies to collection columns only"),
    ({"tags__contains_key": "x"}, "filter 'tags__contains_key': CONTAINS KEY applies to map columns only"),
    ({"sensor": None}, "column 'sensor' is part of the primary key and cannot be None"),
]


@pytest.mark.parametrize(("filters", "message"), FILTER_ERRORS, ids=[keywords(f) for f, _ in FILTER_ERRORS])
def test_filter_errors_are_raised_when_the_filter_is_given(api, fake, filters, message):
    Reading = readings(api.Document)
    with pytest.raises(InvalidQueryError) as caught:
        Reading.find(**filters)
    assert str(caught.value) == message
    with pytest.raises(InvalidQueryError):
        Reading.find().filter(**filters)
    assert fake.log == []


#: (filter keywords, the column the error names, the value it quotes)
BAD_FILTER_VALUES = [
    ({"at": "x"}, "at", "int", "'x'"),
    ({"day__gt": "soon"}, "day", "int", "'soon'"),
    ({"at__in": [1, "x"]}, "at", "int", "'x'"),
    ({"tags__contains": 5}, "tags", "set<text>", "{5}"),
    ({"samples__contains": "x"}, "samples", "list<int>", "['x']"),
    ({"value__lt": "cheap"}, "value", "float", "'cheap'"),
]


@pytest.mark.parametrize(
    ("filters", "column", "cql_type", "shown"),
    BAD_FILTER_VALUES,
    ids=[keywords(f) for f, *_ in BAD_FILTER_VALUES],
)
def test_a_bad_filter_value_names_the_column_and_its_type(api, fake, filters, column, cql_type, shown):
    Reading = readings(api.Document)
    with pytest.raises(SchemaError) as caught:
        Reading.find(**filters)
    assert str(caught.value).startswith(f"bad value for column {column!r} (CQL type {cql_type}): {shown} — ")
    assert fake.log == []


def test_a_bad_filter_value_says_why_it_is_bad(fake):
    Reading = readings(sync.Document)
    with pytest.raises(SchemaError) as caught:
        Reading.find(at="x")
    assert "valid integer" in str(caught.value)
    assert "errors.pydantic.dev" not in str(caught.value)


def test_map_contains_checks_the_value_type(fake):
    Reading = readings(sync.Document)
    with pytest.raises(SchemaError, match="'labels'"):
        Reading.find(labels__contains="not an int")


def test_map_contains_key_checks_the_key_type(fake):
    Reading = readings(sync.Document)
    with pytest.raises(SchemaError, match="'labels'"):
        Reading.find(labels__contains_key=5)


# --------------------------------------------------------------- terminals --

WHERE_KEY = 'WHERE "sensor" = ? AND "day" = ?'


def one_row(row):
    return lambda cql, params, options: ResultPage([row])


@pytest.mark.parametrize(
    ("call", "select", "answer", "expected"),
    [
        (lambda q: q.count(), "COUNT(*)", {"count": 4}, 4),
        (lambda q: q.sum("value"), 'SUM("value") AS "value"', {"value": 7.5}, 7.5),
        (lambda q: q.avg("value"), 'AVG("value") AS "value"', {"value": 2.5}, 2.5),
        (lambda q: q.min("at"), 'MIN("at") AS "value"', {"value": 1}, 1),
        (lambda q: q.max("at"), 'MAX("at") AS "value"', {"value": 9}, 9),
        (lambda q: q.writetime("note"), 'WRITETIME("note") AS "value"', {"value": 1700}, 1700),
        (lambda q: q.column_ttl("note"), 'TTL("note") AS "value"', {"value": 30}, 30),
        (
            lambda q: q.aggregate(total="sum(value)", n='COUNT( "at" )'),
            'SUM("value") AS "total", COUNT("at") AS "n"',
            {"total": 3.0, "n": 2},
            {"total": 3.0, "n": 2},
        ),
    ],
    ids=["count", "sum", "avg", "min", "max", "writetime", "ttl", "aggregate"],
)
def test_aggregates_and_functions(api, fake, call, select, answer, expected):
    fake.respond = one_row(answer)
    Reading = readings(api.Document)
    # an aggregate is one row: ordering and limits of the query do not apply to it
    query = Reading.find(sensor="a", day=1).order_by("-at").limit(3).per_partition_limit(1)
    assert api.run(call(query)) == expected
    assert fake.sent() == [(f"SELECT {select} FROM {T} {WHERE_KEY}", ("a", 1))]


def test_count_of_no_rows_and_of_a_null_is_zero(api, fake):
    Reading = readings(api.Document)
    assert api.run(Reading.find(sensor="a", day=1).count()) == 0
    fake.respond = one_row({"count": None})
    assert api.run(Reading.find(sensor="a", day=1).count()) == 0


def test_an_aggregate_of_no_rows_is_none(api, fake):
    Reading = readings(api.Document)
    assert api.run(Reading.find(sensor="a", day=1).aggregate(n="count(at)")) == {"n": None}
    assert api.run(Reading.find(sensor="a", day=1).max("at")) is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"x": "median(value)"}, "aggregate x='median(value)': expected one of count, sum, avg, min, max"),
        ({"x": "sum(value) + 1"}, "aggregate x='sum(value) + 1': expected one of count, sum, avg, min, max"),
        ({"x": "sum(ghost)"}, "unknown sum() field 'ghost' on table 'readings'"),
    ],
)
def test_aggregate_errors_before_io(api, fake, spec, message):
    Reading = readings(api.Document)
    with pytest.raises(InvalidQueryError, match=re.escape(message)):
        api.run(Reading.find(sensor="a", day=1).aggregate(**spec))
    assert fake.log == []


def test_json_rows(api, fake):
    fake.respond = one_row({"[json]": '{"at": 1}'})
    Reading = readings(api.Document)
    assert api.run(Reading.find(sensor="a", day=1).json()) == ['{"at": 1}']
    assert fake.sent() == [(f"SELECT JSON * FROM {T} {WHERE_KEY}", ("a", 1))]


def test_select_shapes(api, fake):
    Reading = readings(api.Document)
    key = Reading.find(sensor="a", day=1)
    api.run(key.order_by("-at").limit(3).all())
    api.run(key.order_by("at").all())
    api.run(Reading.find().per_partition_limit(2).limit(10).all())
    api.run(Reading.find().only("sensor", "day").distinct().all())
    api.run(key.defer("samples", "tags", "labels").all())
    api.run(key.values_list("at", "note").all())
    api.run(key.first())
    assert fake.sent() == [
        (f'SELECT * FROM {T} {WHERE_KEY} ORDER BY "at" DESC LIMIT ?', ("a", 1, 3)),
        (f'SELECT * FROM {T} {WHERE_KEY} ORDER BY "at" ASC', ("a", 1)),
        (f"SELECT * FROM {T} PER PARTITION LIMIT ? LIMIT ?", (2, 10)),
        (f'SELECT DISTINCT "sensor", "day" FROM {T}', ()),
        (f'SELECT "sensor", "day", "at", "value", "kind", "note" FROM {T} {WHERE_KEY}', ("a", 1)),
        (f'SELECT "at", "note" FROM {T} {WHERE_KEY}', ("a", 1)),
        (f"SELECT * FROM {T} {WHERE_KEY} LIMIT ?", ("a", 1, 1)),
    ]


def test_partial_rows_become_documents_with_defaults(api, fake):
    fake.respond = one_row({"sensor": "a", "day": 1, "at": 2, "note": "n"})
    Reading = readings(api.Document)
    (doc,) = api.run(Reading.find(sensor="a", day=1).only("sensor", "day", "at", "note").all())
    assert (doc.sensor, doc.day, doc.at, doc.note, doc.value, doc.tags) == ("a", 1, 2, "n", 0.0, set())
    assert api.run(Reading.find(sensor="a", day=1).values_list("at", "note").all()) == [(2, "n")]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.order_by("value"), "order_by('value'): only clustering columns can be ordered"),
        (lambda q: q.order_by("-ghost"), "unknown order_by field 'ghost' on table 'readings'"),
        (lambda q: q.only("ghost"), "unknown only() field 'ghost'"),
        (lambda q: q.defer("ghost"), "unknown defer() field 'ghost'"),
        (lambda q: q.values_list("at", "ghost"), "unknown values_list() field 'ghost'"),
        (lambda q: q.limit(0), "limit(0): must be a positive int"),
        (lambda q: q.limit(True), "limit(True): must be a positive int"),
        (lambda q: q.per_partition_limit(-1), "per_partition_limit(-1): must be a positive int"),
        (lambda q: q.fetch_size(2.0), "fetch_size(2.0): must be a positive int"),
        (lambda q: q.page("state"), "page(): paging_state must be bytes or None, not str"),
        (lambda q: q.timeout(0), "timeout(0): must be a positive number of seconds"),
        (lambda q: q.ttl(-1), "ttl=-1: must be a non-negative int (seconds)"),
    ],
)
def test_chain_errors_name_the_option(api, fake, call, message):
    Reading = readings(api.Document)
    with pytest.raises(InvalidQueryError, match=re.escape(message)):
        call(Reading.find(sensor="a", day=1))
    assert fake.log == []


def test_chained_querysets_are_independent(api, fake):
    Reading = readings(api.Document)
    base = Reading.find(sensor="a", day=1)
    limited = base.limit(1)
    api.run(base.all())
    api.run(limited.all())
    assert [cql for cql, _ in fake.sent()] == [
        f"SELECT * FROM {T} {WHERE_KEY}",
        f"SELECT * FROM {T} {WHERE_KEY} LIMIT ?",
    ]


# ------------------------------------------------- writes through a queryset --

WHERE_ROW = 'WHERE "sensor" = ? AND "day" = ? AND "at" = ?'
ROW = ("a", 1, 3)


def test_queryset_delete(api, fake):
    Reading = readings(api.Document)
    row = Reading.find(sensor="a", day=1, at=3)
    assert api.run(row.delete()) is None
    assert api.run(row.timestamp(9).delete()) is None
    assert fake.sent() == [
        (f"DELETE FROM {T} {WHERE_ROW}", ROW),
        (f"DELETE FROM {T} USING TIMESTAMP ? {WHERE_ROW}", (9, *ROW)),
    ]


def test_queryset_delete_if_exists_and_if_conditions(api, fake):
    fake.respond = one_row({"[applied]": False, "note": "kept"})
    Reading = readings(api.Document)
    row = Reading.find(sensor="a", day=1, at=3)
    assert api.run(row.if_exists().delete()) == LWTResult(False, {"note": "kept"})
    assert api.run(row.delete(if_conditions={"note": None, "value__gt": "1"})) == LWTResult(
        False, {"note": "kept"}
    )
    # IF EXISTS wins: conditions given with it are not sent
    api.run(row.if_exists().delete(if_conditions={"note": "x"}))
    assert fake.sent() == [
        (f"DELETE FROM {T} {WHERE_ROW} IF EXISTS", ROW),
        (f'DELETE FROM {T} {WHERE_ROW} IF "note" = ? AND "value" > ?', (*ROW, None, 1.0)),
        (f"DELETE FROM {T} {WHERE_ROW} IF EXISTS", ROW),
    ]


def test_queryset_update(api, fake):
    Reading = readings(api.Document)
    row = Reading.find(sensor="a", day=1, at=3)
    assert api.run(row.ttl(5).timestamp(7).update(note="x", tags__add={"t"})) is None
    assert api.run(row.ttl(5).update(ttl=9, value="2")) is None
    assert fake.sent() == [
        (
            f'UPDATE {T} USING TTL ? AND TIMESTAMP ? SET "note" = ?, "tags" = "tags" + ? {WHERE_ROW}',
            (5, 7, "x", {"t"}, *ROW),
        ),
        (f'UPDATE {T} USING TTL ? SET "value" = ? {WHERE_ROW}', (9, 2.0, *ROW)),
    ]


def test_queryset_update_with_conditions_returns_the_lwt_result(api, fake):
    fake.respond = one_row({"[applied]": True})
    Reading = readings(api.Document)
    row = Reading.find(sensor="a", day=1, at=3)
    result = api.run(row.update(note="x", if_conditions={"value__in": [1, "2"]}))
    assert result == LWTResult(True, None)
    assert api.run(row.if_exists().update(note="y")) == LWTResult(True, None)
    assert fake.sent() == [
        (f'UPDATE {T} SET "note" = ? {WHERE_ROW} IF "value" IN ?', ("x", *ROW, [1.0, 2.0])),
        (f'UPDATE {T} SET "note" = ? {WHERE_ROW} IF EXISTS', ("y", *ROW)),
    ]


def test_queryset_update_errors_before_io(api, fake):
    Reading = readings(api.Document)
    row = Reading.find(sensor="a", day=1, at=3)
    with pytest.raises(InvalidQueryError, match="an UPDATE needs at least one column to set"):
        api.run(row.update())
    with pytest.raises(InvalidQueryError, match=re.escape("ttl=-2: must be a non-negative int")):
        api.run(row.update(ttl=-2, note="x"))
    with pytest.raises(InvalidQueryError, match="'at' is part of the primary key and cannot be updated"):
        api.run(row.update(at=4))
    assert fake.log == []


def test_queryset_create(api, fake):
    fake.respond = one_row({"[applied]": False, "sensor": "a", "day": 1, "at": 2})
    Reading = readings(api.Document)
    assert api.run(Reading.find().create(sensor="a", day="1", at=2)) is None
    result = api.run(
        Reading.find().if_not_exists().ttl(4).timestamp(3).create(sensor="a", day=1, at=2, note="n")
    )
    assert result == LWTResult(False, {"sensor": "a", "day": 1, "at": 2})
    assert fake.sent() == [
        (f'INSERT INTO {T} ("sensor", "day", "at") VALUES (?, ?, ?)', ("a", 1, 2)),
        (
            f'INSERT INTO {T} ("sensor", "day", "at", "note") VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ? AND TIMESTAMP ?',
            ("a", 1, 2, "n", 4, 3),
        ),
    ]


def test_queryset_create_checks_names_and_values(api, fake):
    Reading = readings(api.Document)
    with pytest.raises(SchemaError, match="unknown field 'ghost' on table 'readings'"):
        api.run(Reading.find().create(sensor="a", day=1, at=2, ghost=1))
    with pytest.raises(SchemaError, match="bad value for column 'day'"):
        api.run(Reading.find().create(sensor="a", day="x", at=2))
    assert fake.log == []


def test_queryset_options_reach_the_driver(api, fake):
    Reading = readings(api.Document)
    row = Reading.find(sensor="a", day=1, at=3).consistency("QUORUM").serial_consistency("LOCAL_SERIAL")
    api.run(row.timeout(4).update(note="x"))
    api.run(row.using(timeout=2, ttl=5, timestamp=6, consistency="ONE").update(note="y"))
    api.run(row.delete())
    assert [entry[3] for entry in fake.log] == [
        ExecOptions(Consistency.QUORUM, Consistency.LOCAL_SERIAL, timeout=4.0),
        ExecOptions(Consistency.ONE, Consistency.LOCAL_SERIAL, timeout=2.0),
        ExecOptions(Consistency.QUORUM, Consistency.LOCAL_SERIAL),
    ]
    assert fake.sent()[1] == (
        f'UPDATE {T} USING TTL ? AND TIMESTAMP ? SET "note" = ? {WHERE_ROW}',
        (5, 6, "y", *ROW),
    )


def test_get_and_find_one_name_the_filters_they_did_not_match(api, fake):
    Reading = readings(api.Document)
    with pytest.raises(DocumentNotFound) as caught:
        api.run(Reading.get(sensor="a", day=1, at__in=[1, 2]))
    assert (
        str(caught.value)
        == """Reading: no row matches "sensor" = ['a'] AND "day" = [1] AND "at" IN [[1, 2]]"""
    )
    fake.respond = lambda cql, params, options: ResultPage(
        [{"sensor": "a", "day": 1, "at": i} for i in (1, 2)]
    )
    with pytest.raises(MultipleDocumentsFound) as caught:
        api.run(Reading.find().find_one())
    assert str(caught.value) == "Reading: more than one row matches (no filter)"
    assert [params[-1] for _, params in fake.sent()] == [2, 2], "both ask for two rows, not all"


def test_first_asks_for_one_row(api, fake):
    Reading = readings(api.Document)
    assert api.run(Reading.find(sensor="a", day=1).first()) is None
    assert fake.sent() == [(f"SELECT * FROM {T} {WHERE_KEY} LIMIT ?", ("a", 1, 1))]
