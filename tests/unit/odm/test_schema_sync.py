"""coodie.schema_sync: the DDL plans (tables, indexes, types, keyspaces) and schema agreement,
run against a fake node whose system tables the tests fill in."""

import logging
from typing import Annotated

import pytest

from coodie import aio, sync
from coodie.drivers.base import ExecOptions, ResultPage
from coodie.exceptions import InvalidQueryError, SchemaError
from coodie.fields import ClusteringKey, PrimaryKey
from coodie.schema_sync import DDL_TIMEOUT
from coodie.usertype import UserType

from .fakes import FakeDriver, installed, readings

COLUMNS = (
    "SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?"
)
INDEXES = "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?"
TABLES = "SELECT * FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?"
TYPES = "SELECT field_names FROM system_schema.types WHERE keyspace_name = ? AND type_name = ?"
LOCAL = "SELECT schema_version FROM system.local WHERE key = 'local'"
PEERS = "SELECT peer, schema_version FROM system.peers"

READINGS_TABLE = (
    'CREATE TABLE IF NOT EXISTS "ks"."readings" ("sensor" text, "day" int, "at" int, "value" float, '
    '"kind" text, "samples" list<int>, "tags" set<text>, "labels" map<text, int>, "note" text, '
    'PRIMARY KEY (("sensor", "day"), "at"))'
)
KIND_INDEX = 'CREATE INDEX IF NOT EXISTS "readings_kind_idx" ON "ks"."readings" ("kind")'
READINGS_COLUMNS = {
    "sensor": ("text", "partition_key"),
    "day": ("int", "partition_key"),
    "at": ("int", "clustering"),
    "value": ("float", "regular"),
    "kind": ("text", "regular"),
    "samples": ("list<int>", "regular"),
    "tags": ("set<text>", "regular"),
    "labels": ("map<text, int>", "regular"),
    "note": ("text", "regular"),
}


class Node:
    """The system tables of a one-keyspace cluster, as the schema plans read them."""

    def __init__(self) -> None:
        self.columns: dict[str, dict[str, tuple[str, str]]] = {}
        self.indexes: dict[str, list[str]] = {}
        self.options: dict[str, dict[str, object]] = {}
        self.types: dict[str, list[str]] = {}

    def __call__(self, cql, params, options):
        if cql == COLUMNS:
            found = self.columns.get(params[1], {})
            return ResultPage([{"column_name": n, "type": t, "kind": k} for n, (t, k) in found.items()])
        if cql == INDEXES:
            return ResultPage([{"index_name": n} for n in self.indexes.get(params[1], [])])
        if cql == TABLES:
            return ResultPage([self.options[params[1]]] if params[1] in self.options else [])
        if cql == TYPES:
            found = self.types.get(params[1])
            return ResultPage([] if found is None else [{"field_names": found}])
        return ResultPage()


@pytest.fixture
def node(fake):
    fake.respond = Node()
    return fake.respond


def module_of(api):
    return sync if api.flavour == "sync" else aio


def ddl_sent(fake):
    """The DDL statements sent, each checked to go unprepared with the long DDL timeout."""
    sent = [
        (s.cql, entry[3]) for s, entry in zip(fake.statements, fake.log) if not s.cql.startswith("SELECT")
    ]
    for cql, options in sent:
        assert options == ExecOptions(timeout=DDL_TIMEOUT), cql
    assert all(not s.prepare for s in fake.statements if not s.cql.startswith("SELECT"))
    return [cql for cql, _ in sent]


# ---------------------------------------------------------------------- tables --


def test_a_new_table_is_created_with_its_indexes(api, fake, node):
    Reading = readings(api.Document)
    assert api.run(Reading.sync_table()) == [READINGS_TABLE, KIND_INDEX]
    assert fake.sent() == [
        (COLUMNS, ("ks", "readings")),
        (READINGS_TABLE, ()),
        (KIND_INDEX, ()),
    ]
    assert ddl_sent(fake) == [READINGS_TABLE, KIND_INDEX]
    assert all(s.idempotent for s in fake.statements if s.cql.startswith("SELECT"))


