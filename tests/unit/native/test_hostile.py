"""A hostile server: every malformed reply ends in a clean exception, never a
crash or a hang, in blocking and asyncio mode.

Replies that break the framing (truncated frames, oversized or negative
lengths, unknown opcodes or versions, a reply to a stream nobody asked on)
close the connection: the request fails with ConnectionClosed whose cause is
the ProtocolError. Replies whose frame is sound but whose body lies (row
counts, lengths inside the body, invalid UTF-8, wrong value sizes) fail only
their own request with ProtocolError; the connection stays usable.
"""

from __future__ import annotations

import asyncio
import struct
import time

import pytest

from coodie import _native

from .conftest import connect, connect_async, open_fd

COLS = [("k", "int"), ("v", "text")]


def good_rows(stub) -> bytes:
    return stub.rows_body(COLS, [[struct.pack(">i", 1), b"ok"]])


def body_cases(stub):
    """Frames with a sound header whose body is wrong: (name, body of a RESULT)."""
    rows_hdr = stub.int32(2) + stub.int32(1) + stub.int32(2) + stub.column_specs(COLS)
    return [
        ("row count larger than the rows", rows_hdr + stub.int32(5) + stub.bytes_(b"\x00\x00\x00\x01") + stub.bytes_(b"a")),
        ("row count smaller than the rows", rows_hdr + stub.int32(0) + stub.bytes_(b"\x00\x00\x00\x01") + stub.bytes_(b"a")),
        ("negative row count", rows_hdr + stub.int32(-1)),
        ("invalid UTF-8 in text", rows_hdr + stub.int32(1) + stub.bytes_(b"\x00\x00\x00\x01") + stub.bytes_(b"\xc3\x28")),
        ("int of 3 bytes", rows_hdr + stub.int32(1) + stub.bytes_(b"\x00\x00\x01") + stub.bytes_(b"a")),
        ("cell longer than the body", rows_hdr + stub.int32(1) + stub.int32(1000) + b"xx"),
        ("huge column count", stub.int32(2) + stub.int32(1) + stub.int32(2**30)),
        ("unknown result kind", stub.int32(99)),
        ("truncated metadata", stub.int32(2) + stub.int32(1)),
        ("unknown type id", stub.int32(2) + stub.int32(1) + stub.int32(1) + stub.string("ks") + stub.string("t") + stub.string("c") + stub.short(0x77)),
        ("empty body", b""),
    ]  # fmt: skip


def framing_cases(stub):
    """Raw bytes that break the stream: (name, bytes sent in place of a reply to stream s)."""

    def cases(s: int) -> list[tuple[str, bytes]]:
        return [
            ("oversized body length", struct.pack(">BBhBI", 0x84, 0, s, stub.RESULT, 2**31 - 1)),
            ("negative body length", struct.pack(">BBhBi", 0x84, 0, s, stub.RESULT, -5)),
            ("unknown opcode", stub.frame(s, 0x42, stub.void_body())),
            ("protocol v1 header", stub.frame(s, stub.RESULT, stub.void_body(), version=0x81)),
            ("v3 reply on a v4 connection", stub.frame(s, stub.RESULT, stub.void_body(), version=0x83)),
            ("request direction bit", stub.frame(s, stub.RESULT, stub.void_body(), version=0x04)),
            ("reply to an unused stream", stub.frame(s + 77, stub.RESULT, stub.void_body())),
            ("compressed without agreement", stub.frame(s, stub.RESULT, b"\x00\x00\x00\x04abcd", flags=0x01)),
        ]

    return cases


def hostile_server(stub, reply):
    """Answers handshake requests normally and every QUERY with reply(stub, frame) bytes."""

    def handle(conn, f):
        if f.opcode == stub.QUERY:
            text, _ = stub.parse_query(f)
            if text == "GOOD":
                conn.reply(f, stub.RESULT, good_rows(stub))
            else:
                conn.send(reply(f))
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    return stub.StubServer(handle)


# ------------------------------------------------------ per-request failures --


def test_bad_bodies_fail_only_their_request(stub):
    for name, body in body_cases(stub):
        with hostile_server(stub, lambda f, body=body: stub.frame(f.stream, stub.RESULT, body)) as server:
            conn = connect(server.port)
            with pytest.raises(_native.ProtocolError):
                conn.query("BAD", timeout=5)
            assert not conn.closed, name
            assert conn.query("GOOD", timeout=5)[0] == [{"k": 1, "v": "ok"}], name
            conn.close()


async def test_bad_bodies_fail_only_their_request_async(stub):
    for name, body in body_cases(stub):
        with hostile_server(stub, lambda f, body=body: stub.frame(f.stream, stub.RESULT, body)) as server:
            conn = await connect_async(server.port)
            with pytest.raises(_native.ProtocolError):
                await conn.query_async("BAD", timeout=5)
            assert not conn.closed, name
            assert (await conn.query_async("GOOD", timeout=5))[0] == [{"k": 1, "v": "ok"}], name
            conn.close()


