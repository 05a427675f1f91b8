"""Building blocks of value converters."""

import datetime as dt

import pytest

from coodie.drivers._shared.values import (
    as_utc,
    convert_each,
    fields_plan,
    hashable,
    list_of,
    map_of,
    nanoseconds_to_time,
    row_converter_of,
    set_of,
    tuple_of,
)
from coodie.exceptions import InvalidQueryError


def double(v):
    return v * 2


def test_collections():
    assert list_of(double)([1, None, 3]) == [2, None, 6]
    assert set_of(list)({(1, 2)}) == {(1, 2)}
    assert tuple_of([double, None])((1, "a")) == (2, "a")
    assert map_of(None, double)({"a": 1, "b": None}) == {"a": 2, "b": None}
    assert map_of(list, None, hashable_keys=True)({(1,): "x"}) == {(1,): "x"}
    assert list(convert_each([double, None, double], [1, 2, None])) == [2, 2, None]
    assert hashable({1}) == frozenset({1}) and hashable({"a": 1}) == (("a", 1),)


def test_fields_plan_and_row_converter():
    plan = fields_plan([("a", "int"), ("b", "text")], lambda t: double if t == "int" else None)
    assert plan == [("a", double)]
    convert = row_converter_of(plan)
    assert convert is not None and convert({"a": 2, "b": "x"}) == {"a": 4, "b": "x"}
    assert convert({"a": None}) == {"a": None}
    assert row_converter_of([]) is None


def test_as_utc():
    naive = dt.datetime(2024, 1, 2, 3, 4, 5)
    assert as_utc(naive) == naive.replace(tzinfo=dt.timezone.utc)
    aware = dt.datetime(2024, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert as_utc(aware) is aware
    assert as_utc("text") == "text"


def test_nanoseconds_to_time():
    assert nanoseconds_to_time(3_723_000_004_000, sender="x sends") == dt.time(1, 2, 3, 4)
    with pytest.raises(InvalidQueryError, match="x sends time with microsecond precision"):
        nanoseconds_to_time(1, sender="x sends")
    with pytest.raises(InvalidQueryError, match="must be in"):
        nanoseconds_to_time(-1, sender="x sends")
