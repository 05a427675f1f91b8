"""coodie.document: the statements documents send (save, insert, update, delete, increment) and their checks."""

import asyncio
import re
from typing import Any

import pytest

from coodie import aio, sync
from coodie.drivers.base import Consistency, ExecOptions, ResultPage
from coodie.exceptions import ConfigurationError, InvalidQueryError, SchemaError
from coodie.results import LWTResult

from .fakes import models, page_views, readings


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


# ---------------------------------------------------------- update operators --

T = '"ks"."readings"'
WHERE_ROW = 'WHERE "sensor" = ? AND "day" = ? AND "at" = ?'
ROW = ("a", 1, 3)


def keywords(kwargs):
    """A test id: the keywords as written in a call."""
    return ",".join(f"{k}={v!r}" for k, v in kwargs.items())


def one_row(row):
    return lambda cql, params, options: ResultPage([row])


def a_reading(api):
    return readings(api.Document)(sensor="a", day=1, at=3)


#: both ways to update: a document, and a queryset on its primary key
UPDATE_WAYS = {
    "document": lambda api, **kw: a_reading(api).update(**kw),
    "queryset": lambda api, **kw: readings(api.Document).find(sensor="a", day=1, at=3).update(**kw),
}

#: (update keywords, SET text, its bound values): values are checked and converted to the column type
UPDATE_OPERATORS = [
    ({"note": "n"}, '"note" = ?', ("n",)),
    ({"note": None}, '"note" = ?', (None,)),
    ({"value": "2.5"}, '"value" = ?', (2.5,)),
    ({"samples": ("1", 2)}, '"samples" = ?', ([1, 2],)),
    ({"samples__append": [1, "2"]}, '"samples" = "samples" + ?', ([1, 2],)),
    ({"samples__add": [1]}, '"samples" = "samples" + ?', ([1],)),
    ({"samples__prepend": ["0"]}, '"samples" = ? + "samples"', ([0],)),
    ({"samples__remove": [1, 1]}, '"samples" = "samples" - ?', ([1, 1],)),
    ({"samples__setindex": (0, "5")}, '"samples"[?] = ?', (0, 5)),
    ({"tags__add": {"x"}}, '"tags" = "tags" + ?', ({"x"},)),
    ({"tags__add": ["x", "x"]}, '"tags" = "tags" + ?', ({"x"},)),
    ({"tags__remove": {"x", "y"}}, '"tags" = "tags" - ?', ({"x", "y"},)),
    ({"labels__update": {"a": "1"}}, '"labels" = "labels" + ?', ({"a": 1},)),
    ({"labels__add": {"a": 1}}, '"labels" = "labels" + ?', ({"a": 1},)),
    ({"labels__put": ("a", "2")}, '"labels"[?] = ?', ("a", 2)),
    ({"labels__remove": {"a"}}, '"labels" = "labels" - ?', ({"a"},)),
    ({"labels__remove": "a"}, '"labels" = "labels" - ?', ({"a"},)),
    ({"labels__remove": ["a", "b"]}, '"labels" = "labels" - ?', ({"a", "b"},)),
]


@pytest.mark.parametrize("way", UPDATE_WAYS)
@pytest.mark.parametrize(
    ("kwargs", "assignment", "values"), UPDATE_OPERATORS, ids=[keywords(k) for k, *_ in UPDATE_OPERATORS]
)
def test_each_update_operator(api, fake, way, kwargs, assignment, values):
    assert api.run(UPDATE_WAYS[way](api, **kwargs)) is None
    assert fake.sent() == [(f"UPDATE {T} SET {assignment} {WHERE_ROW}", (*values, *ROW))]
    assert [type(v) for v in fake.sent()[0][1][: len(values)]] == [type(v) for v in values]


