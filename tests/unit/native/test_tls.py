"""TLS in C (OpenSSL) against a TLS stub server, blocking and asyncio.

Certificates in tls/ (made by tls/make_certs.sh): a CA, a server certificate
for 127.0.0.1/localhost, a client certificate, and an unrelated CA.
"""

from __future__ import annotations

import asyncio
import ssl
import struct
import threading
from pathlib import Path

import pytest

from coodie import _native
from coodie import exceptions as exc_mod
from coodie.drivers import native as native_driver
from coodie.drivers.base import Statement
from coodie.native.session import _tls_handshake_async

from .conftest import open_fd

TLS = Path(__file__).resolve().parent / "tls"
CA, OTHER_CA = str(TLS / "ca.pem"), str(TLS / "other-ca.pem")
CLIENT_CERT, CLIENT_KEY = str(TLS / "client.pem"), str(TLS / "client.key")
CLIENT_KEY_ENCRYPTED = str(TLS / "client-encrypted.key")
COLS = [("k", "int"), ("v", "text")]


def server_context(*, client_certs: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(TLS / "server.pem"), str(TLS / "server.key"))
    if client_certs:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(CA)
    return ctx


def big_handler(stub):
    """SELECT n: a reply with n rows of 1 KiB (several TLS records)."""

    def handle(conn, f):
        if f.opcode == stub.QUERY:
            text, _ = stub.parse_query(f)
            n = int(text.split()[-1]) if text.split()[-1].isdigit() else 1
            rows = [[struct.pack(">i", i), b"x" * 1024] for i in range(n)]
            conn.reply(f, stub.RESULT, stub.rows_body(COLS, rows))
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    return handle


def tls_conn(port: int, **options: object) -> _native.Connection:
    conn = _native.Connection(open_fd(port))
    options.setdefault("cafile", CA)
    options.setdefault("server_hostname", "127.0.0.1")
    conn.start_tls(timeout=5, **options)
    return conn


def test_blocking_tls_round_trip(stub):
    with stub.StubServer(big_handler(stub), tls=server_context()) as server:
        conn = tls_conn(server.port)
        info = conn.tls
        assert info["version"] in ("TLSv1.2", "TLSv1.3") and "localhost" in info["peer_subject"]
        assert conn.options(timeout=5)["CQL_VERSION"] == ["3.4.7"]
        assert conn.startup({"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"}, timeout=5) is None
        rows, _, _ = conn.query("SELECT 1000", timeout=10)
        assert len(rows) == 1000 and rows[-1] == {"k": 999, "v": "x" * 1024}
        conn.close()
        assert conn.fileno() == -1


def test_threads_share_a_tls_connection(stub):
    with stub.StubServer(big_handler(stub), tls=server_context()) as server:
        conn = tls_conn(server.port)
        conn.startup({"CQL_VERSION": "3.0.0"}, timeout=5)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for n in (1, 50, 3, 200):
                    assert len(conn.query(f"SELECT {n}", timeout=10)[0]) == n
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        conn.close()


async def test_asyncio_tls_round_trip(stub):
    with stub.StubServer(big_handler(stub), tls=server_context()) as server:
        loop = asyncio.get_running_loop()
        conn = _native.Connection(open_fd(server.port))
        conn.start_tls(cafile=CA, server_hostname="localhost", handshake=False)
        await _tls_handshake_async(conn, loop, 5)
        conn.attach(loop)
        await conn.startup_async({"CQL_VERSION": "3.0.0"}, timeout=5)
        results = await asyncio.gather(*(conn.query_async(f"SELECT {n}", timeout=10) for n in range(1, 60)))
        assert [len(r[0]) for r in results] == list(range(1, 60))
        assert len((await conn.query_async("SELECT 3000", timeout=10))[0]) == 3000
        conn.close()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"cafile": OTHER_CA}, "certificate verify failed"),
        ({"server_hostname": "example.com"}, "certificate verify failed"),
        ({"server_hostname": "10.0.0.1"}, "certificate verify failed"),
    ],
)
def test_verification_failures(stub, options, match):
    with (
        stub.StubServer(big_handler(stub), tls=server_context()) as server,
        pytest.raises(_native.ConnectionClosed, match=match),
    ):
        tls_conn(server.port, **options)


