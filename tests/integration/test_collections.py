"""Every collection shape round-trips: plain, frozen, nested, tuples, empty and null."""

import datetime as dt
import uuid
from typing import Annotated, Any

import pytest

from coodie.fields import BigInt, Frozen, Indexed, PrimaryKey

UTC = dt.timezone.utc

# (id, annotation, CQL type in CREATE TABLE, non-empty value, what an empty value reads back as)
SHAPES: list[Any] = [
    ("list_int", list[int], "list<int>", [3, 1, 2, 1], []),
    ("list_text", list[str], "list<text>", ["b", "", "\u00e9"], []),
    ("set_text", set[str], "set<text>", {"a", "b", ""}, set()),
    ("set_uuid", set[uuid.UUID], "set<uuid>", {uuid.UUID(int=1), uuid.UUID(int=2)}, set()),
    ("map_text_int", dict[str, int], "map<text, int>", {"a": 1, "b": -2}, {}),
    (
        "map_int_ts",
        dict[int, dt.datetime],
        "map<int, timestamp>",
        {1: dt.datetime(1960, 1, 1, tzinfo=UTC), 2: dt.datetime(2030, 5, 6, 7, 8, 9, 10000, tzinfo=UTC)},
        {},
    ),
    ("list_bigint", list[Annotated[int, BigInt()]], "list<bigint>", [2**62, -(2**63)], []),
    ("frozen_list", Annotated[list[int], Frozen()], "frozen<list<int>>", [1, 2, 3], []),
    ("frozen_set", Annotated[set[str], Frozen()], "frozen<set<text>>", {"x", "y"}, set()),
    ("frozenset", frozenset[int], "frozen<set<int>>", frozenset({5, 6}), frozenset()),
    ("frozen_map", Annotated[dict[str, int], Frozen()], "frozen<map<text, int>>", {"k": 1}, {}),
    ("list_of_sets", list[set[int]], "list<frozen<set<int>>>", [{1, 2}, set(), {3}], []),
    ("map_of_lists", dict[str, list[int]], "map<text, frozen<list<int>>>", {"a": [1, 2], "b": []}, {}),
    pytest.param(
        "set_of_frozensets",
        set[frozenset[int]],
        "set<frozen<set<int>>>",
        {frozenset({1}), frozenset({2, 3})},
        set(),
        marks=pytest.mark.requires("collections_in_sets"),
        id="set_of_frozensets",
    ),
    pytest.param(
        "map_frozen_keys",
        dict[frozenset[int], str],
        "map<frozen<set<int>>, text>",
        {frozenset({1, 2}): "a", frozenset(): "empty key"},
        {},
        marks=pytest.mark.requires("collections_in_sets"),
        id="map_frozen_keys",
    ),
    (
        "map_of_maps",
        dict[str, dict[str, int]],
        "map<text, frozen<map<text, int>>>",
        {"outer": {"inner": 1}},
        {},
    ),
    ("list_of_tuples", list[tuple[int, str]], "list<frozen<tuple<int, text>>>", [(1, "a"), (2, "b")], []),
]


def live_type(api, table, column):
    rows = api.execute_raw(
        "SELECT type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? AND column_name = ?",
        [api.keyspace, table, column],
    )
    return rows[0]["type"]


@pytest.mark.parametrize(
    ("case_id", "annotation", "cql", "value", "empty"),
    SHAPES,
    ids=[s[0] if isinstance(s, tuple) else s.id for s in SHAPES],
)
def test_collection_roundtrip(api, case_id, annotation, cql, value, empty):
    class Coll(api.Document):
        id: Annotated[int, PrimaryKey()]
        v: annotation
        maybe: annotation | None = None

        class Settings:
            name = api.name("coll")

    api.run(Coll.sync_table())
    assert live_type(api, Coll.table_name(), "v") == cql
    api.run(Coll(id=1, v=value).save())
    api.run(Coll(id=2, v=empty).save())
    api.run(Coll(id=3, v=empty, maybe=value).save())

    full = api.run(Coll.get(id=1))
    assert full.v == value
    assert type(full.v) is type(value)
    assert full.maybe == empty, "a null collection reads back empty, also when Optional"
    assert type(full.maybe) is type(empty)

    blank = api.run(Coll.get(id=2))
    assert blank.v == empty
    assert type(blank.v) is type(empty)

    assert api.run(Coll.get(id=3)).maybe == value

    raw = api.execute_raw(f'SELECT "v" FROM "{api.keyspace}"."{Coll.table_name()}" WHERE "id" = ?', [1])
    assert raw[0]["v"] == value