def test_several_assignments_keep_their_order_after_using(api, fake):
    api.run(a_reading(api).update(ttl=5, timestamp=7, note="n", tags__add={"t"}, samples__setindex=(1, 9)))
    assert fake.sent() == [
        (
            f'UPDATE {T} USING TTL ? AND TIMESTAMP ? SET "note" = ?, "tags" = "tags" + ?, "samples"[?] = ? {WHERE_ROW}',
            (5, 7, "n", {"t"}, 1, 9, *ROW),
        )
    ]


#: (update keywords, exception, the exact message or its start)
UPDATE_ERRORS = [
    (
        {"tags__frobnicate": {"x"}},
        InvalidQueryError,
        "update: unknown operator 'frobnicate' in 'tags__frobnicate'; "
        "use one of add, append, prepend, put, remove, setindex, update",
    ),
    (
        {"tags__prepend": {"x"}},
        InvalidQueryError,
        "update: operator 'prepend' does not apply to column 'tags' of type set<text>",
    ),
    (
        {"tags__setindex": (0, "x")},
        InvalidQueryError,
        "update: operator 'setindex' does not apply to column 'tags' of type set<text>",
    ),
    (
        {"tags__put": ("k", "x")},
        InvalidQueryError,
        "update: operator 'put' does not apply to column 'tags' of type set<text>",
    ),
    (
        {"samples__update": [1]},
        InvalidQueryError,
        "update: operator 'update' does not apply to column 'samples' of type list<int>",
    ),
    (
        {"samples__put": (0, 1)},
        InvalidQueryError,
        "update: operator 'put' does not apply to column 'samples' of type list<int>",
    ),
    (
        {"labels__append": {"a": 1}},
        InvalidQueryError,
        "update: operator 'append' does not apply to column 'labels' of type map<text, int>",
    ),
    (
        {"labels__prepend": {"a": 1}},
        InvalidQueryError,
        "update: operator 'prepend' does not apply to column 'labels' of type map<text, int>",
    ),
    (
        {"note__add": "x"},
        InvalidQueryError,
        "update: operator 'add' does not apply to column 'note' of type text",
    ),
    (
        {"value__remove": 1.0},
        InvalidQueryError,
        "update: operator 'remove' does not apply to column 'value' of type float",
    ),
    (
        {"samples__setindex": 5},
        InvalidQueryError,
        "update: samples__setindex takes a (key, value) pair, not 5",
    ),
    ({"labels__put": ("a",)}, InvalidQueryError, "update: labels__put takes a (key, value) pair, not ('a',)"),
    (
        {"labels__put": ["a", 1]},
        InvalidQueryError,
        "update: labels__put takes a (key, value) pair, not ['a', 1]",
    ),
    ({"sensor": "b"}, InvalidQueryError, "update: 'sensor' is part of the primary key and cannot be updated"),
    ({"at__add": 1}, InvalidQueryError, "update: 'at' is part of the primary key and cannot be updated"),
    (
        {"ghost": 1},
        SchemaError,
        "unknown field 'ghost' on table 'readings'; columns are: sensor, day, at, value, kind, samples, tags, labels, note",
    ),
    ({"ghost__add": 1}, SchemaError, "unknown field 'ghost' on table 'readings'"),
    ({"value": "x"}, SchemaError, "bad value for column 'value' (CQL type float): 'x' — "),
    ({"samples__append": 5}, SchemaError, "bad value for column 'samples' (CQL type list<int>): 5 — "),
    (
        {"samples__setindex": (0, "x")},
        SchemaError,
        "bad value for column 'samples' (CQL type list<int>): ['x'] — ",
    ),
    ({"tags__add": "xy"}, SchemaError, "bad value for column 'tags' (CQL type set<text>): 'xy' — "),
    (
        {"labels__put": ("a", "x")},
        SchemaError,
        "bad value for column 'labels' (CQL type map<text, int>): {'a': 'x'} — ",
    ),
]


@pytest.mark.parametrize("way", UPDATE_WAYS)
@pytest.mark.parametrize(
    ("kwargs", "error", "message"), UPDATE_ERRORS, ids=[keywords(k) for k, *_ in UPDATE_ERRORS]
)
def test_update_errors_before_io(api, fake, way, kwargs, error, message):
    with pytest.raises(error) as caught:
        api.run(UPDATE_WAYS[way](api, **kwargs))
    assert str(caught.value).startswith(message)
    assert fake.log == []


