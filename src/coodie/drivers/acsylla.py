"""Backend over acsylla (asyncio bindings of the ScyllaDB C++ driver).

acsylla has no blocking API and its session only works on the event loop it
was created on. The driver therefore owns one private event loop on one thread
(:class:`~coodie.drivers._loop_thread.LoopThread`): the session is created and
used there, blocking calls wait for it, and ``await`` from any other loop
wraps the request's future. Every coroutine below whose name starts with ``_``
runs on that loop.

Value conversion. acsylla returns ``uuid``/``timeuuid`` and ``inet`` values as
strings, ``duration`` as text (``"1mo2d3ns"``), ``varint`` and ``vector`` as raw
bytes, and exposes no column types with a result. The backend reads the
column types of the table a statement reads from ``system_schema`` (once per
table, cached, dropped on DDL sent through the driver) and converts the
values to the canonical Python values described in :mod:`coodie.drivers.base`.
Columns that are not table columns (aliases, function calls) keep acsylla's
values. Parameters: ``CqlDuration`` is sent as ``(months, days, nanoseconds)``;
a parameter that acsylla wants as bytes is learned once per prepared statement
and sent as a varint (``int``) or a ``vector<float>`` (a sequence of numbers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import decimal
import ipaddress
import math
import re
import struct
import uuid
import weakref
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from coodie.drivers._guard import require

acsylla: Any = require("acsylla", driver_type="acsylla", extra="acsylla", package="acsylla")
_errors: Any = require("acsylla.errors", driver_type="acsylla", extra="acsylla", package="acsylla")

from coodie import exceptions as exc_mod  # noqa: E402
from coodie.drivers._common import (  # noqa: E402
    EPOCH,
    LRU,
    PREPARED_CACHE_SIZE,
    Converter,
    chained,
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
    row_converter_of,
    server_error_kind,
    set_of,
    split_host_port,
    tls_requested,
    translating,
    tuple_of,
    with_request,
)
from coodie.drivers._loop_thread import ForeignLoop, LoopRunner, LoopThread  # noqa: E402
from coodie.drivers.base import (  # noqa: E402
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    Capabilities,
    ExecOptions,
    ResultPage,
    Row,
    Statement,
)
from coodie.support.values import CqlDuration  # noqa: E402

T = TypeVar("T")
SCHEMA_CACHE_SIZE = 256
CLOSE_TIMEOUT = 10.0
#: request timeout of schema changes sent without one (they wait for schema agreement)
SCHEMA_TIMEOUT = 60.0

# ---------------------------------------------------------------- CQL types --
# A column type as stored in system_schema ("map<text, frozen<list<int>>>"),
# parsed into a small tree. UDT names are resolved against the keyspace's types.

_NATIVE = frozenset(
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


@dataclasses.dataclass(frozen=True, slots=True)
class CqlT:
    name: str
    params: tuple[CqlT, ...] = ()
    fields: tuple[tuple[str, CqlT], ...] = ()
    size: int = 0


_TOKEN = re.compile(r'\s*(?:("(?:[^"]|"")*")|(\'[^\']*\')|([A-Za-z0-9_.]+)|([<>,]))')


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


def parse_type(
    text: str, udts: dict[str, list[tuple[str, str]]] | None = None, _outer: tuple[str, ...] = ()
) -> CqlT:
    """Parse a CQL type string; ``udts`` maps a UDT name to its (field name, type string) list."""
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
        if not quoted and name in _NATIVE:
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


# ---------------------------------------------------------- value conversion --

_DURATION = re.compile(r"(\d+)(y|mo|w|d|h|ms|m|us|µs|ns|s)")
_NS = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "µs": 1_000,
    "ns": 1,
}


def parse_duration(text: str) -> CqlDuration:
    """acsylla's duration text (``"-1y2mo3d4h5m6s7ms8us9ns"``; ``""`` is zero) as a CqlDuration."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    months = days = nanos = 0
    end = 0
    for m in _DURATION.finditer(body):
        if m.start() != end:
            break
        end = m.end()
        n, unit = int(m.group(1)), m.group(2)
        if unit == "y":
            months += 12 * n
        elif unit == "mo":
            months += n
        elif unit == "w":
            days += 7 * n
        elif unit == "d":
            days += n
        else:
            nanos += n * _NS[unit]
    if end != len(body):
        raise ValueError(f"cannot read duration {text!r}")
    return CqlDuration(sign * months, sign * days, sign * nanos)


