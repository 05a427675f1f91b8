"""The CQL builder: exact statement text and bound parameters.

TTL, TIMESTAMP, LIMIT and PER PARTITION LIMIT are bound (``?``), never inlined,
so statement texts (and the prepared-statement cache) do not grow with values.
"""

import pytest

from coodie.cql_builder import (
    Assignment,
    Condition,
    Select,
    build_alter_add,
    build_alter_options,
    build_batch,
    build_counter_update,
    build_create_index,
    build_create_keyspace,
    build_create_table,
    build_delete,
    build_insert,
    build_select,
    build_update,
    literal,
    qualified,
    quote,
)
from coodie.exceptions import InvalidQueryError
from coodie.schema import ColumnDefinition

KT = '"ks"."t"'


def cond(col, op, *values, arity=None):
    return Condition(quote(col), op, tuple(values), arity=arity)


# ----------------------------------------------------------------- identifiers --


def test_identifiers_are_quoted():
    assert quote("name") == '"name"'
    assert quote("Mixed Case") == '"Mixed Case"'
    assert quote('we"ird') == '"we""ird"'
    assert qualified("ks", "t") == KT


def test_literals_for_ddl():
    assert literal(True) == "true"
    assert literal(False) == "false"
    assert literal(10) == "10"
    assert literal(0.5) == "0.5"
    assert literal("it's") == "'it''s'"
    assert literal({"class": "X", "n": 1}) == "{'class': 'X', 'n': 1}"
    with pytest.raises(InvalidQueryError):
        literal(object())


# ---------------------------------------------------------------------- INSERT --


def test_insert_plain():
    cql, params = build_insert("t", "ks", {"id": 1, "name": "a"})
    assert cql == f'INSERT INTO {KT} ("id", "name") VALUES (?, ?)'
    assert params == [1, "a"]


def test_insert_ttl_and_timestamp_are_bound():
    cql, params = build_insert("t", "ks", {"id": 1}, ttl=60, timestamp=1_700_000_000_000_000)
    assert cql == f'INSERT INTO {KT} ("id") VALUES (?) USING TTL ? AND TIMESTAMP ?'
    assert params == [1, 60, 1_700_000_000_000_000]
    assert "60" not in cql and "1700000000000000" not in cql


def test_insert_text_does_not_depend_on_values():
    a, _ = build_insert("t", "ks", {"id": 1}, ttl=5)
    b, _ = build_insert("t", "ks", {"id": 2}, ttl=99999)
    assert a == b


def test_insert_if_not_exists_comes_before_using():
    cql, params = build_insert("t", "ks", {"id": 1}, ttl=10, if_not_exists=True)
    assert cql == f'INSERT INTO {KT} ("id") VALUES (?) IF NOT EXISTS USING TTL ?'
    assert params == [1, 10]


def test_insert_timestamp_only():
    cql, params = build_insert("t", "ks", {"id": 1}, timestamp=5)
    assert cql.endswith("USING TIMESTAMP ?")
    assert params == [1, 5]


# ---------------------------------------------------------------------- UPDATE --


def test_update_set_and_collection_ops_parameter_order():
    cql, params = build_update(
        "t",
        "ks",
        [
            Assignment("name", "set", ("n",)),
            Assignment("tags", "append", ({"x"},)),
            Assignment("items", "prepend", (["a"],)),
            Assignment("old", "remove", ({"y"},)),
            Assignment("m", "index", ("k", "v")),
        ],
        [cond("id", "=", 7), cond("ck", "=", 8)],
        ttl=30,
        timestamp=9,
    )
    assert cql == (
        f'UPDATE {KT} USING TTL ? AND TIMESTAMP ? SET "name" = ?, "tags" = "tags" + ?, '
        '"items" = ? + "items", "old" = "old" - ?, "m"[?] = ? WHERE "id" = ? AND "ck" = ?'
    )
    assert params == [30, 9, "n", {"x"}, ["a"], {"y"}, "k", "v", 7, 8]


def test_update_if_exists():
    cql, params = build_update(
        "t", "ks", [Assignment("a", "set", (1,))], [cond("id", "=", 2)], if_exists=True
    )
    assert cql == f'UPDATE {KT} SET "a" = ? WHERE "id" = ? IF EXISTS'
    assert params == [1, 2]


