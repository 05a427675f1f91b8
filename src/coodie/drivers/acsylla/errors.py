"""acsylla's exceptions as coodie's.

acsylla raises one exception class per error of the C++ driver; the class name
says whether the server answered (and with which protocol error code) or the
client failed.
"""

from __future__ import annotations

import asyncio

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import chained, filtering_kind, server_error_kind
from coodie.drivers.acsylla import lib

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
        elif isinstance(error, lib.errors.CassErrorSourceServer):
            kind = exc_mod.ServerError
        elif isinstance(error, asyncio.TimeoutError):
            kind = exc_mod.RequestTimeout
        elif isinstance(error, RuntimeError) and "closed" in str(error).lower():
            kind = exc_mod.ConnectionFailed
    kind = filtering_kind(kind, str(error))
    if kind is exc_mod.ConnectionFailed and any(w in str(error).lower() for w in ("authentic", "credential")):
        kind = exc_mod.AuthenticationFailed
    return chained(kind, message, error, code)


def unreadable(error: TypeError) -> exc_mod.DriverError:
    """The error for a result acsylla fails to build Python values from."""
    return chained(
        exc_mod.DriverError,
        f"acsylla cannot read this result: {error}. acsylla builds Python sets and map keys from the raw values, "
        "so a set or map key whose elements are collections or UDTs (e.g. set<frozen<set<int>>>, "
        "map<frozen<list<int>>, int>, set<frozen<udt>>) cannot be read with this backend; select other "
        "columns or use driver_type='scylla'",
        error,
    )