def varint_to_bytes(n: int) -> bytes:
    return n.to_bytes(((n + (n < 0)).bit_length() + 8) // 8, "big", signed=True)


def bytes_to_varint(b: bytes) -> int:
    return int.from_bytes(b, "big", signed=True)


_VECTOR_FORMATS = {"float": "f", "double": "d", "int": "i", "bigint": "q"}


def _to_uuid(v: Any) -> Any:
    return uuid.UUID(v) if isinstance(v, str) else v


def _to_inet(v: Any) -> Any:
    return ipaddress.ip_address(v) if isinstance(v, str) else v


def _to_varint(v: Any) -> Any:
    return bytes_to_varint(bytes(v)) if isinstance(v, bytes | bytearray) else v


def _to_duration(v: Any) -> Any:
    if isinstance(v, str):
        return parse_duration(v)
    if isinstance(v, dt.timedelta):
        return CqlDuration(0, v.days, (v.seconds * 1_000_000 + v.microseconds) * 1000)
    return v


def _refuse_decimal(v: Any) -> Any:
    raise exc_mod.DriverError(DECIMAL_REFUSED)


def _to_utc(v: Any) -> Any:
    return v.replace(tzinfo=dt.timezone.utc) if isinstance(v, dt.datetime) and v.tzinfo is None else v


def decoder(t: CqlT) -> Converter | None:
    """The converter from acsylla's value of type ``t`` to the canonical value (None: already canonical)."""
    name = t.name
    if name in ("uuid", "timeuuid"):
        return _to_uuid
    if name == "inet":
        return _to_inet
    if name == "varint":
        return _to_varint
    if name == "duration":
        return _to_duration
    if name == "timestamp":
        return _to_utc
    if name == "decimal":
        return _refuse_decimal
    if name == "vector":
        fmt = _VECTOR_FORMATS.get(t.params[0].name)
        sub = decoder(t.params[0])
        if fmt is None:
            return list_of(sub) if sub else list
        unpack = struct.Struct(f">{t.size}{fmt}").unpack

        def decode_vector(v: Any) -> Any:
            return list(unpack(v)) if isinstance(v, bytes | bytearray) else list(v)

        return decode_vector
    if name.startswith("udt:"):
        subs = [(f, decoder(ft)) for f, ft in t.fields]
        if not any(c for _, c in subs):
            return None
        plan = [(f, c) for f, c in subs if c is not None]

        def decode_udt(v: Any) -> Any:
            return convert_fields(dict(v), plan) if isinstance(v, dict) else v

        return decode_udt
    if name in ("list", "set", "map", "tuple"):
        subs_ = [decoder(p) for p in t.params]
        if name in ("list", "set"):
            if subs_[0] is None:
                return None
            return list_of(subs_[0]) if name == "list" else set_of(subs_[0])
        if name == "tuple":
            return tuple_of(subs_) if any(subs_) else None
        kc, vc = subs_
        return map_of(kc, vc, hashable_keys=True) if kc or vc else None
    return None


def row_converter(names: Sequence[str], types: dict[str, CqlT]) -> Callable[[Row], Row] | None:
    """A converter for rows with these column names (None when nothing needs converting)."""
    return row_converter_of(
        [(n, d) for n in names if n in types for d in [decoder(types[n])] if d is not None]
    )


# ------------------------------------------------------------ parameters --

_PLAIN_TYPES = frozenset(
    {
        str,
        int,
        float,
        bool,
        bytes,
        type(None),
        uuid.UUID,
        dt.datetime,
        dt.date,
        dt.time,
        dt.timedelta,
        ipaddress.IPv4Address,
        ipaddress.IPv6Address,
    }
)


DECIMAL_REFUSED = (
    "acsylla cannot exchange decimal values correctly: it sends the digits of the number as text in place of "
    "its unscaled value (Decimal('1.50') is stored as 8251118.56) and cannot read decimals written by other "
    "clients; use driver_type='scylla' or 'python-rs' for decimal columns"
)


def adapt(v: Any) -> Any:
    """A canonical Python value as acsylla binds it (recursively)."""
    t = type(v)
    if t in _PLAIN_TYPES:
        return v
    if isinstance(v, CqlDuration):
        return (v.months, v.days, v.nanoseconds)
    if isinstance(v, decimal.Decimal):
        raise exc_mod.InvalidQueryError(DECIMAL_REFUSED)
    fields = getattr(t, "model_fields", None)
    if isinstance(fields, dict):  # a UDT model
        return {name: adapt(getattr(v, name, None)) for name in fields}
    if isinstance(v, list | tuple):
        return t(adapt(x) for x in v) if t in (list, tuple) else [adapt(x) for x in v]
    if isinstance(v, set | frozenset):
        return {_frozen(adapt(x)) for x in v}
    if isinstance(v, dict):
        return {_frozen(adapt(k)): adapt(x) for k, x in v.items()}
    return v


def _frozen(v: Any) -> Any:
    return frozenset(v) if isinstance(v, set) else v


# How a parameter is sent, learned per prepared statement and parameter index.
PLAIN, VARINT, FLOAT_VECTOR, VARINT_ITEMS, TIME_NS, TIMESTAMP_MS = 0, 1, 2, 3, 4, 5


def _is_number_sequence(v: Any) -> bool:
    return isinstance(v, list | tuple) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in v
    )