def test_update_if_conditions_bound_last():
    cql, params = build_update(
        "t",
        "ks",
        [Assignment("a", "set", (1,))],
        [cond("id", "=", 2)],
        if_conditions=[cond("a", "=", 0), cond("b", "IN", 3, 4, arity=2), cond("c", "!=", None)],
    )
    assert cql == f'UPDATE {KT} SET "a" = ? WHERE "id" = ? IF "a" = ? AND "b" IN (?, ?) AND "c" != ?'
    assert params == [1, 2, 0, 3, 4, None]


def test_if_exists_wins_over_conditions():
    cql, params = build_update(
        "t",
        "ks",
        [Assignment("a", "set", (1,))],
        [cond("id", "=", 2)],
        if_exists=True,
        if_conditions=[cond("a", "=", 0)],
    )
    assert cql.endswith("IF EXISTS")
    assert params == [1, 2]


def test_update_needs_assignments():
    with pytest.raises(InvalidQueryError):
        build_update("t", "ks", [], [cond("id", "=", 1)])


def test_counter_update():
    cql, params = build_counter_update("t", "ks", {"hits": 3, "misses": -1}, [("id", "=", 5)])
    assert cql == f'UPDATE {KT} SET "hits" = "hits" + ?, "misses" = "misses" + ? WHERE "id" = ?'
    assert params == [3, -1, 5]


# ---------------------------------------------------------------------- DELETE --


def test_delete_row():
    cql, params = build_delete("t", "ks", [cond("id", "=", 1)])
    assert cql == f'DELETE FROM {KT} WHERE "id" = ?'
    assert params == [1]


def test_delete_columns_elements_timestamp_and_condition():
    cql, params = build_delete(
        "t",
        "ks",
        [cond("id", "=", 1)],
        columns=["a", "b"],
        elements=[("m", "key"), ("l", 2)],
        timestamp=77,
        if_conditions=[cond("a", ">", 0)],
    )
    assert cql == f'DELETE "a", "b", "m"[?], "l"[?] FROM {KT} USING TIMESTAMP ? WHERE "id" = ? IF "a" > ?'
    assert params == ["key", 2, 77, 1, 0]


def test_delete_if_exists():
    cql, _ = build_delete("t", "ks", [cond("id", "=", 1)], if_exists=True)
    assert cql == f'DELETE FROM {KT} WHERE "id" = ? IF EXISTS'


def test_delete_needs_a_where_clause():
    with pytest.raises(InvalidQueryError):
        build_delete("t", "ks", [])


# ---------------------------------------------------------------------- SELECT --


def test_select_star():
    assert build_select(Select("ks", "t")) == (f"SELECT * FROM {KT}", [])


def test_select_everything():
    cql, params = build_select(
        Select(
            "ks",
            "t",
            columns=('"a"', '"b"'),
            where=(cond("id", "=", 1), cond("ck", ">=", 2), cond("tags", "CONTAINS", "x")),
            order_by=(("ck", "DESC"),),
            limit=10,
            per_partition_limit=2,
            allow_filtering=True,
        )
    )
    assert cql == (
        f'SELECT "a", "b" FROM {KT} WHERE "id" = ? AND "ck" >= ? AND "tags" CONTAINS ? '
        'ORDER BY "ck" DESC PER PARTITION LIMIT ? LIMIT ? ALLOW FILTERING'
    )
    assert params == [1, 2, "x", 2, 10]


def test_select_limit_is_bound_not_inlined():
    a = build_select(Select("ks", "t", limit=5))
    b = build_select(Select("ks", "t", limit=5000))
    assert a[0] == b[0] == f"SELECT * FROM {KT} LIMIT ?"
    assert (a[1], b[1]) == ([5], [5000])


def test_select_in_token_null_distinct_json_group_by():
    cql, params = build_select(
        Select(
            "ks",
            "t",
            columns=('"p"',),
            where=(
                cond("p", "IN", 1, 2, 3, arity=3),
                Condition('TOKEN("p")', ">", (-(2**63),)),
                Condition('"x"', "IS NOT NULL", arity=0),
            ),
            distinct=True,
            group_by=("p",),
        )
    )
    assert cql == (
        f'SELECT DISTINCT "p" FROM {KT} WHERE "p" IN (?, ?, ?) AND TOKEN("p") > ? AND "x" IS NOT NULL GROUP BY "p"'
    )
    assert params == [1, 2, 3, -(2**63)]
    assert build_select(Select("ks", "t", json=True))[0] == f"SELECT JSON * FROM {KT}"


# ----------------------------------------------------------------------- BATCH --


