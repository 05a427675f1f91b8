"""The operator grammar (coodie.cql.operators): every keyword of every table turns into
the CQL it names, binds checked values, and refuses what does not apply — before any I/O."""

from typing import Annotated

import pytest
from pydantic import BaseModel

from coodie.cql.operators import (
    ASSIGNMENT_FORMS,
    FILTER_OPERATORS,
    IF_OPERATORS,
    TOKEN_OPERATORS,
    UPDATE_OPERATORS,
    Assignment,
    parse_assignments,
    parse_filter,
    parse_if_conditions,
)
from coodie.exceptions import InvalidQueryError, SchemaError
from coodie.fields import ClusteringKey, PrimaryKey
from coodie.schema import build_table_schema


class Row(BaseModel):
    id: Annotated[int, PrimaryKey()]
    at: Annotated[int, ClusteringKey()] = 0
    name: str = ""
    rank: int = 0
    tags: list[str] = []
    labels: set[str] = set()
    scores: dict[str, int] = {}
    odd__name: str = ""


SCHEMA = build_table_schema(Row, table="row")

#: a value each filter keyword accepts on some column
FILTER_SAMPLES = {
    "": ("name", "a"),
    "eq": ("name", "a"),
    "gt": ("at", 1),
    "gte": ("at", 1),
    "lt": ("at", 1),
    "lte": ("at", 1),
    "ne": ("name", "a"),
    "in": ("name", ["a", "b"]),
    "contains": ("tags", "x"),
    "contains_key": ("scores", "k"),
    "like": ("name", "a%"),
    "isnull": ("name", True),
}


def render(keyword, column, value):
    key = f"{column}__{keyword}" if keyword else column
    return parse_filter(SCHEMA, key, value).condition.render()


@pytest.mark.parametrize("keyword", sorted(FILTER_OPERATORS))
def test_every_filter_keyword_renders_its_operator(keyword):
    column, value = FILTER_SAMPLES[keyword]
    text, _ = render(keyword, column, value)
    assert text == FILTER_TEXT[keyword]


#: written out, not read from the table under test
FILTER_TEXT = {
    "": '"name" = ?',
    "eq": '"name" = ?',
    "gt": '"at" > ?',
    "gte": '"at" >= ?',
    "lt": '"at" < ?',
    "lte": '"at" <= ?',
    "ne": '"name" != ?',
    "in": '"name" IN ?',
    "contains": '"tags" CONTAINS ?',
    "contains_key": '"scores" CONTAINS KEY ?',
    "like": '"name" LIKE ?',
    "isnull": '"name" IS NULL',
}
IF_TEXT = {"": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "IN"}


def test_the_filter_and_if_tables_have_no_keyword_the_tests_do_not_know():
    assert set(FILTER_OPERATORS) == set(FILTER_TEXT)
    assert set(IF_OPERATORS) == set(IF_TEXT)


def test_filter_values_are_checked_and_bound():
    assert render("gt", "at", "7") == ('"at" > ?', [7])
    assert render("in", "at", ["1", 2]) == ('"at" IN ?', [[1, 2]])
    assert render("contains", "labels", "x") == ('"labels" CONTAINS ?', ["x"])
    assert render("isnull", "name", True) == ('"name" IS NULL', [])
    assert render("isnull", "name", False) == ('"name" IS NOT NULL', [])
    with pytest.raises(SchemaError, match="'at'"):
        render("gt", "at", "not a number")


