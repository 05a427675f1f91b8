"""What several backends share, written once.

Each backend implements transport for its own driver package; the pieces
below are the same for two or more of them: a bounded cache, building blocks
of value converters, turning a driver's exception into coodie's, and checks
of the connection options every backend accepts in the same sense.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers.base import ExecOptions, Row
from coodie.support.hosts import split_host_port as split_host_port
from coodie.support.lru import LRU as LRU
from coodie.support.values import NANOS_PER_DAY
from coodie.support.values import nanoseconds_to_time as _time_of_day

Converter = Callable[[Any], Any]

#: prepared statements a backend keeps per driver, unless ``prepared_cache_size=`` says otherwise
PREPARED_CACHE_SIZE = 512
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


# -------------------------------------------------------- value conversion --
# Converters take one non-null value; ``None`` in place of a converter means
# "leave the value as it is". Null values are never passed to a converter.


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def hashable(v: Any) -> Any:
    """A collection as a set element or map key can hold it (sets, lists and dicts are not hashable)."""
    if isinstance(v, set):
        return frozenset(v)
    if isinstance(v, list):
        return tuple(v)
    if isinstance(v, dict):
        return tuple(v.items())
    return v


def convert_each(converters: Sequence[Converter | None], values: Iterable[Any]) -> Iterator[Any]:
    """Each value through the converter at its position."""
    return (c(v) if c is not None and v is not None else v for c, v in zip(converters, values))


def list_of(element: Converter) -> Converter:
    return lambda v: [element(x) if x is not None else x for x in v]


def set_of(element: Converter) -> Converter:
    return lambda v: {hashable(element(x)) for x in v}


def tuple_of(elements: Sequence[Converter | None]) -> Converter:
    return lambda v: tuple(convert_each(elements, v))


def map_of(key: Converter | None, value: Converter | None, *, hashable_keys: bool = False) -> Converter:
    """A map converter; ``hashable_keys`` makes collection keys hashable (for maps read back)."""
    if hashable_keys:
        return lambda v: {
            hashable(key(k) if key else k): (value(x) if value and x is not None else x) for k, x in v.items()
        }
    return lambda v: {
        (key(k) if key else k): (value(x) if value and x is not None else x) for k, x in v.items()
    }


def convert_fields(values: dict[str, Any], plan: Sequence[tuple[str, Converter]]) -> dict[str, Any]:
    """Convert, in place, the non-null entries of ``values`` that ``plan`` names; returns ``values``."""
    for name, convert in plan:
        v = values.get(name)
        if v is not None:
            values[name] = convert(v)
    return values


def row_converter_of(plan: Sequence[tuple[str, Converter]]) -> Callable[[Row], Row] | None:
    """A converter of dict rows by column name (None when no column needs converting)."""
    if not plan:
        return None
    return lambda row: convert_fields(row, plan)


def nanoseconds_to_time(ns: int, *, sender: str) -> dt.time:
    """A CQL ``time`` given as nanoseconds since midnight as a ``datetime.time``, for a driver that
    sends time with microsecond precision (``sender`` says which, in the error message)."""
    if not 0 <= ns < NANOS_PER_DAY:
        raise exc_mod.InvalidQueryError(
            f"time value {ns!r}: nanoseconds since midnight must be in [0, 86400e9)"
        )
    if ns % 1000:
        raise exc_mod.InvalidQueryError(
            f"time value {ns} ns: {sender} time with microsecond precision; {ns} is not a whole number of "
            "microseconds"
        )
    return _time_of_day(ns)


# ------------------------------------------------------------------ errors --

#: CQL protocol error code of a server's answer → coodie exception (other codes: ServerError)
SERVER_ERROR_KINDS: dict[int, type[exc_mod.DriverError]] = {
    0x0100: exc_mod.AuthenticationFailed,
    0x1000: exc_mod.Unavailable,
    0x1100: exc_mod.RequestTimeout,  # write timeout
    0x1200: exc_mod.RequestTimeout,  # read timeout
    0x2000: exc_mod.InvalidRequest,  # syntax error
    0x2100: exc_mod.Unauthorized,
    0x2200: exc_mod.InvalidRequest,
    0x2300: exc_mod.InvalidRequest,  # configuration
    0x2400: exc_mod.AlreadyExists,
}


def server_error_kind(code: int | None) -> type[exc_mod.DriverError]:
    return SERVER_ERROR_KINDS.get(code if code is not None else -1, exc_mod.ServerError)


def filtering_kind(kind: type[exc_mod.DriverError], text: str) -> type[exc_mod.DriverError]:
    """An invalid request that asks for ALLOW FILTERING is the more precise FilteringRequiredError."""
    if kind is exc_mod.InvalidRequest and "ALLOW FILTERING" in text:
        return exc_mod.FilteringRequiredError
    return kind


def chained(
    kind: type[exc_mod.DriverError], message: str, error: BaseException, code: int | None = None
) -> exc_mod.DriverError:
    """``kind(message)`` carrying ``error`` as ``original`` and ``__cause__``."""
    translated = kind(message, original=error, code=code)
    translated.__cause__ = error
    return translated


@contextlib.contextmanager
def translating(
    translate: Callable[[BaseException], exc_mod.CoodieError], *, release: Callable[[], object] | None = None
) -> Iterator[None]:
    """A driver's exception leaves the block translated (coodie's own pass as they are); on any
    error, ``release()`` first frees what was opened (used when connecting)."""
    try:
        yield
    except exc_mod.CoodieError:
        if release is not None:
            release()
        raise
    except Exception as error:
        if release is not None:
            release()
        raise translate(error) from error


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


# ------------------------------------------------------- connection options --

#: the TLS options that, given without ``ssl_enabled``, turn TLS on
TLS_KEYS = ("ssl_trusted_cert", "ssl_cert", "ssl_private_key", "ssl_private_key_password", "ssl_verify_flags")


def tls_requested(options: dict[str, Any]) -> bool:
    """``ssl_enabled=True``, or ``ssl_enabled`` left out and some other TLS option given."""
    enabled = options.get("ssl_enabled")
    if enabled is None:
        return any(options.get(k) is not None for k in TLS_KEYS)
    return bool(enabled)


def verify_requested(flags: Any) -> bool:
    """Whether ``ssl_verify_flags`` asks to verify the server (``0`` or ``"none"`` turn it off)."""
    return not (flags is not None and (flags == 0 or str(getattr(flags, "name", flags)).lower() == "none"))


def is_pem(value: Any) -> bool:
    """PEM text (rather than the name of a file)."""
    return "-----BEGIN" in str(value)


def require_cert_for_key(cert: Any, key: Any) -> None:
    if key is not None and cert is None:
        raise exc_mod.ConfigurationError("ssl_private_key= needs ssl_cert= as well")


def require_username(options: dict[str, Any]) -> None:
    if options.get("password") is not None and options.get("username") is None:
        raise exc_mod.ConfigurationError("password= needs username= as well")


def refuse_unknown(options: dict[str, Any], known: frozenset[str], driver_type: str, hint: str = "") -> None:
    unknown = sorted(set(options) - known)
    if unknown:
        raise exc_mod.ConfigurationError(
            f"driver_type={driver_type!r} does not know the option(s) {unknown}; supported: "
            f"{', '.join(sorted(known))}{hint}"
        )


def refuse_lazy(lazy: Any, driver_type: str) -> None:
    if lazy:
        raise exc_mod.ConfigurationError(
            f"driver_type={driver_type!r} does not support lazy=True; it connects on init"
        )


def no_options(options: dict[str, Any]) -> None:
    """With ``session=``, the caller configured the session: connection options would be ignored."""
    extra = {k: v for k, v in options.items() if v is not None and k != "lazy"}
    if extra:
        raise exc_mod.ConfigurationError(
            f"connection options {sorted(extra)} have no effect with session=: configure the session yourself"
        )


def prepared_cache_size(options: dict[str, Any]) -> int:
    """Take ``prepared_cache_size`` out of the options."""
    return int(options.pop("prepared_cache_size", PREPARED_CACHE_SIZE))


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution (None when it is not installed)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
