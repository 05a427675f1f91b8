"""coodie's exceptions.

Everything coodie raises on purpose derives from :class:`CoodieError`. Errors that
come from a driver or the server are :class:`DriverError` subclasses carrying the
original exception as ``__cause__`` (and in ``original``).
"""

from __future__ import annotations


class CoodieError(Exception):
    """Base class of every coodie error."""


class DocumentNotFound(CoodieError):
    """``get()`` found no row."""


class MultipleDocumentsFound(CoodieError):
    """``get()`` / ``find_one()`` found more than one row."""


class ConfigurationError(CoodieError):
    """coodie is not set up as the call needs (no driver, unknown driver type, bad option)."""


class InvalidQueryError(CoodieError):
    """A query that coodie refuses to build or send: unknown field, bad operator, bad value."""


class MigrationError(CoodieError):
    """Schema migration failure."""


class SchemaError(InvalidQueryError):
    """A model cannot be mapped to a table (bad annotation, missing key, ...)."""


class BlockingCallInEventLoopWarning(RuntimeWarning):
    """A blocking (``coodie.sync``) call was made from inside a running event loop."""


# ----------------------------------------------------------------- driver errors --


class DriverError(CoodieError):
    """An error reported by the driver or the server; the original is chained."""

    def __init__(
        self, message: str, *, original: BaseException | None = None, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.original = original
        self.code = code


class ServerError(DriverError):
    """The server answered the request with an error."""


class InvalidRequest(ServerError, InvalidQueryError):
    """The server rejected the statement (syntax, unknown keyspace/table/column, bad value)."""


class FilteringRequiredError(InvalidRequest):
    """The query filters on a column that needs ``allow_filtering()`` (or an index)."""


class Unauthorized(ServerError):
    """The logged-in role may not do this."""


class AlreadyExists(InvalidRequest):
    """A keyspace or table that the statement creates exists already."""


class Unavailable(ServerError):
    """Not enough replicas alive for the requested consistency."""


class RequestTimeout(DriverError):
    """The request took longer than its timeout (client-side or server-side)."""


class ConnectionFailed(DriverError):
    """No connection to any node could be made or kept."""


class AuthenticationFailed(ConnectionFailed):
    """The server refused the credentials."""