def test_map_remove_checks_the_key_type(api, fake):
    with pytest.raises(SchemaError, match="'labels'"):
        api.run(a_reading(api).update(labels__remove=[5]))


def test_update_refuses_none_for_a_field_that_is_not_optional(api, fake):
    doc = a_reading(api)
    with pytest.raises(SchemaError, match="'value'"):
        api.run(doc.update(value=None))
    assert doc.value == 0.0


def test_update_sets_plain_values_on_the_instance_not_collection_operations(api, fake):
    doc = a_reading(api)
    api.run(doc.update(note="n", value="2", tags__add={"x"}))
    assert (doc.note, doc.value, doc.tags) == ("n", 2.0, set())


def test_update_with_nothing_to_set_sends_nothing(api, fake):
    assert api.run(a_reading(api).update()) is None
    assert api.run(a_reading(api).update(consistency="ONE", timeout=2)) is None
    assert fake.log == []


def test_update_option_keywords_are_options_not_columns(api, fake):
    api.run(
        a_reading(api).update(
            note="n", timestamp=5, consistency="one", serial_consistency="serial", timeout=3
        )
    )
    ((_, cql, params, options),) = fake.log
    assert (cql, params) == (f'UPDATE {T} USING TIMESTAMP ? SET "note" = ? {WHERE_ROW}', (5, "n", *ROW))
    assert options == ExecOptions(Consistency.ONE, Consistency.SERIAL, timeout=3)


# ----------------------------------------------------------- IF conditions --

#: (if_conditions, IF text, its bound values)
IF_CONDITIONS = [
    ({"value": 1}, '"value" = ?', (1.0,)),
    ({"value__ne": "2"}, '"value" != ?', (2.0,)),
    ({"value__gt": 1}, '"value" > ?', (1.0,)),
    ({"value__gte": 1}, '"value" >= ?', (1.0,)),
    ({"value__lt": 1}, '"value" < ?', (1.0,)),
    ({"value__lte": 1}, '"value" <= ?', (1.0,)),
    ({"note__in": ["a", "b"]}, '"note" IN ?', (["a", "b"],)),
    ({"value__in": ("1", 2)}, '"value" IN ?', ([1.0, 2.0],)),
    ({"note": None}, '"note" = ?', (None,)),
    ({"note__ne": None}, '"note" != ?', (None,)),
    ({"tags": ["x"]}, '"tags" = ?', ({"x"},)),
    ({"value__gte": 1, "note": "n"}, '"value" >= ? AND "note" = ?', (1.0, "n")),
]

#: every write that takes if_conditions: (call, statement text before IF, its bound values)
CONDITIONAL_WRITES = {
    "document.update": (
        lambda api, cond: a_reading(api).update(note="x", if_conditions=cond),
        f'UPDATE {T} SET "note" = ? {WHERE_ROW}',
        ("x", *ROW),
    ),
    "document.delete": (
        lambda api, cond: a_reading(api).delete(if_conditions=cond),
        f"DELETE FROM {T} {WHERE_ROW}",
        ROW,
    ),
    "queryset.update": (
        lambda api, cond: (
            readings(api.Document).find(sensor="a", day=1, at=3).update(note="x", if_conditions=cond)
        ),
        f'UPDATE {T} SET "note" = ? {WHERE_ROW}',
        ("x", *ROW),
    ),
    "queryset.delete": (
        lambda api, cond: readings(api.Document).find(sensor="a", day=1, at=3).delete(if_conditions=cond),
        f"DELETE FROM {T} {WHERE_ROW}",
        ROW,
    ),
}


