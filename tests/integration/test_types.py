"""Every scalar CQL type round-trips through the ODM and the driver, with edge values."""

import datetime as dt
import ipaddress
import math
import uuid
from decimal import Decimal
from typing import Annotated, Any

import pytest

from coodie.fields import (
    Ascii,
    BigInt,
    Double,
    Duration,
    PrimaryKey,
    SmallInt,
    Time,
    TimeUUID,
    TinyInt,
    VarInt,
)
from coodie.types import CqlDuration

UTC = dt.timezone.utc


def _ms(value: dt.datetime) -> dt.datetime:
    """What a CQL timestamp keeps of a datetime: milliseconds, as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


# (id, annotation, CQL type, values, transform of the values on read-back (None: read back equal),
#  python type of the read value)
SCALARS: list[Any] = [
    (
        "text",
        str,
        "text",
        ["", "plain", "h\u00e9llo \u2713 \U0001d11e \u4e2d\u6587", "x" * 10_000, "nul\x00inside"],
        None,
        str,
    ),
    ("ascii", Annotated[str, Ascii()], "ascii", ["", "plain ascii ~!@#", "\x01\x7f"], None, str),
    ("int", int, "int", [0, -(2**31), 2**31 - 1, 42], None, int),
    ("bigint", Annotated[int, BigInt()], "bigint", [-(2**63), 2**63 - 1, 2**40], None, int),
    ("smallint", Annotated[int, SmallInt()], "smallint", [-(2**15), 2**15 - 1, 0], None, int),
    ("tinyint", Annotated[int, TinyInt()], "tinyint", [-128, 127, 0], None, int),
    (
        "varint",
        Annotated[int, VarInt()],
        "varint",
        [0, -1, -(2**100) + 7, 10**30, 2**64, -(2**63) - 1, 255, -256],
        None,
        int,
    ),
    (
        "float",
        float,
        "float",
        [0.0, 1.5, -2.25, 3.4028234663852886e38, float("inf"), float("-inf")],
        None,
        float,
    ),
    (
        "double",
        Annotated[float, Double()],
        "double",
        [0.1, -0.0, 1.7976931348623157e308, 5e-324, float("-inf"), math.pi],
        None,
        float,
    ),
    ("boolean", bool, "boolean", [True, False], None, bool),
    ("blob", bytes, "blob", [b"", b"\x00", bytes(range(256)), b"\xff" * 5000], None, bytes),
    pytest.param(
        "decimal",
        Decimal,
        "decimal",
        [
            Decimal("-1234567890.123456789012345678901234567890"),
            Decimal("0"),
            Decimal("1E+30"),
            Decimal("1e-40"),
            Decimal("3.14"),
            Decimal("-0.001"),
        ],
        None,
        Decimal,
        marks=pytest.mark.requires("decimal"),
        id="decimal",
    ),
    ("uuid", uuid.UUID, "uuid", [uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)], None, uuid.UUID),
    ("timeuuid", Annotated[uuid.UUID, TimeUUID()], "timeuuid", [uuid.uuid1(), uuid.uuid1()], None, uuid.UUID),
    (
        "inet",
        ipaddress.IPv4Address | ipaddress.IPv6Address,
        "inet",
        [
            ipaddress.IPv4Address("192.168.0.1"),
            ipaddress.IPv4Address("0.0.0.0"),
            ipaddress.IPv6Address("::1"),
            ipaddress.IPv6Address("2001:db8::ff00:42:8329"),
            ipaddress.IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ],
        None,
        (ipaddress.IPv4Address, ipaddress.IPv6Address),
    ),
    (
        "date",
        dt.date,
        "date",
        [
            dt.date(1970, 1, 1),
            dt.date(1969, 12, 31),
            dt.date(1000, 1, 1),
            dt.date(9999, 12, 31),
            dt.date(1, 1, 1),
        ],
        None,
        dt.date,
    ),
    (
        "timestamp",
        dt.datetime,
        "timestamp",
        [
            dt.datetime(1969, 7, 20, 20, 17, 40, 123456, tzinfo=UTC),
            dt.datetime(1900, 1, 1, tzinfo=UTC),
            dt.datetime(1970, 1, 1, tzinfo=UTC),
            dt.datetime(2038, 1, 19, 3, 14, 8, 999000, tzinfo=UTC),
            dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
            dt.datetime(2020, 6, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),  # stored as 10:00 UTC
            dt.datetime(2001, 1, 1, 0, 0, 0, 1000),  # naive is taken as UTC
        ],
        "timestamp",
        dt.datetime,
    ),
    (
        "time",
        dt.time,
        "time",
        [dt.time(0, 0), dt.time(23, 59, 59, 999999), dt.time(12, 30, 15, 1), dt.time(1, 2, 3, 456789)],
        None,
        dt.time,
    ),
    (
        "time_ns",
        Annotated[int, Time()],
        "time",
        [0, 1_000, 86_399_999_999_000, 45_296_789_123_000],
        None,
        int,
    ),
    pytest.param(
        "time_ns_precise",
        Annotated[int, Time()],
        "time",
        [1, 86_399_999_999_999, 45_296_789_123_456],
        None,
        int,
        marks=pytest.mark.requires("time_nanoseconds"),
        id="time_ns_precise",
    ),
    (
        "duration",
        Annotated[CqlDuration, Duration()],
        "duration",
        [
            CqlDuration(0, 0, 0),
            CqlDuration(1, 2, 3_000),
            CqlDuration(-1, -2, -3_000_000_000),
            CqlDuration(14, 0, 0),
            CqlDuration(0, 0, -1_000),
        ],
        None,
        CqlDuration,
    ),
    pytest.param(
        "duration_ns",
        Annotated[CqlDuration, Duration()],
        "duration",
        [
            CqlDuration(1, 2, 3),
            CqlDuration(0, 1, 500),
            CqlDuration(0, 0, -1),
            CqlDuration(-5, -6, -(2**63) + 1),
            CqlDuration(0, 0, 2**63 - 1),
            CqlDuration(2**31 - 1, 2**31 - 1, 9_223_372_036_854_775_000),
        ],
        None,
        CqlDuration,
        marks=pytest.mark.requires("duration_nanoseconds"),
        id="duration_ns",
    ),
    ("duration_plain", CqlDuration, "duration", [CqlDuration(0, 1, 500_000)], None, CqlDuration),
]


def _expected(transform: str | None, values: list[Any]) -> list[Any]:
    if transform == "timestamp":
        return [_ms(v) for v in values]
    return values


def _ns_to_time(ns: int) -> dt.time:
    seconds, rest = divmod(ns, 1_000_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return dt.time(hours, minutes, seconds, rest // 1000)


def _raw_time(value: Any) -> Any:
    """The driver contract lets a CQL time be a ``datetime.time`` or int nanoseconds; compare as time."""
    return _ns_to_time(value) if isinstance(value, int) else value


def _raw_expected(case_id: str, value: Any) -> tuple[Any, Any]:
    """The canonical driver value (and its type), a CQL time compared as ``datetime.time``."""
    if case_id in ("time_ns", "time_ns_precise"):
        return _ns_to_time(value), dt.time
    return value, None


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, Decimal):
        return isinstance(got, Decimal) and got.as_tuple() == expected.as_tuple()  # scale kept too
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(expected, float) and isinstance(got, float) and expected == 0.0:
        return got == 0.0 and math.copysign(1, got) == math.copysign(1, expected)
    return (type(got) is not bool and got == expected) or (isinstance(expected, bool) and got is expected)


@pytest.mark.parametrize(
    ("case_id", "annotation", "cql", "values", "transform", "pytype"),
    SCALARS,
    ids=[c[0] if isinstance(c, tuple) else c.id for c in SCALARS],
)
def test_scalar_roundtrip(api, case_id, annotation, cql, values, transform, pytype):
    class Scalar(api.Document):
        id: Annotated[int, PrimaryKey()]
        v: annotation
        maybe: annotation | None = None

        class Settings:
            name = api.name("scalar")

    statements = api.run(Scalar.sync_table())
    assert f'"v" {cql}' in statements[0]
    want = _expected(transform, values)
    for i, value in enumerate(values):
        api.run(Scalar(id=i, v=value).save())

    problems = []
    for i, value in enumerate(want):
        doc = api.run(Scalar.get(id=i))
        if not _same(value, doc.v) or not isinstance(doc.v, pytype):
            problems.append(f"model: wrote {values[i]!r}, expected {value!r}, read {doc.v!r}")
        if doc.maybe is not None:
            problems.append(f"model: Optional None read back as {doc.maybe!r}")
        raw = api.execute_raw(
            f'SELECT "v", "maybe" FROM "{api.keyspace}"."{Scalar.table_name()}" WHERE "id" = ?', [i]
        )
        raw_value, raw_type = _raw_expected(case_id, value)
        raw_v = _raw_time(raw[0]["v"]) if cql == "time" else raw[0]["v"]
        if not _same(raw_value, raw_v) or not isinstance(raw_v, raw_type or pytype):
            problems.append(f"driver: wrote {values[i]!r}, expected {raw_value!r}, read {raw[0]['v']!r}")
        if raw[0]["maybe"] is not None:
            problems.append(f"driver: null read back as {raw[0]['maybe']!r}")
    assert problems == []


def test_float_is_single_precision(api):
    class F(api.Document):
        id: Annotated[int, PrimaryKey()]
        f: float
        d: Annotated[float, Double()]

        class Settings:
            name = api.name("floats")

    api.run(F.sync_table())
    api.run(F(id=1, f=0.1, d=0.1).save())
    got = api.run(F.get(id=1))
    assert got.f == pytest.approx(0.1, rel=1e-7)
    assert got.f != 0.1  # 32-bit float: 0.1 is not exact
    assert got.d == 0.1


def test_nan_roundtrips(api):
    class N(api.Document):
        id: Annotated[int, PrimaryKey()]
        f: float
        d: Annotated[float, Double()]

        class Settings:
            name = api.name("nan")

    api.run(N.sync_table())
    api.run(N(id=1, f=float("nan"), d=float("nan")).save())
    got = api.run(N.get(id=1))
    assert math.isnan(got.f) and math.isnan(got.d)


def test_timestamps_read_back_tz_aware_utc_with_ms_precision(api):
    class T(api.Document):
        id: Annotated[int, PrimaryKey()]
        at: dt.datetime

        class Settings:
            name = api.name("ts")

    api.run(T.sync_table())
    before_epoch = dt.datetime(1955, 11, 5, 6, 15, 0, 987654, tzinfo=UTC)
    api.run(T(id=1, at=before_epoch).save())
    got = api.run(T.get(id=1)).at
    assert got.tzinfo is not None and got.utcoffset() == dt.timedelta(0)
    assert got == dt.datetime(1955, 11, 5, 6, 15, 0, 987000, tzinfo=UTC)
    assert got.microsecond == 987000


def test_all_optional_fields_roundtrip_none(api):
    class AllNone(api.Document):
        id: Annotated[int, PrimaryKey()]
        a: str | None = None
        b: int | None = None
        c: dt.datetime | None = None
        d: uuid.UUID | None = None
        e: Decimal | None = None
        f: bytes | None = None
        g: dt.date | None = None
        h: bool | None = None
        i: int | None = None
        j: Annotated[int | None, BigInt()] = None
        k: tuple[int, str] | None = None

        class Settings:
            name = api.name("nones")

    api.run(AllNone.sync_table())
    api.run(AllNone(id=1).save())
    got = api.run(AllNone.get(id=1))
    assert got.model_dump() == {"id": 1, **{k: None for k in "abcdefghijk"}}