def convert_param(v: Any, mode: int) -> Any:
    if v is None or mode == PLAIN:
        return v
    if mode == VARINT and is_int(v):
        return varint_to_bytes(v)
    if mode == TIME_NS and is_int(v):
        return nanoseconds_to_time(v, sender="acsylla binds")
    if mode == TIMESTAMP_MS and is_int(v):
        return EPOCH + dt.timedelta(milliseconds=v)
    if mode == FLOAT_VECTOR and _is_number_sequence(v):
        return struct.pack(f">{len(v)}f", *v)
    if mode == VARINT_ITEMS:
        if isinstance(v, list | tuple):
            return [varint_to_bytes(x) if is_int(x) else x for x in v]
        if isinstance(v, set | frozenset):
            return {varint_to_bytes(x) if is_int(x) else x for x in v}
    return v


class _Probe:
    """A value no CQL type accepts: binding it makes acsylla say what the parameter's type wants."""

    def __repr__(self) -> str:
        return "<probe>"


def probe_int_mode(statement: Any, index: int) -> int:
    """How an ``int`` must be sent for parameter ``index`` of an acsylla prepared statement.

    acsylla binds a plain ``int`` to a ``time`` column as seconds and to a
    ``timestamp`` column as seconds since the epoch, and wants bytes for a
    ``varint``. Its error for an unbindable value tells these apart.
    """
    try:
        statement.bind().bind(index, _Probe())
    except TypeError as error:
        if "unsupported operand" not in str(error):
            return PLAIN
    except ValueError as error:
        return VARINT if _wants_bytes(error) else PLAIN
    except Exception:
        return PLAIN
    else:
        return PLAIN
    # a time or a timestamp: only a time accepts a datetime.time
    try:
        statement.bind().bind(index, dt.time(0, 0))
    except Exception:
        return TIMESTAMP_MS
    return TIME_NS


def _bytes_candidates(v: Any) -> list[int]:
    if is_int(v):
        return [VARINT]
    out = []
    if _is_number_sequence(v) and v:
        out.append(FLOAT_VECTOR)
    if isinstance(v, list | tuple | set | frozenset) and any(isinstance(x, int) for x in v):
        out.append(VARINT_ITEMS)
    return out


def _wants_bytes(error: BaseException) -> bool:
    return isinstance(error, ValueError) and "is not bytes" in str(error)


# ------------------------------------------------------------------ errors --

# acsylla exception class name of a server's answer → its CQL protocol error code
_SERVER_CODES: dict[str, int] = {
    "CassErrorServerSyntaxError": 0x2000,
    "CassErrorServerInvalidQuery": 0x2200,
    "CassErrorServerConfigError": 0x2300,
    "CassErrorServerAlreadyExists": 0x2400,
    "CassErrorServerUnauthorized": 0x2100,
    "CassErrorServerUnavailable": 0x1000,
    "CassErrorServerOverloaded": 0x1001,
    "CassErrorServerIsBootstrapping": 0x1002,
    "CassErrorServerTruncateError": 0x1003,
    "CassErrorServerWriteTimeout": 0x1100,
    "CassErrorServerReadTimeout": 0x1200,
    "CassErrorServerReadFailure": 0x1300,
    "CassErrorServerFunctionFailure": 0x1400,
    "CassErrorServerWriteFailure": 0x1500,
    "CassErrorServerUnprepared": 0x2500,
    "CassErrorServerProtocolError": 0x000A,
    "CassErrorServerServerError": 0x0000,
    "CassErrorServerBadCredentials": 0x0100,
}
# acsylla exception class name of a client-side failure → coodie exception
_CLIENT_ERRORS: dict[str, type[exc_mod.DriverError]] = {
    "CassErrorLibRequestTimedOut": exc_mod.RequestTimeout,
    "CassErrorLibNoHostsAvailable": exc_mod.ConnectionFailed,
    "CassErrorLibUnableToConnect": exc_mod.ConnectionFailed,
    "CassErrorLibUnableToSetKeyspace": exc_mod.InvalidRequest,
    "CassErrorLibUnableToDetermineProtocol": exc_mod.ConnectionFailed,
    "CassErrorLibWriteError": exc_mod.ConnectionFailed,
    "CassExceptionConnectionError": exc_mod.ConnectionFailed,
    "CassErrorSourceSsl": exc_mod.ConnectionFailed,
}


