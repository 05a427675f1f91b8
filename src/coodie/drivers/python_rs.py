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


def _scylla(module: str) -> Any:
    """A module of python-rs-driver (import name ``scylla``), or an ImportError naming the extra."""
    return require(f"scylla.{module}", driver_type="python-rs", extra="python-rs", package="python-rs-driver")


_session_builder: Any = require_python_rs()
_scylla_batch: Any = _scylla("batch")
_scylla_enums: Any = _scylla("enums")
_scylla_errors: Any = _scylla("errors")
_scylla_results: Any = _scylla("results")
_scylla_statement: Any = _scylla("statement")
_scylla_profile: Any = _scylla("execution_profile")

from coodie import exceptions as exc_mod  # noqa: E402
from coodie.drivers._common import (  # noqa: E402
    LRU,
    PREPARED_CACHE_SIZE,
    Converter,
    chained,
    convert_each,
    convert_fields,
    filtering_kind,
    installed_version,
    is_int,
    is_pem,
    list_of,
    map_of,
    nanoseconds_to_time,
    no_options,
    prepared_cache_size,
    refuse_lazy,
    refuse_unknown,
    require_cert_for_key,
    require_username,
    row_converter_of,
    server_error_kind,
    split_host_port,
    tls_requested,
    translating,
    tuple_of,
    verify_requested,
    with_request,
)
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
from coodie.support.values import CqlDuration  # noqa: E402

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
        return list_of(c) if c else None
    if k == "CqlMap":
        vc = decoder(t.value_type)
        return map_of(None, vc) if vc else None
    if k == "CqlTuple":
        return tuple_of([decoder(e) for e in t.element_types])
    if k == "CqlUserDefinedType":
        plan = [(f, c) for f, ft in t.field_types for c in [decoder(ft)] if c is not None]
        return lambda v: convert_fields(dict(v), plan)
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
    return nanoseconds_to_time(v, sender="driver_type='python-rs' sends") if is_int(v) else v


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
        return list_of(c) if c else None
    if k == "CqlMap":
        if _kind(t.key_type) in _CONTAINERS:
            return _refuse_set_of_collections
        return map_of(encoder(t.key_type), encoder(t.value_type))
    if k == "CqlTuple":
        return tuple_of([encoder(e) for e in t.element_types])
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
    return row_converter_of([(c.name, d) for c in columns for d in [decoder(c.cql_type)] if d is not None])


# ------------------------------------------------------------------ errors --

# (lower-case text in the driver's message of a server's answer, CQL protocol error code)
_SERVER_MESSAGES: tuple[tuple[str, int], ...] = (
    ("already existing", 0x2400),
    ("has a syntax error", 0x2000),
    ("syntactically correct but invalid", 0x2200),
    ("because of some configuration issue", 0x2300),
    ("doesn't have the right to perform", 0x2100),
    ("bad credentials", 0x0100),
    ("not enough nodes are alive", 0x1000),
    ("responded to the write request in time", 0x1100),
    ("responded to the read request in time", 0x1200),
    ("coordinator node is overloaded", 0x1001),
    ("still bootstrapping", 0x1002),
    ("error during truncate", 0x1003),
    ("non-timeout error during a read", 0x1300),
    ("user defined function failed", 0x1400),
    ("non-timeout error during a write", 0x1500),
    ("invalid protocol message", 0x000A),
    ("internal server error", 0x0000),
)
# (lower-case text in the driver's message, coodie exception), tried after the server's answers
_OTHER_MESSAGES: tuple[tuple[str, type[exc_mod.DriverError]], ...] = (
    ("database returned an error", exc_mod.ServerError),
    ("client timeout", exc_mod.RequestTimeout),
    ("timed out", exc_mod.RequestTimeout),
    ("failed to serialize", exc_mod.InvalidRequest),
    ("serializationerror", exc_mod.InvalidRequest),
    ("connection", exc_mod.ConnectionFailed),
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
        code = next((c for needle, c in _SERVER_MESSAGES if needle in low), None)
        if code is not None:
            kind = server_error_kind(code)
        else:
            other = next((k for needle, k in _OTHER_MESSAGES if needle in low), None)
            if other is not None:
                kind = other
            elif isinstance(error, ValueError | TypeError | OverflowError):
                kind = exc_mod.InvalidRequest
    return chained(filtering_kind(kind, text), f"{type(error).__name__}: {text}", error, code)


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
        return tuple(convert_each(self.encoders, params))


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
        return installed_version("scylladb-rs-driver") or "unknown"

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
        name, own_port = split_host_port(h)
        if own_port is not None:
            points.append((name, own_port))
        elif port is not None:
            points.append((name, int(port)))
        else:
            points.append(h)
    return points


def _tls(options: dict[str, Any]) -> Any:
    """A python-rs TlsContext from coodie's ssl options (None: no TLS)."""
    tls_mod: Any = _scylla("tls")
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
    if not tls_requested(options):
        return None
    if options.get("ssl_private_key_password"):
        raise exc_mod.ConfigurationError(
            "driver_type='python-rs' reads only unencrypted PEM private keys; ssl_private_key_password is not supported"
        )
    ctx = tls_mod.TlsContext()
    trusted = options.get("ssl_trusted_cert")
    if trusted is not None:
        if isinstance(trusted, bytes) or is_pem(trusted):
            ctx.load_verify_locations(cadata=trusted)
        else:
            ctx.load_verify_locations(cafile=str(trusted))
    cert, key = options.get("ssl_cert"), options.get("ssl_private_key")
    require_cert_for_key(cert, key)
    if cert is not None:
        if is_pem(cert) or (key is not None and is_pem(key)):
            raise exc_mod.ConfigurationError(
                "driver_type='python-rs' reads the client certificate and key from files: pass file paths as "
                "ssl_cert= and ssl_private_key="
            )
        ctx.load_cert_chain(str(cert), str(key) if key is not None else None)
    verify = verify_requested(options.get("ssl_verify_flags"))
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
        kwargs["serial_consistency"] = _SERIAL[Consistency.parse_serial(given.pop("serial_consistency"))]
    kwargs.update(given)
    return _scylla_profile.ExecutionProfile(**kwargs)


def builder(hosts: list[str] | None, keyspace: str | None, options: dict[str, Any]) -> Any:
    """A configured ``SessionBuilder`` from coodie's connection options."""
    refuse_unknown(
        options,
        _KNOWN,
        "python-rs",
        " (configure=<callable taking and returning the SessionBuilder> reaches everything else)",
    )
    refuse_lazy(options.get("lazy"), "python-rs")
    b = _session_builder.SessionBuilder().contact_points(_contact_points(hosts, options.get("port")))
    if keyspace:
        quoted = keyspace.startswith('"') and keyspace.endswith('"')
        b = b.use_keyspace(keyspace.strip('"') if quoted else keyspace, quoted)
    require_username(options)
    if options.get("username") is not None:
        b = b.user(str(options["username"]), str(options.get("password") or ""))
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
    cache_size = prepared_cache_size(options)
    if session is None:
        with translating(translate_error):
            session = builder(hosts, keyspace, options).connect().result()
    else:
        no_options(options)
    return PythonRsDriver(session, keyspace, cache_size=cache_size)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "python-rs",
    **options: Any,
) -> PythonRsDriver:
    cache_size = prepared_cache_size(options)
    if session is None:
        with translating(translate_error):
            session = await builder(hosts, keyspace, options).connect()
    else:
        no_options(options)
    return PythonRsDriver(session, keyspace, cache_size=cache_size)
