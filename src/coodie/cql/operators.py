"""Every operator coodie accepts, in one place: the keyword a user writes, the CQL it
becomes, and what it binds.

Three grammars share the ``field__<operator>=value`` keyword form:

* filters — ``find(age__gte=18)`` → ``WHERE "age" >= ?``, and ``id__token__gt=0`` →
  ``WHERE TOKEN("id") > ?``;
* IF conditions — ``update(..., if_conditions={"age__lt": 30})`` → ``IF "age" < ?``;
* update forms — ``update(tags__append=["x"])`` → ``SET "tags" = "tags" + ?``.

Adding an operator is one entry in :data:`FILTER_OPERATORS`, :data:`TOKEN_OPERATORS`,
:data:`IF_OPERATORS` or :data:`UPDATE_OPERATORS`; a new kind of value is one binder
function beside them. Values are checked against the column before any I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coodie.exceptions import InvalidQueryError
from coodie.model.schema import Column, TableSchema
from coodie.support.cql_names import quote

# ------------------------------------------------------------------ the clauses --


@dataclass(frozen=True, slots=True)
class Condition:
    """``<lhs> <op> <rhs>`` with the bound values of ``rhs``."""

    lhs: str
    op: str
    values: tuple[Any, ...] = ()
    #: how many markers the right side has: None = one ``?``; n = ``(?, ?, …)``; 0 = no value
    arity: int | None = None

    def render(self) -> tuple[str, list[Any]]:
        if self.arity == 0:
            return f"{self.lhs} {self.op}", []
        if self.arity is None:
            return f"{self.lhs} {self.op} ?", list(self.values)
        return f"{self.lhs} {self.op} ({', '.join('?' * self.arity)})", list(self.values)


#: the SET forms an assignment can take; ``{c}`` is the quoted column
ASSIGNMENT_FORMS = {
    "set": "{c} = ?",
    "append": "{c} = {c} + ?",
    "prepend": "{c} = ? + {c}",
    "remove": "{c} = {c} - ?",
    "index": "{c}[?] = ?",
}


@dataclass(frozen=True, slots=True)
class Assignment:
    """One part of ``SET``: a column, one of :data:`ASSIGNMENT_FORMS`, and its bound values."""

    column: str
    kind: str  # a key of ASSIGNMENT_FORMS
    values: tuple[Any, ...]

    def render(self) -> str:
        return ASSIGNMENT_FORMS[self.kind].format(c=quote(self.column))


# ---------------------------------------------------------------------- binders --
# A binder checks a keyword's value against its column and returns the values to
# bind; ``where`` names the keyword in error messages.

Binder = Callable[[Column, Any, str], tuple[Any, ...]]


def _value(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    return (col.validate(value),)


def _value_or_null(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    """An IF condition may compare with null (``IF "c" = null``)."""
    return (None if value is None else col.validate(value),)


def _values(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    """``IN``: one bound list, so the statement text does not depend on how many values there are."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise InvalidQueryError(f"{where}: IN takes a list of values, not {value!r}")
    return ([col.validate(v) for v in value],)


