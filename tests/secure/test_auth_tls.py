"""Password authentication and client TLS against the secure node, for every backend.

Each backend takes its credentials and TLS settings in its own way (see each
backend module's ``create()``); ``tls_options`` below is the one place that knows
them. What is checked:

* the right password connects and a Document round trip works;
* a wrong password is ``AuthenticationFailed`` with the driver's error chained, promptly;
* no credentials at all is a clear ``ConnectionFailed`` (or ``AuthenticationFailed``);
* TLS verified against the project's CA (and the server's name, where the backend
  checks it) works, and the server reports the connection as TLS;
* TLS against an unrelated CA, or a server name the certificate does not cover,
  is a prompt ``ConnectionFailed``: never a hang, never a plaintext fallback.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pytest

from coodie.drivers.base import AbstractDriver
from coodie.exceptions import AuthenticationFailed, ConnectionFailed, CoodieError
from coodie.fields import PrimaryKey

from .conftest import HOST, PASSWORD, USERNAME, Api, own_cql_ports

#: a refused login or TLS handshake must be reported within this many seconds
PROMPT = 10.0
WRONG_NAME = "wrong-name.invalid"

#: how each backend checks the server's name during the TLS handshake (None: it cannot)
HOSTNAME_CHECK: dict[str, str | None] = {
    "scylla": "ssl.SSLContext.check_hostname: the contact point against the certificate's names",
    "cassandra": "ssl.SSLContext.check_hostname: the contact point against the certificate's names",
    "acsylla": "ssl_verify_flags=PEER_IDENTITY: the node's address against the certificate's names",
    "native": "ssl_check_hostname=True: the contact point (or ssl_server_hostname) against the certificate",
    # scylla.tls.TlsContext has no host-name setting (no check_hostname, no server name): the
    # chain is verified; whether the name is, no test can tell against a one-address node.
    "python-rs": None,
}
#: backends that can be told which server name to expect (to prove a mismatch is refused)
NAMES_THE_SERVER = ("scylla", "cassandra", "native")


def credentials(password: str = PASSWORD) -> dict[str, Any]:
    return {"username": USERNAME, "password": password}


def tls_options(driver_type: str, ca: Path, *, server_hostname: str | None = None) -> dict[str, Any]:
    """The backend's own TLS options: verify the server against ``ca`` (and its name where supported)."""
    assert driver_type in HOSTNAME_CHECK, f"say in HOSTNAME_CHECK how {driver_type!r} checks server names"
    if driver_type in ("scylla", "cassandra"):
        context = ssl.create_default_context(cafile=str(ca))  # CERT_REQUIRED and check_hostname
        options: dict[str, Any] = {"ssl_context": context}
        if server_hostname is not None:
            options["ssl_options"] = {"server_hostname": server_hostname}
        return options
    if driver_type == "acsylla":
        import acsylla

        assert server_hostname is None, "acsylla checks the node's own address; no name to give"
        return {
            "ssl_enabled": True,
            "ssl_trusted_cert": str(ca),
            "ssl_verify_flags": acsylla.SSLVerifyFlags.PEER_IDENTITY,
        }
    if driver_type == "python-rs":
        assert server_hostname is None, "python-rs-driver has no server-name setting"
        return {"ssl_enabled": True, "ssl_trusted_cert": str(ca)}
    if driver_type == "native":
        options = {"ssl_enabled": True, "ssl_trusted_cert": str(ca), "ssl_check_hostname": True}
        if server_hostname is not None:
            options["ssl_server_hostname"] = server_hostname
        return options
    raise AssertionError(f"no TLS options known for driver_type={driver_type!r}")


def only(*driver_types: str) -> Callable[[Any], Any]:
    """Generate the test only for these backends (see ``pytest_generate_tests``)."""

    def mark(fn: Any) -> Any:
        fn.only_backends = frozenset(driver_types)
        return fn

    return mark


# ------------------------------------------------------------------ checks --


def describe(error: BaseException) -> str:
    parts = []
    seen: BaseException | None = error
    while seen is not None and len(parts) < 5:
        parts.append(f"{type(seen).__module__}.{type(seen).__name__}: {seen}")
        seen = seen.__cause__
    return " <- caused by ".join(parts)


def expect_error(
    api: Api,
    error: BaseException,
    elapsed: float,
    kind: type[CoodieError],
    *,
    not_kind: type[CoodieError] | None = None,
) -> None:
    chain = describe(error)
    api.note(f"{elapsed:.2f} s: {chain}")
    assert isinstance(error, kind), f"expected {kind.__name__}, got {chain}"
    if not_kind is not None:
        assert not isinstance(error, not_kind), f"expected no {not_kind.__name__}, got {chain}"
    cause = error.__cause__
    assert cause is not None and not isinstance(cause, CoodieError), (
        f"the driver's original error is not chained as __cause__: {chain}"
    )
    assert getattr(error, "original", cause) is cause, chain
    assert elapsed < PROMPT, f"the error took {elapsed:.1f} s (limit {PROMPT:.0f} s): {chain}"


def document_round_trip(api: Api, connection: str) -> None:
    """Create a keyspace and a table, write a row through a Document and read it back."""
    target_keyspace = api.create_keyspace(connection)
    registered_as = connection  # class bodies cannot read a same-named variable of the function

    class Secret(api.Document):  # type: ignore[name-defined,misc]
        id: Annotated[uuid.UUID, PrimaryKey()]
        note: str
        level: int = 0

        class Settings:
            name = "secrets"
            keyspace = target_keyspace
            connection = registered_as

    api.run(Secret.sync_table())
    row = Secret(id=uuid.uuid4(), note=f"written by {api.driver_type}/{api.flavor}", level=7)
    assert api.run(row.save()) is None
    assert api.run(Secret.get(id=row.id)) == row
    assert api.run(Secret.find(id=row.id).all()) == [row]


