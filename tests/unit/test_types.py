"""The Python → CQL type mapping."""

# The old spellings (Optional, Union, List, ...) are under test here on purpose.
# ruff: noqa: UP006, UP007, UP035, UP045

import datetime as dt
import decimal
import enum
import ipaddress
import typing
import uuid
from typing import Annotated, Dict, FrozenSet, List, Literal, Optional, Set, Tuple, Union

import pytest
from pydantic import BaseModel

from coodie.exceptions import InvalidQueryError, SchemaError
from coodie.fields import (
    Ascii,
    BigInt,
    Counter,
    Double,
    Duration,
    Frozen,
    SmallInt,
    Time,
    TimeUUID,
    TinyInt,
    VarInt,
    Vector,
    VectorIndex,
)
from coodie.types import CqlDuration, cql_type_of, empty_collection, python_type_to_cql_type_str, snake_case
from coodie.usertype import UserType


class Address(UserType):
    street: str


class HTTPAddress(UserType):
    host: str


class Named(UserType):
    x: int

    class Settings:
        __type_name__ = "custom_name"


class PlainModel(BaseModel):
    a: int


class Color(enum.Enum):
    RED = "red"


SCALARS = [
    (str, "text"),
    (int, "int"),
    (float, "float"),
    (bool, "boolean"),
    (bytes, "blob"),
    (uuid.UUID, "uuid"),
    (dt.datetime, "timestamp"),
    (dt.date, "date"),
    (dt.time, "time"),
    (decimal.Decimal, "decimal"),
    (ipaddress.IPv4Address, "inet"),
    (ipaddress.IPv6Address, "inet"),
    (Union[ipaddress.IPv4Address, ipaddress.IPv6Address], "inet"),
    (CqlDuration, "duration"),
]


@pytest.mark.parametrize(
    ("annotation", "cql"), SCALARS, ids=[c for _, c in SCALARS[:-2]] + ["inet_union", "duration"]
)
def test_scalars(annotation, cql):
    assert python_type_to_cql_type_str(annotation) == cql


OVERRIDES = [
    (Annotated[int, BigInt()], "bigint"),
    (Annotated[int, SmallInt()], "smallint"),
    (Annotated[int, TinyInt()], "tinyint"),
    (Annotated[int, VarInt()], "varint"),
    (Annotated[float, Double()], "double"),
    (Annotated[str, Ascii()], "ascii"),
    (Annotated[uuid.UUID, TimeUUID()], "timeuuid"),
    (Annotated[dt.time, Time()], "time"),
    (Annotated[int, Time()], "time"),
    (Annotated[CqlDuration, Duration()], "duration"),
    (Annotated[int, Counter()], "counter"),
    (Annotated[int, BigInt], "bigint"),  # the marker class itself works too
]


@pytest.mark.parametrize(
    ("annotation", "cql"),
    OVERRIDES,
    ids=[c for _, c in OVERRIDES[:-4]] + ["time_int", "duration", "counter", "bare_marker"],
)
def test_type_overrides(annotation, cql):
    assert python_type_to_cql_type_str(annotation) == cql


@pytest.mark.parametrize(
    ("annotation", "cql"),
    [
        (Optional[int], "int"),
        (Union[int, None], "int"),
        (int | None, "int"),
        (None | str, "text"),
        (Optional[list[str]], "list<text>"),
        (list[str] | None, "list<text>"),
        (Annotated[Optional[int], BigInt()], "bigint"),
        (Optional[Annotated[int, BigInt()]], "bigint"),
        (Annotated[int | None, TinyInt()], "tinyint"),
        (Optional[Address], "frozen<address>"),
    ],
)
def test_optional_forms_map_to_the_inner_type(annotation, cql):
    assert python_type_to_cql_type_str(annotation) == cql


@pytest.mark.parametrize(
    ("annotation", "cql"),
    [
        (list[int], "list<int>"),
        (List[int], "list<int>"),
        (set[str], "set<text>"),
        (Set[str], "set<text>"),
        (frozenset[int], "frozen<set<int>>"),
        (FrozenSet[int], "frozen<set<int>>"),
        (dict[str, int], "map<text, int>"),
        (Dict[str, int], "map<text, int>"),
        (tuple[int, str, float], "tuple<int, text, float>"),
        (Tuple[int, str], "tuple<int, text>"),
        (Annotated[list[int], Frozen()], "frozen<list<int>>"),
        (Annotated[set[int], Frozen()], "frozen<set<int>>"),
        (Annotated[dict[str, int], Frozen()], "frozen<map<text, int>>"),
        (Annotated[frozenset[int], Frozen()], "frozen<set<int>>"),  # no double freeze
        (list[Annotated[int, BigInt()]], "list<bigint>"),
        (dict[Annotated[str, Ascii()], Annotated[float, Double()]], "map<ascii, double>"),
        (Annotated[list[float], Vector(3)], "vector<float, 3>"),
    ],
)
def test_collections(annotation, cql):
    assert python_type_to_cql_type_str(annotation) == cql


