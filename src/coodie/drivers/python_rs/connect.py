"""Connecting: coodie's connection options as a python-rs-driver ``SessionBuilder``, and ``create``."""

from __future__ import annotations

import ssl
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import translating
from coodie.drivers._shared.futures import Steps, wait, wait_async
from coodie.drivers._shared.options import (
    CONNECTION_OPTIONS,
    DEFAULT_HOSTS,
    host_ports,
    no_options,
    prepared_cache_size,
    refuse_lazy,
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
from coodie.drivers.base import Consistency
from coodie.drivers.python_rs import lib
from coodie.drivers.python_rs.driver import CONSISTENCY, SERIAL_CONSISTENCY, PythonRsDriver
from coodie.drivers.python_rs.errors import translate_error

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
_KNOWN = CONNECTION_OPTIONS | TLS_OPTIONS | {"execution_profile", "configure", *_PROFILE_KEYS}


def _contact_points(hosts: list[str] | None, port: int | None) -> list[Any]:
    points: list[Any] = []
    for given, (name, own_port) in zip(hosts or DEFAULT_HOSTS, host_ports(hosts)):
        if own_port is not None:
            points.append((name, own_port))
        elif port is not None:
            points.append((name, int(port)))
        else:
            points.append(given)
    return points


def _tls(options: dict[str, Any]) -> Any:
    """A python-rs TlsContext from coodie's ssl options (None: no TLS)."""
    tls_mod: Any = lib.scylla("tls")
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
    kwargs: dict[str, Any] = {"consistency": CONSISTENCY[DEFAULT_CONSISTENCY]}
    if "request_timeout" in given:
        kwargs["timeout"] = float(given.pop("request_timeout"))
    if "consistency" in given:
        kwargs["consistency"] = CONSISTENCY[Consistency.parse(given.pop("consistency"))]
    if "serial_consistency" in given:
        kwargs["serial_consistency"] = SERIAL_CONSISTENCY[
            Consistency.parse_serial(given.pop("serial_consistency"))
        ]
    kwargs.update(given)
    return lib.execution_profile.ExecutionProfile(**kwargs)


def builder(hosts: list[str] | None, keyspace: str | None, options: dict[str, Any]) -> Any:
    """A configured ``SessionBuilder`` from coodie's connection options."""
    refuse_unknown(
        options,
        _KNOWN,
        "python-rs",
        " (configure=<callable taking and returning the SessionBuilder> reaches everything else)",
    )
    refuse_lazy(options.get("lazy"), "python-rs")
    b = lib.session_builder.SessionBuilder().contact_points(_contact_points(hosts, options.get("port")))
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
            compression = getattr(lib.enums.Compression, name)
        elif compression is True:
            compression = lib.enums.Compression.Lz4
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
    return wait(_create(hosts, session, keyspace, options))


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "python-rs",
    **options: Any,
) -> PythonRsDriver:
    return await wait_async(_create(hosts, session, keyspace, options))


def _create(
    hosts: list[str] | None, session: Any, keyspace: str | None, options: dict[str, Any]
) -> Steps[PythonRsDriver]:
    """Connect with a new session, or wrap the caller's (steps over the driver's futures)."""
    cache_size = prepared_cache_size(options)
    if session is None:
        with translating(translate_error):
            session = yield builder(hosts, keyspace, options).connect()
    else:
        no_options(options)
    return PythonRsDriver(session, keyspace, cache_size=cache_size)