def test_no_verification_and_cadata(stub):
    with stub.StubServer(big_handler(stub), tls=server_context()) as server:
        conn = tls_conn(server.port, cafile=OTHER_CA, verify=False)
        assert conn.options(timeout=5)
        conn.close()
        conn = tls_conn(server.port, cafile=None, cadata=Path(CA).read_text(), server_hostname="localhost")
        assert conn.options(timeout=5)
        conn.close()


def test_client_certificates(stub):
    with stub.StubServer(big_handler(stub), tls=server_context(client_certs=True)) as server:
        conn = tls_conn(server.port, certfile=CLIENT_CERT, keyfile=CLIENT_KEY)
        assert conn.options(timeout=5)
        conn.close()
        conn = tls_conn(server.port, certfile=CLIENT_CERT, keyfile=CLIENT_KEY_ENCRYPTED, password="secret")
        assert conn.options(timeout=5)
        conn.close()
        with pytest.raises(_native.ConnectionClosed, match="private key"):
            tls_conn(server.port, certfile=CLIENT_CERT, keyfile=CLIENT_KEY_ENCRYPTED, password="wrong")
        # without a certificate the server refuses: during the handshake or at the first read
        with pytest.raises(_native.ConnectionClosed):
            conn = tls_conn(server.port)
            conn.options(timeout=5)


def test_start_tls_argument_checks(stub):
    with stub.StubServer(big_handler(stub), tls=server_context()) as server:
        conn = _native.Connection(open_fd(server.port))
        with pytest.raises(TypeError, match="unexpected keyword"):
            conn.start_tls(cafle=CA)
        with pytest.raises(ValueError, match="server_hostname"):
            conn.start_tls(cafile=CA)
        with pytest.raises(ValueError, match="keyfile needs certfile"):
            conn.start_tls(cafile=CA, server_hostname="localhost", keyfile=CLIENT_KEY)
        conn.close()
    with stub.StubServer(big_handler(stub)) as plain:
        conn = _native.Connection(open_fd(plain.port))
        conn.options(timeout=5)
        with pytest.raises(RuntimeError, match="before any request"):
            conn.start_tls(cafile=CA, server_hostname="localhost")
        conn.close()


def test_tls_handshake_against_a_plain_server_fails_cleanly(stub):
    with (
        stub.StubServer(big_handler(stub)) as server,
        pytest.raises((_native.ConnectionClosed, _native.OperationTimedOut)),
    ):
        conn = _native.Connection(open_fd(server.port))
        conn.start_tls(cafile=CA, server_hostname="127.0.0.1", timeout=1)


def test_driver_tls_options(stub):
    with stub.StubServer(big_handler(stub), tls=server_context(client_certs=True)) as server:
        options = {
            "port": server.port,
            "ssl_trusted_cert": CA,
            "ssl_cert": CLIENT_CERT,
            "ssl_private_key": CLIENT_KEY,
        }
        driver = native_driver.create(["127.0.0.1"], **options)
        assert len(driver.run(Statement("SELECT 5", prepare=False)).rows) == 5
        assert driver.session.connections()[0].native.tls is not None

        async def go() -> None:
            assert len((await driver.run_async(Statement("SELECT 7", prepare=False))).rows) == 7
            await driver.close_async()

        asyncio.run(go())
        with pytest.raises(exc_mod.ConnectionFailed, match="certificate verify failed"):
            native_driver.create(["127.0.0.1"], **{**options, "ssl_trusted_cert": OTHER_CA})
        with pytest.raises(exc_mod.ConfigurationError, match=r"ssl\.SSLContext"):
            native_driver.create(["127.0.0.1"], port=server.port, ssl_context=ssl.create_default_context())
        with pytest.raises(exc_mod.ConfigurationError, match="needs ssl_cert"):
            native_driver.create(["127.0.0.1"], port=server.port, ssl_private_key=CLIENT_KEY)
