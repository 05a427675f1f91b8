"""Rows written through one backend read back identical through every other backend.

Every backend of the run (the harness's selection: ``COODIE_TEST_DRIVERS``, or
every backend that imports) gets a connection of its own, registered with
``init_coodie(..., name="x_<driver type>")``; the harness's default driver is
left as it was. Documents reach a backend through ``Settings.connection``.

The values are grouped, one table per group: the scalars of ``test_types``
(every CQL scalar type with its edge values, plus NaN and -0.0), the collection
shapes of ``test_collections`` plus tuples and a few more element types, UDTs
(nested, frozen, in collections and tuples) and ``vector<float, N>``. A value
that needs a capability (``decimal``, ``time_nanoseconds``, ...) has a group of
its own. For every group and every ordered pair (writer W, reader R), W included
as its own reader, W saves a few rows in a partition of the pair and R reads
them back; the documents are compared field by field with ``test_types``'
rules (timestamps to the millisecond, decimals by ``as_tuple()``, NaN, -0.0)
and with exact container types.

A group that needs a capability is ``xfail(strict=True)`` for the pairs where a
backend lacks it on the side the capability is about (``SIDES``), with that
backend's reason, like the harness's ``requires`` marker: a backend that gains
the feature fails the run until its flag is updated. A flag does not say which
direction a backend lacks, so a writer lacking a capability of the group reads
its rows back as well: its pairs fail whether it cannot send or cannot read the
values. The mark is added once both drivers are connected, so a driver that
cannot connect gives errors.
"""

import dataclasses
import datetime as dt
import ipaddress
import math
import os
import re
import secrets
import time
import typing
import uuid
import warnings
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

import coodie.sync
from coodie import drivers as coodie_drivers
from coodie.drivers.base import AbstractDriver, Capabilities, ExecOptions, Statement
from coodie.fields import ClusteringKey, Double, Frozen, PrimaryKey, VarInt, Vector
from coodie.types import CqlDuration
from coodie.usertype import UserType

from .conftest import (
    CAPABILITY_NAMES,
    DROP_KEYSPACE_TIMEOUT,
    ENV_DRIVERS,
    ENV_PORT,
    KEYSPACE_PREFIX,
    _hosts,
    select_backends,
)
from .test_collections import SHAPES
from .test_types import SCALARS, _ms, _same

UTC = dt.timezone.utc

#: the driver types of this run, as the harness selects them
DRIVER_TYPES = [b.driver_type for b in select_backends(os.environ.get(ENV_DRIVERS)).selected]
PAIRS = [(w, r) for w in DRIVER_TYPES for r in DRIVER_TYPES]

WRITER, READER = "writer", "reader"
#: the side of a pair each capability is about: only sending, for ``udt_null_fields``
#: ("UDT values with null (or missing) fields can be sent"); both ways for the others
SIDES: dict[str, tuple[str, ...]] = {
    "decimal": (WRITER, READER),
    "duration_nanoseconds": (WRITER, READER),
    "collections_in_sets": (WRITER, READER),
    "time_nanoseconds": (WRITER, READER),
    "vector": (WRITER, READER),
    "udt_null_fields": (WRITER,),
}


def connection_name(driver_type: str) -> str:
    return f"x_{driver_type}"


# ------------------------------------------------------------------ values --


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a group's table: the values its rows take in turn, and a null."""

    name: str
    annotation: Any
    values: tuple[Any, ...]
    #: what a null column reads back as (collections: empty)
    null: Any = None
    #: what a written value reads back as, when not itself
    expect: Callable[[Any], Any] | None = None

    def expected(self, value: Any) -> Any:
        return self.expect(value) if self.expect is not None else value


@dataclasses.dataclass(frozen=True)
class Group:
    """Values written and read as one table; ``requires`` names capabilities."""

    name: str
    columns: tuple[Column, ...]
    requires: tuple[str, ...] = ()

    def rows(self) -> list[dict[str, Any]]:
        """Row ``i`` holds the ``i``-th value of every column (cycling); the last row is all null."""
        count = max(len(c.values) for c in self.columns)
        rows = [{c.name: c.values[i % len(c.values)] for c in self.columns} for i in range(count)]
        return [*rows, dict.fromkeys((c.name for c in self.columns), None)]

    def expected(self) -> list[dict[str, Any]]:
        rows = self.rows()
        out = [{c.name: c.expected(row[c.name]) for c in self.columns} for row in rows[:-1]]
        return [*out, {c.name: c.null for c in self.columns}]


