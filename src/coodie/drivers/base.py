"""The driver contract.

A backend implements transport only: run one statement (all pages, or one page
when ``page_size`` is set), run a batch, close. It receives canonical Python
values as parameters and returns rows of canonical Python values (see
``docs/drivers.md``): ``uuid.UUID``, timezone-aware UTC ``datetime``, ``date``,
``time`` (or int nanoseconds since midnight, which keeps full precision), ``Decimal``, ``ipaddress`` objects, :class:`coodie.types.CqlDuration`,
``list``/``set``/``dict``/``tuple`` (frozen sets inside sets as ``frozenset``),
UDTs as ``dict`` keyed by field name, vectors as ``list[float]``.

Schema sync, CQL building and row mapping live above this contract, once.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from coodie.support.options import DEFAULT_OPTIONS as DEFAULT_OPTIONS
from coodie.support.options import Consistency as Consistency
from coodie.support.options import ExecOptions as ExecOptions

Row = dict[str, Any]


class BatchType(enum.Enum):
    LOGGED = "LOGGED"
    UNLOGGED = "UNLOGGED"
    COUNTER = "COUNTER"


@dataclass(frozen=True, slots=True)
class Statement:
    """One CQL statement with its positional ``?`` parameters.

    ``prepare=False`` sends it as a plain QUERY (DDL and one-off statements);
    otherwise drivers prepare it once and cache the prepared form by CQL text.
    """

    cql: str
    params: tuple[Any, ...] = ()
    prepare: bool = True
    idempotent: bool = False


@dataclass(slots=True)
class ResultPage:
    """Rows of one request and, when more rows remain, the state to fetch them."""

    rows: list[Row] = field(default_factory=list)
    paging_state: bytes | None = None


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend supports natively. Tests and the scorecard read these;
    each ``False`` has a reason in ``gaps``."""

    paging_state: bool = True
    per_statement_timestamp: bool = True
    serial_consistency: bool = True
    request_timeout: bool = True
    batches: bool = True
    close: bool = True
    lz4: bool = True
    tls: bool = True
    password_auth: bool = True
    native_sync: bool = True
    native_async: bool = True
    vector: bool = True
    #: sets and map keys whose elements are collections or UDTs (set<frozen<set<int>>>)
    collections_in_sets: bool = True
    #: durations keep nanosecond precision both ways
    duration_nanoseconds: bool = True
    #: UDT values with null (or missing) fields can be sent
    udt_null_fields: bool = True
    #: ``time`` values given as int nanoseconds keep nanosecond precision
    time_nanoseconds: bool = True
    #: ``decimal`` values are exchanged correctly
    decimal: bool = True
    gaps: tuple[tuple[str, str], ...] = ()

    def reason(self, capability: str) -> str:
        for name, why in self.gaps:
            if name == capability:
                return why
        return f"the backend does not support {capability}"


class AbstractDriver(ABC):
    """Base of every backend. Subclasses implement the six transport methods."""

    #: the ``driver_type`` names this backend answers to
    driver_types: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, default_keyspace: str | None = None) -> None:
        self.default_keyspace = default_keyspace

    # -------------------------------------------------------- the contract --
    @abstractmethod
    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        """Execute one statement; all pages unless ``options.page_size`` is set."""

    @abstractmethod
    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage: ...

    @abstractmethod
    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        """Execute statements as one native BATCH of individually prepared statements."""

    @abstractmethod
    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage: ...

    @abstractmethod
    def close(self) -> None:
        """Release every connection and thread the driver holds."""

    @abstractmethod
    async def close_async(self) -> None: ...

    # --------------------------------------- describing the backend (reports) --
    @property
    def driver_name(self) -> str:
        return type(self).__name__

    def driver_version(self) -> str:
        return "unknown"

    # ------------------------------------------ upstream-compatible helpers --
    @staticmethod
    def _execute_request(
        stmt: str,
        params: Sequence[Any] | None,
        consistency: Consistency | str | None,
        timeout: float | None,
        fetch_size: int | None,
        paging_state: bytes | None,
    ) -> tuple[Statement, ExecOptions]:
        statement = Statement(stmt, tuple(params or ()), prepare=needs_prepare(stmt, params))
        options = ExecOptions.of(
            consistency=consistency,
            timeout=timeout,
            page_size=fetch_size,
            paging_state=paging_state,
        )
        return statement, options

    def execute(
        self,
        stmt: str,
        params: Sequence[Any] | None = None,
        consistency: Consistency | str | None = None,
        timeout: float | None = None,
        fetch_size: int | None = None,
        paging_state: bytes | None = None,
    ) -> list[Row]:
        """Run CQL and return its rows as dicts (one page when ``fetch_size`` is set)."""
        return self.run(
            *self._execute_request(stmt, params, consistency, timeout, fetch_size, paging_state)
        ).rows

    async def execute_async(
        self,
        stmt: str,
        params: Sequence[Any] | None = None,
        consistency: Consistency | str | None = None,
        timeout: float | None = None,
        fetch_size: int | None = None,
        paging_state: bytes | None = None,
    ) -> list[Row]:
        request = self._execute_request(stmt, params, consistency, timeout, fetch_size, paging_state)
        return (await self.run_async(*request)).rows

    def execute_one(
        self,
        stmt: str,
        params: Sequence[Any] | None = None,
        consistency: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        return _first_value(self.execute(stmt, params, consistency, timeout))

    async def execute_one_async(
        self,
        stmt: str,
        params: Sequence[Any] | None = None,
        consistency: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        return _first_value(await self.execute_async(stmt, params, consistency, timeout))

    def __enter__(self) -> AbstractDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_value(rows: list[Row]) -> Any:
    """The first column of the first row (None without rows)."""
    return next(iter(rows[0].values()), None) if rows else None


_UNPREPARED_VERBS = ("CREATE", "DROP", "ALTER", "TRUNCATE", "USE", "GRANT", "REVOKE", "LIST")


def needs_prepare(cql: str, params: Sequence[Any] | None) -> bool:
    """DDL and other parameterless schema statements are sent unprepared."""
    if params:
        return True
    head = cql.lstrip().split(None, 1)[0].upper() if cql.strip() else ""
    return head not in _UNPREPARED_VERBS
