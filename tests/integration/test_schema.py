"""Schema management on the real node: sync_table, UDTs, options, indexes, drift."""

import logging
import uuid
from typing import Annotated

from coodie.fields import ClusteringKey, Indexed, PrimaryKey
from coodie.usertype import UserType


def live_columns(api, table, keyspace=None):
    rows = api.execute_raw(
        "SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
        [keyspace or api.keyspace, table],
    )
    return {r["column_name"]: (r["type"], r["kind"]) for r in rows}


def live_indexes(api, table):
    rows = api.execute_raw(
        "SELECT index_name FROM system_schema.indexes WHERE keyspace_name = ? AND table_name = ?",
        [api.keyspace, table],
    )
    return {r["index_name"] for r in rows}


def ddl(statements):
    return [s for s in statements if s.split(None, 1)[0] in ("CREATE", "ALTER", "DROP")]


def test_sync_table_creates_the_table(api):
    table = api.name("products")

    class Product(api.Document):
        id: Annotated[uuid.UUID, PrimaryKey()]
        at: Annotated[int, ClusteringKey(order="DESC")]
        name: str
        price: float | None = None
        tags: list[str] = []

        class Settings:
            name = table

    assert not api.table_exists(table)
    statements = api.run(Product.sync_table())
    assert isinstance(statements, list)
    assert len(statements) == 1
    assert statements[0].startswith("CREATE TABLE")
    assert table in statements[0]
    assert api.table_exists(table)
    assert live_columns(api, table) == {
        "id": ("uuid", "partition_key"),
        "at": ("int", "clustering"),
        "name": ("text", "regular"),
        "price": ("float", "regular"),
        "tags": ("list<text>", "regular"),
    }
    order = api.execute_raw(
        "SELECT clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ? "
        "AND column_name = 'at'",
        [api.keyspace, table],
    )
    assert order[0]["clustering_order"] == "desc"


def test_sync_table_twice_changes_nothing(api):
    class Thing(api.Document):
        id: Annotated[int, PrimaryKey()]
        label: Annotated[str, Indexed()] = ""
        data: dict[str, int] = {}

        class Settings:
            name = api.name("things")
            __default_ttl__ = 600
            __options__ = {"gc_grace_seconds": 7200, "compaction": {"class": "LeveledCompactionStrategy"}}

    first = api.run(Thing.sync_table())
    assert any(s.startswith("CREATE TABLE") for s in first)
    second = api.run(Thing.sync_table())
    assert second == [], f"a re-run issued DDL: {second}"
    third = api.run(Thing.sync_table())
    assert third == []


def test_sync_table_adds_a_new_field_with_alter(api):
    table = api.name("evolving")

    class V1(api.Document):
        id: Annotated[int, PrimaryKey()]
        name: str

        class Settings:
            name = table

    api.run(V1.sync_table())
    api.run(V1(id=1, name="old row").save())

    class V2(api.Document):
        id: Annotated[int, PrimaryKey()]
        name: str
        nickname: str | None = None
        scores: list[int] = []

        class Settings:
            name = table

    statements = api.run(V2.sync_table())
    assert [s.split(None, 2)[:2] for s in statements] == [["ALTER", "TABLE"], ["ALTER", "TABLE"]]
    assert '"nickname" text' in statements[0]
    assert '"scores" list<int>' in statements[1]
    cols = live_columns(api, table)
    assert cols["nickname"] == ("text", "regular")
    assert cols["scores"] == ("list<int>", "regular")

    old = api.run(V2.get(id=1))
    assert (old.name, old.nickname, old.scores) == ("old row", None, [])
    api.run(V2(id=2, name="new", nickname="nn", scores=[1]).save())
    assert api.run(V2.get(id=2)).nickname == "nn"
    assert api.run(V2.sync_table()) == []


