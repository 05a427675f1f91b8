#!/usr/bin/env python3
"""Capture reply frames from a real node into the fuzz seed corpora.

A small TCP proxy sits between the native driver and the node and records
every byte the server sends. A scenario then exercises the replies worth
fuzzing: SUPPORTED/READY, rows of every CQL type (with and without metadata,
paged), PREPARED, LWT results, schema changes, events, server errors of many
kinds, LZ4-compressed frames. The recorded stream is split into frames and
written to native/fuzz/corpus/<target>/node_* in the layout each target reads:

    fuzz_response            a whole frame
    fuzz_frame_header        a chunk-size byte, then back-to-back frames
    fuzz_result              a RESULT body
    fuzz_rows / fuzz_prepared  a Rows / Prepared body after the kind
    fuzz_python_decode       a layout byte, then a Rows body after the kind (0),
                             an opcode, request kind and reply body (2), or an
                             EVENT body (3)
    fuzz_error               a version byte (0 = v4), then an ERROR body
    fuzz_event               an EVENT body
    fuzz_startup_responses   a selector byte, then SUPPORTED/AUTHENTICATE body

Usage: python native/fuzz/capture_frames.py [--host 127.0.0.1] [--port 9042]
(needs a running node; creates and drops a keyspace of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import decimal
import hashlib
import ipaddress
import socket
import struct
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from coodie import _native  # noqa: E402
from coodie.native.session import BatchKind, ConnectionOptions, Node, Session  # noqa: E402
from coodie.types import CqlDuration  # noqa: E402

CORPUS = ROOT / "native" / "fuzz" / "corpus"
MAX_SEED = 65536  # the fuzz runs' -max_len

OP_ERROR, OP_SUPPORTED, OP_AUTHENTICATE, OP_RESULT, OP_EVENT = 0x00, 0x06, 0x03, 0x08, 0x0C
K_QUERY = 4  # the extension's request kind of a QUERY (native/python/conn.h)


class Proxy:
    """Forwards 127.0.0.1:<port> to the node and keeps what the node sends."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.streams: list[bytearray] = []
        self.threads: list[threading.Thread] = []
        self.sockets: list[socket.socket] = []
        self.running = True
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sockets.append(s)
            record = bytearray()
            self.streams.append(record)
            for src, dst, rec in ((client, server, None), (server, client, record)):
                t = threading.Thread(target=self._pump, args=(src, dst, rec), daemon=True)
                t.start()
                self.threads.append(t)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, record: bytearray | None) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                with contextlib.suppress(OSError):
                    dst.shutdown(socket.SHUT_WR)
                return
            if record is not None:
                record.extend(data)
            with contextlib.suppress(OSError):
                dst.sendall(data)

    def close(self) -> None:
        self.running = False
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


def split_frames(data: bytes) -> list[bytes]:
    frames, off = [], 0
    while off + 9 <= len(data):
        length = struct.unpack_from(">I", data, off + 5)[0]
        if off + 9 + length > len(data):
            break
        frames.append(bytes(data[off : off + 9 + length]))
        off += 9 + length
    return frames


def body_of(frame: bytes) -> tuple[int, int, bytes]:
    flags, opcode = frame[1], frame[4]
    body = frame[9:]
    if flags & 0x01:
        body = _native.lz4_decompress(body)
    off = 0
    if flags & 0x02:  # tracing id
        off += 16
    if flags & 0x08:  # warnings
        n = struct.unpack_from(">H", body, off)[0]
        off += 2
        for _ in range(n):
            off += 2 + struct.unpack_from(">H", body, off)[0]
    return flags, opcode, body[off:]


# --------------------------------------------------------------- scenario --

TYPES = """
    k int, c int, i int, bi bigint, si smallint, ti tinyint, vi varint, de decimal, f float,
    d double, b boolean, t text, a ascii, bl blob, u uuid, tu timeuuid, ip inet, da date,
    tm time, ts timestamp, du duration, l list<int>, s set<text>, m map<text, int>,
    tp frozen<tuple<int, text>>, ad frozen<addr>, v vector<float, 3>, ss set<frozen<set<int>>>,
    PRIMARY KEY (k, c)
"""


