"""User-defined types: creation, nesting, collections of UDTs, round-trips."""

import datetime as dt
import uuid
from typing import Annotated

import pytest

from coodie.fields import Frozen, PrimaryKey
from coodie.usertype import UserType

UTC = dt.timezone.utc


def udts(api):
    geo_name, addr_name = api.name("geo"), api.name("addr")

    class Geo(UserType):
        lat: float
        lon: float

        class Settings:
            __type_name__ = geo_name

    class Address(UserType):
        street: str
        zip: int | None = None
        geo: Geo | None = None
        lines: list[str] = []
        since: dt.datetime | None = None
        ref: uuid.UUID | None = None

        class Settings:
            __type_name__ = addr_name

    return Geo, Address


def test_sync_type_creates_dependencies_first_and_is_idempotent(api):
    Geo, Address = udts(api)
    statements = api.sync_type(Address)
    assert len(statements) == 2
    assert Geo.type_name() in statements[0] and statements[0].startswith("CREATE TYPE")
    assert Address.type_name() in statements[1] and statements[1].startswith("CREATE TYPE")
    assert api.sync_type(Address) == []
    rows = api.execute_raw(
        "SELECT type_name, field_types FROM system_schema.types WHERE keyspace_name = ? AND type_name = ?",
        [api.keyspace, Address.type_name()],
    )
    assert list(rows[0]["field_types"]) == [
        "text",
        "int",
        f"frozen<{Geo.type_name()}>",
        "frozen<list<text>>",
        "timestamp",
        "uuid",
    ]


def test_sync_type_adds_new_fields(api):
    name = api.name("evo")

    class V1(UserType):
        a: int

        class Settings:
            __type_name__ = name

    class V2(UserType):
        a: int
        b: str | None = None

        class Settings:
            __type_name__ = name

    api.sync_type(V1)
    statements = api.sync_type(V2)
    assert len(statements) == 1 and statements[0].startswith("ALTER TYPE") and '"b" text' in statements[0]
    rows = api.execute_raw(
        "SELECT field_names FROM system_schema.types WHERE keyspace_name = ? AND type_name = ?",
        [api.keyspace, name],
    )
    assert list(rows[0]["field_names"]) == ["a", "b"]


def full_address(Geo, Address, street, n=1):
    """An Address with every field set (some backends cannot send null UDT fields)."""
    return Address(
        street=street,
        zip=10_000 + n,
        geo=Geo(lat=n / 2, lon=-n / 4),
        lines=[f"line {n}"],
        since=dt.datetime(1950, 5, 5, 5, 5, 5, 5000, tzinfo=UTC),
        ref=uuid.UUID(int=n),
    )


def test_udt_field_roundtrip(api):
    Geo, Address = udts(api)

    class Customer(api.Document):
        id: Annotated[int, PrimaryKey()]
        home: Address
        work: Annotated[Address | None, Frozen()] = None

        class Settings:
            name = api.name("customer")

    api.run(Customer.sync_table())  # creates both types first
    home = Address(
        street="1 Main St",
        zip=12345,
        geo=Geo(lat=1.5, lon=-2.25),
        lines=["c/o", "floor 2"],
        since=dt.datetime(1950, 5, 5, 5, 5, 5, 5000, tzinfo=UTC),
        ref=uuid.UUID(int=7),
    )
    api.run(Customer(id=1, home=home).save())
    got = api.run(Customer.get(id=1))
    assert isinstance(got.home, Address)
    assert isinstance(got.home.geo, Geo)
    assert got.home == home
    assert got.home.geo.lon == -2.25
    assert got.home.since == dt.datetime(1950, 5, 5, 5, 5, 5, 5000, tzinfo=UTC)
    assert got.work is None


