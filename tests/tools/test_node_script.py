"""Tests of tools/cassandra/node.py that need no Cassandra and no JVM.

They cover the small CQL client (against an in-process fake server), the
rendered configuration, the JVM command line, the Java 17 selection, the port
checks and the commands that work on a stopped node.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import stat
import struct
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "cassandra" / "node.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coodie_test_node", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


node = load_script()


# ---------------------------------------------------------------- fake server


def string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack(">H", len(raw)) + raw


def rows_body(version: str) -> bytes:
    body = struct.pack(">iii", 2, 0x0001, 1)  # Rows, Global_tables_spec, 1 column
    body += string("system") + string("local")
    body += string("release_version") + struct.pack(">H", 0x000D)
    raw = version.encode()
    body += struct.pack(">i", 1) + struct.pack(">i", len(raw)) + raw
    return body


class FakeCassandra:
    """Speaks just enough protocol v4 for the readiness probe."""

    def __init__(self, require_auth: bool, version: str = "5.0.8") -> None:
        self.require_auth = require_auth
        self.version = version
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.requests: list[int] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.listener.close()

    @staticmethod
    def recv_exact(conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    @staticmethod
    def send(conn: socket.socket, stream: int, opcode: int, body: bytes, flags: int = 0) -> None:
        conn.sendall(struct.pack(">BBhBi", 0x84, flags, stream, opcode, len(body)) + body)

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, contextlib.suppress(ConnectionError, OSError):
                self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        while True:
            version, _flags, stream, opcode, length = struct.unpack(">BBhBi", self.recv_exact(conn, 9))
            body = self.recv_exact(conn, length) if length else b""
            assert version == 0x04
            self.requests.append(opcode)
            if opcode == 0x01:  # STARTUP
                assert b"CQL_VERSION" in body and b"3.0.0" in body
                if self.require_auth:
                    self.send(conn, stream, 0x03, string("org.apache.cassandra.auth.PasswordAuthenticator"))
                else:
                    self.send(conn, stream, 0x02, b"")
            elif opcode == 0x0F:  # AUTH_RESPONSE
                token = body[4:]
                if token == b"\x00cassandra\x00cassandra":
                    self.send(conn, stream, 0x10, struct.pack(">i", -1))
                else:
                    self.send(conn, stream, 0x00, struct.pack(">i", 0x0100) + string("bad credentials"))
            elif opcode == 0x07:  # QUERY
                (qlen,) = struct.unpack(">i", body[:4])
                assert body[4 : 4 + qlen] == b"SELECT release_version FROM system.local"
                # An unrelated EVENT first, then the answer carrying a warning.
                self.send(conn, -1, 0x0C, string("STATUS_CHANGE"))
                warning = struct.pack(">H", 1) + string("just a warning")
                self.send(conn, stream, 0x08, warning + rows_body(self.version), flags=0x08)
            else:
                self.send(conn, stream, 0x00, struct.pack(">i", 0x000A) + string("unsupported"))


@pytest.fixture
def open_server() -> Iterator[FakeCassandra]:
    server = FakeCassandra(require_auth=False)
    yield server
    server.close()


@pytest.fixture
def auth_server() -> Iterator[FakeCassandra]:
    server = FakeCassandra(require_auth=True, version="5.0.99")
    yield server
    server.close()


def test_probe_without_authentication(open_server: FakeCassandra) -> None:
    assert node.release_version("127.0.0.1", open_server.port, timeout=5) == "5.0.8"
    assert open_server.requests == [0x01, 0x07]


def test_probe_with_plain_sasl_login(auth_server: FakeCassandra) -> None:
    version = node.release_version("127.0.0.1", auth_server.port, "cassandra", "cassandra", timeout=5)
    assert version == "5.0.99"
    assert auth_server.requests == [0x01, 0x0F, 0x07]


def test_probe_reports_server_errors(auth_server: FakeCassandra) -> None:
    with pytest.raises(node.CqlError) as info:
        node.release_version("127.0.0.1", auth_server.port, "cassandra", "wrong", timeout=5)
    assert info.value.code == 0x0100
    assert "bad credentials" in str(info.value)


def test_probe_without_credentials_needs_them(auth_server: FakeCassandra) -> None:
    with pytest.raises(node.CqlError, match="requires authentication"):
        node.release_version("127.0.0.1", auth_server.port, None, None, timeout=5)


def test_warnings_are_collected(open_server: FakeCassandra) -> None:
    with node.CqlConnection("127.0.0.1", open_server.port, 5.0) as conn:
        conn.startup()
        result = conn.query("SELECT release_version FROM system.local")
        assert conn.warnings == ["just a warning"]
    assert result.columns == [("release_version", "varchar")]
    assert result.rows == [[b"5.0.8"]]


# ---------------------------------------------------------------- encoding


def test_frame_header_layout() -> None:
    frame = node.encode_frame(7, node.OP_QUERY, node.query_body("SELECT 1"))
    version, flags, stream, opcode, length = struct.unpack(">BBhBi", frame[:9])
    assert (version, flags, stream, opcode) == (0x04, 0, 7, 0x07)
    assert length == len(frame) - 9
    # [long string] query, then consistency ONE and no query flags
    assert frame[9:13] == struct.pack(">i", 8)
    assert frame[-3:] == b"\x00\x01\x00"


def test_rows_with_per_column_specs_and_nested_types() -> None:
    body = struct.pack(">iii", 2, 0, 2)
    body += string("ks") + string("t") + string("tags") + struct.pack(">HH", 0x0020, 0x000D)
    body += string("ks") + string("t") + string("m") + struct.pack(">HHH", 0x0021, 0x0009, 0x0003)
    body += struct.pack(">i", 1) + struct.pack(">i", -1) + struct.pack(">i", 2) + b"ab"
    rows = node.parse_rows(body)
    assert rows.columns == [("tags", "list<varchar>"), ("m", "map<int, blob>")]
    assert rows.rows == [[None, b"ab"]]


def test_non_rows_result_is_rejected() -> None:
    with pytest.raises(node.CqlError):
        node.parse_rows(struct.pack(">i", 1))


def test_truncated_body_is_an_error() -> None:
    with pytest.raises(node.CqlError, match="truncated"):
        node.parse_rows(struct.pack(">iii", 2, 0, 1))


# ---------------------------------------------------------------- config


def top_level_keys(text: str) -> list[str]:
    keys = []
    for line in text.splitlines():
        if line and not line.startswith((" ", "#", "-")) and ":" in line:
            keys.append(line.split(":", 1)[0])
    return keys


def test_plain_yaml_is_fully_rendered(tmp_path: Path) -> None:
    text = node.render_yaml(node.Node("plain", tmp_path))
    assert "$" not in text
    keys = top_level_keys(text)
    assert len(keys) == len(set(keys))
    for key in (
        "cluster_name",
        "commitlog_sync",
        "commitlog_sync_period",
        "partitioner",
        "endpoint_snitch",
        "seed_provider",
        "commitlog_disk_access_mode",
        "storage_compatibility_mode",
    ):
        assert key in keys
    assert "native_transport_port: 9042" in text
    assert "authenticator" not in keys
    assert "client_encryption_options" not in keys


def test_secure_yaml_adds_auth_and_tls(tmp_path: Path) -> None:
    secure = node.Node("secure", tmp_path)
    text = node.render_yaml(secure)
    keys = top_level_keys(text)
    assert len(keys) == len(set(keys))
    assert "authenticator: PasswordAuthenticator" in text
    assert "authorizer: CassandraAuthorizer" in text
    assert "role_manager: CassandraRoleManager" in text
    assert f"keystore: {secure.keystore}" in text
    assert "optional: true" in text


def test_java_command(tmp_path: Path) -> None:
    plain = node.Node("plain", tmp_path)
    plain.lib_dir.mkdir(parents=True)
    (plain.lib_dir / "jamm-0.4.0.jar").write_bytes(b"")
    java_home = tmp_path / "jdk"
    cmd = node.java_command(plain, java_home)
    assert cmd[0] == str(java_home / "bin" / "java")
    assert cmd[-1] == "org.apache.cassandra.service.CassandraDaemon"
    for flag in (
        "-Xms3g",
        "-Xmx3g",
        "-XX:+UseG1GC",
        "-XX:+ExitOnOutOfMemoryError",
        "-Dcassandra-foreground=yes",
        "-Dcassandra.superuser_setup_delay_ms=0",
        "-Dcassandra.jmx.local.port=7199",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        f"-javaagent:{plain.lib_dir / 'jamm-0.4.0.jar'}",
        f"-Djava.io.tmpdir={plain.tmp_dir}",
        f"-XX:HeapDumpPath={plain.heapdump_dir}",
    ):
        assert flag in cmd
    assert f"-Dcassandra.config={plain.yaml.as_uri()}" in cmd
    assert cmd[cmd.index("-cp") + 1] == str(plain.lib_dir / "*")
    # no javac in this fake JDK: the jdk.compiler flags stay out
    assert not any("jdk.compiler" in arg for arg in cmd)


def test_cache_layout_matches_the_documented_paths() -> None:
    secure = node.Node("secure")
    root = SCRIPT.parents[2]
    assert secure.ca_pem == root / ".cache" / "cassandra" / "secure" / "tls" / "ca.pem"
    assert secure.wrong_ca_pem == root / ".cache" / "cassandra" / "secure" / "tls" / "wrong-ca.pem"
    assert node.Node("plain").system_log == root / ".cache" / "cassandra" / "plain" / "logs" / "system.log"


# ---------------------------------------------------------------- java


def fake_jdk(parent: Path, name: str, version: str) -> Path:
    home = parent / name
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-01-01' >&2\n")
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return home


def test_java17_is_searched_when_java_home_is_newer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = fake_jdk(tmp_path, "temurin-25-jdk", "25.0.3")
    wanted = fake_jdk(tmp_path, "java-17-openjdk", "17.0.15")
    monkeypatch.setenv("JAVA_HOME", str(newer))
    assert node.find_java17(str(tmp_path / "*17*")) == wanted.resolve()


def test_java_home_17_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = fake_jdk(tmp_path, "my-jdk", "17.0.2")
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert node.find_java17(str(tmp_path / "nothing*17*")) == home


def test_other_java_versions_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = fake_jdk(tmp_path, "temurin-25-jdk", "25.0.3")
    fake_jdk(tmp_path, "jdk-17-but-really-21", "21.0.1")
    (tmp_path / "openjdk-17-sources-only").mkdir()
    monkeypatch.setenv("JAVA_HOME", str(newer))
    with pytest.raises(node.NodeError) as info:
        node.find_java17(str(tmp_path / "*17*"))
    message = str(info.value)
    assert "Java 25" in message and "Java 21" in message and "17" in message


def test_legacy_version_strings() -> None:
    assert node.JAVA_VERSION_RE.search('java version "1.8.0_402"').groups() == ("1", "8")


# ---------------------------------------------------------------- ports, files, commands


def test_port_held_by_this_process_is_reported() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        assert node.port_in_use("127.0.0.1", port)
        assert os.getpid() in [pid for pid, _ in node.port_owners(port)]
        with pytest.raises(node.NodeError) as info:
            node.check_ports("127.0.0.1", [port])
        assert info.value.code == node.EXIT_CONFLICT
        assert f"port {port}" in str(info.value)
        assert f"pid {os.getpid()}" in str(info.value)
    assert not node.port_in_use("127.0.0.1", port)


def test_tail(tmp_path: Path) -> None:
    log = tmp_path / "system.log"
    log.write_text("".join(f"line {i}\n" for i in range(5000)))
    assert node.tail(log, 3) == ["line 4997", "line 4998", "line 4999"]
    assert node.tail(tmp_path / "missing.log", 3) == []


def test_status_of_a_stopped_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert node.main(["status"], cache=tmp_path) == node.EXIT_NOT_RUNNING
    assert "stopped" in capsys.readouterr().out


def test_stop_when_not_running_is_a_no_op(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert node.main(["stop"], cache=tmp_path) == node.EXIT_OK
    assert "not running" in capsys.readouterr().out


def test_stale_pidfile_is_ignored(tmp_path: Path) -> None:
    plain = node.Node("plain", tmp_path)
    plain.root.mkdir(parents=True)
    plain.pidfile.write_text(f"{os.getpid()}\n")  # alive, but not a Cassandra JVM
    assert node.running_pid(plain) is None


def test_wipe_deletes_the_data_dir(tmp_path: Path) -> None:
    secure = node.Node("secure", tmp_path)
    (secure.data_dir / "data").mkdir(parents=True)
    (secure.tls_dir).mkdir(parents=True)
    assert node.main(["wipe", "--secure"], cache=tmp_path) == node.EXIT_OK
    assert not secure.data_dir.exists()
    assert secure.tls_dir.exists()


def test_logs_prints_the_last_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = node.Node("plain", tmp_path)
    plain.logs_dir.mkdir(parents=True)
    plain.system_log.write_text("a\nb\nc\n")
    assert node.main(["logs", "-n", "2"], cache=tmp_path) == node.EXIT_OK
    assert capsys.readouterr().out == "b\nc\n"
