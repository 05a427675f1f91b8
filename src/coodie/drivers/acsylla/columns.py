"""The column types acsylla's results lack, read from ``system_schema`` and kept per table.

acsylla returns no column types with a result, and some of its values are not
canonical (:mod:`coodie.drivers.acsylla.values`). :class:`ColumnTypes` reads the
column types of the table a statement reads (once per table), parses them
(:mod:`coodie.drivers._shared.type_strings`), builds the row converter for each
statement and result shape, and forgets what DDL sent through the driver may
have changed. Columns that are not table columns (aliases, function calls)
keep acsylla's values.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.type_strings import CqlT, UdtDefinitions, mentions_udt, parse_type
from coodie.drivers.acsylla.errors import translate_error
from coodie.drivers.acsylla.statements import is_ddl, table_of, used_keyspace
from coodie.drivers.acsylla.values import row_converter
from coodie.drivers.base import Row
from coodie.support.lru import LRU

#: tables whose column types are kept
TABLES_KEPT = 256

_COLUMN_TYPES = "SELECT column_name, type FROM {}.columns WHERE keyspace_name = ? AND table_name = ?"
_UDT_DEFINITIONS = (
    "SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = ?"
)

#: runs a prepared query on the driver's session and returns its rows (acsylla's values)
Select = Callable[[str, Sequence[Any]], Awaitable[list[Row]]]


class ColumnTypes:
    """Column types per table and row converters per (statement, result shape), for one session.

    Its coroutines run on the session's loop, like the driver's own, and read
    ``system_schema`` through the driver's ``select`` (passed in, not kept: the
    driver owns this object, and a driver must not be kept alive by what it owns,
    its finalizer closes the session).
    """

    def __init__(self, keyspace: str | None, converters_kept: int) -> None:
        #: the keyspace unqualified table names are in (follows ``USE``)
        self.keyspace = keyspace
        self.tables: LRU[tuple[str, str], dict[str, CqlT]] = LRU(TABLES_KEPT)
        self._converters: LRU[tuple[str, tuple[str, ...]], Callable[[Row], Row] | None] = LRU(converters_kept)

    def clear(self) -> None:
        self.tables.clear()
        self._converters.clear()

    def after(self, cql: str) -> None:
        """Stay honest after a statement that changes what the caches describe."""
        if is_ddl(cql):
            self.clear()
            return
        keyspace = used_keyspace(cql)
        if keyspace is not None:
            self.keyspace = keyspace
            self._converters.clear()

    async def convert(self, cql: str, raw: list[Row], select: Select) -> list[Row]:
        """The rows ``cql`` returned, with canonical values."""
        if not raw:
            return raw
        convert = await self._converter(cql, tuple(raw[0]), select)
        if convert is None:
            return raw
        try:
            return [convert(r) for r in raw]
        except exc_mod.CoodieError:
            raise
        except (ValueError, TypeError) as error:
            raise translate_error(error) from error

    async def _converter(
        self, cql: str, names: tuple[str, ...], select: Select
    ) -> Callable[[Row], Row] | None:
        key = (cql, names)
        if key in self._converters:
            return self._converters.get(key)
        convert = None
        table = table_of(cql, self.keyspace)
        if table is not None and not table[0].startswith("system_schema"):
            try:
                types = await self.of_table(*table, select)
            except Exception:  # values stay as acsylla returns them rather than failing the request
                types = {}
            convert = row_converter(names, types)
        return self._converters.put(key, convert)

    async def of_table(self, keyspace: str, table: str, select: Select) -> dict[str, CqlT]:
        """The parsed column types of a table (of a virtual table too); cached."""
        key = (keyspace, table)
        cached = self.tables.get(key)
        if cached is not None:
            return cached
        raw_types = await _column_type_strings(keyspace, table, select)
        udts: UdtDefinitions = {}
        if any(mentions_udt(t) for t in raw_types.values()):
            for r in await select(_UDT_DEFINITIONS, (keyspace,)):
                udts[r["type_name"]] = list(zip(r["field_names"] or (), r["field_types"] or ()))
        types: dict[str, CqlT] = {}
        for name, text in raw_types.items():
            try:
                types[name] = parse_type(text, udts)
            except ValueError:
                continue
        return self.tables.put(key, types)


async def _column_type_strings(keyspace: str, table: str, select: Select) -> dict[str, str]:
    columns = await select(_COLUMN_TYPES.format("system_schema"), (keyspace, table))
    if not columns:
        try:
            columns = await select(_COLUMN_TYPES.format("system_virtual_schema"), (keyspace, table))
        except Exception:  # a server without virtual tables
            columns = []
    return {r["column_name"]: r["type"] for r in columns}