def translate_error(error: BaseException) -> exc_mod.CoodieError:
    """An acsylla (or value) exception as the matching coodie exception; the original is chained."""
    if isinstance(error, exc_mod.CoodieError):
        return error
    message = f"{type(error).__name__}: {error}"
    kind: type[exc_mod.DriverError] = exc_mod.DriverError
    code: int | None = None
    for klass in type(error).__mro__:
        code = _SERVER_CODES.get(klass.__name__)
        if code is not None:
            kind = server_error_kind(code)
            break
        client = _CLIENT_ERRORS.get(klass.__name__)
        if client is not None:
            kind = client
            break
    else:
        if isinstance(error, ValueError | TypeError | OverflowError):
            kind = exc_mod.InvalidRequest  # a value acsylla cannot bind
        elif isinstance(error, _errors.CassErrorSourceServer):
            kind = exc_mod.ServerError
        elif isinstance(error, asyncio.TimeoutError):
            kind = exc_mod.RequestTimeout
        elif isinstance(error, RuntimeError) and "closed" in str(error).lower():
            kind = exc_mod.ConnectionFailed
    kind = filtering_kind(kind, str(error))
    if kind is exc_mod.ConnectionFailed and any(w in str(error).lower() for w in ("authentic", "credential")):
        kind = exc_mod.AuthenticationFailed
    return chained(kind, message, error, code)


def _unreadable(error: TypeError) -> exc_mod.DriverError:
    return chained(
        exc_mod.DriverError,
        f"acsylla cannot read this result: {error}. acsylla builds Python sets and map keys from the raw values, "
        "so a set or map key whose elements are collections or UDTs (e.g. set<frozen<set<int>>>, "
        "map<frozen<list<int>>, int>, set<frozen<udt>>) cannot be read with this backend; select other "
        "columns or use driver_type='scylla'",
        error,
    )


# -------------------------------------------------------------- the driver --

_CONSISTENCY: dict[int, Any] = {int(c.value): c for c in acsylla.Consistency}
_BATCH_FACTORIES = {
    BatchType.LOGGED: "create_batch_logged",
    BatchType.UNLOGGED: "create_batch_unlogged",
    BatchType.COUNTER: "create_batch_counter",
}
_TABLE_REF = re.compile(
    r'\b(?:FROM|INTO|UPDATE)\s+((?:"(?:[^"]|"")+"|[A-Za-z0-9_]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z0-9_]+))?)',
    re.IGNORECASE,
)
_IDENT = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z0-9_]+)')
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)
_SCHEMA_CHANGE = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)
_USE = re.compile(r'^\s*USE\s+("(?:[^"]|"")+"|[A-Za-z0-9_]+)\s*;?\s*$', re.IGNORECASE)


def _ident(text: str) -> str:
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
        return _ident(parts[0]), _ident(parts[1])
    if keyspace is None:
        return None
    return keyspace, _ident(parts[0])


class _Prepared:
    """An acsylla prepared statement plus, per parameter, how acsylla wants it sent."""

    __slots__ = ("cql", "modes", "statement")

    def __init__(self, cql: str, statement: Any) -> None:
        self.cql = cql
        self.statement = statement
        self.modes: dict[int, int] = {}

    def bind(self, params: Sequence[Any], **kwargs: Any) -> Any:
        values = [adapt(v) for v in params]
        modes = self.modes
        for i, v in enumerate(values):
            if i not in modes and is_int(v):
                modes[i] = probe_int_mode(self.statement, i)
        for i, mode in modes.items():
            if mode != PLAIN and i < len(values):
                values[i] = convert_param(values[i], mode)
        stmt = self.statement.bind(**kwargs)
        if not values:
            return stmt
        try:
            stmt.bind_list(values)
        except ValueError as error:
            if not _wants_bytes(error):
                raise
            stmt = self.statement.bind(**kwargs)
            self._bind_learning(stmt, values)
        return stmt

    def _bind_learning(self, stmt: Any, values: list[Any]) -> None:
        for i, v in enumerate(values):
            try:
                stmt.bind(i, v)
                continue
            except ValueError as error:
                if not _wants_bytes(error):
                    raise
                first = error
            for mode in _bytes_candidates(v):
                try:
                    stmt.bind(i, convert_param(v, mode))
                except ValueError:
                    continue
                self.modes[i] = mode
                break
            else:
                raise first