def server_view(api: Api, connection: str, before: set[int]) -> list[dict[str, Any]]:
    """The node's own view (``system_views.clients``) of this driver's connections.

    This driver's connections are this process's connections to the node opened
    since ``before`` (matched on the client port).
    """
    rows = api.execute_raw(
        "SELECT address, port, ssl_enabled, ssl_protocol, ssl_cipher_suite, username FROM system_views.clients",
        connection,
    )
    ours = own_cql_ports() - before
    assert ours, "no new connection from this process to the node"
    mine = [r for r in rows if r["port"] in ours and str(r["address"]) == HOST]
    assert mine, f"the node lists none of this driver's connections (local ports {sorted(ours)}): {rows}"
    for r in mine:
        assert r["username"] == USERNAME, r
    return mine


def server_sees_tls(api: Api, connection: str, before: set[int]) -> None:
    """Every connection of this driver is TLS as the node sees it (a plaintext fallback would show)."""
    mine = server_view(api, connection, before)
    for r in mine:
        assert r["ssl_enabled"] is True, f"a plaintext connection: {r}"
        assert str(r["ssl_protocol"]).startswith("TLS"), r
    protocols = sorted({f"{r['ssl_protocol']} {r['ssl_cipher_suite']}" for r in mine})
    api.note(f"node sees {len(mine)} connection(s) over {', '.join(protocols)}")


def driver_sees_tls(api: Api, driver: AbstractDriver) -> str | None:
    """The TLS version of the driver's own connection, where the backend lets us look."""
    if api.driver_type in ("scylla", "cassandra"):
        sock = driver.cluster.control_connection._connection._socket  # type: ignore[attr-defined]
        assert isinstance(sock, ssl.SSLSocket), f"control connection socket is {type(sock).__name__}"
        version = sock.version()
        assert version is not None and version.startswith("TLS"), version
        api.note(f"driver's control connection: {version} {sock.cipher()}")
        return version
    if api.driver_type == "native":
        session = driver.session  # type: ignore[attr-defined]
        conns = list(session._sync.values()) + list(session._async.values())
        assert conns, "the native session has no open connection"
        infos = [c.native.tls for c in conns]
        assert all(i is not None and i["version"].startswith("TLS") for i in infos), infos
        assert all("CN=localhost" in i["peer_subject"] for i in infos), infos
        api.note(f"driver's connection(s): {infos}")
        return str(infos[0]["version"])
    return None  # acsylla and python-rs expose no connection object; the node's view has to do


# ------------------------------------------------------------------- tests --


@pytest.mark.needs("password_auth")
def test_right_password_reads_and_writes_a_document(api: Api) -> None:
    before = own_cql_ports()
    connection, _ = api.connect(**credentials())
    assert api.execute_raw("SELECT release_version FROM system.local", connection)
    document_round_trip(api, connection)
    # The control case of the TLS tests: without TLS options the node sees plaintext.
    mine = server_view(api, connection, before)
    assert all(r["ssl_enabled"] is False for r in mine), mine
    api.note(f"node sees {len(mine)} plaintext connection(s) logged in as {USERNAME}")


@pytest.mark.needs("password_auth")
def test_wrong_password_is_authentication_failed(api: Api) -> None:
    error, elapsed = api.connect_error(**credentials("not-the-password"))
    expect_error(api, error, elapsed, AuthenticationFailed)


@pytest.mark.needs("password_auth")
def test_no_credentials_is_a_clear_error(api: Api) -> None:
    error, elapsed = api.connect_error()
    expect_error(api, error, elapsed, ConnectionFailed)
    assert "auth" in describe(error).lower(), (
        f"the error does not say authentication is needed: {describe(error)}"
    )


@pytest.mark.needs("tls", "password_auth")
def test_tls_verified_against_the_project_ca(api: Api) -> None:
    before = own_cql_ports()
    connection, driver = api.connect(**credentials(), **tls_options(api.driver_type, api.node.ca))
    document_round_trip(api, connection)
    server_sees_tls(api, connection, before)
    driver_sees_tls(api, driver)


@pytest.mark.needs("tls")
def test_tls_with_an_unrelated_ca_is_connection_failed(api: Api) -> None:
    # The credentials are right: a driver that fell back to plaintext would connect.
    error, elapsed = api.connect_error(**credentials(), **tls_options(api.driver_type, api.node.wrong_ca))
    expect_error(api, error, elapsed, ConnectionFailed, not_kind=AuthenticationFailed)


@only(*NAMES_THE_SERVER)
@pytest.mark.needs("tls")
def test_tls_with_a_server_name_the_certificate_lacks_is_connection_failed(api: Api) -> None:
    options = tls_options(api.driver_type, api.node.ca, server_hostname=WRONG_NAME)
    error, elapsed = api.connect_error(**credentials(), **options)
    expect_error(api, error, elapsed, ConnectionFailed, not_kind=AuthenticationFailed)


@only(*NAMES_THE_SERVER)
@pytest.mark.needs("tls", "password_auth")
def test_tls_with_the_certificate_dns_name_works(api: Api) -> None:
    before = own_cql_ports()
    options = tls_options(api.driver_type, api.node.ca, server_hostname="localhost")
    connection, driver = api.connect(**credentials(), **options)
    assert api.execute_raw("SELECT release_version FROM system.local", connection)
    server_sees_tls(api, connection, before)
    driver_sees_tls(api, driver)
