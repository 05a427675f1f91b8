"""Backend over coodie's own CQL driver (``driver_type="native"``).

The connection, framing, value encoding and row decoding are C
(``coodie._native``); :mod:`coodie.native` is the small session on top
(nodes, handshake, prepared cache, paging). Rows come back as dicts of the
canonical values of :mod:`coodie.drivers.base` straight from C, so this
module only turns ``create()``'s options into a session and maps errors. A
request's :class:`ExecOptions` reach the session unchanged; the session holds
the defaults (below) and fills the C call's arguments.

Connection options of :func:`create` / :func:`create_async`:

``port``, ``username`` / ``password`` (PasswordAuthenticator, SASL PLAIN),
``compression`` (``"lz4"``, ``True`` or ``None``), ``connect_timeout``,
``request_timeout`` (default 10 s; ``None`` waits forever), ``consistency``
(default ``LOCAL_ONE``), ``serial_consistency`` (default: none, the server's
``SERIAL``), ``prepared_cache_size``,
``discover_peers`` (read ``system.peers`` and use every node; default on),
``max_streams`` (requests in flight per connection), TLS: ``ssl_enabled``,
``ssl_trusted_cert`` (CA file or PEM text), ``ssl_cert`` / ``ssl_private_key``
(client certificate files), ``ssl_private_key_password``,
``ssl_verify_flags`` (``0`` / ``"none"`` disables verification),
``ssl_server_hostname``, ``ssl_check_hostname``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie._version import __version__
from coodie.drivers._shared.errors import chained, filtering_kind, server_error_kind, translating
from coodie.drivers._shared.options import (
    CONNECTION_OPTIONS,
    PREPARED_CACHE_SIZE,
    refuse_unknown,
    require_username,
)
from coodie.drivers._shared.tls import (
    TLS_OPTIONS,
    is_pem,
    require_cert_for_key,
    tls_requested,
    verify_requested,
)
from coodie.drivers.base import (
    DEFAULT_OPTIONS,
    AbstractDriver,
    BatchType,
    Capabilities,
    ExecOptions,
    ResultPage,
    Statement,
)
from coodie.native import session as session_mod
from coodie.native.session import BatchKind, ConnectionOptions, Session, TlsOptions

_BATCH_KINDS = {
    BatchType.LOGGED: BatchKind.LOGGED,
    BatchType.UNLOGGED: BatchKind.UNLOGGED,
    BatchType.COUNTER: BatchKind.COUNTER,
}

# ------------------------------------------------------------------ errors --


def translate_error(error: BaseException) -> exc_mod.CoodieError:
    """The native driver's exception as the matching coodie exception (original chained)."""
    if isinstance(error, exc_mod.CoodieError):
        return error
    message = f"{type(error).__name__}: {error}"
    code: int | None = None
    kind: type[exc_mod.DriverError]
    if isinstance(error, session_mod.ServerError):
        code = getattr(error, "code", None)
        kind = filtering_kind(server_error_kind(code), str(error))
    elif isinstance(error, session_mod.OperationTimedOut | TimeoutError):
        kind = exc_mod.RequestTimeout
    elif isinstance(error, session_mod.AuthenticationError):
        kind = exc_mod.AuthenticationFailed
    elif isinstance(error, session_mod.ConnectionClosed | ConnectionError | OSError):
        kind = exc_mod.ConnectionFailed
    elif isinstance(error, TypeError | ValueError) and not isinstance(error, session_mod.ProtocolError):
        # a bound value the statement's CQL types refuse (raised before any I/O)
        invalid = exc_mod.InvalidQueryError(str(error))
        invalid.__cause__ = error
        return invalid
    else:
        kind = exc_mod.DriverError
    return chained(kind, message, error, code)


# -------------------------------------------------------------- the driver --


