"""Backend over python-rs-driver (PyPI ``scylladb-rs-driver``, import name ``scylla``).

python-rs-driver runs every request on its own tokio runtime and hands back a
``DriverFuture`` that can be awaited from any asyncio loop or waited on with
``.result()`` from any thread (the GIL is released while waiting). The backend
therefore needs no event-loop thread of its own: blocking calls wait on the
future, async calls await it.

What the driver lacks, and how the backend behaves:

* no per-statement timestamp: ``ExecOptions.timestamp`` raises
  :class:`~coodie.exceptions.ConfigurationError` (write ``USING TIMESTAMP``);
* no way to close a session: :meth:`PythonRsDriver.close` drops the driver's
  references and refuses further calls; the connections go when the session
  object is garbage-collected;
* ``duration`` travels as a ``dateutil`` ``relativedelta`` with microsecond
  precision: reading one needs ``python-dateutil`` installed, and sending a
  duration whose nanoseconds are not whole microseconds is refused;
* sets (and map keys) whose elements are sets, lists, maps or UDTs can be
  neither sent nor read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ssl
from collections.abc import Callable, Sequence
from typing import Any

from coodie.drivers._guard import require, require_python_rs

_session_builder: Any = require_python_rs()
_scylla_batch: Any = require(
    "scylla.batch", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
)
_scylla_enums: Any = require(
    "scylla.enums", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
)
_scylla_errors: Any = require(
    "scylla.errors", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
)
_scylla_results: Any = require(
    "scylla.results", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
)
_scylla_statement: Any = require(
    "scylla.statement", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
)
_scylla_profile: Any = require(
    "scylla.execution_profile", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
)

from coodie import exceptions as exc_mod  # noqa: E402
from coodie.drivers._loop_thread import LRU  # noqa: E402
from coodie.drivers.base import (  # noqa: E402
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    Capabilities,
    Consistency,
    ExecOptions,
    ResultPage,
    Row,
    Statement,
)
from coodie.types import CqlDuration  # noqa: E402

Converter = Callable[[Any], Any]
PREPARED_CACHE_SIZE = 512

_CONSISTENCY: dict[Consistency, Any] = {
    Consistency.ANY: _scylla_enums.Consistency.Any,
    Consistency.ONE: _scylla_enums.Consistency.One,
    Consistency.TWO: _scylla_enums.Consistency.Two,
    Consistency.THREE: _scylla_enums.Consistency.Three,
    Consistency.QUORUM: _scylla_enums.Consistency.Quorum,
    Consistency.ALL: _scylla_enums.Consistency.All,
    Consistency.LOCAL_QUORUM: _scylla_enums.Consistency.LocalQuorum,
    Consistency.EACH_QUORUM: _scylla_enums.Consistency.EachQuorum,
    Consistency.SERIAL: _scylla_enums.Consistency.Serial,
    Consistency.LOCAL_SERIAL: _scylla_enums.Consistency.LocalSerial,
    Consistency.LOCAL_ONE: _scylla_enums.Consistency.LocalOne,
}
_SERIAL: dict[Consistency, Any] = {
    Consistency.SERIAL: _scylla_enums.SerialConsistency.Serial,
    Consistency.LOCAL_SERIAL: _scylla_enums.SerialConsistency.LocalSerial,
}
_BATCH_TYPES = {
    BatchType.LOGGED: _scylla_batch.BatchType.Logged,
    BatchType.UNLOGGED: _scylla_batch.BatchType.Unlogged,
    BatchType.COUNTER: _scylla_batch.BatchType.Counter,
}

_NO_TIMESTAMP = (
    "driver_type='python-rs' cannot set a per-request write timestamp (python-rs-driver has only a "
    "session-wide timestamp generator); write USING TIMESTAMP in the statement instead"
)


# --------------------------------------------------------- value conversion --
# Converters are built from the driver's column types, once per prepared
# statement (parameters) or result shape (rows); ``None`` means "no change".


def _kind(t: Any) -> str:
    return type(t).__name__


def _has(t: Any, kinds: frozenset[str]) -> bool:
    k = _kind(t)
    if k in kinds:
        return True
    if k in ("CqlList", "CqlSet", "CqlVector"):
        return _has(getattr(t, "column_type", None) or getattr(t, "typ", None), kinds)
    if k == "CqlMap":
        return _has(t.key_type, kinds) or _has(t.value_type, kinds)
    if k == "CqlTuple":
        return any(_has(e, kinds) for e in t.element_types)
    if k == "CqlUserDefinedType":
        return any(_has(ft, kinds) for _, ft in t.field_types)
    return False


def duration_from_driver(v: Any) -> CqlDuration:
    """A ``relativedelta`` (as python-rs-driver returns durations) as a CqlDuration."""
    months = 12 * int(getattr(v, "years", 0) or 0) + int(getattr(v, "months", 0) or 0)
    days = int(getattr(v, "days", 0) or 0)
    micros = (
        (int(getattr(v, "hours", 0) or 0) * 60 + int(getattr(v, "minutes", 0) or 0)) * 60
        + int(getattr(v, "seconds", 0) or 0)
    ) * 1_000_000 + int(getattr(v, "microseconds", 0) or 0)
    return CqlDuration(months, days, micros * 1000)


@dataclasses.dataclass(frozen=True, slots=True)
class DriverDuration:
    """A duration as python-rs-driver reads it: ``months``, ``days``, ``microseconds`` attributes.

    (The driver reads exactly these three attributes of a ``relativedelta``; a real
    ``relativedelta`` would normalise months into years and microseconds into
    seconds, which the driver then ignores.)
    """

    months: int
    days: int
    microseconds: int


def duration_to_driver(v: Any) -> Any:
    if isinstance(v, CqlDuration):
        micros, rest = divmod(abs(v.nanoseconds), 1000)
        if rest:
            raise exc_mod.InvalidQueryError(
                f"{v!r}: driver_type='python-rs' sends durations with microsecond precision; "
                f"{v.nanoseconds} ns is not a whole number of microseconds"
            )
        return DriverDuration(v.months, v.days, micros if v.nanoseconds >= 0 else -micros)
    return v


def decoder(t: Any) -> Converter | None:
    """Converter from python-rs-driver's value of CQL type ``t`` to the canonical value."""
    k = _kind(t)
    if k == "CqlDuration":
        return duration_from_driver
    if not _has(t, frozenset({"CqlDuration"})):
        return None
    if k in ("CqlList", "CqlVector"):
        c = decoder(getattr(t, "column_type", None) or getattr(t, "typ", None))
        return (lambda v: [c(x) if x is not None else x for x in v]) if c else None
    if k == "CqlMap":
        vc = decoder(t.value_type)
        return (lambda v: {key: (vc(x) if x is not None else x) for key, x in v.items()}) if vc else None
    if k == "CqlTuple":
        subs = [decoder(e) for e in t.element_types]
        return lambda v: tuple(s(x) if s and x is not None else x for s, x in zip(subs, v))
    if k == "CqlUserDefinedType":
        plan = [(f, c) for f, ft in t.field_types for c in [decoder(ft)] if c is not None]

        def decode_udt(v: Any) -> Any:
            out = dict(v)
            for f, c in plan:
                x = out.get(f)
                if x is not None:
                    out[f] = c(x)
            return out

        return decode_udt
    return None