@pytest.mark.parametrize("write", CONDITIONAL_WRITES)
@pytest.mark.parametrize(
    ("conditions", "text", "values"), IF_CONDITIONS, ids=[keywords(c) for c, *_ in IF_CONDITIONS]
)
def test_each_if_condition_operator(api, fake, write, conditions, text, values):
    call, statement, params = CONDITIONAL_WRITES[write]
    fake.respond = one_row({"[applied]": False, "value": 9.0, "note": None})
    assert api.run(call(api, conditions)) == LWTResult(False, {"value": 9.0, "note": None})
    assert fake.sent() == [(f"{statement} IF {text}", (*params, *values))]


#: (if_conditions, exception, the exact message or its start)
IF_ERRORS = [
    ({"note__like": "x"}, InvalidQueryError, "if_conditions: unknown operator 'like' in 'note__like'"),
    (
        {"tags__contains": "x"},
        InvalidQueryError,
        "if_conditions: unknown operator 'contains' in 'tags__contains'",
    ),
    ({"value__eq": 1}, InvalidQueryError, "if_conditions: unknown operator 'eq' in 'value__eq'"),
    (
        {"ghost": 1},
        SchemaError,
        "unknown condition field 'ghost' on table 'readings'; columns are: sensor, day, at, value, kind, samples, tags, labels, note",
    ),
    ({"ghost__gt": 1}, SchemaError, "unknown condition field 'ghost' on table 'readings'"),
    ({"value": "x"}, SchemaError, "bad value for column 'value' (CQL type float): 'x' — "),
    ({"value__in": [1, "x"]}, SchemaError, "bad value for column 'value' (CQL type float): 'x' — "),
]


@pytest.mark.parametrize("write", CONDITIONAL_WRITES)
@pytest.mark.parametrize(
    ("conditions", "error", "message"), IF_ERRORS, ids=[keywords(c) for c, *_ in IF_ERRORS]
)
def test_if_condition_errors_before_io(api, fake, write, conditions, error, message):
    call, _, _ = CONDITIONAL_WRITES[write]
    with pytest.raises(error) as caught:
        api.run(call(api, conditions))
    assert str(caught.value).startswith(message)
    assert fake.log == []


def test_if_condition_in_refuses_a_string(api, fake):
    with pytest.raises(InvalidQueryError, match="note__in"):
        api.run(a_reading(api).update(note="x", if_conditions={"note__in": "ab"}))


def test_if_condition_in_refuses_a_single_value(api, fake):
    with pytest.raises(InvalidQueryError, match="value__in"):
        api.run(a_reading(api).update(note="x", if_conditions={"value__in": 5}))


def test_if_condition_on_a_key_column_is_refused_before_io(api, fake):
    with pytest.raises(InvalidQueryError, match="'sensor'"):
        api.run(a_reading(api).update(note="x", if_conditions={"sensor": "a"}))
    assert fake.log == []


def test_if_exists_wins_over_if_conditions(api, fake):
    api.run(a_reading(api).update(note="x", if_exists=True, if_conditions={"value": 1}))
    api.run(a_reading(api).delete(if_exists=True, if_conditions={"value": 1}))
    assert fake.sent() == [
        (f'UPDATE {T} SET "note" = ? {WHERE_ROW} IF EXISTS', ("x", *ROW)),
        (f"DELETE FROM {T} {WHERE_ROW} IF EXISTS", ROW),
    ]


def test_a_conditional_update_changes_the_instance_only_when_applied(api, fake):
    doc = a_reading(api)
    fake.respond = one_row({"[applied]": False, "note": "theirs"})
    result = api.run(doc.update(note="mine", if_conditions={"note": None}))
    assert (result.applied, result.existing, doc.note) == (False, {"note": "theirs"}, None)
    fake.respond = one_row({"[applied]": True})
    assert api.run(doc.update(note="mine", if_exists=True)) == LWTResult(True, None)
    assert doc.note == "mine"


def test_writes_without_conditions_return_none_whatever_the_server_says(api, fake):
    fake.respond = one_row({"[applied]": False})
    doc = a_reading(api)
    assert api.run(doc.update(note="x")) is None
    assert api.run(doc.delete()) is None
    assert api.run(doc.save()) is None