def _split(entry: Any) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The values of a parametrize entry and the capabilities its ``requires`` marks name."""
    if not hasattr(entry, "marks"):  # a plain tuple, not a pytest.param
        return entry, ()
    needs = tuple(name for mark in entry.marks if mark.name == "requires" for name in mark.args)
    return tuple(entry.values), needs


#: more columns for the group of a ``SCALARS`` entry that needs a capability
EXTRA: dict[str, tuple[Column, ...]] = {
    "decimal": (
        Column(
            "c_list_decimal",
            list[Decimal],
            ([Decimal("1.50"), Decimal("0.00"), Decimal("-1E-40"), Decimal("12345678901234567890.1")], []),
            null=[],
        ),
        Column(
            "c_map_decimal",
            dict[str, Decimal],
            ({"pi": Decimal("3.14159"), "big": Decimal("9E+99")},),
            null={},
        ),
    ),
}


def _scalar_groups() -> list[Group]:
    plain: list[Column] = []
    special: list[Group] = []
    for entry in SCALARS:
        (case_id, annotation, _cql, values, transform, _pytype), needs = _split(entry)
        column = Column(
            f"c_{case_id}", annotation, tuple(values), expect=_ms if transform == "timestamp" else None
        )
        if needs:
            special.append(Group(case_id, (column, *EXTRA.get(case_id, ())), needs))
        else:
            plain.append(column)
    plain += [
        Column("c_float_special", float, (math.nan, -0.0)),
        Column("c_double_special", Annotated[float, Double()], (math.nan, 0.0)),
    ]
    return [Group("scalars", tuple(plain)), *special]


def _collection_groups() -> list[Group]:
    plain: list[Column] = []
    by_need: dict[tuple[str, ...], list[Column]] = {}
    for entry in SHAPES:
        (case_id, annotation, _cql, value, empty), needs = _split(entry)
        column = Column(f"c_{case_id}", annotation, (value, empty), null=empty)
        (by_need.setdefault(needs, []) if needs else plain).append(column)
    plain += [
        Column("c_tuple", tuple[int, str, float], ((1, "a", 2.5), (-(2**31), "", -0.5))),
        Column("c_tuple_nested", tuple[int, tuple[str, bool]], ((2, ("b", True)), (0, ("", False)))),
        Column("c_tuple_list", tuple[int, list[int]], ((3, [4, 5]), (-1, []))),
        Column(
            "c_list_double",
            list[Annotated[float, Double()]],
            ([0.1, -0.0, math.inf, 5e-324], []),
            null=[],
        ),
        Column("c_list_varint", list[Annotated[int, VarInt()]], ([2**100, -1, 0, -(2**70)], []), null=[]),
        Column(
            "c_map_date_blob",
            dict[dt.date, bytes],
            ({dt.date(1, 1, 1): b"", dt.date(9999, 12, 31): bytes(range(256))}, {}),
            null={},
        ),
        Column(
            "c_map_uuid_bool",
            dict[uuid.UUID, bool],
            ({uuid.UUID(int=0): True, uuid.UUID(int=2**128 - 1): False}, {}),
            null={},
        ),
        Column(
            "c_list_duration",
            list[CqlDuration],
            ([CqlDuration(1, 2, 3_000), CqlDuration(-1, -2, -3_000_000_000)], []),
            null=[],
        ),
        Column(
            "c_set_inet",
            set[ipaddress.IPv6Address],
            ({ipaddress.IPv6Address("::1"), ipaddress.IPv6Address("2001:db8::1")}, set()),
            null=set(),
        ),
    ]
    groups = [Group("collections", tuple(plain))]
    for needs, columns in by_need.items():
        groups.append(Group("_".join(needs), tuple(columns), needs))
    return groups


class XGeo(UserType):
    lat: float
    lon: float

    class Settings:
        __type_name__ = "x_geo"


class XAddress(UserType):
    street: str
    zip: int | None = None
    geo: XGeo | None = None
    lines: list[str] = []
    since: dt.datetime | None = None
    ref: uuid.UUID | None = None

    class Settings:
        __type_name__ = "x_address"


def _address(street: str, n: int) -> XAddress:
    """Every field set: some backends cannot send null UDT fields."""
    return XAddress(
        street=street,
        zip=10_000 + n,
        geo=XGeo(lat=n / 2, lon=-n / 4),
        lines=[f"line {n}", ""],
        since=dt.datetime(1950, 5, 5, 5, 5, 5, 5000, tzinfo=UTC),
        ref=uuid.UUID(int=n),
    )


def _udt_groups() -> list[Group]:
    a, b = _address("a \u00e9", 1), _address("", 2)
    geo = XGeo(lat=-0.0, lon=math.inf)
    full = Group(
        "udt",
        (
            Column("c_home", XAddress, (a, b)),
            Column("c_work", Annotated[XAddress, Frozen()], (b, a)),
            Column("c_geo", XGeo, (geo, XGeo(lat=1.5, lon=-2.25))),
            Column("c_trips", list[XAddress], ([a, b, a], []), null=[]),
            Column("c_by_name", dict[str, XAddress], ({"home": a, "away": b}, {}), null={}),
            Column("c_points", list[XGeo], ([geo, XGeo(lat=1.0, lon=2.0)], []), null=[]),
            Column("c_last", tuple[int, XGeo], ((3, XGeo(lat=4.0, lon=5.0)), (-3, geo))),
            Column("c_tuple_udts", tuple[XAddress, list[XGeo]], ((a, [geo]), (b, []))),
        ),
    )
    sparse, partly = XAddress(street="only street"), XAddress(street="s", geo=XGeo(lat=1.0, lon=2.0))
    nulls = Group(
        "udt_null_fields",
        (
            Column("c_home", XAddress, (sparse, partly)),
            Column("c_work", Annotated[XAddress, Frozen()], (partly, sparse)),
            Column("c_trips", list[XAddress], ([sparse, a, partly], []), null=[]),
        ),
        ("udt_null_fields",),
    )
    return [full, nulls]


class XClock(UserType):
    at: dt.time
    label: str

    class Settings:
        __type_name__ = "x_clock"


def _time_nested_groups() -> list[Group]:
    """``time`` values inside collections, tuples and UDTs (microsecond precision: every backend).
    The first row holds only times below 86.4 µs, whose nanoseconds are also a valid number of
    seconds: a nested time read back as int nanoseconds would be taken for a wrong time there."""
    early, early2, late = dt.time(0, 0, 0, 5), dt.time(0, 0, 0, 86), dt.time(23, 59, 59, 999999)
    return [
        Group(
            "time_nested",
            (
                Column("c_list_time", list[dt.time], ([early, early2], [late, dt.time(0)], []), null=[]),
                Column("c_tuple_time", tuple[int, dt.time], ((1, early), (2, late))),
                Column(
                    "c_map_time",
                    dict[str, dt.time],
                    ({"a": early2}, {"b": dt.time(12, 30, 15, 1)}, {}),
                    null={},
                ),
                Column("c_clock", XClock, (XClock(at=early, label="e"), XClock(at=late, label="l"))),
            ),
        )
    ]


def _vector_groups() -> list[Group]:
    return [
        Group(
            "vector",
            (
                Column(
                    "c_vec",
                    Annotated[list[float], Vector(4)],
                    ([1.5, -2.25, 0.0, 3.4028234663852886e38], [-0.0, 0.125, -1024.0, 65504.0]),
                ),
                Column("c_vec1", Annotated[list[float], Vector(1)], ([math.inf],)),
            ),
            ("vector",),
        )
    ]


GROUPS = [
    *_scalar_groups(),
    *_collection_groups(),
    *_time_nested_groups(),
    *_udt_groups(),
    *_vector_groups(),
]
for _group in GROUPS:
    for _name in _group.requires:
        assert _name in CAPABILITY_NAMES and _name in SIDES, _name


# -------------------------------------------------------------- comparing --


def same(expected: Any, got: Any) -> bool:
    """``test_types``' equality, through containers (whose exact type must match) and UDTs."""
    if expected is None:
        return got is None
    if isinstance(expected, BaseModel):
        return type(got) is type(expected) and all(
            same(getattr(expected, f), getattr(got, f)) for f in type(expected).model_fields
        )
    if isinstance(expected, dict):
        return (
            type(got) is type(expected)
            and got.keys() == expected.keys()
            and all(same(v, got[k]) for k, v in expected.items())
        )
    if isinstance(expected, list | tuple):
        return (
            type(got) is type(expected)
            and len(got) == len(expected)
            and all(same(e, g) for e, g in zip(expected, got, strict=True))
        )
    if isinstance(expected, set | frozenset):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, dt.datetime):
        return isinstance(got, dt.datetime) and got.utcoffset() == dt.timedelta(0) and _same(expected, got)
    return isinstance(got, type(expected)) and _same(expected, got)


