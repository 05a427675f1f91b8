"""Turning a driver's exception into coodie's.

Each backend knows how its driver reports a failure; what they share is the
meaning of the server's error codes, how the translated exception carries the
original, and the ``with`` block that translates whatever leaves it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from coodie import exceptions as exc_mod
from coodie.drivers.base import ExecOptions

Translate = Callable[[BaseException], exc_mod.CoodieError]

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
    translate: Translate,
    *,
    request: ExecOptions | None = None,
    release: Callable[[], object] | None = None,
) -> Iterator[None]:
    """A driver's exception leaves the block translated (coodie's own pass as they are).

    ``request``: the options of the request the block sends, named in availability and
    timeout errors (:func:`with_request`). ``release``: on any error, called first to free
    what the block opened (used when connecting).
    """
    try:
        yield
    except exc_mod.CoodieError:
        if release is not None:
            release()
        raise
    except Exception as error:
        if release is not None:
            release()
        translated = translate(error)
        raise (with_request(translated, request) if request is not None else translated) from error


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