# ------------------------------------------------------- insert, save, delete --

ALL_COLUMNS = '"sensor", "day", "at", "value", "kind", "samples", "tags", "labels", "note"'
DEFAULTS = ("a", 1, 3, 0.0, "", [], set(), {}, None)


def test_save_and_insert(api, fake):
    fake.respond = one_row({"[applied]": False, "sensor": "a", "day": 1, "at": 3})
    doc = a_reading(api)
    assert api.run(doc.save()) is None
    assert api.run(doc.save(ttl=0, timestamp=9)) is None
    assert api.run(doc.insert()) == LWTResult(False, {"sensor": "a", "day": 1, "at": 3})
    assert api.run(doc.insert(ttl=5)) == LWTResult(False, {"sensor": "a", "day": 1, "at": 3})
    insert = f"INSERT INTO {T} ({ALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    assert fake.sent() == [
        (insert, DEFAULTS),
        (f"{insert} USING TTL ? AND TIMESTAMP ?", (*DEFAULTS, 0, 9)),
        (f"{insert} IF NOT EXISTS", DEFAULTS),
        (f"{insert} IF NOT EXISTS USING TTL ?", (*DEFAULTS, 5)),
    ]
    # a plain INSERT may be retried; IF NOT EXISTS may not
    assert [s.idempotent for s in fake.statements] == [True, True, False, False]


@pytest.mark.parametrize("ttl", [-1, 1.5, True, "5"])
def test_save_refuses_a_bad_ttl(api, fake, ttl):
    with pytest.raises(
        InvalidQueryError, match=re.escape(f"ttl={ttl!r}: must be a non-negative int (seconds)")
    ):
        api.run(a_reading(api).save(ttl=ttl))
    assert fake.log == []


def test_delete_and_delete_columns(api, fake):
    doc = a_reading(api)
    assert api.run(doc.delete(timestamp=4)) is None
    api.run(doc.delete_columns("note", "tags"))
    api.run(doc.delete_columns(collection_elements=[("labels", "k"), ("samples", 0)], timestamp=2))
    assert fake.sent() == [
        (f"DELETE FROM {T} USING TIMESTAMP ? {WHERE_ROW}", (4, *ROW)),
        (f'DELETE "note", "tags" FROM {T} {WHERE_ROW}', ROW),
        (f'DELETE "labels"[?], "samples"[?] FROM {T} USING TIMESTAMP ? {WHERE_ROW}', ("k", 0, 2, *ROW)),
    ]


def test_delete_columns_checks_the_names(api, fake):
    with pytest.raises(SchemaError, match="unknown field 'ghost' on table 'readings'"):
        api.run(a_reading(api).delete_columns("note", "ghost"))
    with pytest.raises(SchemaError, match="unknown field 'ghost' on table 'readings'"):
        api.run(a_reading(api).delete_columns(collection_elements=[("ghost", 1)]))
    assert fake.log == []


def test_write_options_reach_the_driver(api, fake):
    doc = a_reading(api)
    api.run(doc.save(consistency="local_quorum", timeout=2))
    api.run(doc.insert(serial_consistency="local_serial"))
    api.run(doc.delete(consistency="ALL", serial_consistency="SERIAL", timeout=1.5))
    api.run(doc.delete_columns("note", consistency="TWO", timeout=3))
    assert [entry[3] for entry in fake.log] == [
        ExecOptions(Consistency.LOCAL_QUORUM, timeout=2),
        ExecOptions(serial_consistency=Consistency.LOCAL_SERIAL),
        ExecOptions(Consistency.ALL, Consistency.SERIAL, timeout=1.5),
        ExecOptions(Consistency.TWO, timeout=3),
    ]