@pytest.mark.parametrize("keyword", sorted(TOKEN_OPERATORS))
def test_token_ranges(keyword):
    f = parse_filter(SCHEMA, f"id__token__{keyword}", 5)
    assert f.token
    assert f.condition.render() == (f'TOKEN("id") {TOKEN_OPERATORS[keyword].cql} ?', [5])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("name__near", 1, "unknown operator 'near'"),
        ("name__in", "abc", "IN takes a list"),
        ("name__contains", "a", "CONTAINS applies to collection columns only"),
        ("tags__contains_key", "a", "CONTAINS KEY applies to map columns only"),
        ("id__token__eq", 1, "token operator must be one of gt, gte, lt, lte"),
        ("name__token__gt", 1, "TOKEN\\(\\) applies to partition key columns only"),
        ("id__token__gt", "1", "a token is an int"),
        ("name__a__b", 1, "expected 'field' or 'field__operator'"),
    ],
)
def test_filters_refused_before_io(key, value, message):
    with pytest.raises(InvalidQueryError, match=message):
        parse_filter(SCHEMA, key, value)


@pytest.mark.parametrize("keyword", sorted(IF_OPERATORS))
def test_every_if_keyword_renders_its_operator(keyword):
    value = [1, 2] if keyword == "in" else 1
    key = f"rank__{keyword}" if keyword else "rank"
    [condition] = parse_if_conditions(SCHEMA, {key: value})
    assert condition.render()[0] == f'"rank" {IF_TEXT[keyword]} ?'


@pytest.mark.parametrize("key", ["id", "at__gt"])
def test_if_conditions_on_key_columns_are_refused(key):
    with pytest.raises(InvalidQueryError, match="part of the primary key"):
        parse_if_conditions(SCHEMA, {key: 1})


def test_if_conditions_may_compare_with_null_and_check_values():
    [condition] = parse_if_conditions(SCHEMA, {"name": None})
    assert condition.render() == ('"name" = ?', [None])
    with pytest.raises(InvalidQueryError, match="unknown operator 'like'"):
        parse_if_conditions(SCHEMA, {"name__like": "a"})
    with pytest.raises(InvalidQueryError, match="IN takes a list"):
        parse_if_conditions(SCHEMA, {"name__in": "abc"})


#: a value each update keyword accepts, per collection column
UPDATE_SAMPLES = {
    "list": ("tags", {"setindex": (0, "x")}, ["x"]),
    "set": ("labels", {}, {"x"}),
    "map": ("scores", {"put": ("k", 1), "remove": "k"}, {"k": 1}),
}


@pytest.mark.parametrize(
    ("keyword", "kind"), sorted((k, kind) for k, kinds in UPDATE_OPERATORS.items() for kind in kinds)
)
def test_every_update_keyword_renders_its_set_form(keyword, kind):
    column, special, default = UPDATE_SAMPLES[kind]
    [assignment], plain = parse_assignments(SCHEMA, {f"{column}__{keyword}": special.get(keyword, default)})
    form = UPDATE_OPERATORS[keyword][kind]
    assert assignment.render() == ASSIGNMENT_FORMS[form.kind].format(c=f'"{column}"')
    assert plain == {}


def test_update_values_are_checked():
    assignments, plain = parse_assignments(
        SCHEMA, {"name": "n", "tags__setindex": (2, "x"), "scores__put": ("k", "3"), "scores__remove": "k"}
    )
    assert plain == {"name": "n"}
    assert assignments == [
        Assignment("name", "set", ("n",)),
        Assignment("tags", "index", (2, "x")),
        Assignment("scores", "index", ("k", 3)),
        Assignment("scores", "remove", ({"k"},)),
    ]


def test_a_column_named_with_double_underscores_is_not_split():
    [assignment], plain = parse_assignments(SCHEMA, {"odd__name": "v"})
    assert assignment == Assignment("odd__name", "set", ("v",))
    assert plain == {"odd__name": "v"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"tags__pop": 1}, "unknown operator 'pop'"),
        ({"labels__prepend": {"x"}}, "operator 'prepend' does not apply to column 'labels'"),
        ({"name__add": "x"}, "operator 'add' does not apply to column 'name'"),
        ({"tags__setindex": 1}, "tags__setindex takes a \\(key, value\\) pair"),
        ({"id": 2}, "part of the primary key"),
    ],
)
def test_updates_refused_before_io(fields, message):
    with pytest.raises(InvalidQueryError, match=message):
        parse_assignments(SCHEMA, fields)