def _element(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    """``CONTAINS``: an element of a list or set, a value of a map."""
    if col.type.name == "list":
        return (col.validate([value])[0],)
    if col.type.name == "set":
        return (next(iter(col.validate({value}))),)
    if col.type.name == "map":
        return (col.validate_map_value(value),)
    raise InvalidQueryError(f"{where}: CONTAINS applies to collection columns only")


def _map_key(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    if col.type.name != "map":
        raise InvalidQueryError(f"{where}: CONTAINS KEY applies to map columns only")
    return (col.validate_map_key(value),)


def _token(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQueryError(f"{where}: a token is an int, not {value!r}")
    return (value,)


def _pair(col: Column, value: Any, where: str) -> tuple[Any, Any]:
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidQueryError(f"update: {where} takes a (key, value) pair, not {value!r}")
    return value


def _list_index(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    """``setindex=(i, item)``: the index as given, the item checked as a list element."""
    index, item = _pair(col, value, where)
    return (index, col.validate([item])[0])


def _map_entry(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    """``put=(key, item)``: both checked as one map entry."""
    key, item = _pair(col, value, where)
    return next(iter(col.validate({key: item}).items()))


def _map_keys(col: Column, value: Any, where: str) -> tuple[Any, ...]:
    """Removing from a map takes keys: one key, or several."""
    keys = [value] if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") else value
    return ({col.validate_map_key(k) for k in keys},)


# ----------------------------------------------------------------- the grammars --


@dataclass(frozen=True, slots=True)
class Operator:
    """One comparison keyword: its CQL operator and how its value binds."""

    cql: str
    bind: Binder = _value
    #: the CQL when the value is false (``isnull=False`` → ``IS NOT NULL``); such an operator binds nothing
    cql_if_false: str | None = None

    def condition(self, lhs: str, col: Column, value: Any, where: str) -> Condition:
        if self.cql_if_false is not None:
            return Condition(lhs, self.cql if value else self.cql_if_false, arity=0)
        return Condition(lhs, self.cql, self.bind(col, value, where))


#: ``find(field__<keyword>=value)``; ``field=value`` is the ``""`` entry
FILTER_OPERATORS: dict[str, Operator] = {
    "": Operator("="),
    "eq": Operator("="),
    "gt": Operator(">"),
    "gte": Operator(">="),
    "lt": Operator("<"),
    "lte": Operator("<="),
    "ne": Operator("!="),
    "in": Operator("IN", _values),
    "contains": Operator("CONTAINS", _element),
    "contains_key": Operator("CONTAINS KEY", _map_key),
    "like": Operator("LIKE"),
    "isnull": Operator("IS NULL", cql_if_false="IS NOT NULL"),
}

#: ``find(pk__token__<keyword>=n)``: a range of the partitioner's tokens
TOKEN_OPERATORS: dict[str, Operator] = {
    "gt": Operator(">", _token),
    "gte": Operator(">=", _token),
    "lt": Operator("<", _token),
    "lte": Operator("<=", _token),
}

#: ``if_conditions={"field__<keyword>": value}`` (lightweight transactions)
IF_OPERATORS: dict[str, Operator] = {
    "": Operator("=", _value_or_null),
    "ne": Operator("!=", _value_or_null),
    "gt": Operator(">", _value_or_null),
    "gte": Operator(">=", _value_or_null),
    "lt": Operator("<", _value_or_null),
    "lte": Operator("<=", _value_or_null),
    "in": Operator("IN", _values),
}


@dataclass(frozen=True, slots=True)
class UpdateForm:
    """What ``update(field__<keyword>=value)`` does to one kind of collection."""

    kind: str  # a key of ASSIGNMENT_FORMS
    bind: Binder = _value


_APPEND = UpdateForm("append")
_REMOVE = UpdateForm("remove")

#: ``update(field__<keyword>=value)``: keyword → collection type → SET form
UPDATE_OPERATORS: dict[str, dict[str, UpdateForm]] = {
    "add": {"list": _APPEND, "set": _APPEND, "map": _APPEND},
    "append": {"list": _APPEND},
    "prepend": {"list": UpdateForm("prepend")},
    "remove": {"list": _REMOVE, "set": _REMOVE, "map": UpdateForm("remove", _map_keys)},
    "update": {"map": _APPEND},
    "put": {"map": UpdateForm("index", _map_entry)},
    "setindex": {"list": UpdateForm("index", _list_index)},
}


# ------------------------------------------------------------------- parsing --


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed ``find()`` keyword: the column it filters and its WHERE condition."""

    column: Column
    condition: Condition
    token: bool = False


def parse_filter(schema: TableSchema, key: str, value: Any) -> Filter:
    """``field`` / ``field__op`` / ``field__token__op`` → a checked condition."""
    parts = key.split("__")
    col = schema.column(parts[0], what="filter field")
    where = f"filter {key!r}"
    if len(parts) == 3 and parts[1] == "token":
        token_op = TOKEN_OPERATORS.get(parts[2])
        if token_op is None:
            raise InvalidQueryError(f"{where}: token operator must be one of {', '.join(TOKEN_OPERATORS)}")
        if not col.definition.primary_key:
            raise InvalidQueryError(f"{where}: TOKEN() applies to partition key columns only")
        lhs = "TOKEN(" + ", ".join(quote(c.name) for c in schema.partition_keys) + ")"
        return Filter(col, token_op.condition(lhs, col, value, where), token=True)
    if len(parts) > 2:
        raise InvalidQueryError(f"{where}: expected 'field' or 'field__operator'")
    keyword = parts[1] if len(parts) == 2 else ""
    op = FILTER_OPERATORS.get(keyword)
    if op is None:
        known = ", ".join(o for o in FILTER_OPERATORS if o)
        raise InvalidQueryError(f"{where}: unknown operator {keyword!r}; use one of {known}")
    return Filter(col, op.condition(quote(col.name), col, value, where))


def _split(schema: TableSchema, key: str) -> tuple[str, str]:
    """``field__op`` → (field, op); a column whose own name holds ``__`` stays whole."""
    if key not in schema.by_name and "__" in key:
        name, op = key.rsplit("__", 1)
        return name, op
    return key, ""


def parse_if_conditions(schema: TableSchema, conditions: Mapping[str, Any]) -> list[Condition]:
    """``if_conditions={"field__op": value}`` → the checked IF conditions."""
    result = []
    for key, value in conditions.items():
        name, keyword = _split(schema, key)
        op = IF_OPERATORS.get(keyword)
        if op is None:
            raise InvalidQueryError(f"if_conditions: unknown operator {keyword!r} in {key!r}")
        col = schema.column(name, what="condition field")
        if col.is_key:
            raise InvalidQueryError(
                f"if_conditions {key!r}: {name!r} is part of the primary key; conditions apply to other columns"
            )
        result.append(op.condition(quote(col.name), col, value, f"if_conditions {key!r}"))
    return result


def parse_assignments(
    schema: TableSchema, fields: Mapping[str, Any]
) -> tuple[list[Assignment], dict[str, Any]]:
    """``field=value`` and ``field__op=value`` keywords → SET assignments (values checked).

    Also returns the plain ``field=value`` ones, checked, for the caller to mirror on the document.
    """
    assignments: list[Assignment] = []
    plain: dict[str, Any] = {}
    for key, value in fields.items():
        name, keyword = _split(schema, key)
        if keyword and keyword not in UPDATE_OPERATORS:
            raise InvalidQueryError(
                f"update: unknown operator {keyword!r} in {key!r}; use one of {', '.join(sorted(UPDATE_OPERATORS))}"
            )
        col = schema.column(name)
        if col.is_key:
            raise InvalidQueryError(f"update: {name!r} is part of the primary key and cannot be updated")
        if col.counter:
            raise InvalidQueryError(f"update: {name!r} is a counter; use increment()/decrement()")
        if not keyword:
            checked = col.validate(value)
            plain[name] = checked
            assignments.append(Assignment(col.name, "set", (checked,)))
            continue
        form = UPDATE_OPERATORS[keyword].get(col.type.name)
        if form is None:
            raise InvalidQueryError(
                f"update: operator {keyword!r} does not apply to column {col.name!r} of type {col.type}"
            )
        assignments.append(Assignment(col.name, form.kind, form.bind(col, value, f"{col.name}__{keyword}")))
    return assignments, plain