def _optional(annotation: Any) -> Any:
    """``annotation`` or None; ``Annotated[T | None, ...]`` for an annotated type (the ODM reads a
    ``time`` column into int nanoseconds only when the int is inside the ``Annotated``)."""
    if typing.get_origin(annotation) is Annotated:
        base, *metadata = typing.get_args(annotation)
        return Annotated[(base | None, *metadata)]
    return annotation | None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:300]}... ({len(text)} chars)"


# ---------------------------------------------------------------- drivers --


class CrossDrivers:
    """One connected driver per backend (connected on first use), one keyspace, the group tables."""

    def __init__(self) -> None:
        self.keyspace = f"{KEYSPACE_PREFIX}cross_{int(time.time())}_{secrets.token_hex(2)}"
        self.drivers: dict[str, AbstractDriver] = {}
        self.failed: dict[str, BaseException] = {}
        self.tables: set[str] = set()
        self.documents: dict[tuple[str, str], type[coodie.sync.Document]] = {}
        self.keyspace_ready = False

    def driver(self, driver_type: str) -> AbstractDriver:
        if driver_type in self.failed:
            raise RuntimeError(f"driver_type={driver_type!r} could not connect") from self.failed[driver_type]
        if driver_type not in self.drivers:
            options: dict[str, Any] = {}
            if os.environ.get(ENV_PORT):
                options["port"] = int(os.environ[ENV_PORT])
            default = coodie_drivers._default_name
            try:
                driver = coodie_drivers.init_coodie(
                    hosts=_hosts(), driver_type=driver_type, name=connection_name(driver_type), **options
                )
            except Exception as exc:
                self.failed[driver_type] = exc
                raise RuntimeError(
                    f"cannot connect driver_type={driver_type!r} to {_hosts()}: {exc} "
                    "(is the node up? python3 tools/cassandra/node.py start)"
                ) from exc
            finally:
                self._restore_default(default)
            self.drivers[driver_type] = driver
        if not self.keyspace_ready:
            coodie.sync.create_keyspace(
                self.keyspace, replication_factor=1, connection=connection_name(driver_type)
            )
            self.keyspace_ready = True
        return self.drivers[driver_type]

    @staticmethod
    def _restore_default(name: str | None) -> None:
        """init_coodie() registers its driver as the default: give the default back."""
        if name is not None and name in coodie_drivers._registry:
            coodie_drivers.register_driver(name, coodie_drivers._registry[name], default=True)
        else:
            coodie_drivers._default_name = name

    def document(self, group: Group, driver_type: str) -> type[coodie.sync.Document]:
        """The document class of ``group``'s table bound to ``driver_type``'s connection."""
        key = (group.name, driver_type)
        if key not in self.documents:
            qualname = "Cross_" + re.sub(r"[^A-Za-z0-9]+", "_", f"{group.name}_{driver_type}")
            settings = type(
                "Settings",
                (),
                {
                    # a class defined in the model's body: pydantic leaves it alone
                    "__qualname__": f"{qualname}.Settings",
                    "name": f"x_{group.name}",
                    "keyspace": self.keyspace,
                    "connection": connection_name(driver_type),
                },
            )
            annotations: dict[str, Any] = {
                "pair": Annotated[str, PrimaryKey()],
                "n": Annotated[int, ClusteringKey()],
            }
            namespace: dict[str, Any] = {
                "__module__": __name__,
                "__qualname__": qualname,
                "Settings": settings,
            }
            for column in group.columns:
                annotations[column.name] = _optional(column.annotation)
                namespace[column.name] = None
            namespace["__annotations__"] = annotations
            self.documents[key] = type(qualname, (coodie.sync.Document,), namespace)
        return self.documents[key]

    def ensure_table(self, group: Group, driver_type: str) -> None:
        if group.name not in self.tables:
            self.document(group, driver_type).sync_table()
            self.tables.add(group.name)

    def close(self) -> list[str]:
        problems: list[str] = []
        if self.keyspace_ready and self.drivers:
            driver = next(iter(self.drivers.values()))
            statement = Statement(f'DROP KEYSPACE IF EXISTS "{self.keyspace}"', prepare=False)
            try:
                driver.run(statement, ExecOptions(timeout=DROP_KEYSPACE_TIMEOUT))
            except Exception as exc:
                problems.append(f"drop keyspace {self.keyspace}: {type(exc).__name__}: {exc}")
        default = coodie_drivers._default_name
        for driver_type, driver in self.drivers.items():
            try:
                driver.close()
            except Exception as exc:
                problems.append(f"close {driver_type}: {type(exc).__name__}: {exc}")
            name = connection_name(driver_type)
            if coodie_drivers._registry.get(name) is driver:
                del coodie_drivers._registry[name]
        self._restore_default(default)
        return problems


