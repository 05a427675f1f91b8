"""The ``cassandra`` driver's exceptions as coodie's."""

from __future__ import annotations

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import chained, filtering_kind
from coodie.drivers.cassandra.lib import NoHostAvailable, cassandra


def translate_error(error: BaseException) -> exc_mod.CoodieError:
    """A driver exception as the matching coodie exception (the original is chained)."""
    if isinstance(error, NoHostAvailable):
        # The driver wraps a server's answer (e.g. Unavailable) when it gives up on
        # every host; report that answer, not a connection problem.
        inner = [e for e in error.errors.values() if isinstance(e, cassandra.RequestExecutionException)]
        if inner and len(inner) == len(error.errors):
            translated = translate_error(inner[0])
            translated.__cause__ = error
            return translated
    message = f"{type(error).__name__}: {error}"
    kind: type[exc_mod.DriverError]
    if isinstance(error, cassandra.AlreadyExists):
        kind = exc_mod.AlreadyExists
    elif isinstance(error, cassandra.InvalidRequest | cassandra.protocol.SyntaxException):
        kind = filtering_kind(exc_mod.InvalidRequest, str(error))
    elif isinstance(error, cassandra.protocol.ConfigurationException):
        kind = exc_mod.InvalidRequest
    elif isinstance(error, cassandra.Unauthorized):
        kind = exc_mod.Unauthorized
    elif isinstance(error, cassandra.Unavailable):
        kind = exc_mod.Unavailable
    elif isinstance(error, cassandra.Timeout | cassandra.OperationTimedOut):
        kind = exc_mod.RequestTimeout
    elif isinstance(error, cassandra.AuthenticationFailed):
        kind = exc_mod.AuthenticationFailed
    elif isinstance(error, NoHostAvailable):
        auth = any(isinstance(e, cassandra.AuthenticationFailed) for e in error.errors.values())
        kind = exc_mod.AuthenticationFailed if auth else exc_mod.ConnectionFailed
    elif isinstance(error, cassandra.DriverException | cassandra.RequestExecutionException):
        kind = (
            exc_mod.ServerError
            if isinstance(error, cassandra.RequestExecutionException)
            else exc_mod.DriverError
        )
    else:
        kind = exc_mod.DriverError
    code = getattr(error, "error_code", None)
    return chained(kind, message, error, code if isinstance(code, int) else None)