class NativeDriver(AbstractDriver):
    """coodie's C driver behind the driver contract."""

    driver_types = ("native",)
    capabilities = Capabilities()

    def __init__(self, session: Session, default_keyspace: str | None = None) -> None:
        super().__init__(default_keyspace)
        self.session = session

    @property
    def driver_name(self) -> str:
        return "coodie-native"

    def driver_version(self) -> str:
        return __version__

    # --------------------------------------------------------- the contract --
    # The ExecOptions go to the session as they are: it resolves their defaults
    # and fills the C call's arguments, in one place.
    def run(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        prepare = statement.prepare or bool(statement.params)
        try:
            if options.paged:
                return ResultPage(
                    *self.session.execute(statement.cql, statement.params, options, prepare=prepare)
                )
            return ResultPage(
                self.session.execute_all(statement.cql, statement.params, options, prepare=prepare)
            )
        except Exception as error:
            raise translate_error(error) from error

    async def run_async(self, statement: Statement, options: ExecOptions = DEFAULT_OPTIONS) -> ResultPage:
        prepare = statement.prepare or bool(statement.params)
        session = self.session
        try:
            if options.paged:
                page = await session.execute_async(statement.cql, statement.params, options, prepare=prepare)
                return ResultPage(*page)
            rows = await session.execute_all_async(statement.cql, statement.params, options, prepare=prepare)
        except Exception as error:
            raise translate_error(error) from error
        return ResultPage(rows)

    def run_batch(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        items = [(s.cql, s.params) for s in statements]
        try:
            return ResultPage(self.session.batch(_BATCH_KINDS[batch_type], items, options))
        except Exception as error:
            raise translate_error(error) from error

    async def run_batch_async(
        self, statements: Sequence[Statement], batch_type: BatchType, options: ExecOptions = DEFAULT_OPTIONS
    ) -> ResultPage:
        items = [(s.cql, s.params) for s in statements]
        try:
            rows = await self.session.batch_async(_BATCH_KINDS[batch_type], items, options)
        except Exception as error:
            raise translate_error(error) from error
        return ResultPage(rows)

    def close(self) -> None:
        self.session.close()

    async def close_async(self) -> None:
        self.session.close()


# ------------------------------------------------------------- connecting --

_KNOWN = (
    CONNECTION_OPTIONS
    | TLS_OPTIONS
    | {
        "discover_peers",
        "max_streams",
        "ssl_server_hostname",
        "ssl_check_hostname",
    }
)


def _tls_options(options: dict[str, Any]) -> TlsOptions | None:
    if options.get("ssl_context") is not None:
        raise exc_mod.ConfigurationError(
            "driver_type='native' does its TLS in C (OpenSSL) and cannot use an ssl.SSLContext; pass "
            "ssl_trusted_cert=, ssl_cert=/ssl_private_key= and ssl_verify_flags= instead"
        )
    if not tls_requested(options):
        return None
    trusted = options.get("ssl_trusted_cert")
    cafile = cadata = None
    if trusted is not None:
        if isinstance(trusted, bytes):
            trusted = trusted.decode()
        if is_pem(trusted):
            cadata = str(trusted)
        else:
            cafile = str(trusted)
    cert, key = options.get("ssl_cert"), options.get("ssl_private_key")
    require_cert_for_key(cert, key)
    verify = verify_requested(options.get("ssl_verify_flags"))
    check = options.get("ssl_check_hostname")
    return TlsOptions(
        cafile=cafile,
        cadata=cadata,
        certfile=str(cert) if cert is not None else None,
        keyfile=str(key) if key is not None else None,
        password=options.get("ssl_private_key_password"),
        verify=verify,
        check_hostname=verify if check is None else bool(check),
        server_hostname=options.get("ssl_server_hostname"),
    )


def _compression(value: Any) -> str | None:
    if value is True:
        return "lz4"
    if value in (False, None):
        return None
    if not isinstance(value, str) or value.lower() != "lz4":
        raise exc_mod.ConfigurationError(f"compression={value!r}: driver_type='native' supports 'lz4'")
    return "lz4"


def _new_session(hosts: list[str] | None, keyspace: str | None, options: dict[str, Any]) -> Session:
    """A session from ``create()``'s options; the session validates and defaults them (see its docs)."""
    refuse_unknown(options, _KNOWN, "native")
    require_username(options)
    request_timeout = options.get("request_timeout", session_mod.DEFAULT_REQUEST_TIMEOUT)
    conn_options = ConnectionOptions(
        username=options.get("username"),
        password=options.get("password"),
        compression=_compression(options.get("compression")),
        tls=_tls_options(options),
        connect_timeout=float(options.get("connect_timeout") or 5.0),
        request_timeout=float(request_timeout) if request_timeout is not None else None,
        max_streams=int(options.get("max_streams") or 1024),
        driver_version=__version__,
    )
    port = options.get("port")
    return Session(
        session_mod.parse_contact_points(hosts, int(port) if port is not None else None),
        conn_options,
        keyspace=keyspace,
        prepared_cache_size=int(options.get("prepared_cache_size") or PREPARED_CACHE_SIZE),
        discover_peers=bool(options.get("discover_peers", True)),
        consistency=options.get("consistency") or session_mod.DEFAULT_CONSISTENCY,
        serial_consistency=options.get("serial_consistency"),
    )


def create(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "native",
    **options: Any,
) -> NativeDriver:
    if session is not None:
        if not isinstance(session, Session):
            raise exc_mod.ConfigurationError(
                f"driver_type='native' wraps a coodie.native.Session, not {type(session).__name__}"
            )
        return NativeDriver(session, keyspace or session.keyspace)
    new_session = _new_session(hosts, keyspace, dict(options))
    if not options.get("lazy"):
        with translating(translate_error, release=new_session.close):
            new_session.connect()
    return NativeDriver(new_session, keyspace)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "native",
    **options: Any,
) -> NativeDriver:
    if session is not None:
        return create(hosts, session, keyspace, driver_type, **options)
    new_session = _new_session(hosts, keyspace, dict(options))
    if not options.get("lazy"):
        with translating(translate_error, release=new_session.close):
            await new_session.connect_async()
    return NativeDriver(new_session, keyspace)


__all__ = ["NativeDriver", "create", "create_async", "translate_error"]