def test_dry_run_returns_cql_and_creates_nothing(api):
    table = api.name("dry")

    class Dry(api.Document):
        id: Annotated[int, PrimaryKey()]
        brand: Annotated[str, Indexed()] = ""

        class Settings:
            name = table

    planned = api.run(Dry.sync_table(dry_run=True))
    assert [s.split(None, 2)[:2] for s in planned] == [["CREATE", "TABLE"], ["CREATE", "INDEX"]]
    assert table in planned[0]
    assert not api.table_exists(table)

    assert api.run(Dry.sync_table()) == planned  # what the dry run announced is what runs
    assert api.table_exists(table)

    class Dry2(api.Document):
        id: Annotated[int, PrimaryKey()]
        brand: Annotated[str, Indexed()] = ""
        extra: int = 0

        class Settings:
            name = table

    planned = api.run(Dry2.sync_table(dry_run=True))
    assert len(planned) == 1 and planned[0].startswith("ALTER TABLE") and '"extra"' in planned[0]
    assert "extra" not in live_columns(api, table)


def test_udts_are_created_before_the_table(api):
    geo_name = api.name("geo")
    addr_name = api.name("address")

    class Geo(UserType):
        lat: float
        lon: float

        class Settings:
            __type_name__ = geo_name

    class Address(UserType):
        street: str
        geo: Geo | None = None

        class Settings:
            __type_name__ = addr_name

    class Person(api.Document):
        id: Annotated[int, PrimaryKey()]
        home: Address | None = None
        past: list[Address] = []

        class Settings:
            name = api.name("person")

    statements = api.run(Person.sync_table())
    kinds = [" ".join(s.split()[:2]) for s in statements]
    assert kinds == ["CREATE TYPE", "CREATE TYPE", "CREATE TABLE"], statements
    assert geo_name in statements[0]  # dependency first
    assert addr_name in statements[1]
    types = api.execute_raw(
        "SELECT type_name, field_names FROM system_schema.types WHERE keyspace_name = ?", [api.keyspace]
    )
    by_name = {r["type_name"]: list(r["field_names"]) for r in types}
    assert by_name[geo_name] == ["lat", "lon"]
    assert by_name[addr_name] == ["street", "geo"]
    assert api.run(Person.sync_table()) == []


def test_table_options_and_default_ttl_reach_system_schema(api):
    table = api.name("opts")

    class WithOptions(api.Document):
        id: Annotated[int, PrimaryKey()]
        v: str = ""

        class Settings:
            name = table
            __default_ttl__ = 3600
            __options__ = {"gc_grace_seconds": 1234, "comment": "made by coodie's tests"}

    statements = api.run(WithOptions.sync_table())
    assert "default_time_to_live = 3600" in statements[0]
    row = api.execute_raw(
        "SELECT default_time_to_live, gc_grace_seconds, comment FROM system_schema.tables "
        "WHERE keyspace_name = ? AND table_name = ?",
        [api.keyspace, table],
    )[0]
    assert row == {
        "default_time_to_live": 3600,
        "gc_grace_seconds": 1234,
        "comment": "made by coodie's tests",
    }

    class Changed(api.Document):
        id: Annotated[int, PrimaryKey()]
        v: str = ""

        class Settings:
            name = table
            __default_ttl__ = 60
            __options__ = {"gc_grace_seconds": 1234, "comment": "made by coodie's tests"}

    statements = api.run(Changed.sync_table())
    assert len(statements) == 1
    assert statements[0].startswith("ALTER TABLE")
    assert "default_time_to_live = 60" in statements[0]
    assert "gc_grace_seconds" not in statements[0]  # only what changed
    row = api.execute_raw(
        "SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
        [api.keyspace, table],
    )[0]
    assert row["default_time_to_live"] == 60


