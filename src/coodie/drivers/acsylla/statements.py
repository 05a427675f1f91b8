"""What a statement's text says about the schema: the table it touches, whether it changes the schema.

The acsylla driver keeps a cache of column types per table (its results carry
none); these tell it which table a statement reads and when the cache goes stale.
"""

from __future__ import annotations

import re

_TABLE_REF = re.compile(
    r'\b(?:FROM|INTO|UPDATE)\s+((?:"(?:[^"]|"")+"|[A-Za-z0-9_]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z0-9_]+))?)',
    re.IGNORECASE,
)
_IDENT = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z0-9_]+)')
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)
_SCHEMA_CHANGE = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)
_USE = re.compile(r'^\s*USE\s+("(?:[^"]|"")+"|[A-Za-z0-9_]+)\s*;?\s*$', re.IGNORECASE)


def ident(text: str) -> str:
    """A CQL identifier as the server stores it: quoted ones as written, others in lower case."""
    m = _IDENT.fullmatch(text.strip())
    if m is None:
        return text.strip()
    return m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2).lower()


def table_of(cql: str, keyspace: str | None) -> tuple[str, str] | None:
    """The (keyspace, table) a statement reads or writes, as far as its text says."""
    m = _TABLE_REF.search(cql)
    if m is None:
        return None
    parts = [p.group(0) for p in _IDENT.finditer(m.group(1))]
    if len(parts) == 2:
        return ident(parts[0]), ident(parts[1])
    if keyspace is None:
        return None
    return keyspace, ident(parts[0])


def is_ddl(cql: str) -> bool:
    """CREATE, ALTER or DROP: a statement after which cached column types may be wrong."""
    return _DDL.match(cql) is not None


def changes_schema(cql: str) -> bool:
    """A statement that may be slow to answer: DDL waits for schema agreement, TRUNCATE for every replica."""
    return _SCHEMA_CHANGE.match(cql) is not None


def used_keyspace(cql: str) -> str | None:
    """The keyspace a ``USE`` statement switches to (None for any other statement)."""
    use = _USE.match(cql)
    return ident(use.group(1)) if use is not None else None
