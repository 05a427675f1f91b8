"""Decode plans and parameter encoding of coodie._native (no server needed).

``Codec`` builds the same plan a prepared statement column gets, from a type
[option] (written with the stub server's ``option()`` helper) or a Cassandra
marshal class name.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import struct
import uuid
from decimal import Decimal

import pytest

from coodie import _native
from coodie.types import CqlDuration

UTC = dt.timezone.utc


@pytest.fixture
def codec(stub):
    def make(cql_type: str) -> _native.Codec:
        return _native.Codec(stub.option(cql_type))

    return make


def roundtrip(c: _native.Codec, value):
    return c.decode(c.encode(value))


# ---------------------------------------------------------------- scalars --

SCALARS = [
    ("text", ["", "plain", "h\u00e9llo \u2713 \U0001d11e", "nul\x00inside", "x" * 5000]),
    ("ascii", ["", "plain ~!@#", "\x01\x7f"]),
    ("int", [0, -(2**31), 2**31 - 1]),
    ("bigint", [-(2**63), 2**63 - 1, 0]),
    ("smallint", [-(2**15), 2**15 - 1]),
    ("tinyint", [-128, 127]),
    ("counter", [5, -5]),
    ("varint", [0, -1, 127, 128, -128, -129, 255, -256, 2**63, -(2**63) - 1, 10**40, -(2**100) + 7]),
    ("double", [0.1, -0.0, 1.7976931348623157e308, 5e-324, math.inf, -math.inf]),
    ("float", [0.0, 1.5, -2.25, 3.4028234663852886e38, math.inf]),
    ("boolean", [True, False]),
    ("blob", [b"", b"\x00", bytes(range(256))]),
    ("uuid", [uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]),
    ("timeuuid", [uuid.uuid1()]),
    (
        "inet",
        [ipaddress.IPv4Address("10.1.2.3"), ipaddress.IPv6Address("::1"), ipaddress.IPv6Address("2001:db8::42")],
    ),
    ("date", [dt.date(1970, 1, 1), dt.date(1969, 12, 31), dt.date(1, 1, 1), dt.date(9999, 12, 31)]),
    (
        "timestamp",
        [
            dt.datetime(1970, 1, 1, tzinfo=UTC),
            dt.datetime(1955, 11, 5, 6, 15, 0, 987000, tzinfo=UTC),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
            dt.datetime(1, 1, 1, tzinfo=UTC),
        ],
    ),
    ("decimal", [Decimal("0"), Decimal("3.14"), Decimal("-0.001"), Decimal("1E+30"), Decimal("1e-40"),
                 Decimal("-1234567890.123456789012345678901234567890")]),
    ("duration", [CqlDuration(0, 0, 0), CqlDuration(1, 2, 3), CqlDuration(-1, -2, -(2**63) + 1),
                  CqlDuration(2**31 - 1, 2**31 - 1, 2**63 - 1)]),
]  # fmt: skip


@pytest.mark.parametrize(("cql_type", "values"), SCALARS, ids=[s[0] for s in SCALARS])
def test_scalar_roundtrip(codec, cql_type, values):
    c = codec(cql_type)
    for v in values:
        got = roundtrip(c, v)
        assert type(got) is type(v), (cql_type, v, got)
        if isinstance(v, Decimal):
            assert got.as_tuple() == v.as_tuple()
        elif isinstance(v, float) and v == 0:
            assert math.copysign(1, got) == math.copysign(1, v)
        else:
            assert got == v, (cql_type, v, got)


def test_wire_formats_match_the_spec(codec):
    assert codec("int").encode(-2) == struct.pack(">i", -2)
    assert codec("bigint").encode(1) == struct.pack(">q", 1)
    assert codec("varint").encode(128) == b"\x00\x80"
    assert codec("varint").encode(-129) == b"\xff\x7f"
    assert codec("varint").encode(2**64) == b"\x01" + b"\x00" * 8
    assert codec("decimal").encode(Decimal("3.14")) == struct.pack(">i", 2) + b"\x01\x3a"
    assert codec("date").encode(dt.date(1970, 1, 1)) == struct.pack(">I", 2**31)
    assert codec("timestamp").encode(dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == struct.pack(">q", 1000)
    assert codec("time").encode(dt.time(0, 0, 1)) == struct.pack(">q", 10**9)
    assert codec("inet").encode(ipaddress.ip_address("1.2.3.4")) == b"\x01\x02\x03\x04"
    assert codec("boolean").encode(True) == b"\x01"
    assert codec("text").encode(None) is None
    assert codec("float").encode(1.5) == struct.pack(">f", 1.5)


@pytest.mark.parametrize("digits", [19, 40, 4_300, 5_000, 20_000])
@pytest.mark.parametrize("exponent", [0, -7, 12])
def test_decimals_of_any_size_round_trip_exactly(codec, digits, exponent):
    # Python refuses int <-> str past 4,300 digits; a legal decimal may have more
    # (built here from digits, never through text)
    unscaled = 10 ** (digits - 1) + 7
    coefficient = (1, *([0] * (digits - 2)), 7)
    for sign in (1, -1):
        value = Decimal((0 if sign > 0 else 1, coefficient, exponent))
        wire = codec("decimal").encode(value)
        assert wire[:4] == struct.pack(">i", -exponent)
        assert int.from_bytes(wire[4:], "big", signed=True) == sign * unscaled
        back = codec("decimal").decode(wire)
        assert back == value and back.as_tuple() == value.as_tuple()


def test_uuid_is_a_real_uuid(codec):
    u = uuid.uuid4()
    got = roundtrip(codec("uuid"), u)
    assert type(got) is uuid.UUID
    assert got == u and hash(got) == hash(u) and str(got) == str(u) and got.version == 4
    assert got.is_safe == uuid.SafeUUID.unknown
    with pytest.raises(TypeError):
        got.foo = 1


def test_timestamps_are_utc_aware_with_milliseconds(codec):
    c = codec("timestamp")
    got = roundtrip(c, dt.datetime(2020, 6, 1, 12, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    assert got == dt.datetime(2020, 6, 1, 10, 0, 0, 123000, tzinfo=UTC)
    assert got.tzinfo is UTC
    assert roundtrip(c, dt.datetime(2001, 1, 1, 0, 0, 0, 1500)) == dt.datetime(
        2001, 1, 1, 0, 0, 0, 1000, tzinfo=UTC
    )
    # before the epoch, sub-millisecond parts are floored like the rest
    assert roundtrip(c, dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)).microsecond == 999000
    assert roundtrip(c, dt.date(2000, 1, 2)) == dt.datetime(2000, 1, 2, tzinfo=UTC)
    assert roundtrip(c, 86_400_000) == dt.datetime(1970, 1, 2, tzinfo=UTC)


def test_out_of_range_dates_and_timestamps_come_back_as_ints(codec):
    ts = codec("timestamp")
    big = (2**62) // 1000
    assert ts.decode(struct.pack(">q", big)) == big
    assert ts.decode(struct.pack(">q", -(2**62))) == -(2**62)
    date = codec("date")
    assert date.decode(struct.pack(">I", 0)) == -(2**31)
    assert date.encode(-(2**31)) == struct.pack(">I", 0)


def test_time_decodes_as_time_and_accepts_int_nanoseconds(codec):
    c = codec("time")
    assert c.decode(c.encode(dt.time(23, 59, 59, 999999))) == dt.time(23, 59, 59, 999999)
    assert c.decode(c.encode(45_296_789_123_456)) == dt.time(12, 34, 56, 789123)  # microseconds
    with pytest.raises(ValueError, match="out of range"):
        c.encode(86_400 * 10**9)
    with pytest.raises(_native.ProtocolError):
        c.decode(struct.pack(">q", -1))


def test_durations(codec):
    c = codec("duration")
    assert roundtrip(c, dt.timedelta(days=1, microseconds=5)) == CqlDuration(0, 0, 86_400_000_005_000)
    with pytest.raises(TypeError, match="needs int months, days and nanoseconds"):
        c.encode(object())
    bad = type("D", (), {"months": 1, "days": -1, "nanoseconds": 0})()
    with pytest.raises(ValueError, match="one sign"):
        c.encode(bad)


def test_empty_values_of_non_text_types_are_none(codec):
    assert codec("int").decode(b"") is None
    assert codec("uuid").decode(b"") is None
    assert codec("text").decode(b"") == ""
    assert codec("blob").decode(b"") == b""
    assert codec("list<int>").decode(b"") is None
    assert codec("int").decode(None) is None


# ------------------------------------------------------------ collections --


def test_collections_roundtrip(codec):
    assert roundtrip(codec("list<int>"), [1, 2, 3]) == [1, 2, 3]
    assert roundtrip(codec("list<int>"), (1, 2)) == [1, 2]
    assert roundtrip(codec("set<text>"), {"a", "b"}) == {"a", "b"}
    assert roundtrip(codec("set<text>"), ["a", "a"]) == {"a"}
    assert roundtrip(codec("map<text, int>"), {"a": 1}) == {"a": 1}
    assert roundtrip(codec("tuple<int, text, boolean>"), (1, "x", None)) == (1, "x", None)
    assert roundtrip(codec("map<text, frozen<map<text, int>>>"), {"o": {"i": 1}}) == {"o": {"i": 1}}
    assert roundtrip(codec("list<frozen<tuple<int, text>>>"), [(1, "a")]) == [(1, "a")]
    assert roundtrip(codec("list<int>"), []) == []


def test_values_inside_sets_and_map_keys_are_hashable(codec):
    c = codec("set<frozen<set<int>>>")
    got = roundtrip(c, {frozenset({1}), frozenset({2, 3})})
    assert got == {frozenset({1}), frozenset({2, 3})}
    assert all(type(x) is frozenset for x in got)
    assert roundtrip(codec("map<frozen<set<int>>, text>"), {frozenset(): "e"}) == {frozenset(): "e"}
    assert roundtrip(codec("set<frozen<list<int>>>"), [[1, 2]]) == {(1, 2)}
    assert roundtrip(codec("set<frozen<map<int, text>>>"), [{1: "a"}]) == {((1, "a"),)}


def test_udts_are_dicts_with_missing_fields_null(codec, stub):
    c = codec("udt:ks.addr(street text, zip int, tags frozen<list<text>>)")
    assert c.cql_type == "ks.addr"
    assert roundtrip(c, {"street": "Main", "zip": 5, "tags": ["a"]}) == {
        "street": "Main",
        "zip": 5,
        "tags": ["a"],
    }
    assert roundtrip(c, {"street": "Main"}) == {"street": "Main", "zip": None, "tags": None}

    class Addr:
        street = "obj"
        zip = 7

    assert roundtrip(c, Addr()) == {"street": "obj", "zip": 7, "tags": None}
    # a value written by an older schema has fewer fields
    short = stub.int32(4) + b"Main"
    assert c.decode(short) == {"street": "Main", "zip": None, "tags": None}
    with pytest.raises(ValueError, match="no field named 'city'"):
        c.encode({"street": "x", "city": "y"})


def test_tuples_and_udts_with_no_field_are_none_and_short_ones_are_padded(codec, stub):
    assert codec("tuple<int, text>").decode(b"") is None
    assert codec("udt:ks.p(a int, b text)").decode(b"") is None
    assert codec("tuple<int, text>").decode(stub.bytes_(stub.int32(1))) == (1, None)
    # hashable (inside a set): a UDT is a tuple of pairs, padded the same way
    c = codec("set<frozen<udt:ks.p(a int, b text)>>")
    one = stub.bytes_(stub.int32(1))
    assert c.decode(stub.int32(1) + stub.bytes_(one)) == {(("a", 1), ("b", None))}


def test_nested_values_decode_inside_out(codec, stub):
    c = codec("map<text, frozen<list<frozen<tuple<int, set<text>>>>>>")
    value = {"k": [(1, {"x", "y"}), (2, set())], "e": []}
    assert roundtrip(c, value) == value
    # a null element inside a list, a null map value
    elems = stub.int32(2) + stub.bytes_(stub.int32(7)) + stub.bytes_(None)
    assert codec("list<int>").decode(elems) == [7, None]
    entry = stub.int32(1) + stub.bytes_(b"k") + stub.bytes_(None)
    assert codec("map<text, int>").decode(entry) == {"k": None}


def test_bad_text_inside_a_collection_is_a_protocol_error(codec, stub):
    with pytest.raises(_native.ProtocolError, match=r"UTF-8|utf-8"):
        codec("list<text>").decode(stub.int32(1) + stub.bytes_(b"\xff"))
    with pytest.raises(_native.ProtocolError, match="byte above 127"):
        codec("map<ascii, int>").decode(stub.int32(1) + stub.bytes_(b"\x80") + stub.bytes_(stub.int32(1)))
    with pytest.raises(_native.ProtocolError, match="size does not match"):
        codec("set<int>").decode(stub.int32(1) + stub.bytes_(b"\x00\x01"))


def test_vectors(codec):
    c = _native.Codec(
        "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType, 3)"
    )
    assert c.cql_type == "vector<float, 3>"
    assert c.encode([1.0, 2.0, 3.0]) == struct.pack(">3f", 1, 2, 3)
    assert c.decode(c.encode([1.0, 2.5, -3])) == [1.0, 2.5, -3.0]
    with pytest.raises(ValueError, match="3 elements"):
        c.encode([1.0])
    v = _native.Codec(
        "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.UTF8Type, 2)"
    )
    assert v.decode(v.encode(["a", "bcd"])) == ["a", "bcd"]
    assert v.encode(["a", "bcd"]) == b"\x01a\x03bcd"


# ----------------------------------------------------------------- errors --


@pytest.mark.parametrize(
    ("cql_type", "value", "error", "match"),
    [
        ("int", "1", TypeError, "expects CQL int, got str"),
        ("int", 2**31, ValueError, r"out of range \[-2147483648, 2147483647\]"),
        ("int", 1.0, TypeError, "expects CQL int, got float"),
        ("tinyint", 128, ValueError, "out of range"),
        ("text", b"x", TypeError, "expects CQL text, got bytes"),
        ("text", "\ud800", ValueError, "UTF-8"),
        ("ascii", "h\u00e9", ValueError, "ascii"),
        ("blob", "x", TypeError, "expects CQL blob"),
        ("uuid", "nope", ValueError, "not a UUID"),
        ("uuid", 5, TypeError, "expects CQL uuid"),
        ("timeuuid", uuid.uuid4(), ValueError, "version 1"),
        ("inet", "300.1.1.1", ValueError, "IPv4 or IPv6"),
        ("float", 1e39, ValueError, "32-bit float"),
        ("decimal", Decimal("NaN"), ValueError, "NaN"),
        ("decimal", "1.5", TypeError, "expects CQL decimal"),
        ("list<int>", "abc", TypeError, "expects CQL list<int>"),
        ("list<int>", [1, "2"], TypeError, r"expects CQL int \(in list<int>\), got str"),
        ("list<int>", [1, None], ValueError, "cannot hold nulls"),
        ("map<text, int>", [1, 2], TypeError, "expects CQL map<text, int>"),
        ("tuple<int, int>", (1,), ValueError, "needs 2 components"),
        ("date", "2020-01-01", TypeError, "expects CQL date"),
        ("timestamp", 1.5, TypeError, "expects CQL timestamp"),
        ("duration", 5, TypeError, "expects CQL duration"),
        ("boolean", "yes", TypeError, "expects CQL boolean"),
    ],
)
def test_encoding_errors_name_the_expected_type(codec, cql_type, value, error, match):
    with pytest.raises(error, match=match):
        codec(cql_type).encode(value)


def test_decoding_errors_are_protocol_errors(codec, stub):
    with pytest.raises(_native.ProtocolError, match="size does not match"):
        codec("int").decode(b"\x00\x01")
    with pytest.raises(_native.ProtocolError, match=r"UTF-8|utf-8"):
        codec("text").decode(b"\xff\xfe")
    with pytest.raises(_native.ProtocolError, match="byte above 127"):
        codec("ascii").decode(b"\x80")
    with pytest.raises(_native.ProtocolError):
        codec("list<int>").decode(stub.int32(5) + stub.int32(4))  # count lies
    with pytest.raises(_native.ProtocolError, match="trailing"):
        codec("list<int>").decode(stub.int32(0) + b"x")
    with pytest.raises(_native.ProtocolError, match="inet"):
        codec("inet").decode(b"\x01\x02\x03")
    with pytest.raises(_native.ProtocolError, match="more fields"):
        codec("tuple<int>").decode(stub.bytes_(b"\x00\x00\x00\x01") * 2)
    with pytest.raises(_native.ProtocolError):
        _native.Codec(b"\x00\x99")  # unknown type id


def test_codec_type_text(codec):
    assert codec("map<text, frozen<list<int>>>").cql_type == "map<text, list<int>>"
    assert codec("tuple<int, varchar>").cql_type == "tuple<int, text>"
