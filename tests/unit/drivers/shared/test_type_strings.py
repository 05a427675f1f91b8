"""CQL type strings as system_schema stores them, parsed (no driver needed)."""

import pytest

from coodie.drivers._shared.type_strings import NATIVE_TYPES, CqlT, mentions_udt, parse_type


@pytest.mark.parametrize("name", sorted(NATIVE_TYPES))
def test_native_types(name):
    assert parse_type(name) == CqlT(name)
    assert parse_type(name.upper()) == CqlT(name)


def test_collections_and_frozen():
    assert parse_type("map<text, frozen<list<int>>>") == CqlT(
        "map", (CqlT("text"), CqlT("list", (CqlT("int"),)))
    )
    assert parse_type("tuple<int, text, boolean>").params == (CqlT("int"), CqlT("text"), CqlT("boolean"))
    assert parse_type("vector<float, 3>") == CqlT("vector", (CqlT("float"),), size=3)
    assert parse_type("'org.example.Custom'") == CqlT("custom:org.example.Custom")


def test_udts_are_resolved_and_stop_at_recursion():
    udts = {"address": [("street", "text"), ("zips", "frozen<set<int>>")], "loop": [("self", "frozen<loop>")]}
    t = parse_type("frozen<address>", udts)
    assert t == CqlT("udt:address", fields=(("street", CqlT("text")), ("zips", CqlT("set", (CqlT("int"),)))))
    assert parse_type("ks.address", udts).name == "udt:address"
    assert parse_type('"Quoted""Name"') == CqlT('udt:Quoted"Name')
    assert parse_type("frozen<loop>", udts) == CqlT("udt:loop", fields=(("self", CqlT("udt:loop")),))
    assert parse_type("unknown", udts) == CqlT("udt:unknown")


@pytest.mark.parametrize(
    "text", ["", "list<int", "map<int text>", "list<int>>", "int int", "vector<float>", "!"]
)
def test_malformed(text):
    with pytest.raises(ValueError, match="cannot parse CQL type"):
        parse_type(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("int", False),
        ("map<text, frozen<list<int>>>", False),
        ("vector<float, 3>", False),
        ("frozen<address>", True),
        ("list<frozen<ks.address>>", True),
        ('"Text"', True),
    ],
)
def test_mentions_udt(text, expected):
    assert mentions_udt(text) is expected
