"""python-rs-driver's exceptions as coodie's.

The driver reports every server error as ``ExecuteError`` (or ``PrepareError`` /
``BatchError``) with the server's message in the text, so the kind of a
server's answer is read from that text.
"""

from __future__ import annotations

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import chained, filtering_kind, server_error_kind
from coodie.drivers.python_rs import lib

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
    if isinstance(error, lib.errors.SessionConnectionError):
        kind = (
            exc_mod.AuthenticationFailed
            if "authentic" in low or "credentials" in low
            else exc_mod.ConnectionFailed
        )
    elif isinstance(error, lib.errors.SerializationError):
        kind = exc_mod.InvalidRequest
    elif isinstance(error, lib.errors.DeserializationError):
        kind = exc_mod.DriverError
        text += (
            " (python-rs-driver cannot read a set or map key whose elements are collections or UDTs, and "
            "reading a duration needs python-dateutil installed)"
        )
    elif isinstance(error, lib.errors.UseKeyspaceError):
        kind = exc_mod.InvalidRequest
    elif isinstance(error, lib.errors.SessionConfigError | lib.errors.StatementConfigError):
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