class AcsyllaDriver(AbstractDriver):
    """acsylla behind coodie's contract, with blocking calls bridged through a private loop thread."""

    driver_types = ("acsylla",)
    capabilities = Capabilities(
        lz4=False,
        native_sync=False,
        collections_in_sets=False,
        time_nanoseconds=False,
        decimal=False,
        gaps=(
            ("lz4", "acsylla exposes no protocol compression option"),
            (
                "decimal",
                "acsylla sends a decimal's digits as text in place of its unscaled value and cannot read "
                "correctly encoded decimals; coodie refuses decimal values with this backend",
            ),
            ("time_nanoseconds", "acsylla binds time values as datetime.time (microsecond precision)"),
            ("native_sync", "acsylla is asyncio-only; blocking calls run on a private event-loop thread"),
            (
                "collections_in_sets",
                "acsylla cannot read a set or map key whose elements are collections or UDTs "
                "(set<frozen<set<int>>>, map<frozen<list<int>>, int>, set<frozen<udt>>)",
            ),
        ),
    )

    def __init__(
        self,
        session: Any,
        runner: LoopRunner,
        default_keyspace: str | None = None,
        *,
        cluster: Any = None,
        owns_session: bool = False,
        cache_size: int = PREPARED_CACHE_SIZE,
    ) -> None:
        super().__init__(default_keyspace)
        self._session = session
        self._cluster = cluster
        self._runner = runner
        self._owns_session = owns_session
        self._keyspace = default_keyspace or _session_keyspace(session)
        self._prepared: LRU[str, _Prepared] = LRU(cache_size)
        self._preparing: dict[str, asyncio.Future[_Prepared]] = {}
        self._schema: LRU[tuple[str, str], dict[str, CqlT]] = LRU(SCHEMA_CACHE_SIZE)
        self._converters: LRU[tuple[str, tuple[str, ...]], Callable[[Row], Row] | None] = LRU(4 * cache_size)
        self._closed = False
        state = _CloseState(
            session if owns_session else None, runner if isinstance(runner, LoopThread) else None
        )
        self._close_state = state
        self._finalizer = weakref.finalize(self, _finalize, state)

    @property
    def driver_name(self) -> str:
        return "acsylla"

    def driver_version(self) -> str:
        return installed_version("acsylla") or str(getattr(acsylla, "__version__", "unknown"))

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the acsylla session lives on."""
        return self._runner.loop

    @property
    def loop_thread(self) -> LoopThread | None:
        return self._runner if isinstance(self._runner, LoopThread) else None

    # ------------------------------------------------------------ bridging --
    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise exc_mod.ConfigurationError("this acsylla driver is closed")
        return self._runner.call(coro)

    async def _acall(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise exc_mod.ConfigurationError("this acsylla driver is closed")
        return await self._runner.acall(coro)

    # -------------------------------------------------------- the contract --
    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return self._call(self._run(statement, options))

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        return await self._acall(self._run(statement, options))

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        return self._call(self._run_batch(tuple(statements), batch_type, options))

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        return await self._acall(self._run_batch(tuple(statements), batch_type, options))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._clear()
        self._finalizer.detach()
        _finalize(self._close_state)

    async def close_async(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._clear()
        self._finalizer.detach()
        state = self._close_state
        session, state.session = state.session, None
        if session is not None:
            with contextlib.suppress(Exception):  # closing is best effort
                await self._runner.acall(_close_session(session))
        thread, state.thread = state.thread, None
        if thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, thread.stop, CLOSE_TIMEOUT)

    def _clear(self) -> None:
        self._prepared.clear()
        self._schema.clear()
        self._converters.clear()

    # ------------------------------------------------- on the driver's loop --
    async def _prepare(self, cql: str) -> _Prepared:
        p = self._prepared.get(cql)
        if p is not None:
            return p
        pending = self._preparing.get(cql)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_Prepared] = asyncio.get_running_loop().create_future()
        self._preparing[cql] = future
        try:
            prepared = _Prepared(cql, await self._session.create_prepared(cql))
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: waiters re-raise it, nobody else must log it
            raise
        finally:
            self._preparing.pop(cql, None)
        future.set_result(prepared)
        return self._prepared.put(cql, prepared)

    def _statement_options(self, options: ExecOptions) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if options.page_size is not None:
            kwargs["page_size"] = options.page_size
        if options.paging_state is not None:
            kwargs["page_state"] = options.paging_state
        if options.timeout is not None:
            kwargs["timeout"] = _timeout_seconds(options.timeout)
        if options.consistency is not None:
            kwargs["consistency"] = _CONSISTENCY[int(options.consistency)]
        if options.serial_consistency is not None:
            kwargs["serial_consistency"] = _CONSISTENCY[int(options.serial_consistency)]
        return kwargs

    async def _statement(self, statement: Statement, options: ExecOptions) -> Any:
        kwargs = self._statement_options(options)
        if options.timeout is None and not statement.prepare and _SCHEMA_CHANGE.match(statement.cql):
            kwargs["timeout"] = SCHEMA_TIMEOUT
        if statement.prepare or statement.params:
            prepared = await self._prepare(statement.cql)
            stmt = prepared.bind(statement.params, **kwargs)
        else:
            stmt = acsylla.create_statement(statement.cql, **kwargs)
        if options.timestamp is not None:
            stmt.set_timestamp(int(options.timestamp))
        if statement.idempotent:
            stmt.set_is_idempotent(True)
        return stmt

    async def _run(self, statement: Statement, options: ExecOptions) -> ResultPage:
        try:
            stmt = await self._statement(statement, options)
            result = await self._session.execute(stmt)
            raw = _rows(result)
            if not options.paged:
                while result.has_more_pages():
                    stmt.set_page_state(result.page_state())
                    result = await self._session.execute(stmt)
                    raw.extend(_rows(result))
            state = result.page_state() if options.paged and result.has_more_pages() else None
        except exc_mod.CoodieError:
            raise
        except Exception as error:
            raise with_request(translate_error(error), options) from error
        self._after(statement.cql)
        return ResultPage(await self._convert(statement.cql, raw), state)

    async def _run_batch(
        self, statements: tuple[Statement, ...], batch_type: BatchType, options: ExecOptions
    ) -> ResultPage:
        if not statements:
            return ResultPage()
        try:
            timeout_ms = max(1, math.ceil(options.timeout * 1000)) if options.timeout is not None else None
            batch = getattr(acsylla, _BATCH_FACTORIES[batch_type])()
            if timeout_ms is not None:
                batch.set_request_timeout(timeout_ms)
            if options.consistency is not None:
                batch.set_consistency(_CONSISTENCY[int(options.consistency)])
            if options.serial_consistency is not None:
                batch.set_serial_consistency(_CONSISTENCY[int(options.serial_consistency)])
            if options.timestamp is not None:
                batch.set_timestamp(int(options.timestamp))
            if all(s.idempotent for s in statements):
                batch.set_is_idempotent(True)
            for s in statements:
                if s.prepare or s.params:
                    batch.add_statement((await self._prepare(s.cql)).bind(s.params))
                else:
                    batch.add_statement(acsylla.create_statement(s.cql))
            result = await self._session.execute_batch(batch)
            raw = _rows(result)
        except exc_mod.CoodieError:
            raise
        except Exception as error:
            raise with_request(translate_error(error), options) from error
        return ResultPage(await self._convert(statements[0].cql, raw))

    def _after(self, cql: str) -> None:
        """Keep the schema caches honest after statements that change what they describe."""
        if _DDL.match(cql):
            self._schema.clear()
            self._converters.clear()
            return
        use = _USE.match(cql)
        if use is not None:
            self._keyspace = _ident(use.group(1))
            self._converters.clear()

    async def _convert(self, cql: str, rows: list[Row]) -> list[Row]:
        if not rows:
            return rows
        names = tuple(rows[0])
        key = (cql, names)
        if key in self._converters:
            convert = self._converters.get(key)
        else:
            convert = None
            table = table_of(cql, self._keyspace)
            if table is not None and not table[0].startswith("system_schema"):
                try:
                    types = await self._table_types(*table)
                except Exception:
                    types = {}
                convert = row_converter(names, types)
            self._converters.put(key, convert)
        if convert is None:
            return rows
        try:
            return [convert(r) for r in rows]
        except exc_mod.CoodieError:
            raise
        except (ValueError, TypeError) as error:
            raise translate_error(error) from error

    async def _select(self, cql: str, params: Sequence[Any]) -> list[Row]:
        prepared = await self._prepare(cql)
        return _rows(await self._session.execute(prepared.bind(params)))

    async def _table_types(self, keyspace: str, table: str) -> dict[str, CqlT]:
        key = (keyspace, table)
        cached = self._schema.get(key)
        if cached is not None:
            return cached
        columns = await self._select(
            "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?",
            (keyspace, table),
        )
        if not columns:
            try:
                columns = await self._select(
                    "SELECT column_name, type FROM system_virtual_schema.columns "
                    "WHERE keyspace_name = ? AND table_name = ?",
                    (keyspace, table),
                )
            except Exception:
                columns = []
        raw_types = {r["column_name"]: r["type"] for r in columns}
        udts: dict[str, list[tuple[str, str]]] = {}
        if any(_mentions_udt(t) for t in raw_types.values()):
            for r in await self._select(
                "SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = ?",
                (keyspace,),
            ):
                udts[r["type_name"]] = list(zip(r["field_names"] or (), r["field_types"] or ()))
        types: dict[str, CqlT] = {}
        for name, text in raw_types.items():
            try:
                types[name] = parse_type(text, udts)
            except ValueError:
                continue
        return self._schema.put(key, types)


def _mentions_udt(type_text: str) -> bool:
    words = re.findall(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_.]*', type_text)
    keywords = _NATIVE | {"frozen", "list", "set", "map", "tuple", "vector"}
    return any(w.startswith('"') or w.lower() not in keywords for w in words)


def _rows(result: Any) -> list[Row]:
    try:
        return [row.as_dict() for row in result.all()]
    except TypeError as error:
        raise _unreadable(error) from error
    except (decimal.InvalidOperation, UnicodeDecodeError) as error:
        translated = exc_mod.DriverError(f"acsylla could not decode a value ({error!r}). {DECIMAL_REFUSED}")
        raise translated from error


def _timeout_seconds(timeout: float) -> float:
    # acsylla turns seconds into whole milliseconds and treats 0 as "no timeout".
    return max(timeout, 0.001)


def _session_keyspace(session: Any) -> str | None:
    ks = getattr(session, "keyspace", None)
    if callable(ks):
        try:
            ks = ks()
        except Exception:
            ks = None
    return ks if isinstance(ks, str) and ks else None


async def _close_session(session: Any) -> None:
    await session.close()


@dataclasses.dataclass
class _CloseState:
    session: Any
    thread: LoopThread | None


def _finalize(state: _CloseState) -> None:
    """Close the session (if the driver created it) and stop the loop thread; safe to call twice."""
    session, state.session = state.session, None
    thread, state.thread = state.thread, None
    if session is not None and thread is not None and thread.running:
        with contextlib.suppress(Exception):  # closing is best effort
            thread.call(_close_session(session), timeout=CLOSE_TIMEOUT)
    if thread is not None:
        thread.stop(CLOSE_TIMEOUT)


# ------------------------------------------------------------- connecting --


def _pem(value: Any, option: str) -> Any:
    """PEM text, or the text of a PEM file when given a path."""
    if value is None or not isinstance(value, str | bytes) or (isinstance(value, str) and is_pem(value)):
        return value
    if isinstance(value, bytes):
        return value.decode()
    try:
        with open(value, encoding="utf-8") as fh:
            return fh.read()
    except OSError as error:
        raise exc_mod.ConfigurationError(
            f"{option}={value!r} is neither PEM text nor a readable file: {error}"
        ) from None


def _split_hosts(hosts: list[str] | None, port: int | None) -> tuple[list[str], int | None]:
    names: list[str] = []
    ports: set[int] = set()
    for h in hosts or ["127.0.0.1"]:
        name, own_port = split_host_port(h)
        names.append(name)
        if own_port is not None:
            ports.add(own_port)
    if port is not None:
        ports.add(int(port))
    if len(ports) > 1:
        raise exc_mod.ConfigurationError(
            f"acsylla connects to every host on one port; got ports {sorted(ports)}"
        )
    return names, (ports.pop() if ports else None)


def cluster_kwargs(hosts: list[str] | None, options: dict[str, Any]) -> dict[str, Any]:
    """Translate coodie's connection options into ``acsylla.create_cluster`` keywords."""
    options = dict(options)
    refuse_lazy(options.pop("lazy", False), "acsylla")
    if options.pop("compression", None) not in (None, False):
        raise exc_mod.ConfigurationError(
            "driver_type='acsylla' cannot compress traffic: acsylla exposes no protocol compression option"
        )
    if options.pop("ssl_context", None) is not None:
        raise exc_mod.ConfigurationError(
            "driver_type='acsylla' takes TLS settings as ssl_enabled=True plus ssl_trusted_cert= (CA, PEM text "
            "or file), ssl_cert=/ssl_private_key= (client certificate) and ssl_verify_flags=, not an ssl_context"
        )
    names, port = _split_hosts(hosts, options.pop("port", None))
    kwargs: dict[str, Any] = {"contact_points": names}
    if port is not None:
        kwargs["port"] = port
    for key in ("ssl_cert", "ssl_private_key", "ssl_trusted_cert"):
        if options.get(key) is not None:
            options[key] = _pem(options[key], key)
    if options.get("ssl_enabled") is None and tls_requested(options):
        options["ssl_enabled"] = True
    consistency = options.pop("consistency", None)
    if consistency is not None:
        from coodie.drivers.base import Consistency

        kwargs["consistency"] = _CONSISTENCY[int(Consistency.parse(consistency))]
    serial = options.pop("serial_consistency", None)
    if serial is not None:
        from coodie.drivers.base import Consistency

        kwargs["serial_consistency"] = _CONSISTENCY[
            int(Consistency.parse(serial, option="serial_consistency"))
        ]
    kwargs.update({k: v for k, v in options.items() if v is not None})
    # The C++ driver's default policy retries an Unavailable error on the next host and, once every
    # host was tried, reports "no hosts available" instead of the server's error. Surface the
    # server's error unless the caller chose a policy.
    kwargs.setdefault("retry_policy", "fallthrough")
    return kwargs