def test_a_dry_run_reads_the_schema_and_changes_nothing(api, fake, node):
    Reading = readings(api.Document)
    assert api.run(Reading.sync_table(dry_run=True)) == [READINGS_TABLE, KIND_INDEX]
    assert fake.sent() == [(COLUMNS, ("ks", "readings"))]


def test_an_up_to_date_table_sends_no_ddl_and_awaits_nothing(api, fake, node):
    node.columns["readings"] = dict(READINGS_COLUMNS)
    node.indexes["readings"] = ["readings_kind_idx"]
    assert api.run(readings(api.Document).sync_table()) == []
    assert fake.sent() == [(COLUMNS, ("ks", "readings")), (INDEXES, ("ks", "readings"))]


def test_missing_columns_and_indexes_are_added(api, fake, node):
    node.columns["readings"] = {k: v for k, v in READINGS_COLUMNS.items() if k not in ("tags", "note")}
    assert api.run(readings(api.Document).sync_table()) == [
        'ALTER TABLE "ks"."readings" ADD "tags" set<text>',
        'ALTER TABLE "ks"."readings" ADD "note" text',
        KIND_INDEX,
    ]
    assert ddl_sent(fake) == [
        'ALTER TABLE "ks"."readings" ADD "tags" set<text>',
        'ALTER TABLE "ks"."readings" ADD "note" text',
        KIND_INDEX,
    ]
    assert not any(cql in (LOCAL, PEERS) for cql, _ in fake.sent())


def test_indexes_the_model_no_longer_has_are_dropped_only_when_asked(api, fake, node):
    node.columns["readings"] = dict(READINGS_COLUMNS)
    node.indexes["readings"] = ["readings_kind_idx", "zz_old", "aa_old"]
    assert api.run(readings(api.Document).sync_table()) == []
    assert api.run(readings(api.Document).sync_table(drop_removed_indexes=True)) == [
        'DROP INDEX IF EXISTS "ks"."aa_old"',
        'DROP INDEX IF EXISTS "ks"."zz_old"',
    ]


def test_schema_drift_is_logged_never_altered(api, fake, node, caplog):
    node.columns["readings"] = {
        **READINGS_COLUMNS,
        "value": ("double", "regular"),
        "legacy": ("text", "regular"),
    }
    node.indexes["readings"] = ["readings_kind_idx"]
    with caplog.at_level(logging.WARNING, logger="coodie"):
        assert api.run(readings(api.Document).sync_table()) == []
    assert [r.getMessage() for r in caplog.records] == [
        "Schema drift detected on ks.readings: column 'value' is double in the database but float in the model "
        "(types are never altered)",
        "Schema drift detected on ks.readings: columns in the database but not in the model: legacy",
    ]


def test_types_compare_without_spaces_quotes_or_case(api, fake, node, caplog):
    node.columns["readings"] = {**READINGS_COLUMNS, "labels": ('MAP<"text",int>', "regular")}
    node.indexes["readings"] = ["readings_kind_idx"]
    with caplog.at_level(logging.WARNING, logger="coodie"):
        api.run(readings(api.Document).sync_table())
    assert caplog.records == []


def test_a_key_column_missing_from_the_live_table_is_an_error(api, fake, node):
    node.columns["readings"] = {k: v for k, v in READINGS_COLUMNS.items() if k != "at"}
    with pytest.raises(SchemaError) as caught:
        api.run(readings(api.Document).sync_table())
    assert str(caught.value) == (
        "ks.readings: key column 'at' is not in the live table; primary keys cannot be changed — recreate the table"
    )
    assert ddl_sent(fake) == []


def events(base):
    class Event(base):
        id: Annotated[int, PrimaryKey()]
        at: Annotated[int, ClusteringKey(order="DESC")]
        what: str = ""

        class Settings:
            name = "events"
            __options__ = {
                "comment": "it's",
                "compaction": {"class": "LeveledCompactionStrategy"},
                "gc_grace_seconds": 10,
            }
            __default_ttl__ = 60

    return Event


EVENTS_COLUMNS = {"id": ("int", "partition_key"), "at": ("int", "clustering"), "what": ("text", "regular")}


