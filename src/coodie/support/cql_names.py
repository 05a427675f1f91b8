"""CQL identifiers as the server reads them."""

from __future__ import annotations


def quote(name: str) -> str:
    """A quoted CQL identifier: kept as written, case and all."""
    return '"' + name.replace('"', '""') + '"'