def test_create_saves_a_new_document(api, fake):
    Reading = readings(api.Document)
    doc = api.run(Reading.create(sensor="a", day=1, at=3, note="n"))
    assert isinstance(doc, Reading) and doc.note == "n"
    assert fake.sent() == [
        (f"INSERT INTO {T} ({ALL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (*DEFAULTS[:-1], "n"))
    ]


# -------------------------------------------------------------------- counters --

C = '"ks"."page_views"'
WHERE_PAGE = 'WHERE "site" = ? AND "page" = ?'


@pytest.mark.parametrize(
    ("method", "deltas", "assignments", "values", "after"),
    [
        ("increment", {"hits": 2}, '"hits" = "hits" + ?', (2,), (2, 0)),
        ("decrement", {"hits": 2}, '"hits" = "hits" + ?', (-2,), (-2, 0)),
        (
            "increment",
            {"hits": 2, "likes": -1},
            '"hits" = "hits" + ?, "likes" = "likes" + ?',
            (2, -1),
            (2, -1),
        ),
        (
            "decrement",
            {"likes": -3, "hits": 1},
            '"likes" = "likes" + ?, "hits" = "hits" + ?',
            (3, -1),
            (-1, 3),
        ),
    ],
)
def test_counter_increments(api, fake, method, deltas, assignments, values, after):
    doc = page_views(api.CounterDocument)(site="s", page="p")
    assert api.run(getattr(doc, method)(**deltas)) is None
    assert fake.sent() == [(f"UPDATE {C} SET {assignments} {WHERE_PAGE}", (*values, "s", "p"))]
    assert (doc.hits, doc.likes) == after, "the instance follows its own deltas"


def test_counter_options_reach_the_driver(api, fake):
    doc = page_views(api.CounterDocument)(site="s", page="p")
    api.run(doc.increment(hits=1, consistency="QUORUM", timeout=2))
    assert fake.log[0][3] == ExecOptions(Consistency.QUORUM, timeout=2)


@pytest.mark.parametrize(
    ("deltas", "error", "message"),
    [
        ({}, InvalidQueryError, "increment()/decrement() needs at least one counter=delta"),
        (
            {"ghost": 1},
            SchemaError,
            "unknown counter column 'ghost' on table 'page_views'; columns are: site, page, hits, likes",
        ),
        ({"page": 1}, InvalidQueryError, "column 'page' of 'page_views' is not a counter"),
        ({"hits": True}, InvalidQueryError, "counter 'hits': the delta must be an int, not True"),
        ({"hits": 1.5}, InvalidQueryError, "counter 'hits': the delta must be an int, not 1.5"),
        ({"hits": "1"}, InvalidQueryError, "counter 'hits': the delta must be an int, not '1'"),
    ],
    ids=["none", "unknown", "not-a-counter", "bool", "float", "str"],
)
@pytest.mark.parametrize("method", ["increment", "decrement"])
def test_counter_errors_before_io(api, fake, method, deltas, error, message):
    doc = page_views(api.CounterDocument)(site="s", page="p")
    with pytest.raises(error) as caught:
        api.run(getattr(doc, method)(**deltas))
    assert str(caught.value) == message
    assert (doc.hits, doc.likes) == (0, 0)
    assert fake.log == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda doc: doc.save(),
            "PageView: counter tables do not support save(); use increment()/decrement()",
        ),
        (
            lambda doc: doc.insert(),
            "PageView: counter tables do not support insert(); use increment()/decrement()",
        ),
        (lambda doc: doc.update(hits=1), "update: 'hits' is a counter; use increment()/decrement()"),
        (
            lambda doc: doc.update(hits__add=1),
            "update: 'hits' is a counter; use increment()/decrement()",
        ),
    ],
    ids=["save", "insert", "update", "update-add"],
)
def test_counter_tables_refuse_plain_writes(api, fake, call, message):
    doc = page_views(api.CounterDocument)(site="s", page="p")
    with pytest.raises(InvalidQueryError) as caught:
        api.run(call(doc))
    assert str(caught.value) == message
    assert fake.log == []


def test_a_counter_row_is_deleted_like_any_other(api, fake):
    api.run(page_views(api.CounterDocument)(site="s", page="p").delete())
    assert fake.sent() == [(f"DELETE FROM {C} {WHERE_PAGE}", ("s", "p"))]