def test_table_options_and_clustering_order_on_create(api, fake, node):
    assert api.run(events(api.Document).sync_table(dry_run=True)) == [
        'CREATE TABLE IF NOT EXISTS "ks"."events" ("id" int, "at" int, "what" text, PRIMARY KEY ("id", "at")) '
        "WITH CLUSTERING ORDER BY (\"at\" DESC) AND comment = 'it''s' AND "
        "compaction = {'class': 'LeveledCompactionStrategy'} AND gc_grace_seconds = 10 AND default_time_to_live = 60"
    ]


def test_only_changed_table_options_are_altered(api, fake, node):
    node.columns["events"] = dict(EVENTS_COLUMNS)
    node.options["events"] = {
        "comment": "it's",
        # the server names the class in full; the model may give its short name
        "compaction": {
            "class": "org.apache.cassandra.db.compaction.LeveledCompactionStrategy",
            "max_threshold": "32",
        },
        "gc_grace_seconds": 864000,
        "default_time_to_live": 60,
    }
    assert api.run(events(api.Document).sync_table()) == [
        'ALTER TABLE "ks"."events" WITH gc_grace_seconds = 10'
    ]
    assert (TABLES, ("ks", "events")) in fake.sent()


def test_table_options_that_match_are_left_alone(api, fake, node):
    node.columns["events"] = dict(EVENTS_COLUMNS)
    node.options["events"] = {
        "comment": "it's",
        "compaction": {"class": "LeveledCompactionStrategy"},
        "gc_grace_seconds": 10.0,
        "default_time_to_live": 60,
    }
    assert api.run(events(api.Document).sync_table()) == []