_ENCODED = frozenset({"CqlDuration", "CqlSet", "CqlUserDefinedType", "CqlTimestamp", "CqlTime"})
_UTC = dt.timezone.utc


def timestamp_to_driver(v: Any) -> Any:
    """python-rs-driver takes only UTC datetimes: a naive one is UTC, an aware one is converted."""
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            return v.replace(tzinfo=_UTC)
        if v.tzinfo is not _UTC:
            return v.astimezone(_UTC)
    return v


def time_to_driver(v: Any) -> Any:
    """A ``time`` given as int nanoseconds since midnight, as a ``datetime.time`` (microsecond precision)."""
    if not isinstance(v, int) or isinstance(v, bool):
        return v
    if not 0 <= v < 86_400_000_000_000:
        raise exc_mod.InvalidQueryError(
            f"time value {v!r}: nanoseconds since midnight must be in [0, 86400e9)"
        )
    micros, rest = divmod(v, 1000)
    if rest:
        raise exc_mod.InvalidQueryError(
            f"time value {v} ns: driver_type='python-rs' sends time with microsecond precision; {v} is not a "
            "whole number of microseconds"
        )
    seconds, micros = divmod(micros, 1_000_000)
    minutes, seconds = divmod(seconds, 60)
    return dt.time(minutes // 60, minutes % 60, seconds, micros)


_CONTAINERS = frozenset({"CqlList", "CqlSet", "CqlMap", "CqlTuple", "CqlUserDefinedType", "CqlVector"})


def _refuse_set_of_collections(v: Any) -> Any:
    raise exc_mod.InvalidQueryError(
        "driver_type='python-rs' cannot send a set or map key whose elements are collections or UDTs "
        "(python-rs-driver wants Python sets/lists/dicts as set elements or map keys, which Python cannot build)"
    )


def encoder(t: Any) -> Converter | None:
    """Converter from a canonical parameter value to what python-rs-driver accepts for CQL type ``t``."""
    k = _kind(t)
    if k == "CqlDuration":
        return duration_to_driver
    if k == "CqlTimestamp":
        return timestamp_to_driver
    if k == "CqlTime":
        return time_to_driver
    if not _has(t, _ENCODED) and not (k == "CqlMap" and _kind(t.key_type) in _CONTAINERS):
        return None
    if k == "CqlSet":
        if _kind(t.column_type) in _CONTAINERS:
            return _refuse_set_of_collections
        element = encoder(t.column_type)
        if element is None:
            return lambda v: set(v) if isinstance(v, frozenset) else v
        convert: Converter = element
        return lambda v: {convert(x) for x in v}
    if k in ("CqlList", "CqlVector"):
        c = encoder(getattr(t, "column_type", None) or getattr(t, "typ", None))
        return (lambda v: [c(x) if x is not None else x for x in v]) if c else None
    if k == "CqlMap":
        if _kind(t.key_type) in _CONTAINERS:
            return _refuse_set_of_collections
        kc, vc = encoder(t.key_type), encoder(t.value_type)
        return lambda v: {
            (kc(key) if kc else key): (vc(x) if vc and x is not None else x) for key, x in v.items()
        }
    if k == "CqlTuple":
        subs = [encoder(e) for e in t.element_types]
        return lambda v: tuple(s(x) if s and x is not None else x for s, x in zip(subs, v))
    if k == "CqlUserDefinedType":
        names = [f for f, _ in t.field_types]
        plan = [(f, c) for f, ft in t.field_types for c in [encoder(ft)] if c is not None]
        udt = getattr(t, "name", "?")

        def encode_udt(v: Any) -> Any:
            if not isinstance(v, dict):
                if not isinstance(getattr(type(v), "model_fields", None), dict):
                    return v
                v = {f: getattr(v, f, None) for f in names}  # a UDT model
            missing = [f for f in names if v.get(f) is None]
            if missing:
                raise exc_mod.InvalidQueryError(
                    f"driver_type='python-rs' cannot send UDT {udt!r} with null fields {missing}: "
                    "python-rs-driver needs every field of a UDT value set"
                )
            out = dict(v)
            for f, c in plan:
                out[f] = c(out[f])
            return out

        return encode_udt
    return None


def row_converter(columns: Sequence[Any]) -> Callable[[Row], Row] | None:
    plan = [(c.name, d) for c in columns for d in [decoder(c.cql_type)] if d is not None]
    if not plan:
        return None

    def convert(row: Row) -> Row:
        for n, d in plan:
            v = row.get(n)
            if v is not None:
                row[n] = d(v)
        return row

    return convert


# ------------------------------------------------------------------ errors --

# (lower-case text in the driver's message, coodie exception, CQL protocol error code)
_SERVER_MESSAGES: tuple[tuple[str, type[exc_mod.DriverError], int | None], ...] = (
    ("already existing", exc_mod.AlreadyExists, 0x2400),
    ("has a syntax error", exc_mod.InvalidRequest, 0x2000),
    ("syntactically correct but invalid", exc_mod.InvalidRequest, 0x2200),
    ("because of some configuration issue", exc_mod.InvalidRequest, 0x2300),
    ("doesn't have the right to perform", exc_mod.Unauthorized, 0x2100),
    ("bad credentials", exc_mod.AuthenticationFailed, 0x0100),
    ("not enough nodes are alive", exc_mod.Unavailable, 0x1000),
    ("responded to the write request in time", exc_mod.RequestTimeout, 0x1100),
    ("responded to the read request in time", exc_mod.RequestTimeout, 0x1200),
    ("coordinator node is overloaded", exc_mod.ServerError, 0x1001),
    ("still bootstrapping", exc_mod.ServerError, 0x1002),
    ("error during truncate", exc_mod.ServerError, 0x1003),
    ("non-timeout error during a read", exc_mod.ServerError, 0x1300),
    ("user defined function failed", exc_mod.ServerError, 0x1400),
    ("non-timeout error during a write", exc_mod.ServerError, 0x1500),
    ("invalid protocol message", exc_mod.ServerError, 0x000A),
    ("internal server error", exc_mod.ServerError, 0x0000),
    ("database returned an error", exc_mod.ServerError, None),
    ("client timeout", exc_mod.RequestTimeout, None),
    ("timed out", exc_mod.RequestTimeout, None),
    ("failed to serialize", exc_mod.InvalidRequest, None),
    ("serializationerror", exc_mod.InvalidRequest, None),
    ("connection", exc_mod.ConnectionFailed, None),
)


def translate_error(error: BaseException) -> exc_mod.CoodieError:
    """A python-rs-driver exception as the matching coodie exception; the original is chained.

    The driver reports every server error as ``ExecuteError`` (or ``PrepareError`` /
    ``BatchError``) with the server's message in the text, so the kind is read from it.
    """
    if isinstance(error, exc_mod.CoodieError):
        return error
    text = str(error)
    low = text.lower()
    kind: type[exc_mod.DriverError] = exc_mod.DriverError
    code: int | None = None
    if isinstance(error, _scylla_errors.SessionConnectionError):
        kind = (
            exc_mod.AuthenticationFailed
            if "authentic" in low or "credentials" in low
            else exc_mod.ConnectionFailed
        )
    elif isinstance(error, _scylla_errors.SerializationError):
        kind = exc_mod.InvalidRequest
    elif isinstance(error, _scylla_errors.DeserializationError):
        kind = exc_mod.DriverError
        text += (
            " (python-rs-driver cannot read a set or map key whose elements are collections or UDTs, and "
            "reading a duration needs python-dateutil installed)"
        )
    elif isinstance(error, _scylla_errors.UseKeyspaceError):
        kind = exc_mod.InvalidRequest
    elif isinstance(error, _scylla_errors.SessionConfigError | _scylla_errors.StatementConfigError):
        kind = exc_mod.DriverError
    elif isinstance(error, TimeoutError):
        kind = exc_mod.RequestTimeout
    else:
        for needle, klass, klass_code in _SERVER_MESSAGES:
            if needle in low:
                kind, code = klass, klass_code
                break
        else:
            if isinstance(error, ValueError | TypeError | OverflowError):
                kind = exc_mod.InvalidRequest
    if kind is exc_mod.InvalidRequest and "ALLOW FILTERING" in text:
        kind = exc_mod.FilteringRequiredError
    translated = kind(f"{type(error).__name__}: {text}", original=error, code=code)
    translated.__cause__ = error
    return translated


def with_request(error: exc_mod.CoodieError, options: ExecOptions) -> exc_mod.CoodieError:
    """Name the request's consistency levels in availability and timeout errors."""
    if isinstance(error, exc_mod.Unavailable | exc_mod.RequestTimeout):
        asked = [
            f"{name}={level.name}"
            for name, level in (
                ("consistency", options.consistency),
                ("serial_consistency", options.serial_consistency),
            )
            if level is not None
        ]
        if options.timeout is not None:
            asked.append(f"timeout={options.timeout}s")
        if asked and error.args:
            error.args = (f"{error.args[0]} [request: {', '.join(asked)}]", *error.args[1:])
    return error


# -------------------------------------------------------------- the driver --


class _Prepared:
    """A prepared statement, its parameter encoders and its row converters (built once)."""

    __slots__ = ("converters", "encoders", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        try:
            columns = tuple(statement.bind_columns)
        except Exception:
            columns = ()
        encoders = [encoder(c.cql_type) for c in columns]
        self.encoders: list[Converter | None] | None = encoders if any(encoders) else None
        self.converters: dict[tuple[str, ...], Callable[[Row], Row] | None] = {}

    def values(self, params: Sequence[Any]) -> tuple[Any, ...]:
        if self.encoders is None:
            return tuple(params)
        return tuple(e(v) if e is not None and v is not None else v for e, v in zip(self.encoders, params))


class PythonRsDriver(AbstractDriver):
    """python-rs-driver behind coodie's contract (native blocking and async calls)."""

    driver_types = ("python-rs",)
    capabilities = Capabilities(
        per_statement_timestamp=False,
        close=False,
        collections_in_sets=False,
        duration_nanoseconds=False,
        udt_null_fields=False,
        time_nanoseconds=False,
        gaps=(
            ("per_statement_timestamp", "python-rs-driver has only a session-wide timestamp generator"),
            (
                "close",
                "python-rs-driver has no session close/shutdown; connections are released when the session "
                "is garbage-collected",
            ),
            (
                "collections_in_sets",
                "python-rs-driver can neither send nor read a set or map key whose elements are collections "
                "or UDTs (set<frozen<set<int>>>)",
            ),
            ("udt_null_fields", "python-rs-driver cannot send a UDT value with a null or missing field"),
            (
                "time_nanoseconds",
                "python-rs-driver sends time values as datetime.time (microsecond precision)",
            ),
            (
                "duration_nanoseconds",
                "durations travel as dateutil relativedelta: microsecond precision, a time part of 24 h or "
                "more comes back folded into days, and reading one needs python-dateutil",
            ),
        ),
    )

    def __init__(
        self, session: Any, default_keyspace: str | None = None, *, cache_size: int = PREPARED_CACHE_SIZE
    ) -> None:
        super().__init__(default_keyspace)
        self._session: Any = session
        self._prepared: LRU[str, _Prepared] = LRU(cache_size)

    @property
    def driver_name(self) -> str:
        return "python-rs-driver"

    def driver_version(self) -> str:
        from importlib import metadata

        try:
            return metadata.version("scylladb-rs-driver")
        except metadata.PackageNotFoundError:
            return "unknown"

    @property
    def session(self) -> Any:
        if self._session is None:
            raise exc_mod.ConfigurationError("this python-rs driver is closed")
        return self._session

    # ------------------------------------------------------------ requests --
    def _prepare(self, cql: str) -> _Prepared:
        p = self._prepared.get(cql)
        if p is None:
            try:
                statement = self.session.prepare(cql).result()
            except Exception as error:
                raise translate_error(error) from error
            p = self._prepared.put(cql, _Prepared(statement))
        return p

    async def _prepare_async(self, cql: str) -> _Prepared:
        p = self._prepared.get(cql)
        if p is None:
            try:
                statement = await self.session.prepare(cql)
            except Exception as error:
                raise translate_error(error) from error
            p = self._prepared.put(cql, _Prepared(statement))
        return p

    @staticmethod
    def _configure(stmt: Any, options: ExecOptions, idempotent: bool, *, batch: bool = False) -> Any:
        if options.timestamp is not None:
            raise exc_mod.ConfigurationError(_NO_TIMESTAMP)
        if options.consistency is not None:
            stmt = stmt.with_consistency(_CONSISTENCY[options.consistency])
        if options.serial_consistency is not None:
            stmt = stmt.with_serial_consistency(_SERIAL[options.serial_consistency])
        if options.timeout is not None:
            stmt = stmt.with_request_timeout(float(options.timeout))
        if options.page_size is not None and not batch:
            stmt = stmt.with_page_size(int(options.page_size))
        if idempotent:
            stmt = stmt.set_is_idempotent(True)
        return stmt

    def _request(
        self, statement: Statement, prepared: _Prepared | None, options: ExecOptions
    ) -> tuple[Any, Any]:
        if prepared is not None:
            stmt, values = prepared.statement, prepared.values(statement.params)
        else:
            stmt, values = _scylla_statement.Statement(statement.cql), None
        return self._configure(stmt, options, statement.idempotent), values

    @staticmethod
    def _paging(options: ExecOptions) -> Any:
        if options.paging_state is None:
            return None
        return _scylla_results.PagingState.from_bytes(options.paging_state)

    def _page(self, prepared: _Prepared | None, result: Any, rows: list[Row]) -> list[Row]:
        if not rows:
            return rows
        names = tuple(rows[0])
        if prepared is not None and names in prepared.converters:
            convert = prepared.converters[names]
        else:
            convert = row_converter(tuple(result.columns))
            if prepared is not None and len(prepared.converters) < 64:
                prepared.converters[names] = convert
        return [convert(r) for r in rows] if convert is not None else rows

    @staticmethod
    def _state(result: Any) -> bytes | None:
        if not result.has_more_pages():
            return None
        state = result.paging_state()
        return state.as_bytes() if state is not None else None

    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        prepared = self._prepare(statement.cql) if statement.prepare or statement.params else None
        try:
            stmt, values = self._request(statement, prepared, options)
            result = self.session.execute(stmt, values, paging_state=self._paging(options)).result()
            if options.paged:
                rows, state = list(result.iter_current_page()), self._state(result)
            else:
                rows, state = result.all().result(), None
            return ResultPage(self._page(prepared, result, rows), state)
        except exc_mod.CoodieError:
            raise
        except Exception as error:
            raise with_request(translate_error(error), options) from error

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        prepared = await self._prepare_async(statement.cql) if statement.prepare or statement.params else None
        try:
            stmt, values = self._request(statement, prepared, options)
            result = await self.session.execute(stmt, values, paging_state=self._paging(options))
            if options.paged:
                rows, state = list(result.iter_current_page()), self._state(result)
            else:
                rows, state = await result.all(), None
            return ResultPage(self._page(prepared, result, rows), state)
        except exc_mod.CoodieError:
            raise
        except Exception as error:
            raise with_request(translate_error(error), options) from error

    def _batch(
        self,
        prepared: Sequence[_Prepared | None],
        statements: Sequence[Statement],
        batch_type: BatchType,
        options: ExecOptions,
    ) -> Any:
        batch = _scylla_batch.Batch(_BATCH_TYPES[batch_type])
        for p, s in zip(prepared, statements):
            if p is not None:
                batch.add(p.statement, p.values(s.params))
            else:
                batch.add(s.cql, None)
        return self._configure(batch, options, all(s.idempotent for s in statements), batch=True)

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        if not statements:
            return ResultPage()
        if options.timestamp is not None:
            raise exc_mod.ConfigurationError(_NO_TIMESTAMP)
        prepared = [self._prepare(s.cql) if s.prepare or s.params else None for s in statements]
        try:
            result = self.session.batch(self._batch(prepared, statements, batch_type, options)).result()
            rows = result.all().result() if result.columns else []
            return ResultPage(self._page(None, result, rows))
        except exc_mod.CoodieError:
            raise
        except Exception as error:
            raise with_request(translate_error(error), options) from error

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        if not statements:
            return ResultPage()
        if options.timestamp is not None:
            raise exc_mod.ConfigurationError(_NO_TIMESTAMP)
        prepared = [await self._prepare_async(s.cql) if s.prepare or s.params else None for s in statements]
        try:
            result = await self.session.batch(self._batch(prepared, statements, batch_type, options))
            rows = await result.all() if result.columns else []
            return ResultPage(self._page(None, result, rows))
        except exc_mod.CoodieError:
            raise
        except Exception as error:
            raise with_request(translate_error(error), options) from error

    def close(self) -> None:
        """Forget the session: python-rs-driver has no close; its connections go with the session object."""
        self._session = None
        self._prepared.clear()

    async def close_async(self) -> None:
        self.close()


# ------------------------------------------------------------- connecting --

_COMPRESSION = {"lz4": "Lz4", "snappy": "Snappy"}
#: the default consistency when none is configured (the same as coodie's other backends)
DEFAULT_CONSISTENCY = Consistency.LOCAL_ONE
_PROFILE_KEYS = (
    "request_timeout",
    "consistency",
    "serial_consistency",
    "load_balancing_policy",
    "retry_policy",
    "speculative_execution_policy",
)
_KNOWN = frozenset(
    {
        "port",
        "username",
        "password",
        "compression",
        "connect_timeout",
        "ssl_context",
        "ssl_enabled",
        "ssl_cert",
        "ssl_private_key",
        "ssl_private_key_password",
        "ssl_trusted_cert",
        "ssl_verify_flags",
        "execution_profile",
        "configure",
        "lazy",
        "prepared_cache_size",
        *_PROFILE_KEYS,
    }
)


def _contact_points(hosts: list[str] | None, port: int | None) -> list[Any]:
    points: list[Any] = []
    for h in hosts or ["127.0.0.1"]:
        host, sep, p = h.rpartition(":")
        has_port = bool(sep and host and p.isdigit() and (":" not in host or host.startswith("[")))
        if has_port:
            points.append((host.strip("[]"), int(p)))
        elif port is not None:
            points.append((h.strip("[]"), int(port)))
        else:
            points.append(h)
    return points


def _tls(options: dict[str, Any]) -> Any:
    """A python-rs TlsContext from coodie's ssl options (None: no TLS)."""
    tls_mod: Any = require(
        "scylla.tls", driver_type="python-rs", extra="python-rs", package="python-rs-driver"
    )
    given = options.get("ssl_context")
    if given is not None:
        if isinstance(given, tls_mod.TlsContext):
            return given
        if isinstance(given, ssl.SSLContext):
            raise exc_mod.ConfigurationError(
                "driver_type='python-rs' cannot use an ssl.SSLContext (its certificates cannot be read back); pass "
                "ssl_trusted_cert= (CA file or PEM text), ssl_cert=/ssl_private_key= (files) and ssl_verify_flags=, "
                "or a scylla.tls.TlsContext as ssl_context="
            )
        raise exc_mod.ConfigurationError(f"ssl_context={given!r}: expected a scylla.tls.TlsContext")
    keys = ("ssl_cert", "ssl_private_key", "ssl_trusted_cert", "ssl_verify_flags", "ssl_private_key_password")
    enabled = options.get("ssl_enabled")
    if not enabled and not (enabled is None and any(options.get(k) is not None for k in keys)):
        return None
    if options.get("ssl_private_key_password"):
        raise exc_mod.ConfigurationError(
            "driver_type='python-rs' reads only unencrypted PEM private keys; ssl_private_key_password is not supported"
        )
    ctx = tls_mod.TlsContext()
    trusted = options.get("ssl_trusted_cert")
    if trusted is not None:
        if isinstance(trusted, bytes) or "-----BEGIN" in str(trusted):
            ctx.load_verify_locations(cadata=trusted)
        else:
            ctx.load_verify_locations(cafile=str(trusted))
    cert, key = options.get("ssl_cert"), options.get("ssl_private_key")
    if cert is not None:
        if "-----BEGIN" in str(cert) or (key is not None and "-----BEGIN" in str(key)):
            raise exc_mod.ConfigurationError(
                "driver_type='python-rs' reads the client certificate and key from files: pass file paths as "
                "ssl_cert= and ssl_private_key="
            )
        ctx.load_cert_chain(str(cert), str(key) if key is not None else None)
    elif key is not None:
        raise exc_mod.ConfigurationError("ssl_private_key= needs ssl_cert= as well")
    flags = options.get("ssl_verify_flags")
    verify = not (flags is not None and (flags == 0 or str(getattr(flags, "name", flags)).lower() == "none"))
    # Always set: in scylladb-rs-driver 0.2.0 the verify_mode property reads back CERT_NONE whatever it
    # is (verification still happens when CERT_REQUIRED was set), so its default cannot be checked.
    ctx.verify_mode = tls_mod.VerifyMode.CERT_REQUIRED if verify else tls_mod.VerifyMode.CERT_NONE
    return ctx


def _profile(options: dict[str, Any]) -> Any:
    given = {k: options[k] for k in _PROFILE_KEYS if options.get(k) is not None}
    if options.get("execution_profile") is not None:
        if given:
            raise exc_mod.ConfigurationError(
                f"pass {sorted(given)} inside execution_profile=, not next to it"
            )
        return options["execution_profile"]
    # python-rs-driver defaults to LOCAL_QUORUM; coodie's other backends default to LOCAL_ONE.
    kwargs: dict[str, Any] = {"consistency": _CONSISTENCY[DEFAULT_CONSISTENCY]}
    if "request_timeout" in given:
        kwargs["timeout"] = float(given.pop("request_timeout"))
    if "consistency" in given:
        kwargs["consistency"] = _CONSISTENCY[Consistency.parse(given.pop("consistency"))]
    if "serial_consistency" in given:
        level = Consistency.parse(given.pop("serial_consistency"), option="serial_consistency")
        if level not in _SERIAL:
            raise exc_mod.ConfigurationError(
                f"serial_consistency={level.name}: must be SERIAL or LOCAL_SERIAL"
            )
        kwargs["serial_consistency"] = _SERIAL[level]
    kwargs.update(given)
    return _scylla_profile.ExecutionProfile(**kwargs)


def builder(hosts: list[str] | None, keyspace: str | None, options: dict[str, Any]) -> Any:
    """A configured ``SessionBuilder`` from coodie's connection options."""
    unknown = sorted(set(options) - _KNOWN)
    if unknown:
        raise exc_mod.ConfigurationError(
            f"driver_type='python-rs' does not know the option(s) {unknown}; supported: {', '.join(sorted(_KNOWN))} "
            "(configure=<callable taking and returning the SessionBuilder> reaches everything else)"
        )
    if options.get("lazy"):
        raise exc_mod.ConfigurationError(
            "driver_type='python-rs' does not support lazy=True; it connects on init"
        )
    b = _session_builder.SessionBuilder().contact_points(_contact_points(hosts, options.get("port")))
    if keyspace:
        quoted = keyspace.startswith('"') and keyspace.endswith('"')
        b = b.use_keyspace(keyspace.strip('"') if quoted else keyspace, quoted)
    if options.get("username") is not None:
        b = b.user(str(options["username"]), str(options.get("password") or ""))
    elif options.get("password") is not None:
        raise exc_mod.ConfigurationError("password= needs username= as well")
    compression = options.get("compression")
    if compression not in (None, False):
        if isinstance(compression, str):
            name = _COMPRESSION.get(compression.lower())
            if name is None:
                raise exc_mod.ConfigurationError(
                    f"compression={compression!r}: driver_type='python-rs' supports 'lz4' and 'snappy'"
                )
            compression = getattr(_scylla_enums.Compression, name)
        elif compression is True:
            compression = _scylla_enums.Compression.Lz4
        b = b.compression(compression)
    if options.get("connect_timeout") is not None:
        b = b.connection_timeout(float(options["connect_timeout"]))
    tls = _tls(options)
    if tls is not None:
        b = b.tls_context(tls)
    profile = _profile(options)
    if profile is not None:
        b = b.execution_profile(profile)
    configure = options.get("configure")
    if configure is not None:
        b = configure(b)
    return b


def create(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "python-rs",
    **options: Any,
) -> PythonRsDriver:
    cache_size = int(options.pop("prepared_cache_size", PREPARED_CACHE_SIZE))
    if session is not None:
        _no_options(options)
        return PythonRsDriver(session, keyspace, cache_size=cache_size)
    try:
        b = builder(hosts, keyspace, options)
        new_session = b.connect().result()
    except exc_mod.CoodieError:
        raise
    except Exception as error:
        raise translate_error(error) from error
    return PythonRsDriver(new_session, keyspace, cache_size=cache_size)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "python-rs",
    **options: Any,
) -> PythonRsDriver:
    cache_size = int(options.pop("prepared_cache_size", PREPARED_CACHE_SIZE))
    if session is not None:
        _no_options(options)
        return PythonRsDriver(session, keyspace, cache_size=cache_size)
    try:
        b = builder(hosts, keyspace, options)
        new_session = await b.connect()
    except exc_mod.CoodieError:
        raise
    except Exception as error:
        raise translate_error(error) from error
    return PythonRsDriver(new_session, keyspace, cache_size=cache_size)


def _no_options(options: dict[str, Any]) -> None:
    extra = {k: v for k, v in options.items() if v is not None and k != "lazy"}
    if extra:
        raise exc_mod.ConfigurationError(
            f"connection options {sorted(extra)} have no effect with session=: configure the session yourself"
        )