def scenario(session: Session, ks: str) -> None:
    q = session.execute
    q(
        f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}",
        prepare=False,
    )
    q(f"USE {ks}", prepare=False)
    q("CREATE TYPE addr (street text, zip int, tags frozen<list<text>>)", prepare=False)
    q(f"CREATE TABLE everything ({TYPES})", prepare=False)
    q("CREATE TABLE counters (k int PRIMARY KEY, n counter)", prepare=False)
    cols = "k, c, i, bi, si, ti, vi, de, f, d, b, t, a, bl, u, tu, ip, da, tm, ts, du, l, s, m, tp, ad, v, ss"
    ins = f"INSERT INTO everything ({cols}) VALUES ({', '.join('?' * 28)})"
    for c in range(6):
        q(
            ins,
            [
                1, c, -c, 2**40 + c, -7, 3, 10**30 + c, decimal.Decimal(f"-12.{c}5"), 1.5, 2.25, c % 2 == 0,
                "h\u00e9llo \U0001d11e" * (c + 1), "plain", bytes(range(c * 10)), uuid.uuid4(), uuid.uuid1(),
                ipaddress.ip_address("::1" if c % 2 else "10.1.2.3"), dt.date(1969 + c, 7, 20),
                (c * 3600 + 1) * 10**9 + 5, dt.datetime(2020, 1, 1, c, tzinfo=dt.timezone.utc),
                CqlDuration(c, c, c * 1000), list(range(c)), {f"s{i}" for i in range(c)}, {"a": c},
                (c, "x"), {"street": "Main", "zip": c, "tags": ["a"]}, [1.0, -2.0, float(c)],
                {frozenset({1, c}), frozenset()},
            ],
        )  # fmt: skip
    q("INSERT INTO everything (k, c) VALUES (2, 0)", prepare=False)  # nulls everywhere
    q("SELECT * FROM everything WHERE k = 1", prepare=False)  # rows with metadata
    q("SELECT * FROM everything WHERE k = ?", [1])  # skip_metadata rows
    q("SELECT * FROM everything WHERE k = ?", [2])
    q("SELECT * FROM everything WHERE k = ?", [1], page_size=2)  # has_more_pages
    q("SELECT k, c, t FROM everything WHERE k = ? LIMIT 1", [1])
    q("SELECT count(*), max(bi), writetime(t) FROM everything WHERE k = 1 AND c = 1", prepare=False)
    q("UPDATE counters SET n = n + ? WHERE k = ?", [5, 1])
    q("SELECT * FROM counters", prepare=False)
    lwt = "INSERT INTO everything (k, c, t) VALUES (?, ?, ?) IF NOT EXISTS"
    q(lwt, [3, 0, "first"])
    q(lwt, [3, 0, "second"])  # not applied: the existing row comes back
    q("UPDATE everything SET t = ? WHERE k = ? AND c = ? IF t = ?", ["x", 3, 0, "nope"])
    session.batch(
        BatchKind.LOGGED,
        [("INSERT INTO everything (k, c, t) VALUES (?, ?, ?)", (4, i, "b")) for i in range(3)],
    )
    for bad in (
        "SELEKT 1",
        "SELECT * FROM no_such_table",
        "CREATE TABLE everything (k int PRIMARY KEY)",
        f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}",
        "SELECT * FROM everything WHERE t = 'x'",
        "INSERT INTO everything (k, c, i) VALUES (1, 1, 'text')",
    ):
        with contextlib.suppress(Exception):
            q(bad, prepare=False)
    with contextlib.suppress(Exception):
        q("SELECT * FROM everything WHERE k = ?", [1], consistency=3)  # Unavailable (THREE)
    with contextlib.suppress(Exception):
        q("SELECT * FROM everything WHERE k = ?", [1], consistency=8)  # SERIAL for a read
    # UNPREPARED: the table is recreated behind the cached statement
    q("CREATE TABLE small (k int PRIMARY KEY, v text)", prepare=False)
    q("SELECT * FROM small WHERE k = ?", [1])
    q("DROP TABLE small", prepare=False)
    q("CREATE TABLE small (k int PRIMARY KEY, v text, w int)", prepare=False)
    with contextlib.suppress(Exception):
        q("SELECT * FROM small WHERE k = ?", [1])