@pytest.fixture(scope="module")
def cross() -> Iterator[CrossDrivers]:
    drivers = CrossDrivers()
    try:
        yield drivers
    finally:
        # warned, not raised: a teardown error would be pinned on the module's last test
        problems = drivers.close()
        if problems:
            warnings.warn(f"cleanup of the cross-driver drivers: {'; '.join(problems)}", stacklevel=1)


@dataclasses.dataclass
class Case:
    writer: str
    reader: str
    Writer: type[coodie.sync.Document]
    Reader: type[coodie.sync.Document]
    #: the backends that read the rows back: the reader, and the writer too when it lacks a
    #: capability of the group (capabilities have no direction: a backend that can send such
    #: values but not read them must fail its pairs as a writer as well)
    readers: dict[str, type[coodie.sync.Document]]


def _lacking(group: Group, side: str, driver_type: str, caps: Capabilities) -> list[str]:
    return [
        f"{driver_type} ({side}) lacks {name}: {caps.reason(name)}"
        for name in group.requires
        if side in SIDES[name] and not getattr(caps, name)
    ]


@pytest.fixture
def case(cross: CrossDrivers, request: pytest.FixtureRequest) -> Case:
    """Both drivers connected, the group's table, and the capability mark of the pair."""
    params = request.node.callspec.params
    group, writer, reader = params["group"], params["writer"], params["reader"]
    writer_caps, reader_caps = cross.driver(writer).capabilities, cross.driver(reader).capabilities
    writer_lacks = _lacking(group, WRITER, writer, writer_caps)
    lacking = list(dict.fromkeys([*writer_lacks, *_lacking(group, READER, reader, reader_caps)]))
    if lacking:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason="; ".join(lacking)))
    cross.ensure_table(group, writer)
    Writer, Reader = cross.document(group, writer), cross.document(group, reader)
    readers = {reader: Reader}
    if writer_lacks:
        readers[writer] = Writer
    return Case(writer, reader, Writer, Reader, readers)


