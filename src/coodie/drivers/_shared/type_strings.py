"""CQL column types as ``system_schema`` stores them (``"map<text, frozen<list<int>>>"``), parsed.

A backend whose driver returns no column types with a result reads them from
``system_schema`` and parses them here into a small tree. UDT names are
resolved against the keyspace's types, which the caller reads from
``system_schema.types``. (The acsylla backend is the one user today.)
"""

from __future__ import annotations

import dataclasses
import re

#: the CQL types with no parameters
NATIVE_TYPES = frozenset(
    {
        "ascii",
        "bigint",
        "blob",
        "boolean",
        "counter",
        "date",
        "decimal",
        "double",
        "duration",
        "float",
        "inet",
        "int",
        "smallint",
        "text",
        "time",
        "timestamp",
        "timeuuid",
        "tinyint",
        "uuid",
        "varchar",
        "varint",
    }
)
#: the words of a type string that are not type names
_KEYWORDS = NATIVE_TYPES | {"frozen", "list", "set", "map", "tuple", "vector"}

#: UDT name → its (field name, field type string) list, as ``system_schema.types`` gives them
UdtDefinitions = dict[str, list[tuple[str, str]]]


@dataclasses.dataclass(frozen=True, slots=True)
class CqlT:
    """A parsed column type.

    ``name`` is a native type, a collection (``list``, ``set``, ``map``, ``tuple``,
    ``vector``), ``"udt:<name>"`` or ``"custom:<class>"``. ``params`` are a
    collection's element types; ``fields`` a UDT's (empty when its definition is
    unknown); ``size`` a vector's dimension. ``frozen<>`` leaves no trace.
    """

    name: str
    params: tuple[CqlT, ...] = ()
    fields: tuple[tuple[str, CqlT], ...] = ()
    size: int = 0


_TOKEN = re.compile(r'\s*(?:("(?:[^"]|"")*")|(\'[^\']*\')|([A-Za-z0-9_.]+)|([<>,]))')
_WORD = re.compile(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_.]*')


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"cannot parse CQL type {text!r} at offset {pos}")
        tokens.append(m.group(m.lastindex or 0))
        pos = m.end()
    return tokens


def mentions_udt(text: str) -> bool:
    """Whether a type string names a type that is not built in (a UDT), so UDTs must be read to parse it."""
    return any(w.startswith('"') or w.lower() not in _KEYWORDS for w in _WORD.findall(text))


def parse_type(text: str, udts: UdtDefinitions | None = None, _outer: tuple[str, ...] = ()) -> CqlT:
    """Parse a CQL type string; ``udts`` maps a UDT name to its (field name, type string) list.

    Raises ``ValueError`` for text that is not a type string.
    """
    tokens = _tokenize(text)
    pos = 0

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError(f"cannot parse CQL type {text!r}: it ends too early")
        pos += 1
        return tokens[pos - 1]

    def peek() -> str:
        return tokens[pos] if pos < len(tokens) else ""

    def expect(tok: str) -> None:
        got = take()
        if got != tok:
            raise ValueError(f"cannot parse CQL type {text!r}: expected {tok!r}, got {got!r}")

    def one() -> CqlT:
        tok = take()
        if tok.startswith("'"):
            return CqlT("custom:" + tok[1:-1])
        quoted = tok.startswith('"')
        name = tok[1:-1].replace('""', '"') if quoted else tok.lower()
        if not quoted and peek() == "<":
            take()
            if name == "frozen":
                inner = one()
                expect(">")
                return inner
            if name == "vector":
                elem = one()
                expect(",")
                size = int(take())
                expect(">")
                return CqlT("vector", (elem,), size=size)
            params = [one()]
            while peek() == ",":
                take()
                params.append(one())
            expect(">")
            return CqlT(name, tuple(params))
        if not quoted and name in NATIVE_TYPES:
            return CqlT(name)
        udt = name if quoted else tok.rsplit(".", 1)[-1]
        definition = (udts or {}).get(udt)
        if definition is None or udt in _outer:
            return CqlT("udt:" + udt)
        fields = tuple((f, parse_type(t, udts, (*_outer, udt))) for f, t in definition)
        return CqlT("udt:" + udt, fields=fields)

    result = one()
    if pos != len(tokens):
        raise ValueError(f"cannot parse CQL type {text!r}: unexpected {tokens[pos]!r}")
    return result