def events(session: Session, ks: str) -> None:
    conn = session.sync_conn()
    conn.native.event_handler = lambda event: None
    conn.native.register(["SCHEMA_CHANGE", "TOPOLOGY_CHANGE", "STATUS_CHANGE"], timeout=10)
    session.execute(f"CREATE TABLE {ks}.evented (k int PRIMARY KEY)", prepare=False)
    session.execute(f"ALTER TABLE {ks}.evented ADD v text", prepare=False)
    session.execute(f"CREATE INDEX ON {ks}.evented (v)", prepare=False)
    session.execute(f"DROP TABLE {ks}.evented", prepare=False)
    time.sleep(0.5)


async def async_part(session: Session, ks: str) -> None:
    await session.execute_async(f"SELECT * FROM {ks}.everything WHERE k = ?", [1])
    await asyncio.gather(
        *(
            session.execute_async(f"SELECT t FROM {ks}.everything WHERE k = ? AND c = ?", [1, c])
            for c in range(6)
        )
    )


# ------------------------------------------------------------------- main --


def write_seeds(streams: list[bytearray]) -> dict[str, int]:
    seeds: dict[str, dict[str, bytes]] = {}

    def add(target: str, name: str, data: bytes) -> None:
        if 0 < len(data) <= MAX_SEED:
            digest = hashlib.sha1(data).hexdigest()[:8]
            seeds.setdefault(target, {})[f"node_{name}_{digest}"] = data

    for stream in streams:
        frames = split_frames(bytes(stream))
        if len(frames) >= 3:
            add("fuzz_frame_header", "stream", b"\x05" + b"".join(frames[:6])[: MAX_SEED - 1])
        for frame in frames:
            flags, opcode, body = body_of(frame)
            kind = {OP_ERROR: "error", OP_RESULT: "result", OP_EVENT: "event", OP_SUPPORTED: "supported"}.get(
                opcode, f"op{opcode:02x}"
            )
            add("fuzz_response", kind + ("_lz4" if flags & 0x01 else ""), frame)
            if opcode == OP_ERROR:
                add("fuzz_error", "error", b"\x00" + body)
                add("fuzz_python_decode", "error", bytes([2, OP_ERROR, K_QUERY]) + body)
            elif opcode == OP_EVENT:
                add("fuzz_event", "event", body)
                add("fuzz_python_decode", "event", b"\x03" + body)
            elif opcode == OP_SUPPORTED:
                add("fuzz_startup_responses", "supported", b"\x00" + body)
            elif opcode == OP_AUTHENTICATE:
                add("fuzz_startup_responses", "authenticate", b"\x01" + body)
            elif opcode == OP_RESULT and len(body) >= 4:
                result_kind = struct.unpack_from(">i", body)[0]
                add("fuzz_result", f"kind{result_kind}", body)
                add("fuzz_python_decode", f"kind{result_kind}", bytes([2, OP_RESULT, K_QUERY]) + body)
                if result_kind == 2:
                    add("fuzz_rows", "rows", body[4:])
                    add("fuzz_python_decode", "rows", b"\x00" + body[4:])
                elif result_kind == 4:
                    add("fuzz_prepared", "prepared", body[4:])
    counts = {}
    for target, files in sorted(seeds.items()):
        folder = CORPUS / target
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("node_*"):
            old.unlink()
        for name, data in sorted(files.items()):
            (folder / name).write_bytes(data)
        counts[target] = len(files)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    args = parser.parse_args(argv)
    proxy = Proxy((args.host, args.port))
    ks = f"coodie_capture_{int(time.time())}"
    node = [Node("127.0.0.1", proxy.port)]
    plain = Session(node, ConnectionOptions(request_timeout=30), discover_peers=False)
    lz4 = Session(node, ConnectionOptions(compression="lz4", request_timeout=30), discover_peers=False)
    try:
        scenario(plain, ks)
        events(plain, ks)
        asyncio.run(async_part(plain, ks))
        lz4.execute(f"SELECT * FROM {ks}.everything WHERE k = ?", [1])
        lz4.execute(f"SELECT * FROM {ks}.everything WHERE k = 1", prepare=False)
        with contextlib.suppress(Exception):
            lz4.execute("SELEKT 2", prepare=False)
    finally:
        with contextlib.suppress(Exception):
            plain.execute(f"DROP KEYSPACE IF EXISTS {ks}", prepare=False, timeout=60)
        plain.close()
        lz4.close()
        time.sleep(0.2)
        proxy.close()
    counts = write_seeds(proxy.streams)
    for target, n in counts.items():
        print(f"{target:26} {n} node_* seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