def test_secondary_index_created_once_and_usable(api):
    table = api.name("indexed")

    class Car(api.Document):
        id: Annotated[int, PrimaryKey()]
        brand: Annotated[str, Indexed()] = ""
        color: Annotated[str, Indexed(index_name=api.name("by_color"))] = ""

        class Settings:
            name = table

    statements = api.run(Car.sync_table())
    index_statements = [s for s in statements if s.startswith("CREATE INDEX")]
    assert len(index_statements) == 2
    expected = {f"{table}_brand_idx", Car._schema().by_name["color"].definition.index_name}
    assert live_indexes(api, table) == expected
    assert api.run(Car.sync_table()) == []  # not re-created
    assert live_indexes(api, table) == expected

    for i, (brand, color) in enumerate([("vw", "red"), ("vw", "blue"), ("bmw", "red")]):
        api.run(Car(id=i, brand=brand, color=color).save())
    assert sorted(c.id for c in api.run(Car.find(brand="vw").all())) == [0, 1]
    assert sorted(c.id for c in api.run(Car.find(color="red").all())) == [0, 2]


def test_drop_removed_indexes(api):
    table = api.name("reindex")

    class WithIndex(api.Document):
        id: Annotated[int, PrimaryKey()]
        brand: Annotated[str, Indexed()] = ""

        class Settings:
            name = table

    api.run(WithIndex.sync_table())
    assert live_indexes(api, table) == {f"{table}_brand_idx"}

    class WithoutIndex(api.Document):
        id: Annotated[int, PrimaryKey()]
        brand: str = ""

        class Settings:
            name = table

    assert api.run(WithoutIndex.sync_table()) == []  # indexes are only dropped on request
    statements = api.run(WithoutIndex.sync_table(drop_removed_indexes=True))
    assert len(statements) == 1
    assert statements[0].startswith("DROP INDEX") and f"{table}_brand_idx" in statements[0]
    assert live_indexes(api, table) == set()


def test_drift_warning_for_a_column_the_model_lacks(api, caplog):
    table = api.name("drift")

    class Wide(api.Document):
        id: Annotated[int, PrimaryKey()]
        keep: str = ""
        legacy_field: str = ""

        class Settings:
            name = table

    api.run(Wide.sync_table())

    class Narrow(api.Document):
        id: Annotated[int, PrimaryKey()]
        keep: str = ""

        class Settings:
            name = table

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="coodie"):
        statements = api.run(Narrow.sync_table())
    assert ddl(statements) == []
    warnings = [r for r in caplog.records if r.name == "coodie" and r.levelno == logging.WARNING]
    assert warnings, "no warning on logger 'coodie'"
    text = " ".join(r.getMessage() for r in warnings)
    assert "Schema drift detected" in text
    assert "legacy_field" in text
    assert "legacy_field" in live_columns(api, table)  # nothing dropped


def test_abstract_model_is_not_synced(api):
    class Base(api.Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            name = api.name("abstract")
            __abstract__ = True

    with api.requests() as sent:
        assert api.run(Base.sync_table()) == []
    assert sent == []
    assert not api.table_exists(Base.table_name())


def test_truncate_and_drop_table(api):
    table = api.name("temp")

    class Temp(api.Document):
        id: Annotated[int, PrimaryKey()]

        class Settings:
            name = table

    api.run(Temp.sync_table())
    for i in range(3):
        api.run(Temp(id=i).save())
    assert api.run(Temp.find().count()) == 3
    api.run(Temp.truncate())
    assert api.run(Temp.find().count()) == 0
    api.run(Temp.drop_table())
    assert not api.table_exists(table)
    api.run(Temp.drop_table())  # IF EXISTS: a second drop is fine


def test_keyspace_create_and_drop_are_idempotent(api):
    ks = api.name("ks")
    api.create_keyspace(ks, replication_factor=1)
    api.create_keyspace(ks, replication_factor=1)
    rows = api.execute_raw("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", [ks])
    assert rows and rows[0]["replication"]["replication_factor"] == "1"
    api.drop_keyspace(ks)
    api.drop_keyspace(ks)
    assert (
        api.execute_raw("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", [ks])
        == []
    )
