#!/usr/bin/env python3
"""Run a single-node Apache Cassandra 5.0 for the coodie test suite.

The node is a plain JVM started from the jars that Maven resolves for
tools/cassandra/pom.xml. Everything it writes lives under <repo>/.cache/cassandra.
Only the Python standard library is used, so this works before any virtualenv
exists.

    python3 tools/cassandra/node.py fetch
    python3 tools/cassandra/node.py start [--secure] [--timeout S] [--data-reset]
    python3 tools/cassandra/node.py status [--secure] [--json]
    python3 tools/cassandra/node.py wait [--secure] [--timeout S]
    python3 tools/cassandra/node.py logs [-n N] [--secure]
    python3 tools/cassandra/node.py stop [--timeout S]
    python3 tools/cassandra/node.py wipe [--secure]
    python3 tools/cassandra/node.py certs

Exit codes: 0 ok, 1 failure, 2 usage error, 3 not running (status, wait, logs),
4 conflict (a port is taken, or the other variant is running).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import string
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

TOOL_DIR = Path(__file__).resolve().parent
REPO_ROOT = TOOL_DIR.parent.parent
CACHE_DIR = REPO_ROOT / ".cache" / "cassandra"

HOST = "127.0.0.1"
CQL_PORT = 9042
STORAGE_PORT = 7000
JMX_PORT = 7199
PORTS = (CQL_PORT, STORAGE_PORT, JMX_PORT)

USERNAME = "cassandra"
PASSWORD = "cassandra"
KEYSTORE_PASSWORD = "coodie-test"
CLUSTER_NAME = "coodie-test"
# The integration matrix creates a table per test, per backend and flavour (thousands
# in one run); table metadata lives on the heap, and 1 GB runs out.
HEAP = "3g"

VARIANTS = ("plain", "secure")
MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon"
JVM_SEARCH_GLOB = "/usr/lib/jvm/*17*"

DEFAULT_START_TIMEOUT = 180.0
DEFAULT_STOP_TIMEOUT = 30.0

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3
EXIT_CONFLICT = 4

# Module access flags for Cassandra 5.0 on Java 17: the union of the lists in
# Cassandra's jvm17-server.options and the ones embedded runners use.
ADD_EXPORTS = (
    "java.base/jdk.internal.misc",
    "java.base/java.lang.ref",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.management/com.sun.jmx.remote.security",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "jdk.unsupported/sun.misc",
    "jdk.attach/sun.tools.attach",
)
ADD_OPENS = (
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "java.base/java.lang",
    "java.base/java.util",
    "java.base/java.nio",
)
# Only present in a full JDK (they name the jdk.compiler module); a JRE would
# print "unknown module" warnings for them.
JDK_ONLY_EXPORTS = ("jdk.compiler/com.sun.tools.javac.file",)
JDK_ONLY_OPENS = ("jdk.compiler/com.sun.tools.javac",)


class NodeError(Exception):
    """A failure that ends the command with a message and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """Paths of one variant ("plain" or "secure") of the test node."""

    variant: str
    cache: Path = CACHE_DIR

    @property
    def lib_dir(self) -> Path:
        return self.cache / "lib"

    @property
    def root(self) -> Path:
        return self.cache / self.variant

    @property
    def conf_dir(self) -> Path:
        return self.root / "conf"

    @property
    def yaml(self) -> Path:
        return self.conf_dir / "cassandra.yaml"

    @property
    def logback(self) -> Path:
        return self.conf_dir / "logback.xml"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def system_log(self) -> Path:
        return self.logs_dir / "system.log"

    @property
    def console_log(self) -> Path:
        return self.logs_dir / "console.log"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def heapdump_dir(self) -> Path:
        return self.root / "heapdump"

    @property
    def triggers_dir(self) -> Path:
        return self.root / "triggers"

    @property
    def pidfile(self) -> Path:
        return self.root / "cassandra.pid"

    @property
    def tls_dir(self) -> Path:
        return self.root / "tls"

    @property
    def ca_pem(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def wrong_ca_pem(self) -> Path:
        return self.tls_dir / "wrong-ca.pem"

    @property
    def keystore(self) -> Path:
        return self.tls_dir / "keystore.p12"

    @property
    def secure(self) -> bool:
        return self.variant == "secure"

    @property
    def config_arg(self) -> str:
        """The -Dcassandra.config argument; it identifies our JVM on a command line."""
        return "-Dcassandra.config=" + self.yaml.as_uri()

    def other(self) -> Node:
        return Node("plain" if self.secure else "secure", self.cache)


def tls_dir(cache: Path = CACHE_DIR) -> Path:
    return Node("secure", cache).tls_dir


# --------------------------------------------------------------------------
# A tiny CQL native protocol v4 client (enough for a readiness probe)
# --------------------------------------------------------------------------

PROTOCOL_VERSION = 0x04
OP_ERROR = 0x00
OP_STARTUP = 0x01
OP_READY = 0x02
OP_AUTHENTICATE = 0x03
OP_QUERY = 0x07
OP_RESULT = 0x08
OP_EVENT = 0x0C
OP_AUTH_CHALLENGE = 0x0E
OP_AUTH_RESPONSE = 0x0F
OP_AUTH_SUCCESS = 0x10

FLAG_COMPRESSION = 0x01
FLAG_TRACING = 0x02
FLAG_CUSTOM_PAYLOAD = 0x04
FLAG_WARNING = 0x08

CONSISTENCY_ONE = 0x0001
RESULT_ROWS = 0x0002

ROWS_GLOBAL_TABLES_SPEC = 0x0001
ROWS_HAS_MORE_PAGES = 0x0002
ROWS_NO_METADATA = 0x0004

HEADER = struct.Struct(">BBhBi")


class CqlError(Exception):
    """The server answered with an ERROR message or something unexpected."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def encode_string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def encode_long_string(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">i", len(raw)) + raw


def encode_string_map(values: dict[str, str]) -> bytes:
    out = struct.pack(">H", len(values))
    for key, value in values.items():
        out += encode_string(key) + encode_string(value)
    return out


def encode_bytes(value: bytes | None) -> bytes:
    if value is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(value)) + value


def encode_frame(stream: int, opcode: int, body: bytes, flags: int = 0) -> bytes:
    return HEADER.pack(PROTOCOL_VERSION, flags, stream, opcode, len(body)) + body


def startup_body() -> bytes:
    return encode_string_map({"CQL_VERSION": "3.0.0"})


def plain_auth_token(username: str, password: str) -> bytes:
    return b"\x00" + username.encode("utf-8") + b"\x00" + password.encode("utf-8")


def query_body(cql: str, consistency: int = CONSISTENCY_ONE) -> bytes:
    return encode_long_string(cql) + struct.pack(">HB", consistency, 0)


class Reader:
    """Cursor over a message body with the protocol's notation."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise CqlError("truncated message body")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def i32(self) -> int:
        return int(struct.unpack(">i", self.take(4))[0])

    def string(self) -> str:
        return self.take(self.u16()).decode("utf-8")

    def long_string(self) -> str:
        return self.take(self.i32()).decode("utf-8")

    def value(self) -> bytes | None:
        n = self.i32()
        return None if n < 0 else self.take(n)

    def string_list(self) -> list[str]:
        return [self.string() for _ in range(self.u16())]

    def bytes_map(self) -> dict[str, bytes | None]:
        return {self.string(): self.value() for _ in range(self.u16())}

    def type_option(self) -> str:
        """Read a column type [option]; returns a readable name."""
        kind = self.u16()
        if kind == 0x0000:
            return "custom(" + self.string() + ")"
        if kind in (0x0020, 0x0022):
            inner = self.type_option()
            return ("list<" if kind == 0x0020 else "set<") + inner + ">"
        if kind == 0x0021:
            key = self.type_option()
            value = self.type_option()
            return f"map<{key}, {value}>"
        if kind == 0x0030:
            keyspace = self.string()
            name = self.string()
            for _ in range(self.u16()):
                self.string()
                self.type_option()
            return f"udt({keyspace}.{name})"
        if kind == 0x0031:
            items = [self.type_option() for _ in range(self.u16())]
            return "tuple<" + ", ".join(items) + ">"
        return NATIVE_TYPES.get(kind, f"0x{kind:04x}")


NATIVE_TYPES = {
    0x0001: "ascii",
    0x0002: "bigint",
    0x0003: "blob",
    0x0004: "boolean",
    0x0005: "counter",
    0x0006: "decimal",
    0x0007: "double",
    0x0008: "float",
    0x0009: "int",
    0x000B: "timestamp",
    0x000C: "uuid",
    0x000D: "varchar",
    0x000E: "varint",
    0x000F: "timeuuid",
    0x0010: "inet",
    0x0011: "date",
    0x0012: "time",
    0x0013: "smallint",
    0x0014: "tinyint",
    0x0015: "duration",
}


@dataclass
class Rows:
    columns: list[tuple[str, str]]
    rows: list[list[bytes | None]]


def parse_error(body: bytes) -> CqlError:
    reader = Reader(body)
    code = reader.i32()
    message = reader.string()
    return CqlError(f"server error 0x{code:04x}: {message}", code)


def parse_rows(body: bytes) -> Rows:
    """Parse a RESULT body; it must be of kind Rows."""
    reader = Reader(body)
    kind = reader.i32()
    if kind != RESULT_ROWS:
        raise CqlError(f"expected a Rows result, got kind {kind}")
    flags = reader.i32()
    count = reader.i32()
    if flags & ROWS_HAS_MORE_PAGES:
        reader.value()
    columns: list[tuple[str, str]] = []
    if not flags & ROWS_NO_METADATA:
        if flags & ROWS_GLOBAL_TABLES_SPEC:
            reader.string()
            reader.string()
        for _ in range(count):
            if not flags & ROWS_GLOBAL_TABLES_SPEC:
                reader.string()
                reader.string()
            name = reader.string()
            columns.append((name, reader.type_option()))
    rows = [[reader.value() for _ in range(count)] for _ in range(reader.i32())]
    return Rows(columns, rows)


class CqlConnection:
    """One connection speaking protocol v4, without compression or paging."""

    def __init__(
        self,
        host: str = HOST,
        port: int = CQL_PORT,
        timeout: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> None:
        raw = socket.create_connection((host, port), timeout=timeout)
        try:
            raw.settimeout(timeout)
            if ssl_context is not None:
                self.sock: socket.socket = ssl_context.wrap_socket(
                    raw, server_hostname=server_hostname or host
                )
            else:
                self.sock = raw
        except BaseException:
            raw.close()
            raise
        self.next_stream = 0
        self.warnings: list[str] = []

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> CqlConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _recv_exact(self, n: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < n:
            chunk = self.sock.recv(n - len(chunks))
            if not chunk:
                raise CqlError("connection closed by the server")
            chunks += chunk
        return bytes(chunks)

    def request(self, opcode: int, body: bytes) -> tuple[int, bytes]:
        """Send one request and return (opcode, body) of its response."""
        stream = self.next_stream
        self.next_stream = (self.next_stream + 1) % 32768
        self.sock.sendall(encode_frame(stream, opcode, body))
        while True:
            version, flags, rstream, ropcode, length = HEADER.unpack(self._recv_exact(HEADER.size))
            payload = self._recv_exact(length) if length else b""
            if version & 0x7F != PROTOCOL_VERSION or not version & 0x80:
                raise CqlError(f"unexpected frame version 0x{version:02x}")
            if ropcode == OP_EVENT or rstream != stream:
                continue
            if flags & FLAG_COMPRESSION:
                raise CqlError("compressed frame although no compression was negotiated")
            reader = Reader(payload)
            if flags & FLAG_TRACING:
                reader.take(16)
            if flags & FLAG_WARNING:
                self.warnings.extend(reader.string_list())
            if flags & FLAG_CUSTOM_PAYLOAD:
                reader.bytes_map()
            rest = payload[reader.pos :]
            if ropcode == OP_ERROR:
                raise parse_error(rest)
            return ropcode, rest

    def startup(self, username: str | None = None, password: str | None = None) -> None:
        opcode, body = self.request(OP_STARTUP, startup_body())
        if opcode == OP_READY:
            return
        if opcode != OP_AUTHENTICATE:
            raise CqlError(f"unexpected answer 0x{opcode:02x} to STARTUP")
        authenticator = Reader(body).string()
        if username is None or password is None:
            raise CqlError(f"the server requires authentication ({authenticator})")
        opcode, body = self.request(OP_AUTH_RESPONSE, encode_bytes(plain_auth_token(username, password)))
        if opcode == OP_AUTH_CHALLENGE:
            raise CqlError("unexpected SASL challenge after PLAIN credentials")
        if opcode != OP_AUTH_SUCCESS:
            raise CqlError(f"unexpected answer 0x{opcode:02x} to AUTH_RESPONSE")

    def query(self, cql: str, consistency: int = CONSISTENCY_ONE) -> Rows:
        opcode, body = self.request(OP_QUERY, query_body(cql, consistency))
        if opcode != OP_RESULT:
            raise CqlError(f"unexpected answer 0x{opcode:02x} to QUERY")
        return parse_rows(body)


def release_version(
    host: str = HOST,
    port: int = CQL_PORT,
    username: str | None = USERNAME,
    password: str | None = PASSWORD,
    timeout: float = 5.0,
    ssl_context: ssl.SSLContext | None = None,
) -> str:
    """Log in and return release_version from system.local (a real query)."""
    with CqlConnection(host, port, timeout, ssl_context) as conn:
        conn.startup(username, password)
        result = conn.query("SELECT release_version FROM system.local")
    if len(result.rows) != 1 or result.rows[0][0] is None:
        raise CqlError("system.local returned no release_version")
    return result.rows[0][0].decode("utf-8")


def tls_context(ca_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.verify_flags |= getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context


# --------------------------------------------------------------------------
# Processes, ports and /proc
# --------------------------------------------------------------------------


def read_cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    if not raw:
        return None
    return [part.decode("utf-8", "replace") for part in raw.rstrip(b"\0").split(b"\0")]


def pid_alive(pid: int) -> bool:
    """True when the process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def all_pids() -> Iterator[int]:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            yield int(entry)


def is_node_process(pid: int, node: Node) -> bool:
    cmdline = read_cmdline(pid)
    return cmdline is not None and node.config_arg in cmdline and pid_alive(pid)


def node_processes(node: Node) -> list[int]:
    """Every live process whose command line carries this variant's config."""
    me = os.getpid()
    return sorted(pid for pid in all_pids() if pid != me and is_node_process(pid, node))


def read_pidfile(node: Node) -> int | None:
    try:
        return int(node.pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def running_pid(node: Node) -> int | None:
    """The pid of this variant's JVM if it runs (pidfile first, then /proc)."""
    pid = read_pidfile(node)
    if pid is not None and is_node_process(pid, node):
        return pid
    found = node_processes(node)
    return found[0] if found else None


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def port_in_use(host: str, port: int) -> bool:
    """True when binding host:port fails because something listens there."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def listening_inodes(port: int) -> set[str]:
    """Socket inodes of TCP listeners on the port (any address)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_owners(port: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes listening on a TCP port, if visible."""
    targets = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    owners: list[tuple[int, str]] = []
    if not targets:
        return owners
    for pid in all_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link in targets:
                cmdline = read_cmdline(pid) or ["?"]
                owners.append((pid, " ".join(cmdline)))
                break
    return owners


def describe_port_owner(port: int) -> str:
    owners = port_owners(port)
    if not owners:
        return "a process that could not be identified"
    return "; ".join(f"pid {pid} ({shorten(' '.join(cmd.split()), 160)})" for pid, cmd in owners)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_ports(host: str = HOST, ports: Sequence[int] = PORTS) -> None:
    for port in ports:
        if port_in_use(host, port):
            raise NodeError(
                f"port {port} on {host} is already in use by {describe_port_owner(port)}; "
                "free the port (or stop that process) and try again",
                EXIT_CONFLICT,
            )


def signal_process(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            block = 8192
            data = b""
            while size > 0 and data.count(b"\n") <= lines:
                step = min(block, size)
                size -= step
                handle.seek(size)
                data = handle.read(step) + data
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-lines:] if lines > 0 else []


@contextlib.contextmanager
def node_lock(cache: Path) -> Iterator[None]:
    """Serialize start/stop/wipe of this checkout's node."""
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "node.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------
# Java
# --------------------------------------------------------------------------

JAVA_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_major(java_home: Path) -> int | None:
    """Major version of the JDK at java_home, or None when it is not usable."""
    java = java_home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = JAVA_VERSION_RE.search(out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):
        major = int(match.group(2))
    return major


def find_java17(search_glob: str = JVM_SEARCH_GLOB) -> Path:
    """JAVA_HOME when it is a Java 17, else the first Java 17 under /usr/lib/jvm."""
    notes: list[str] = []
    env_home = os.environ.get("JAVA_HOME")
    if env_home:
        major = java_major(Path(env_home))
        if major == 17:
            return Path(env_home)
        notes.append(f"JAVA_HOME={env_home} is " + (f"Java {major}" if major else "not a usable JDK"))
    seen: set[Path] = set()
    parent = Path(search_glob).parent
    for candidate in sorted(parent.glob(Path(search_glob).name)):
        real = candidate.resolve()
        if real in seen:
            continue
        seen.add(real)
        major = java_major(real)
        if major == 17:
            return real
        if major is not None:
            notes.append(f"{candidate} is Java {major}")
    detail = ("; ".join(notes) + "; ") if notes else ""
    raise NodeError(
        "Cassandra 5.0 needs an OpenJDK 17 (newer JDKs cannot run it): "
        f"{detail}no Java 17 found in JAVA_HOME or {search_glob}. "
        "Install openjdk-17-jdk-headless or point JAVA_HOME at a JDK 17."
    )


# --------------------------------------------------------------------------
# Jars
# --------------------------------------------------------------------------


def pom_digest() -> str:
    return hashlib.sha256((TOOL_DIR / "pom.xml").read_bytes()).hexdigest()


def lib_marker(cache: Path) -> Path:
    return cache / "lib" / ".complete"


def lib_complete(cache: Path) -> bool:
    marker = lib_marker(cache)
    try:
        return marker.read_text().strip() == pom_digest()
    except OSError:
        return False


def fetch(cache: Path = CACHE_DIR, force: bool = False, java_home: Path | None = None) -> bool:
    """Resolve the jars into <cache>/lib. Returns False when they were already there."""
    if lib_complete(cache) and not force:
        return False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise NodeError("Maven (mvn) is not on PATH; it is needed once to download the Cassandra jars")
    cache.mkdir(parents=True, exist_ok=True)
    staging = cache / "lib.partial"
    shutil.rmtree(staging, ignore_errors=True)
    log = cache / "fetch.log"
    env = dict(os.environ)
    if java_home is not None:
        env["JAVA_HOME"] = str(java_home)
    cmd = [
        mvn,
        "-B",
        "-q",
        "-f",
        str(TOOL_DIR / "pom.xml"),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    print("fetching Cassandra jars with Maven ...", flush=True)
    started = time.monotonic()
    with log.open("w") as handle:
        code = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, env=env, check=False).returncode
    jars = list(staging.glob("cassandra-all-*.jar")) if staging.is_dir() else []
    if code != 0 or not jars:
        for line in tail(log, 40):
            print(line, file=sys.stderr)
        raise NodeError(f"Maven could not resolve the Cassandra jars (exit {code}); see {rel(log)}")
    shutil.rmtree(cache / "lib", ignore_errors=True)
    staging.rename(cache / "lib")
    lib_marker(cache).write_text(pom_digest() + "\n")
    count = len(list((cache / "lib").glob("*.jar")))
    print(f"fetched {count} jars into {rel(cache / 'lib')} in {time.monotonic() - started:.1f} s")
    return True


# --------------------------------------------------------------------------
# Configuration and TLS material
# --------------------------------------------------------------------------


def render_yaml(node: Node) -> str:
    values = {
        "cluster_name": CLUSTER_NAME,
        "host": HOST,
        "native_port": str(CQL_PORT),
        "storage_port": str(STORAGE_PORT),
        "keystore": str(node.keystore),
        "keystore_password": KEYSTORE_PASSWORD,
    }
    text = string.Template((TOOL_DIR / "cassandra.yaml.in").read_text()).substitute(values)
    if node.secure:
        text += string.Template((TOOL_DIR / "cassandra-secure.yaml.in").read_text()).substitute(values)
    return text


def write_config(node: Node) -> None:
    for folder in (
        node.conf_dir,
        node.data_dir,
        node.logs_dir,
        node.tmp_dir,
        node.heapdump_dir,
        node.triggers_dir,
    ):
        folder.mkdir(parents=True, exist_ok=True)
    node.yaml.write_text(render_yaml(node))
    shutil.copyfile(TOOL_DIR / "logback.xml", node.logback)
    if os.statvfs(node.tmp_dir).f_flag & getattr(os, "ST_NOEXEC", 0):
        print(
            f"warning: {rel(node.tmp_dir)} is on a noexec mount; JNA may fail to load",
            file=sys.stderr,
        )


def ensure_tls(node: Node, java_home: Path, force: bool = False) -> bool:
    """Create the CA, the server keystore and the PEM files. False if already there.

    tls/ca.pem is a self-signed CA; tls/keystore.p12 holds the node's key and a
    certificate signed by that CA for IP:127.0.0.1 and DNS:localhost; tls/wrong-ca.pem
    is an unrelated CA for negative tests. keytool of the JDK 17 does all of it.
    """
    wanted = (node.ca_pem, node.wrong_ca_pem, node.keystore)
    if all(path.exists() for path in wanted) and not force:
        return False
    work = node.root / "tls.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    store = f"-storetype PKCS12 -storepass {KEYSTORE_PASSWORD} -keypass {KEYSTORE_PASSWORD}"
    key = "-keyalg RSA -keysize 2048 -validity 3650"
    ca_ext = "-ext bc:c=ca:true -ext ku:c=keyCertSign,cRLSign"
    server_ext = (
        "-ext san=ip:127.0.0.1,dns:localhost -ext ku:c=digitalSignature,keyEncipherment -ext eku=serverAuth"
    )

    def keytool(command: str) -> None:
        # -J flags: a short-lived JVM starts faster without the optimizing JIT.
        jvm = ["-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"]
        args = [str(java_home / "bin" / "keytool"), *shlex.split(command), *shlex.split(store), *jvm]
        result = subprocess.run(args, cwd=work, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise NodeError(f"keytool {args[1]} failed: {(result.stderr or result.stdout).strip()}")

    for alias, name, keystore in (
        ("ca", "coodie test CA", "ca"),
        ("wrongca", "coodie unrelated CA", "wrong-ca"),
    ):
        keytool(
            f"-genkeypair -noprompt -alias {alias} {key} {ca_ext} -dname 'CN={name},O=coodie tests' "
            f"-keystore {keystore}.p12"
        )
        keytool(f"-exportcert -rfc -alias {alias} -keystore {keystore}.p12 -file {keystore}.pem")
    (work / "wrong-ca.p12").unlink()
    keytool(
        f"-genkeypair -noprompt -alias node {key} -dname 'CN=localhost,O=coodie tests' -keystore keystore.p12"
    )
    keytool("-certreq -alias node -keystore keystore.p12 -file node.csr")
    keytool(
        f"-gencert -rfc -alias ca -keystore ca.p12 -infile node.csr -outfile node.pem "
        f"-validity 3650 {server_ext}"
    )
    # keytool accepts the signed certificate only when it knows the issuer, so
    # the CA goes in first and leaves again once the chain is in place.
    keytool("-importcert -noprompt -alias ca -file ca.pem -keystore keystore.p12")
    keytool("-importcert -noprompt -alias node -file node.pem -keystore keystore.p12")
    keytool("-delete -alias ca -keystore keystore.p12")
    (work / "node.csr").unlink()
    shutil.rmtree(node.tls_dir, ignore_errors=True)
    work.rename(node.tls_dir)
    return True


# --------------------------------------------------------------------------
# The JVM
# --------------------------------------------------------------------------


def java_command(node: Node, java_home: Path) -> list[str]:
    exports = list(ADD_EXPORTS)
    opens = list(ADD_OPENS)
    if (java_home / "bin" / "javac").exists():
        exports += JDK_ONLY_EXPORTS
        opens += JDK_ONLY_OPENS
    cmd = [
        str(java_home / "bin" / "java"),
        f"-Xms{HEAP}",
        f"-Xmx{HEAP}",
        "-Xss256k",
        "-XX:+UseG1GC",
        "-XX:+ParallelRefProcEnabled",
        "-XX:MaxGCPauseMillis=300",
        "-XX:+ExitOnOutOfMemoryError",
        "-XX:+HeapDumpOnOutOfMemoryError",
        f"-XX:HeapDumpPath={node.heapdump_dir}",
        f"-XX:ErrorFile={node.logs_dir}/hs_err_pid%p.log",
        "-XX:+PerfDisableSharedMem",
        "-Djava.net.preferIPv4Stack=true",
        f"-Djava.io.tmpdir={node.tmp_dir}",
        "-Djdk.attach.allowAttachSelf=true",
        "-Dio.netty.tryReflectionSetAccessible=true",
        "-Dio.netty.allocator.useCacheForAllThreads=true",
        "-Dio.netty.allocator.maxOrder=11",
    ]
    cmd += [f"--add-exports={item}=ALL-UNNAMED" for item in exports]
    cmd += [f"--add-opens={item}=ALL-UNNAMED" for item in opens]
    jamm = sorted(node.lib_dir.glob("jamm-*.jar"))
    if jamm:
        cmd.append(f"-javaagent:{jamm[-1]}")
    cmd += [
        node.config_arg,
        f"-Dcassandra.storagedir={node.data_dir}",
        "-Dcassandra-foreground=yes",
        f"-Dlogback.configurationFile={node.logback}",
        f"-Dcassandra.logdir={node.logs_dir}",
        f"-Dcassandra.triggers_dir={node.triggers_dir}",
        "-Dcassandra.superuser_setup_delay_ms=0",
        "-Dcassandra.skip_wait_for_gossip_to_settle=0",
        "-Dcassandra.unsafesystem=true",
        "-Dcassandra.initial_token=0",
        # A single node has no peers to tell about its shutdown (default 2 s wait).
        "-Dcassandra.shutdown_announce_in_ms=0",
        f"-Dcassandra.jmx.local.port={JMX_PORT}",
        "-cp",
        str(node.lib_dir / "*"),
        MAIN_CLASS,
    ]
    return cmd


def launch(node: Node, java_home: Path) -> subprocess.Popen[bytes]:
    cmd = java_command(node, java_home)
    with node.console_log.open("wb") as console:
        proc = subprocess.Popen(
            cmd,
            cwd=node.root,
            stdin=subprocess.DEVNULL,
            stdout=console,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    node.pidfile.write_text(f"{proc.pid}\n")
    return proc


def probe(node: Node, timeout: float = 5.0) -> str:
    """Release version from a real query, logging in when the server asks."""
    return release_version(HOST, CQL_PORT, USERNAME, PASSWORD, timeout)


def probe_tls(node: Node, timeout: float = 5.0) -> str:
    return release_version(HOST, CQL_PORT, USERNAME, PASSWORD, timeout, tls_context(node.ca_pem))


def wait_ready(
    node: Node,
    pid: int,
    timeout: float,
    proc: subprocess.Popen[bytes] | None = None,
) -> str:
    """Poll until a CQL query answers; fail early when the JVM is gone."""
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while True:
        exited = proc.poll() if proc is not None else None
        if exited is not None or not pid_alive(pid):
            detail = f" with code {exited}" if exited is not None else ""
            raise NodeError(f"the Cassandra JVM (pid {pid}) exited{detail} before CQL answered")
        try:
            return probe(node, timeout=min(5.0, max(1.0, deadline - time.monotonic())))
        except (OSError, CqlError) as exc:
            last_error = str(exc) or type(exc).__name__
        if time.monotonic() >= deadline:
            raise NodeError(f"CQL did not answer within {timeout:.0f} s (last error: {last_error})")
        time.sleep(0.25)


def print_log_tail(node: Node, lines: int = 40, width: int = 400) -> None:
    """Show the end of system.log and of the JVM's console output on stderr."""
    shown = False
    for path in (node.system_log, node.console_log):
        content = tail(path, lines)
        if not content:
            continue
        shown = True
        print(f"--- last {len(content)} lines of {rel(path)} ---", file=sys.stderr)
        for line in content:
            print(shorten(line, width), file=sys.stderr)
    if not shown:
        print("(the node wrote no log)", file=sys.stderr)


def kill_node(node: Node, pid: int | None, timeout: float) -> bool:
    """SIGTERM, wait, SIGKILL; then make sure no JVM with our config survives.

    Returns True when a process had to be stopped.
    """
    stopped = False
    if pid is not None and pid_alive(pid):
        stopped = True
        signal_process(pid, signal.SIGTERM)
        if not wait_gone(pid, timeout):
            print(f"pid {pid} still alive after {timeout:.0f} s, sending SIGKILL", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            signal_process(pid, signal.SIGKILL)
            wait_gone(pid, 10)
    for other in node_processes(node):
        stopped = True
        signal_process(other, signal.SIGKILL)
        wait_gone(other, 10)
    left = node_processes(node)
    if left:
        raise NodeError(f"could not stop the {node.variant} node: pids {left} survive")
    with contextlib.suppress(FileNotFoundError):
        node.pidfile.unlink()
    return stopped


def rel(path: Path) -> str:
    """A path relative to the repository when possible (for messages)."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------


def pick_node(secure: bool, cache: Path) -> Node:
    """--secure selects the secure variant; otherwise the running one, else plain."""
    if secure:
        return Node("secure", cache)
    for variant in VARIANTS:
        node = Node(variant, cache)
        if running_pid(node) is not None:
            return node
    return Node("plain", cache)


def cmd_fetch(args: argparse.Namespace) -> int:
    if not fetch(args.cache, force=args.force):
        print(f"jars already in {rel(args.cache / 'lib')}")
    return EXIT_OK


def cmd_certs(args: argparse.Namespace) -> int:
    node = Node("secure", args.cache)
    created = ensure_tls(node, find_java17(), force=args.force)
    print(("created" if created else "already present") + f": {rel(node.tls_dir)}")
    for path in (node.ca_pem, node.wrong_ca_pem, node.keystore):
        print(f"  {rel(path)}")
    return EXIT_OK


def cmd_start(args: argparse.Namespace) -> int:
    node = Node("secure" if args.secure else "plain", args.cache)
    with node_lock(args.cache):
        pid = running_pid(node)
        if pid is not None:
            if args.data_reset:
                raise NodeError(f"the {node.variant} node runs (pid {pid}); stop it before --data-reset")
            print(f"already running (pid {pid}, {node.variant})")
            version = wait_ready(node, pid, args.timeout)
            print(f"Cassandra {version} answers on {HOST}:{CQL_PORT}")
            return EXIT_OK
        other = node.other()
        other_pid = running_pid(other)
        if other_pid is not None:
            raise NodeError(
                f"the {other.variant} node runs (pid {other_pid}) on the same ports; "
                "stop it first: python3 tools/cassandra/node.py stop",
                EXIT_CONFLICT,
            )
        with contextlib.suppress(FileNotFoundError):
            node.pidfile.unlink()
        if args.data_reset:
            wipe_data(node)
        java_home = find_java17()
        fetch(args.cache, java_home=java_home)
        if node.secure:
            ensure_tls(node, java_home)
        write_config(node)
        check_ports()
        started = time.monotonic()
        proc = launch(node, java_home)
        print(f"starting Cassandra ({node.variant}, pid {proc.pid}, Java at {java_home}) ...", flush=True)
        try:
            version = wait_ready(node, proc.pid, args.timeout, proc)
        except (NodeError, KeyboardInterrupt):
            print_log_tail(node)
            kill_node(node, proc.pid, 5)
            proc.poll()
            raise
        elapsed = time.monotonic() - started
        rss = rss_kib(proc.pid)
        rss_text = f", RSS {rss / 1024:.0f} MiB" if rss else ""
        print(
            f"Cassandra {version} ({node.variant}) ready on {HOST}:{CQL_PORT} "
            f"in {elapsed:.1f} s (pid {proc.pid}{rss_text})"
        )
        if node.secure:
            print(f"login {USERNAME}/{PASSWORD}; TLS CA: {rel(node.ca_pem)}")
    return EXIT_OK


def cmd_stop(args: argparse.Namespace) -> int:
    variants = ["secure"] if args.secure else list(VARIANTS)
    with node_lock(args.cache):
        stopped_any = False
        for variant in variants:
            node = Node(variant, args.cache)
            pid = running_pid(node)
            if pid is None and not node_processes(node):
                with contextlib.suppress(FileNotFoundError):
                    node.pidfile.unlink()
                continue
            started = time.monotonic()
            kill_node(node, pid, args.timeout)
            stopped_any = True
            print(f"stopped the {variant} node (pid {pid}) in {time.monotonic() - started:.1f} s")
        if not stopped_any:
            print("not running")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    node = pick_node(args.secure, args.cache)
    pid = running_pid(node)
    info: dict[str, object] = {
        "state": "running" if pid is not None else "stopped",
        "variant": node.variant,
        "pid": pid,
        "rss_kib": rss_kib(pid) if pid is not None else None,
        "host": HOST,
        "port": CQL_PORT,
        "cql": None,
        "release_version": None,
        "tls": None,
        "system_log": rel(node.system_log),
    }
    if pid is not None:
        try:
            info["release_version"] = probe(node, timeout=3.0)
            info["cql"] = "ok"
        except (OSError, CqlError) as exc:
            info["cql"] = f"no answer ({exc or type(exc).__name__})"
        if node.secure:
            info["ca_pem"] = rel(node.ca_pem)
            try:
                probe_tls(node, timeout=3.0)
                info["tls"] = "ok"
            except (OSError, CqlError, ssl.SSLError) as exc:
                info["tls"] = f"failed ({exc})"
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"state:   {info['state']}")
        print(f"variant: {node.variant}")
        if pid is not None:
            rss = info["rss_kib"]
            print(f"pid:     {pid}")
            if isinstance(rss, int):
                print(f"rss:     {rss / 1024:.0f} MiB")
            version = info["release_version"]
            cql = f"ok, release {version}" if info["cql"] == "ok" else info["cql"]
            print(f"cql:     {cql} ({HOST}:{CQL_PORT})")
            if node.secure:
                print(f"tls:     {info['tls']} (CA {rel(node.ca_pem)})")
        print(f"log:     {rel(node.system_log)}")
    return EXIT_OK if pid is not None else EXIT_NOT_RUNNING


def cmd_wait(args: argparse.Namespace) -> int:
    node = pick_node(args.secure, args.cache)
    pid = running_pid(node)
    if pid is None:
        print(f"the {node.variant} node is not running", file=sys.stderr)
        return EXIT_NOT_RUNNING
    started = time.monotonic()
    version = wait_ready(node, pid, args.timeout)
    print(f"Cassandra {version} ({node.variant}) answers after {time.monotonic() - started:.1f} s")
    return EXIT_OK


def cmd_probe(args: argparse.Namespace) -> int:
    try:
        version = release_version(HOST, CQL_PORT, USERNAME, PASSWORD, args.timeout)
    except Exception as exc:
        print(f"no CQL answer on {HOST}:{CQL_PORT}: {exc}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    print(f"Cassandra {version} answers on {HOST}:{CQL_PORT}")
    return EXIT_OK


def cmd_logs(args: argparse.Namespace) -> int:
    node = pick_node(args.secure, args.cache)
    if not node.system_log.exists():
        print(f"no log yet: {rel(node.system_log)}", file=sys.stderr)
        return EXIT_NOT_RUNNING
    for line in tail(node.system_log, args.lines):
        print(line)
    return EXIT_OK


def wipe_data(node: Node) -> None:
    if node.data_dir.exists():
        shutil.rmtree(node.data_dir)
        print(f"wiped {rel(node.data_dir)}")


def cmd_wipe(args: argparse.Namespace) -> int:
    node = Node("secure" if args.secure else "plain", args.cache)
    with node_lock(args.cache):
        pid = running_pid(node)
        if pid is not None:
            raise NodeError(f"the {node.variant} node runs (pid {pid}); stop it before wiping its data")
        if not node.data_dir.exists():
            print(f"nothing to wipe: {rel(node.data_dir)} does not exist")
        wipe_data(node)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="node.py",
        description="Run the single-node Apache Cassandra 5.0 used by the coodie tests.",
    )
    parser.add_argument("--secure", dest="secure_top", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    variant = argparse.ArgumentParser(add_help=False)
    variant.add_argument(
        "--secure",
        action="store_true",
        help="the variant with password authentication and client TLS",
    )

    def timeout_option(p: argparse.ArgumentParser, default: float, what: str) -> None:
        p.add_argument("--timeout", type=float, default=default, help=f"{what} (default {default:.0f} s)")

    p = sub.add_parser("fetch", help="download the jars with Maven (skipped when complete)")
    p.add_argument("--force", action="store_true", help="download again")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("start", parents=[variant], help="start the node and wait until CQL answers")
    timeout_option(p, DEFAULT_START_TIMEOUT, "seconds to wait for CQL")
    p.add_argument("--data-reset", action="store_true", help="delete the data dir before starting")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("stop", parents=[variant], help="stop the node (both variants unless --secure)")
    timeout_option(p, DEFAULT_STOP_TIMEOUT, "seconds between SIGTERM and SIGKILL")
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("status", parents=[variant], help="running or stopped, pid, RSS, CQL answer")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("wait", parents=[variant], help="wait until CQL answers")
    timeout_option(p, DEFAULT_START_TIMEOUT, "seconds to wait")
    p.set_defaults(func=cmd_wait)

    p = sub.add_parser("probe", help="exit 0 when any CQL server answers on 127.0.0.1:9042 (ours or not)")
    timeout_option(p, 3.0, "seconds to wait for the answer")
    p.set_defaults(func=cmd_probe)

    p = sub.add_parser("logs", parents=[variant], help="print the end of system.log")
    p.add_argument("-n", "--lines", type=int, default=40, help="number of lines (default 40)")
    p.set_defaults(func=cmd_logs)

    p = sub.add_parser("wipe", parents=[variant], help="delete the data dir of a stopped node")
    p.set_defaults(func=cmd_wipe)

    p = sub.add_parser("certs", help="create the TLS material of the secure variant")
    p.add_argument("--force", action="store_true", help="create new certificates")
    p.set_defaults(func=cmd_certs)
    return parser


def main(argv: Sequence[str] | None = None, cache: Path = CACHE_DIR) -> int:
    args = build_parser().parse_args(argv)
    args.secure = bool(getattr(args, "secure", False) or args.secure_top)
    args.cache = cache
    try:
        return int(args.func(args))
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