def test_malformed_error_and_unexpected_replies(stub):
    replies = [
        lambda f: stub.frame(f.stream, stub.ERROR, stub.int32(0x1000)),  # no message, no details
        lambda f: stub.frame(f.stream, stub.ERROR, stub.int32(0x1000) + stub.string("x") + b"\x00"),
        lambda f: stub.frame(f.stream, stub.READY),  # READY is no answer to QUERY
        lambda f: stub.frame(f.stream, stub.QUERY, stub.void_body()),  # a request opcode
        lambda f: stub.frame(f.stream, stub.SUPPORTED, stub.short(1)),  # truncated multimap, wrong kind
        lambda f: stub.frame(f.stream, stub.RESULT, good_rows(stub), flags=0x02),  # tracing flag, no id
    ]
    for reply in replies:
        with hostile_server(stub, reply) as server:
            conn = connect(server.port)
            with pytest.raises(_native.ProtocolError):
                conn.query("BAD", timeout=5)
            assert conn.query("GOOD", timeout=5)[0]
            conn.close()


# -------------------------------------------------------- fatal to the stream --


def test_broken_framing_closes_the_connection_cleanly(stub):
    for name, _ in framing_cases(stub)(0):

        def reply(f, name=name):
            return dict(framing_cases(stub)(f.stream))[name]

        with hostile_server(stub, reply) as server:
            conn = connect(server.port)
            with pytest.raises(_native.ConnectionClosed) as info:
                conn.query("BAD", timeout=5)
            assert isinstance(info.value.__cause__, _native.ProtocolError), name
            assert conn.closed, name
            with pytest.raises(_native.ConnectionClosed):
                conn.query("GOOD", timeout=5)


async def test_broken_framing_closes_the_connection_cleanly_async(stub):
    for name, _ in framing_cases(stub)(0):

        def reply(f, name=name):
            return dict(framing_cases(stub)(f.stream))[name]

        with hostile_server(stub, reply) as server:
            conn = await connect_async(server.port)
            other = conn.query_async("GOOD-but-never", timeout=5)  # pending when the stream breaks
            with pytest.raises(_native.ConnectionClosed) as info:
                await conn.query_async("BAD", timeout=5)
            assert isinstance(info.value.__cause__, _native.ProtocolError), name
            with pytest.raises(_native.ConnectionClosed):
                await other
            assert conn.closed


def test_truncated_frame_then_close(stub):
    for cut in (3, 9, 20):

        def handle(conn, f, cut=cut):
            if f.opcode == stub.QUERY:
                conn.send(stub.frame(f.stream, stub.RESULT, good_rows(stub))[:cut])
                conn.close()
                return False
            conn.reply(f, stub.RESULT, stub.void_body())
            return True

        with stub.StubServer(handle) as server:
            conn = connect(server.port)
            with pytest.raises(_native.ConnectionClosed):
                conn.query("Q", timeout=5)


def test_truncated_frame_that_never_completes_times_out(stub):
    def handle(conn, f):
        if f.opcode == stub.QUERY:
            conn.send(stub.frame(f.stream, stub.RESULT, good_rows(stub))[:15])  # and then nothing
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        with pytest.raises(_native.OperationTimedOut):
            conn.query("Q", timeout=0.3)


def test_big_declared_length_does_not_allocate_up_front(stub):
    """A header announcing 200 MiB that never arrive costs a timeout, not 200 MiB."""

    def handle(conn, f):
        if f.opcode == stub.QUERY:
            conn.send(struct.pack(">BBhBI", 0x84, 0, f.stream, stub.RESULT, 200 << 20) + b"\x00" * 100)
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        with pytest.raises(_native.OperationTimedOut):
            conn.query("Q", timeout=0.3)
        assert conn.stats()["read_buffer"] <= 8 << 20
        conn.close()
    with stub.StubServer(handle) as server:
        small = connect(server.port, max_frame=1 << 20)
        with pytest.raises(_native.ConnectionClosed, match="over limit"):
            small.query("Q", timeout=5)


def test_garbage_and_byte_by_byte_replies(stub):
    """Noise closes the connection; a valid reply dribbled one byte at a time works."""

    def dribble(conn, f):
        if f.opcode == stub.QUERY:
            for b in stub.frame(f.stream, stub.RESULT, good_rows(stub)):
                conn.send(bytes([b]))
                time.sleep(0.0005)
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    with stub.StubServer(dribble) as server:
        conn = connect(server.port)
        assert conn.query("Q", timeout=5)[0] == [{"k": 1, "v": "ok"}]

    def noise(conn, f):
        conn.send(b"\xde\xad\xbe\xef" * 64)

    with stub.StubServer(noise, handshake=False) as server:
        conn = _native.Connection(open_fd(server.port))
        with pytest.raises(_native.ConnectionClosed):
            conn.options(timeout=5)


async def test_events_and_stream_minus_one_noise_are_harmless(stub):
    def handle(conn, f):
        if f.opcode == stub.QUERY:
            conn.send(stub.frame(-1, stub.EVENT, b"\x00\x01garbage"))  # malformed event: ignored
            conn.send(stub.frame(-1, stub.RESULT, stub.void_body()))  # not an event: ignored
            conn.reply(f, stub.RESULT, good_rows(stub))
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    with stub.StubServer(handle) as server:
        conn = await connect_async(server.port)
        conn.event_handler = lambda event: None
        assert (await conn.query_async("Q", timeout=5))[0] == [{"k": 1, "v": "ok"}]
        await asyncio.sleep(0)
        conn.close()