def test_an_abstract_document_has_no_table(api, fake, node):
    class Base(api.Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            __abstract__ = True

    assert api.run(Base.sync_table()) == []
    assert fake.log == []


def test_drop_and_truncate(api, fake, node):
    Reading = readings(api.Document)
    api.run(Reading.drop_table())
    api.run(Reading.truncate())
    assert fake.sent() == [
        ('DROP TABLE IF EXISTS "ks"."readings"', ()),
        ('TRUNCATE TABLE "ks"."readings"', ()),
    ]
    assert ddl_sent(fake) == ['DROP TABLE IF EXISTS "ks"."readings"', 'TRUNCATE TABLE "ks"."readings"']


def test_a_table_without_a_keyspace_is_refused(api):
    with installed(FakeDriver(keyspace=None)) as driver:
        with pytest.raises(InvalidQueryError) as caught:
            api.run(readings(api.Document).sync_table())
        assert str(caught.value) == (
            "No keyspace configured for Reading: set Settings.keyspace or init_coodie(keyspace=...)"
        )
        assert driver.log == []


# ---------------------------------------------------------- schema agreement --
# Waiting for schema agreement is the driver's job (python-driver, the C++ and Rust
# drivers and coodie's native session each wait after a schema change; the native
# session's wait is tested in tests/unit/native/test_session.py). The plans only
# send the DDL.


def test_ddl_plans_leave_schema_agreement_to_the_driver(api, fake, node):
    api.run(module_of(api).drop_keyspace("gone"))
    assert fake.sent() == [('DROP KEYSPACE IF EXISTS "gone"', ())]
    assert not any(cql in (LOCAL, PEERS) for cql, _ in fake.sent())


# ------------------------------------------------------------------------ UDTs --


class Point(UserType):
    x: float
    y: float


class Place(UserType):
    name: str
    where: Point
    corners: list[Point] = []


POINT = 'CREATE TYPE IF NOT EXISTS "ks"."point" ("x" float, "y" float)'
PLACE = (
    'CREATE TYPE IF NOT EXISTS "ks"."place" ("name" text, "where" frozen<point>, '
    '"corners" frozen<list<frozen<point>>>)'
)


def test_a_type_is_created_after_the_types_it_uses(api, fake, node):
    assert api.run(module_of(api).sync_type(Place)) == [POINT, PLACE]
    assert fake.sent() == [
        (TYPES, ("ks", "point")),
        (TYPES, ("ks", "place")),
        (POINT, ()),
        (PLACE, ()),
    ]
    assert ddl_sent(fake) == [POINT, PLACE]


def test_sync_type_takes_a_keyspace(api, fake, node):
    in_other = [POINT.replace('"ks"', '"other"'), PLACE.replace('"ks"', '"other"')]
    assert api.run(module_of(api).sync_type(Place, keyspace="other")) == in_other
    assert fake.sent()[:2] == [(TYPES, ("other", "point")), (TYPES, ("other", "place"))]


def test_a_type_gains_its_missing_fields(api, fake, node):
    node.types = {"point": ["x", "y"], "place": ["name"]}
    added = [
        'ALTER TYPE "ks"."place" ADD "where" frozen<point>',
        'ALTER TYPE "ks"."place" ADD "corners" frozen<list<frozen<point>>>',
    ]
    assert api.run(module_of(api).sync_type(Place)) == added
    assert ddl_sent(fake) == added


def test_an_up_to_date_type_sends_no_ddl(api, fake, node):
    node.types = {"point": ["x", "y"], "place": ["name", "where", "corners"]}
    assert api.run(Place.sync_type() if api.flavour == "sync" else Place.sync_type_async()) == []
    assert fake.sent() == [(TYPES, ("ks", "point")), (TYPES, ("ks", "place"))]


def test_a_table_syncs_the_types_of_its_columns_first(api, fake, node):
    class Visit(api.Document):
        id: Annotated[int, PrimaryKey()]
        place: Place | None = None

        class Settings:
            name = "visits"

    node.types = {"point": ["x", "y"]}
    assert api.run(Visit.sync_table()) == [
        PLACE,
        'CREATE TABLE IF NOT EXISTS "ks"."visits" ("id" int, "place" frozen<place>, PRIMARY KEY ("id"))',
    ]
    assert [cql for cql, _ in fake.sent()][:3] == [TYPES, TYPES, COLUMNS]


class Tree(UserType):
    name: str
    children: "list[Tree]" = []


Tree.model_rebuild()


def test_circular_types_are_refused_before_io(api, fake, node):
    with pytest.raises(SchemaError, match="Circular UDT dependency: Tree -> Tree"):
        api.run(module_of(api).sync_type(Tree))
    assert fake.log == []


# ------------------------------------------------------------------- keyspaces --


@pytest.mark.parametrize(
    ("kwargs", "cql"),
    [
        (
            {},
            "CREATE KEYSPACE IF NOT EXISTS \"app\" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}",
        ),
        (
            {"replication_factor": 3},
            "CREATE KEYSPACE IF NOT EXISTS \"app\" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '3'}",
        ),
        (
            {"dc_replication_map": {"dc1": 3, "dc2": 2}},
            'CREATE KEYSPACE IF NOT EXISTS "app" WITH replication = '
            "{'class': 'NetworkTopologyStrategy', 'dc1': '3', 'dc2': '2'}",
        ),
    ],
    ids=["default", "replication_factor", "per-dc"],
)
def test_create_keyspace(api, fake, node, kwargs, cql):
    assert api.run(module_of(api).create_keyspace("app", **kwargs)) is None
    assert fake.sent() == [(cql, ())]
    assert ddl_sent(fake) == [cql]


@pytest.mark.parametrize("rf", [0, -1, True, "3"])
def test_create_keyspace_refuses_a_bad_replication_factor(api, fake, node, rf):
    with pytest.raises(InvalidQueryError, match=f"replication_factor={rf!r}: must be a positive int"):
        api.run(module_of(api).create_keyspace("app", replication_factor=rf))
    assert fake.log == []


def test_execute_raw(api, fake):
    fake.respond = lambda cql, params, options: ResultPage([{"n": 1}])
    run = module_of(api).execute_raw
    assert api.run(run('SELECT "n" FROM "ks"."t" WHERE "k" = ?', [5])) == [{"n": 1}]
    assert api.run(run("CREATE TABLE ks.t2 (k int PRIMARY KEY)")) == [{"n": 1}]
    assert [(s.cql, s.params, s.prepare) for s in fake.statements] == [
        ('SELECT "n" FROM "ks"."t" WHERE "k" = ?', (5,), True),
        ("CREATE TABLE ks.t2 (k int PRIMARY KEY)", (), False),
    ]