def test_list_keeps_order_and_duplicates(api):
    class L(api.Document):
        id: Annotated[int, PrimaryKey()]
        items: list[str] = []

        class Settings:
            name = api.name("lists")

    api.run(L.sync_table())
    api.run(L(id=1, items=["z", "a", "z", "m"]).save())
    assert api.run(L.get(id=1)).items == ["z", "a", "z", "m"]


def test_tuple_roundtrip(api):
    class Tup(api.Document):
        id: Annotated[int, PrimaryKey()]
        t: tuple[int, str, float]
        nested: tuple[int, tuple[str, bool]] | None = None
        with_list: tuple[int, list[int]] | None = None

        class Settings:
            name = api.name("tuples")

    api.run(Tup.sync_table())
    assert live_type(api, Tup.table_name(), "t") == "frozen<tuple<int, text, float>>"
    assert live_type(api, Tup.table_name(), "with_list") == "frozen<tuple<int, frozen<list<int>>>>"
    api.run(Tup(id=1, t=(1, "a", 2.5), nested=(2, ("b", True)), with_list=(3, [4, 5])).save())
    api.run(Tup(id=2, t=(-(2**31), "", -0.5)).save())
    one = api.run(Tup.get(id=1))
    assert one.t == (1, "a", 2.5)
    assert one.nested == (2, ("b", True))
    assert one.with_list == (3, [4, 5])
    two = api.run(Tup.get(id=2))
    assert two.t == (-(2**31), "", -0.5)
    assert two.nested is None
    raw = api.execute_raw(f'SELECT "t" FROM "{api.keyspace}"."{Tup.table_name()}" WHERE "id" = ?', [1])
    assert raw[0]["t"] == (1, "a", 2.5)
    assert isinstance(raw[0]["t"], tuple)


def test_empty_and_null_collections_read_back_empty(api):
    class E(api.Document):
        id: Annotated[int, PrimaryKey()]
        lst: list[int] = []
        s: set[str] = set()
        m: dict[str, int] = {}
        ol: list[int] | None = None
        os: set[str] | None = None
        om: dict[str, int] | None = None
        fl: Annotated[list[int], Frozen()] = []

        class Settings:
            name = api.name("empties")

    api.run(E.sync_table())
    api.run(E(id=1).save())
    # a row written without the collection columns at all
    api.execute_raw(f'INSERT INTO "{api.keyspace}"."{E.table_name()}" ("id") VALUES (?)', [2])
    for key in (1, 2):
        got = api.run(E.get(id=key))
        assert (got.lst, got.s, got.m, got.ol, got.os, got.om, got.fl) == ([], set(), {}, [], set(), {}, [])
        assert isinstance(got.s, set) and isinstance(got.os, set)
    # the same through only()/defer() (partial rows)
    part = api.run(E.find(id=2).only("id", "s", "om").all())[0]
    assert (part.s, part.om) == (set(), {})
    rest = api.run(E.find(id=2).defer("lst").all())[0]
    assert (rest.s, rest.m, rest.fl) == (set(), {}, [])


def test_values_list_reads_null_collections_as_empty(api):
    class E(api.Document):
        id: Annotated[int, PrimaryKey()]
        lst: list[int] = []
        m: dict[str, int] | None = None

        class Settings:
            name = api.name("vl_empty")

    api.run(E.sync_table())
    api.run(E(id=1).save())
    assert api.run(E.find(id=1).values_list("id", "lst", "m").all()) == [(1, [], {})]


def test_collection_filters_contains_and_contains_key(api):
    class Tagged(api.Document):
        id: Annotated[int, PrimaryKey()]
        tags: Annotated[set[str], Indexed()] = set()
        attrs: dict[str, int] = {}

        class Settings:
            name = api.name("tagged")

    api.run(Tagged.sync_table())
    api.run(Tagged(id=1, tags={"red", "big"}, attrs={"w": 1}).save())
    api.run(Tagged(id=2, tags={"red"}, attrs={"h": 2}).save())
    api.run(Tagged(id=3, tags={"blue"}, attrs={"w": 3, "h": 3}).save())
    assert sorted(t.id for t in api.run(Tagged.find(tags__contains="red").all())) == [1, 2]
    with_w = api.run(Tagged.find(attrs__contains_key="w").allow_filtering().all())
    assert sorted(t.id for t in with_w) == [1, 3]
    has_three = api.run(Tagged.find(attrs__contains=3).allow_filtering().all())
    assert [t.id for t in has_three] == [3]