@pytest.mark.parametrize(
    ("annotation", "cql"),
    [
        (list[list[int]], "list<frozen<list<int>>>"),
        (list[set[int]], "list<frozen<set<int>>>"),
        (set[frozenset[int]], "set<frozen<set<int>>>"),
        (dict[str, list[int]], "map<text, frozen<list<int>>>"),
        (dict[frozenset[int], set[str]], "map<frozen<set<int>>, frozen<set<text>>>"),
        (list[dict[str, list[int]]], "list<frozen<map<text, frozen<list<int>>>>>"),
        (tuple[int, list[int]], "tuple<int, frozen<list<int>>>"),
        (list[Annotated[list[int], Frozen()]], "list<frozen<list<int>>>"),
        (Annotated[list[set[int]], Frozen()], "frozen<list<frozen<set<int>>>>"),
    ],
)
def test_nested_collections_are_frozen_inside_collections(annotation, cql):
    assert python_type_to_cql_type_str(annotation) == cql


@pytest.mark.parametrize(
    ("annotation", "cql"),
    [
        (Address, "frozen<address>"),
        (Annotated[Address, Frozen()], "frozen<address>"),
        (list[Address], "list<frozen<address>>"),
        (dict[str, Address], "map<text, frozen<address>>"),
        (tuple[int, Address], "tuple<int, frozen<address>>"),
        (HTTPAddress, "frozen<http_address>"),
        (Named, "frozen<custom_name>"),
        (PlainModel, "frozen<plain_model>"),
    ],
)
def test_udts(annotation, cql):
    assert python_type_to_cql_type_str(annotation) == cql


def test_udt_names_use_one_rule():
    assert HTTPAddress.type_name() == "http_address"
    assert python_type_to_cql_type_str(HTTPAddress) == f"frozen<{HTTPAddress.type_name()}>"
    assert Named.type_name() == "custom_name"


def test_type_overrides_are_not_frozen():
    assert python_type_to_cql_type_str(Annotated[int, BigInt(), Frozen()]) == "bigint"
    assert python_type_to_cql_type_str(Annotated[str, Frozen()]) == "text"


@pytest.mark.parametrize(
    "annotation",
    [
        list,
        set,
        dict,
        tuple,
        tuple[int, ...],
        Union[int, str],
        Optional[Union[int, str]],
        int | str,
        Color,
        Literal["a", "b"],
        object,
        typing.Any,
        complex,
        Annotated[str, BigInt()],  # override on the wrong base type
        Annotated[float, Counter()],
        Annotated[int, TimeUUID()],
        Annotated[list[int], Vector(3)],  # vectors are list[float]
        Annotated[list[float], Vector(3), VectorIndex()] | int,
    ],
    ids=lambda a: repr(a)[:40],
)
def test_unmappable_annotations_are_schema_errors(annotation):
    with pytest.raises(SchemaError) as info:
        python_type_to_cql_type_str(annotation)
    assert isinstance(info.value, InvalidQueryError)


def test_bad_markers_fail_at_construction():
    with pytest.raises(InvalidQueryError):
        Vector(0)
    with pytest.raises(InvalidQueryError):
        Vector(-3)
    with pytest.raises(ValueError):
        VectorIndex("MANHATTAN")


def test_error_names_the_field():
    with pytest.raises(SchemaError, match="price"):
        cql_type_of(list, where="field 'price'")


def test_cql_duration():
    d = CqlDuration(1, 2, 3)
    assert (d.months, d.days, d.nanoseconds) == (1, 2, 3)
    assert CqlDuration() == CqlDuration(0, 0, 0)
    assert CqlDuration(-1, -2, -3).months == -1
    assert CqlDuration(0, -1, 0) == CqlDuration(days=-1)
    with pytest.raises(ValueError):
        CqlDuration(1, -1, 0)  # all components share one sign
    with pytest.raises(AttributeError):
        d.months = 5  # type: ignore[misc]
    assert hash(d) == hash(CqlDuration(1, 2, 3))


def test_snake_case():
    assert snake_case("BlogPost") == "blog_post"
    assert snake_case("HTTPRequest") == "http_request"
    assert snake_case("User") == "user"
    assert snake_case("IOError2Log") == "io_error2_log"


def test_empty_collection_values():
    assert empty_collection(cql_type_of(list[int])) == []
    assert empty_collection(cql_type_of(set[int])) == set()
    assert empty_collection(cql_type_of(dict[str, int])) == {}
    assert empty_collection(cql_type_of(frozenset[int])) == set()
    assert empty_collection(cql_type_of(int)) is None


def test_type_tree():
    t = cql_type_of(dict[str, list[Address]])
    assert t.name == "map" and t.is_collection
    assert [x.name for x in t.walk()] == ["map", "text", "list", "udt"]
    assert t.params[1].frozen and t.params[1].params[0].udt is Address