@pytest.mark.requires("udt_null_fields")
def test_udt_with_null_fields(api):
    Geo, Address = udts(api)

    class Customer(api.Document):
        id: Annotated[int, PrimaryKey()]
        home: Address
        work: Annotated[Address | None, Frozen()] = None

        class Settings:
            name = api.name("customer")

    api.run(Customer.sync_table())
    sparse = Address(street="only street")
    api.run(Customer(id=2, home=sparse, work=sparse).save())
    got = api.run(Customer.get(id=2))
    assert got.home == sparse
    assert got.work == sparse
    assert got.home.lines == [] and got.home.geo is None and got.home.zip is None
    partly = Address(street="s", geo=Geo(lat=1.0, lon=2.0))
    api.run(got.update(work=partly))
    assert api.run(Customer.get(id=2)).work == partly


def test_collections_of_udts_and_nested_udts(api):
    Geo, Address = udts(api)

    class Traveller(api.Document):
        id: Annotated[int, PrimaryKey()]
        trips: list[Address] = []
        by_name: dict[str, Address] = {}
        points: list[Geo] = []
        last: tuple[int, Geo] | None = None

        class Settings:
            name = api.name("traveller")

    statements = api.run(Traveller.sync_table())
    assert [s.split()[1] for s in statements] == ["TYPE", "TYPE", "TABLE"]
    a = full_address(Geo, Address, "a", 1)
    b = full_address(Geo, Address, "b", 2)
    api.run(
        Traveller(
            id=1,
            trips=[a, b, a],
            by_name={"home": a, "away": b},
            points=[Geo(lat=1.0, lon=2.0)],
            last=(3, Geo(lat=4.0, lon=5.0)),
        ).save()
    )
    got = api.run(Traveller.get(id=1))
    assert got.trips == [a, b, a]
    assert all(isinstance(t, Address) for t in got.trips)
    assert got.by_name == {"home": a, "away": b}
    assert got.points == [Geo(lat=1.0, lon=2.0)]
    assert got.last == (3, Geo(lat=4.0, lon=5.0))

    empty = Traveller(id=2)
    api.run(empty.save())
    got = api.run(Traveller.get(id=2))
    assert (got.trips, got.by_name, got.points, got.last) == ([], {}, [], None)


def test_udt_values_from_the_driver_are_dicts(api):
    Geo, _ = udts(api)

    class Spot(api.Document):
        id: Annotated[int, PrimaryKey()]
        where: Geo

        class Settings:
            name = api.name("spot")

    api.run(Spot.sync_table())
    api.run(Spot(id=1, where=Geo(lat=1.0, lon=2.0)).save())
    raw = api.execute_raw(f'SELECT "where" FROM "{api.keyspace}"."{Spot.table_name()}" WHERE "id" = 1')
    assert raw[0]["where"] == {"lat": 1.0, "lon": 2.0}


def test_update_a_udt_field(api):
    Geo, Address = udts(api)

    class Shop(api.Document):
        id: Annotated[int, PrimaryKey()]
        address: Address | None = None
        branches: list[Address] = []

        class Settings:
            name = api.name("shop")

    api.run(Shop.sync_table())
    shop = api.run(Shop.create(id=1))
    new, branch = full_address(Geo, Address, "new", 3), full_address(Geo, Address, "b1", 4)
    api.run(shop.update(address=new))
    api.run(shop.update(branches__append=[branch]))
    got = api.run(Shop.get(id=1))
    assert got.address == new
    assert got.branches == [branch]


def test_usertype_sync_type_classmethods(api):
    """The upstream spelling: ``UDT.sync_type()`` / ``await UDT.sync_type_async()``."""
    Geo, Address = udts(api)
    if not api.is_async:
        statements = Address.sync_type(keyspace=api.keyspace)
        again = Address.sync_type(keyspace=api.keyspace)
    else:
        statements = api.run(Address.sync_type_async(keyspace=api.keyspace))
        again = api.run(Address.sync_type_async(keyspace=api.keyspace))
    assert [s.split()[1] for s in statements] == ["TYPE", "TYPE"]
    assert Geo.type_name() in statements[0] and Address.type_name() in statements[1]
    assert again == []