# ------------------------------------------------------------------ tests --


@pytest.mark.parametrize(("writer", "reader"), PAIRS, ids=[f"{w}-to-{r}" for w, r in PAIRS])
@pytest.mark.parametrize("group", GROUPS, ids=[g.name for g in GROUPS])
def test_written_by_one_backend_read_by_another(case, group, writer, reader):
    key = f"{writer}>{reader}"
    rows, want = group.rows(), group.expected()
    for n, row in enumerate(rows):
        case.Writer(pair=key, n=n, **row).save()

    problems = []
    for read_by, Doc in case.readers.items():
        for n, (row, expected) in enumerate(zip(rows, want, strict=True)):
            try:
                doc = Doc.get(pair=key, n=n)
            except Exception as exc:
                message = str(exc).strip().splitlines()
                problems.append(
                    f"read by {read_by}: row {n}: {type(exc).__name__}: {' | '.join(message)[:600]}"
                )
                continue
            for column in group.columns:
                value = getattr(doc, column.name)
                if not same(expected[column.name], value):
                    problems.append(
                        f"read by {read_by}: row {n} {column.name}: wrote {_short(row[column.name])}, "
                        f"expected {_short(expected[column.name])}, read {_short(value)}"
                    )
    assert not problems, f"written by {writer}, read by {reader}:\n" + "\n".join(problems)
