"""A scriptable CQL v4 server for tests of the native driver.

It speaks just enough of the protocol to drive a client: OPTIONS, STARTUP
(with LZ4 and SASL PLAIN authentication when asked), and hands every other
request to a handler that decides what goes back - a well-formed reply built
with the helpers below, raw (hostile) bytes, nothing at all, or a closed
socket. Optionally TLS (``ssl.SSLContext``).

    with StubServer(handler) as server:
        ... connect to ("127.0.0.1", server.port) ...

``handler(conn, frame)`` runs on the connection's thread; ``conn.reply()``
answers a frame on its stream, ``conn.send()`` writes raw bytes.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# opcodes
ERROR, STARTUP, READY, AUTHENTICATE, OPTIONS, SUPPORTED = 0x00, 0x01, 0x02, 0x03, 0x05, 0x06
QUERY, RESULT, PREPARE, EXECUTE, REGISTER, EVENT, BATCH = 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D
AUTH_CHALLENGE, AUTH_RESPONSE, AUTH_SUCCESS = 0x0E, 0x0F, 0x10

FLAG_COMPRESSION = 0x01

# ------------------------------------------------------------------ encoding --


def int32(v: int) -> bytes:
    return struct.pack(">i", v)


def short(v: int) -> bytes:
    return struct.pack(">H", v)


def string(s: str) -> bytes:
    b = s.encode()
    return short(len(b)) + b


def long_string(s: str) -> bytes:
    b = s.encode()
    return int32(len(b)) + b


def bytes_(b: bytes | None) -> bytes:
    return int32(-1) if b is None else int32(len(b)) + b


def short_bytes(b: bytes) -> bytes:
    return short(len(b)) + b


def string_list(items: Sequence[str]) -> bytes:
    return short(len(items)) + b"".join(string(s) for s in items)


def string_multimap(m: dict[str, Sequence[str]]) -> bytes:
    return short(len(m)) + b"".join(string(k) + string_list(v) for k, v in m.items())


_SIMPLE = {
    "ascii": 0x01, "bigint": 0x02, "blob": 0x03, "boolean": 0x04, "counter": 0x05, "decimal": 0x06,
    "double": 0x07, "float": 0x08, "int": 0x09, "timestamp": 0x0B, "uuid": 0x0C, "text": 0x0D,
    "varchar": 0x0D, "varint": 0x0E, "timeuuid": 0x0F, "inet": 0x10, "date": 0x11, "time": 0x12,
    "smallint": 0x13, "tinyint": 0x14,
}  # fmt: skip


def _split_args(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def option(t: str) -> bytes:
    """The [option] of a type written like CQL: ``map<text, frozen<list<int>>>``,
    ``udt:ks.name(a int, b text)``, ``custom:<marshal class>``."""
    t = t.strip()
    if t.startswith("custom:"):
        return short(0) + string(t[len("custom:") :])
    if t == "duration":  # v4 has no id for it: a custom marshal class
        return short(0) + string("org.apache.cassandra.db.marshal.DurationType")
    if t.startswith("udt:"):
        head, _, rest = t[4:].partition("(")
        ks, _, name = head.partition(".")
        fields = _split_args(rest.rstrip(")"))
        out = short(0x30) + string(ks) + string(name) + short(len(fields))
        for f in fields:
            fname, _, ftype = f.partition(" ")
            out += string(fname) + option(ftype)
        return out
    if t.startswith("frozen<"):
        return option(t[7:-1])
    if "<" in t:
        name, _, inner = t.partition("<")
        args = _split_args(inner[:-1])
        code = {"list": 0x20, "map": 0x21, "set": 0x22, "tuple": 0x31}[name.strip()]
        out = short(code)
        if code == 0x31:
            out += short(len(args))
        return out + b"".join(option(a) for a in args)
    return short(_SIMPLE[t])


def frame(stream: int, opcode: int, body: bytes = b"", *, flags: int = 0, version: int = 0x84) -> bytes:
    return struct.pack(">BBhBi", version, flags, stream, opcode, len(body)) + body


def column_specs(columns: Sequence[tuple[str, str]], ks: str = "ks", table: str = "t") -> bytes:
    return string(ks) + string(table) + b"".join(string(n) + option(t) for n, t in columns)


def rows_body(
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[bytes | None]],
    *,
    paging_state: bytes | None = None,
    no_metadata: bool = False,
    row_count: int | None = None,
) -> bytes:
    """RESULT Rows; values are raw cell bytes (None for null)."""
    flags = 0x0001  # global table spec
    if paging_state is not None:
        flags |= 0x0002
    if no_metadata:
        flags = 0x0004 | (flags & 0x0002)
    out = int32(0x0002) + int32(flags) + int32(len(columns))
    if paging_state is not None:
        out += bytes_(paging_state)
    if not no_metadata:
        out += column_specs(columns)
    out += int32(len(rows) if row_count is None else row_count)
    return out + b"".join(bytes_(v) for r in rows for v in r)


def void_body() -> bytes:
    return int32(0x0001)


def set_keyspace_body(ks: str) -> bytes:
    return int32(0x0003) + string(ks)


def prepared_body(
    statement_id: bytes,
    bind: Sequence[tuple[str, str]],
    result: Sequence[tuple[str, str]] = (),
    pk_indexes: Sequence[int] = (),
) -> bytes:
    out = int32(0x0004) + short_bytes(statement_id)
    out += int32(0x0001) + int32(len(bind)) + int32(len(pk_indexes)) + b"".join(short(i) for i in pk_indexes)
    out += column_specs(bind)
    if result:
        out += int32(0x0001) + int32(len(result)) + column_specs(result)
    else:
        out += int32(0x0004) + int32(0)
    return out


def error_body(code: int, message: str, extra: bytes = b"") -> bytes:
    return int32(code) + string(message) + extra


# ------------------------------------------------------------------ decoding --


@dataclass
class Frame:
    version: int
    flags: int
    stream: int
    opcode: int
    body: bytes


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("truncated request")
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def short(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def int32(self) -> int:
        return int(struct.unpack(">i", self.take(4))[0])

    def int64(self) -> int:
        return int(struct.unpack(">q", self.take(8))[0])

    def string(self) -> str:
        return self.take(self.short()).decode()

    def long_string(self) -> str:
        return self.take(self.int32()).decode()

    def bytes_(self) -> bytes | None:
        n = self.int32()
        return None if n < 0 else self.take(n)

    def short_bytes(self) -> bytes:
        return self.take(self.short())


@dataclass
class QueryParams:
    consistency: int
    flags: int
    values: list[bytes | None] = field(default_factory=list)
    page_size: int | None = None
    paging_state: bytes | None = None
    serial_consistency: int | None = None
    timestamp: int | None = None


def read_query_params(r: Reader) -> QueryParams:
    qp = QueryParams(r.short(), r.u8())
    if qp.flags & 0x01:
        qp.values = [r.bytes_() for _ in range(r.short())]
    if qp.flags & 0x04:
        qp.page_size = r.int32()
    if qp.flags & 0x08:
        qp.paging_state = r.bytes_()
    if qp.flags & 0x10:
        qp.serial_consistency = r.short()
    if qp.flags & 0x20:
        qp.timestamp = r.int64()
    return qp


def parse_query(f: Frame) -> tuple[str, QueryParams]:
    r = Reader(f.body)
    return r.long_string(), read_query_params(r)


def parse_execute(f: Frame) -> tuple[bytes, QueryParams]:
    r = Reader(f.body)
    return r.short_bytes(), read_query_params(r)


def parse_batch(f: Frame) -> tuple[int, list[tuple[str | bytes, list[bytes | None]]], int, int]:
    r = Reader(f.body)
    kind, n = r.u8(), r.short()
    stmts: list[tuple[str | bytes, list[bytes | None]]] = []
    for _ in range(n):
        q: str | bytes = r.short_bytes() if r.u8() else r.long_string()
        stmts.append((q, [r.bytes_() for _ in range(r.short())]))
    consistency, flags = r.short(), r.u8()
    return kind, stmts, consistency, flags


# -------------------------------------------------------------------- server --


def _lz4() -> Any:
    from coodie import _native

    return _native


class StubConnection:
    def __init__(self, server: StubServer, sock: socket.socket) -> None:
        self.server = server
        self.sock = sock
        self.lz4 = False
        self.frames: list[Frame] = []
        self.lock = threading.Lock()
        self.closed = False

    def send(self, data: bytes) -> None:
        with self.lock:
            if not self.closed:
                with contextlib.suppress(OSError):
                    self.sock.sendall(data)

    def reply(self, f: Frame, opcode: int, body: bytes = b"", *, flags: int = 0) -> None:
        if self.lz4 and opcode != SUPPORTED and body:
            body, flags = _lz4().lz4_compress(body), flags | FLAG_COMPRESSION
        self.send(frame(f.stream, opcode, body, flags=flags))

    def close(self) -> None:
        with self.lock:
            self.closed = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()

    def _recv_exact(self, n: int) -> bytes | None:
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except (OSError, ValueError):
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    def serve(self) -> None:
        try:
            while True:
                head = self._recv_exact(9)
                if head is None:
                    return
                version, flags, stream, opcode, length = struct.unpack(">BBhBi", head)
                body = self._recv_exact(length) if length else b""
                if body is None:
                    return
                if flags & FLAG_COMPRESSION:
                    body = _lz4().lz4_decompress(body)
                f = Frame(version, flags, stream, opcode, body)
                self.frames.append(f)
                if not self.server.handle(self, f):
                    return
        finally:
            with contextlib.suppress(OSError):
                self.sock.close()


Handler = Callable[[StubConnection, Frame], Any]


class StubServer:
    """A threaded CQL server on 127.0.0.1 (an ephemeral port)."""

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        users: dict[str, str] | None = None,
        compression: Sequence[str] = ("lz4",),
        tls: ssl.SSLContext | None = None,
        handshake: bool = True,
    ) -> None:
        self.handler = handler
        self.users = users
        self.compression = list(compression)
        self.tls = tls
        self.handshake = handshake
        self.connections: list[StubConnection] = []
        self.errors: list[BaseException] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # lifecycle ----------------------------------------------------------------
    def __enter__(self) -> StubServer:
        t = threading.Thread(target=self._accept, name="stub-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        with contextlib.suppress(OSError):
            self._listener.close()
        for c in list(self.connections):
            c.close()
        for t in self._threads:
            t.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopping:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError) as error:
                    self.errors.append(error)
                    sock.close()
                    continue
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = StubConnection(self, sock)
            self.connections.append(conn)
            t = threading.Thread(target=conn.serve, name="stub-conn", daemon=True)
            t.start()
            self._threads.append(t)

    # requests -----------------------------------------------------------------
    def handle(self, conn: StubConnection, f: Frame) -> bool:
        """Answer one request; False stops serving the connection."""
        if self.handshake and f.opcode == OPTIONS:
            conn.reply(
                f, SUPPORTED, string_multimap({"CQL_VERSION": ["3.4.7"], "COMPRESSION": self.compression})
            )
            return True
        if self.handshake and f.opcode == STARTUP:
            r = Reader(f.body)
            opts = {r.string(): r.string() for _ in range(r.short())}
            if opts.get("COMPRESSION") == "lz4":
                conn.lz4 = True
            if self.users is not None:
                conn.reply(f, AUTHENTICATE, string("org.apache.cassandra.auth.PasswordAuthenticator"))
            else:
                conn.reply(f, READY)
            return True
        if self.handshake and f.opcode == AUTH_RESPONSE and self.users is not None:
            token = Reader(f.body).bytes_() or b""
            _, user, password = token.split(b"\x00", 2)
            if self.users.get(user.decode()) == password.decode():
                conn.reply(f, AUTH_SUCCESS, bytes_(None))
            else:
                conn.reply(f, ERROR, error_body(0x0100, "Provided username and/or password are incorrect"))
            return True
        if self.handler is None:
            conn.reply(f, RESULT, void_body())
            return True
        try:
            return self.handler(conn, f) is not False
        except Exception as error:  # surfaced by the test through server.errors
            self.errors.append(error)
            return False