async def _connect(kwargs: dict[str, Any], keyspace: str | None) -> tuple[Any, Any]:
    try:
        cluster = acsylla.create_cluster(**kwargs)
    except (TypeError, ValueError) as error:
        raise exc_mod.ConfigurationError(f"bad option for driver_type='acsylla': {error}") from error
    with translating(translate_error):
        session = await cluster.create_session(keyspace=keyspace)
    return cluster, session


def create(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "acsylla",
    **options: Any,
) -> AcsyllaDriver:
    """Connect (on a new private loop thread), or wrap ``session`` living on ``loop=``."""
    cache_size = prepared_cache_size(options)
    if session is not None:
        loop = options.pop("loop", None)
        if loop is None:
            raise exc_mod.ConfigurationError(
                "an acsylla session only works on the event loop it was created on: pass loop=<that loop> with "
                "session=, or pass hosts= and let coodie create the session on its own loop thread"
            )
        return _wrap(session, loop, keyspace, options, cache_size)
    kwargs = cluster_kwargs(hosts, options)
    thread = LoopThread("coodie-acsylla").start()
    try:
        connected = thread.call(_connect(kwargs, keyspace))
    except BaseException:
        thread.stop()
        raise
    return _owned(thread, connected, keyspace, cache_size)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "acsylla",
    **options: Any,
) -> AcsyllaDriver:
    """Like :func:`create`, without blocking the caller's loop.

    A ``session`` created by the caller is assumed to live on the running loop
    (or ``loop=``); blocking calls on that loop's own thread are then refused.
    """
    cache_size = prepared_cache_size(options)
    if session is not None:
        loop = options.pop("loop", None) or asyncio.get_running_loop()
        return _wrap(session, loop, keyspace, options, cache_size)
    kwargs = cluster_kwargs(hosts, options)
    running = asyncio.get_running_loop()
    thread = LoopThread("coodie-acsylla").start()
    try:
        connected = await thread.acall(_connect(kwargs, keyspace))
    except BaseException:
        await running.run_in_executor(None, thread.stop)
        raise
    return _owned(thread, connected, keyspace, cache_size)


def _wrap(
    session: Any,
    loop: asyncio.AbstractEventLoop,
    keyspace: str | None,
    options: dict[str, Any],
    cache_size: int,
) -> AcsyllaDriver:
    """A driver over the caller's session, which lives on ``loop``."""
    no_options(options)
    return AcsyllaDriver(session, ForeignLoop(loop), keyspace, cache_size=cache_size)


def _owned(
    thread: LoopThread, connected: tuple[Any, Any], keyspace: str | None, cache_size: int
) -> AcsyllaDriver:
    """A driver over the (cluster, session) it created on its own loop thread."""
    cluster, session = connected
    return AcsyllaDriver(session, thread, keyspace, cluster=cluster, owns_session=True, cache_size=cache_size)