def test_text_batch_upstream_shape():
    cql, params = build_batch([("INSERT A", [1]), ("INSERT B", [2, 3])])
    assert cql == "BEGIN BATCH\nINSERT A;\nINSERT B;\nAPPLY BATCH"
    assert params == [1, 2, 3]
    assert build_batch([("X", [])], logged=False)[0].startswith("BEGIN UNLOGGED BATCH\n")
    assert build_batch([("X", [])], batch_type="counter")[0].startswith("BEGIN COUNTER BATCH\n")
    assert build_batch([("X", [])], timestamp=12)[0].startswith("BEGIN BATCH USING TIMESTAMP 12\n")


# ------------------------------------------------------------------------- DDL --


def cols():
    return [
        ColumnDefinition("p1", "uuid", primary_key=True, partition_key_index=0),
        ColumnDefinition("p2", "int", primary_key=True, partition_key_index=1),
        ColumnDefinition(
            "c2", "timestamp", clustering_key=True, clustering_key_index=1, clustering_order="DESC"
        ),
        ColumnDefinition("c1", "text", clustering_key=True, clustering_key_index=0),
        ColumnDefinition("s", "text", static=True),
        ColumnDefinition("v", "list<int>"),
    ]


def test_create_table_composite_keys_and_order():
    cql = build_create_table("t", "ks", cols(), {"default_time_to_live": 60, "comment": "hi"})
    assert cql == (
        f'CREATE TABLE IF NOT EXISTS {KT} ("p1" uuid, "p2" int, "c2" timestamp, "c1" text, "s" text STATIC, '
        '"v" list<int>, PRIMARY KEY (("p1", "p2"), "c1", "c2")) '
        'WITH CLUSTERING ORDER BY ("c1" ASC, "c2" DESC) AND default_time_to_live = 60 AND comment = \'hi\''
    )


def test_create_table_single_key_all_asc_has_no_with():
    cql = build_create_table(
        "t", "ks", [ColumnDefinition("id", "int", primary_key=True), ColumnDefinition("a", "text")]
    )
    assert cql == f'CREATE TABLE IF NOT EXISTS {KT} ("id" int, "a" text, PRIMARY KEY ("id"))'


def test_create_table_map_option():
    cql = build_create_table(
        "t",
        "ks",
        [ColumnDefinition("id", "int", primary_key=True)],
        {"compaction": {"class": "LeveledCompactionStrategy"}},
    )
    assert cql.endswith("WITH compaction = {'class': 'LeveledCompactionStrategy'}")


def test_create_table_needs_a_partition_key():
    with pytest.raises(ValueError):
        build_create_table("t", "ks", [ColumnDefinition("a", "int")])


def test_alter_statements():
    assert (
        build_alter_add("t", "ks", ColumnDefinition("n", "set<text>"))
        == f'ALTER TABLE {KT} ADD "n" set<text>'
    )
    assert (
        build_alter_add("t", "ks", ColumnDefinition("s", "int", static=True))
        == f'ALTER TABLE {KT} ADD "s" int STATIC'
    )
    assert (
        build_alter_options("t", "ks", {"gc_grace_seconds": 10})
        == f"ALTER TABLE {KT} WITH gc_grace_seconds = 10"
    )


def test_create_index():
    col = ColumnDefinition("brand", "text", index=True, index_name="t_brand_idx")
    assert build_create_index("t", "ks", col) == f'CREATE INDEX IF NOT EXISTS "t_brand_idx" ON {KT} ("brand")'
    frozen = ColumnDefinition("fl", "frozen<list<int>>", index=True, index_name="t_fl_idx")
    assert (
        build_create_index("t", "ks", frozen) == f'CREATE INDEX IF NOT EXISTS "t_fl_idx" ON {KT} (FULL("fl"))'
    )


def test_create_keyspace():
    assert build_create_keyspace("ks") == (
        "CREATE KEYSPACE IF NOT EXISTS \"ks\" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}"
    )
    assert build_create_keyspace("ks", dc_replication_map={"dc1": 3, "dc2": 2}) == (
        'CREATE KEYSPACE IF NOT EXISTS "ks" WITH replication = '
        "{'class': 'NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}"
    )
    assert build_create_keyspace("ks", 3, durable_writes=False).endswith("AND durable_writes = false")
    for bad in (0, -1, True, "3"):
        with pytest.raises(InvalidQueryError):
            build_create_keyspace("ks", bad)
