"""The C Connection against the stub server: handshake, requests, replies,
timeouts, threads, asyncio mode."""

from __future__ import annotations

import asyncio
import struct
import threading
import time
import uuid

import pytest

from coodie import _native

from .conftest import connect, connect_async, open_fd

COLS = [("k", "int"), ("v", "text"), ("u", "uuid")]
ROW = [struct.pack(">i", 1), b"one", uuid.UUID(int=5).bytes]
PREPARED_ID = b"\x01\x02\x03\x04"


def kv_handler(stub, *, delay: float = 0.0, log: list | None = None):
    """Answers SELECTs with one row, PREPARE with a statement of one int marker,
    EXECUTE with skip_metadata rows, BATCH with void; 'FAIL' queries with an error."""

    def handle(conn, f):
        if delay:
            time.sleep(delay)
        if f.opcode == stub.QUERY:
            text, qp = stub.parse_query(f)
            if log is not None:
                log.append((text, qp))
            if "FAIL" in text:
                extra = struct.pack(">H", 3) + stub.int32(3) + stub.int32(1)
                conn.reply(
                    f, stub.ERROR, stub.error_body(0x1000, "Cannot achieve consistency level THREE", extra)
                )
            elif text.startswith("USE"):
                conn.reply(f, stub.RESULT, stub.set_keyspace_body("ks1"))
            elif "PAGED" in text:
                conn.reply(f, stub.RESULT, stub.rows_body(COLS, [ROW], paging_state=b"next"))
            else:
                conn.reply(f, stub.RESULT, stub.rows_body(COLS, [ROW]))
        elif f.opcode == stub.PREPARE:
            conn.reply(f, stub.RESULT, stub.prepared_body(PREPARED_ID, [("k", "int")], COLS, [0]))
        elif f.opcode == stub.EXECUTE:
            sid, qp = stub.parse_execute(f)
            if log is not None:
                log.append((sid, qp))
            k = struct.unpack(">i", qp.values[0])[0]
            if k == 404:
                conn.reply(f, stub.ERROR, stub.error_body(0x2500, "unprepared", stub.short_bytes(sid)))
                return
            row = [qp.values[0], b"v%d" % k, uuid.UUID(int=k).bytes]
            conn.reply(f, stub.RESULT, stub.rows_body(COLS, [row], no_metadata=bool(qp.flags & 0x02)))
        elif f.opcode == stub.BATCH:
            if log is not None:
                log.append(stub.parse_batch(f))
            conn.reply(f, stub.RESULT, stub.void_body())
        else:
            conn.reply(f, stub.ERROR, stub.error_body(0x000A, "unexpected"))

    return handle


# ---------------------------------------------------------------- blocking --


def test_handshake_query_prepare_execute(stub):
    log: list = []
    with stub.StubServer(kv_handler(stub, log=log)) as server:
        conn = _native.Connection(open_fd(server.port))
        supported = conn.options(timeout=5)
        assert supported["COMPRESSION"] == ["lz4"]
        assert conn.startup({"CQL_VERSION": "3.0.0"}, timeout=5) is None
        rows, state, info = conn.query("SELECT * FROM t", timeout=5)
        assert rows == [{"k": 1, "v": "one", "u": uuid.UUID(int=5)}]
        assert state is None and info is None
        assert conn.query("USE ks1", timeout=5)[2] == "ks1"
        p = conn.prepare("SELECT * FROM t WHERE k = ?", timeout=5)
        assert p.id == PREPARED_ID and p.param_names == ("k",) and p.param_types == ("int",)
        assert p.result_names == ("k", "v", "u") and p.pk_indexes == (0,)
        assert p.bind([7]) == [struct.pack(">i", 7)]
        rows, state, _ = conn.execute(p, [7], 4, 100, b"ps", 9, 1234, 5)
        assert rows == [{"k": 7, "v": "v7", "u": uuid.UUID(int=7)}]
        sid, qp = log[-1]
        assert sid == PREPARED_ID
        assert qp.consistency == 4 and qp.page_size == 100 and qp.paging_state == b"ps"
        assert qp.serial_consistency == 9 and qp.timestamp == 1234
        assert qp.flags & 0x02, "skip_metadata: the prepared statement has result metadata"
        rows, state, _ = conn.query("SELECT PAGED", timeout=5)
        assert state == b"next"
        conn.close()
        assert conn.closed and conn.fileno() == -1


def test_batch_encodes_prepared_and_plain_statements(stub):
    log: list = []
    with stub.StubServer(kv_handler(stub, log=log)) as server:
        conn = connect(server.port)
        p = conn.prepare("INSERT ...", timeout=5)
        rows, _, _ = conn.batch(1, [(p, (1,)), ("DELETE FROM t", ()), (p, [2])], 6, 8, 99, 5)
        assert rows == []
        kind, stmts, consistency, flags = log[-1]
        assert kind == 1 and consistency == 6 and flags & 0x10 and flags & 0x20
        assert stmts == [
            (PREPARED_ID, [struct.pack(">i", 1)]),
            ("DELETE FROM t", []),
            (PREPARED_ID, [struct.pack(">i", 2)]),
        ]
        with pytest.raises(TypeError, match="must be prepared"):
            conn.batch(0, [("INSERT ?", (1,))])
        with pytest.raises(TypeError, match="expects CQL int"):
            conn.batch(0, [(p, ("x",))])
        assert conn.in_flight == 0
        conn.close()


def test_bind_errors_name_the_column_and_send_nothing(stub):
    log: list = []
    with stub.StubServer(kv_handler(stub, log=log)) as server:
        conn = connect(server.port)
        p = conn.prepare("SELECT", timeout=5)
        with pytest.raises(TypeError, match="column 'k' expects CQL int, got str 'x'"):
            conn.execute(p, ["x"])
        with pytest.raises(ValueError, match="1 bind markers but 2 values"):
            conn.execute(p, [1, 2])
        assert log == [] and conn.in_flight == 0
        assert conn.execute(p, [3], timeout=5)[0][0]["k"] == 3


def test_server_errors_carry_code_and_details(stub):
    with stub.StubServer(kv_handler(stub)) as server:
        conn = connect(server.port)
        with pytest.raises(_native.ServerError) as info:
            conn.query("FAIL", timeout=5)
        e = info.value
        assert e.code == 0x1000 and e.name == "Unavailable"
        assert e.info == {"consistency": "THREE", "required": 3, "alive": 1}
        assert "Cannot achieve consistency level THREE" in str(e) and "consistency=THREE" in str(e)
        assert type(e).__module__ == "cql" and issubclass(type(e), _native.Error)
        p = conn.prepare("SELECT", timeout=5)
        with pytest.raises(_native.ServerError) as info:
            conn.execute(p, [404], timeout=5)
        assert info.value.code == 0x2500 and info.value.info == {"id": PREPARED_ID}
        assert conn.query("SELECT", timeout=5)[0]  # still usable


def test_lz4_both_ways(stub):
    with stub.StubServer(kv_handler(stub)) as server:
        conn = connect(
            server.port, startup={"CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"}, compress_threshold=0
        )
        assert conn.compression == "lz4"
        assert conn.query("SELECT " + "x" * 3000, timeout=5)[0][0]["v"] == "one"
        assert server.connections[0].frames[-1].flags & 0x01, "the request went compressed"


def test_authentication(stub):
    with stub.StubServer(kv_handler(stub), users={"alice": "s3cret"}) as server:
        conn = _native.Connection(open_fd(server.port))
        assert (
            conn.startup({"CQL_VERSION": "3.0.0"}, timeout=5)
            == "org.apache.cassandra.auth.PasswordAuthenticator"
        )
        assert conn.authenticate(b"\x00alice\x00s3cret", timeout=5) == ("success", None)
        assert conn.query("SELECT", timeout=5)[0]
        conn.close()
        bad = _native.Connection(open_fd(server.port))
        bad.startup({"CQL_VERSION": "3.0.0"}, timeout=5)
        with pytest.raises(_native.ServerError) as info:
            bad.authenticate(b"\x00alice\x00wrong", timeout=5)
        assert info.value.code == 0x0100
        bad.close()


def test_timeout_orphans_the_stream_and_drops_the_late_reply(stub):
    gate = threading.Event()

    def handle(conn, f):
        text, _ = stub.parse_query(f)
        if text == "SLOW":
            gate.wait(5)
        conn.reply(f, stub.RESULT, stub.rows_body(COLS, [ROW]))

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        t0 = time.monotonic()
        with pytest.raises(_native.OperationTimedOut):
            conn.query("SLOW", timeout=0.2)
        assert 0.15 < time.monotonic() - t0 < 2
        assert conn.stats()["orphaned"] == 1
        gate.set()
        # the late reply is read while waiting for the next one, and dropped
        assert conn.query("FAST", timeout=5)[0][0]["k"] == 1
        assert conn.stats()["orphaned"] == 0 and conn.in_flight == 0


def test_threads_share_one_connection(stub):
    with stub.StubServer(kv_handler(stub, delay=0.001)) as server:
        conn = connect(server.port)
        p = conn.prepare("SELECT", timeout=5)
        errors: list[BaseException] = []

        def worker(base: int) -> None:
            try:
                for i in range(100):
                    k = base + i
                    rows, _, _ = conn.execute(p, [k], timeout=10)
                    assert rows[0]["k"] == k and rows[0]["u"] == uuid.UUID(int=k)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(1000 * n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert conn.in_flight == 0
        assert conn.stats()["frames_received"] == 802


def test_server_closing_fails_pending_requests(stub):
    def handle(conn, f):
        conn.close()
        return False

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        with pytest.raises(_native.ConnectionClosed, match="closed"):
            conn.query("SELECT", timeout=5)
        assert conn.closed
        with pytest.raises(_native.ConnectionClosed):
            conn.query("SELECT", timeout=5)


def test_close_wakes_blocked_threads(stub):
    def handle(conn, f):
        if f.opcode == stub.STARTUP:
            conn.reply(f, stub.READY)
        # other requests: never answered

    with stub.StubServer(handle, handshake=False) as server:
        conn = connect(server.port)
        caught: list[BaseException] = []

        def wait() -> None:
            try:
                conn.query("SELECT", timeout=30)
            except BaseException as error:
                caught.append(error)

        threads = [threading.Thread(target=wait) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        conn.close()
        for t in threads:
            t.join(5)
        assert len(caught) == 3 and all(isinstance(e, _native.ConnectionClosed) for e in caught)


def test_events_reach_the_handler(stub):
    seen: list = []

    def handle(conn, f):
        if f.opcode == stub.REGISTER:
            conn.reply(f, stub.READY)
            body = stub.string("SCHEMA_CHANGE") + stub.string("CREATED") + stub.string("TABLE")
            body += stub.string("ks") + stub.string("t")
            conn.send(stub.frame(-1, stub.EVENT, body))
        else:
            conn.reply(f, stub.RESULT, stub.void_body())

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        conn.event_handler = seen.append
        assert conn.register(["SCHEMA_CHANGE"], timeout=5) is None
        conn.query("SELECT", timeout=5)
        assert seen == [("SCHEMA_CHANGE", ("CREATED", "TABLE", "ks", "t"))]


# ------------------------------------------------------------------ asyncio --


async def test_async_requests_complete_futures(stub):
    with stub.StubServer(kv_handler(stub)) as server:
        conn = await connect_async(server.port)
        assert conn.loop is asyncio.get_running_loop()
        rows, _, _ = await conn.query_async("SELECT", timeout=5)
        assert rows[0]["v"] == "one"
        p = await conn.prepare_async("SELECT", timeout=5)
        results = await asyncio.gather(*(conn.execute_async(p, [i], timeout=5) for i in range(200)))
        assert [r[0][0]["k"] for r in results] == list(range(200))
        stats = conn.stats()
        # 200 requests made in one loop iteration leave in very few writes
        assert stats["send_calls"] < 20, stats
        with pytest.raises(_native.ServerError):
            await conn.query_async("FAIL", timeout=5)
        with pytest.raises(RuntimeError, match="attached"):
            conn.query("SELECT")
        conn.close()
        with pytest.raises(_native.ConnectionClosed):
            await conn.query_async("SELECT")


async def test_async_timeout_by_tick_and_cancellation(stub):
    gate = threading.Event()

    def handle(conn, f):
        text, _ = stub.parse_query(f)
        if text == "SLOW":
            gate.wait(5)
        conn.reply(f, stub.RESULT, stub.rows_body(COLS, [ROW]))

    with stub.StubServer(handle) as server:
        conn = await connect_async(server.port, tick=0.01)
        t0 = time.monotonic()
        with pytest.raises(_native.OperationTimedOut):
            await conn.query_async("SLOW", timeout=0.1)
        assert time.monotonic() - t0 < 1.5
        fut = conn.query_async("SLOW", timeout=10)
        fut.cancel()
        gate.set()
        assert (await conn.query_async("FAST", timeout=5))[0]
        await asyncio.sleep(0.05)
        assert conn.in_flight == 0 and conn.stats()["orphaned"] == 0
        conn.close()


async def test_async_server_close_fails_futures(stub):
    def handle(conn, f):
        conn.close()
        return False

    with stub.StubServer(handle) as server:
        conn = await connect_async(server.port)
        futs = [conn.query_async("SELECT", timeout=5) for _ in range(5)]
        for fut in futs:
            with pytest.raises(_native.ConnectionClosed):
                await fut
        assert conn.closed


def test_attach_needs_an_idle_connection_and_blocking_calls_refuse_after(stub):
    with stub.StubServer(kv_handler(stub)) as server:
        conn = connect(server.port)
        loop = asyncio.new_event_loop()
        try:
            conn.attach(loop)
            with pytest.raises(RuntimeError):
                conn.attach(loop)
            rows = loop.run_until_complete(conn.query_async("SELECT", timeout=5))[0]
            assert rows[0]["k"] == 1
            conn.close()
        finally:
            loop.close()


def test_constructor_checks(stub):
    with pytest.raises(ValueError):
        _native.Connection(-1)
    with stub.StubServer() as server:
        with pytest.raises(ValueError, match="max_streams"):
            _native.Connection(open_fd(server.port), max_streams=0)
        conn = _native.Connection(open_fd(server.port), max_streams=2)
        conn.startup({}, timeout=5)
        conn.close()
        conn.close()  # idempotent


def test_buffers_shrink_after_a_big_reply_and_the_fd_is_owned(stub):
    def handle(conn, f):
        text, _ = stub.parse_query(f)
        n = 3000 if text == "BIG" else 1
        rows = [[struct.pack(">i", i), b"x" * 1024, uuid.UUID(int=i).bytes] for i in range(n)]
        conn.reply(f, stub.RESULT, stub.rows_body(COLS, rows))

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        assert len(conn.query("BIG", timeout=10)[0]) == 3000
        assert conn.stats()["read_buffer"] > 1 << 20
        assert len(conn.query("SMALL", timeout=10)[0]) == 1
        assert conn.stats()["read_buffer"] <= 1 << 20
        conn.close()
        with pytest.raises(ValueError):
            _native.Connection(open_fd(server.port), max_streams=0)  # and the fd is closed


def test_asyncio_mode_on_uvloop(stub):
    """The same asyncio path on uvloop's add_reader/call_soon (only when uvloop is installed)."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario(port: int) -> None:
        conn = await connect_async(port)
        p = await conn.prepare_async("SELECT", timeout=5)
        results = await asyncio.gather(*(conn.execute_async(p, [i], timeout=5) for i in range(300)))
        assert [r[0][0]["k"] for r in results] == list(range(300))
        with pytest.raises(_native.ServerError):
            await conn.query_async("FAIL", timeout=5)
        conn.close()

    with stub.StubServer(kv_handler(stub)) as server:
        loop = uvloop.new_event_loop()
        try:
            loop.run_until_complete(scenario(server.port))
        finally:
            loop.close()


def test_a_server_that_stops_reading_makes_sends_time_out(stub):
    release = threading.Event()

    def handle(conn, f):
        release.wait(10)  # stops reading the socket
        conn.reply(f, stub.RESULT, stub.void_body())

    with stub.StubServer(handle) as server:
        conn = connect(server.port)
        first: list[BaseException] = []

        def blocked() -> None:
            try:
                conn.query("Q", timeout=10)
            except BaseException as error:
                first.append(error)

        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.2)  # the server is now stuck in its handler, not reading
        t0 = time.monotonic()
        with pytest.raises(_native.ConnectionClosed) as info:
            conn.query("X" * (32 << 20), timeout=0.5)  # more than the socket buffers hold
        assert "timed out" in str(info.value) and time.monotonic() - t0 < 5
        release.set()
        t.join(5)
        assert len(first) == 1 and isinstance(first[0], _native.ConnectionClosed)


def out_of_order_handler(stub):
    """Replies to each EXECUTE after a random 0-6 ms, so replies overtake each other."""
    import random

    def handle(conn, f):
        if f.opcode == stub.PREPARE:
            conn.reply(f, stub.RESULT, stub.prepared_body(PREPARED_ID, [("k", "int")], COLS, [0]))
            return
        _, qp = stub.parse_execute(f)
        k = struct.unpack(">i", qp.values[0])[0]
        row = [qp.values[0], b"v%d" % k, uuid.UUID(int=k).bytes]
        body = stub.rows_body(COLS, [row], no_metadata=True)
        threading.Timer(random.random() * 0.006, conn.reply, (f, stub.RESULT, body)).start()

    return handle


def test_stress_threads_with_timeouts_and_out_of_order_replies(stub):
    import random

    with stub.StubServer(out_of_order_handler(stub)) as server:
        conn = connect(server.port)
        p = conn.prepare("SELECT", timeout=5)
        bad: list[object] = []
        outcomes = {"ok": 0, "timeout": 0}
        lock = threading.Lock()

        def worker(base: int) -> None:
            rnd = random.Random(base)
            for i in range(150):
                k = base + i
                try:
                    rows, _, _ = conn.execute(p, [k], timeout=rnd.choice((0.002, 0.004, 5.0)))
                    if rows != [{"k": k, "v": f"v{k}", "u": uuid.UUID(int=k)}]:
                        bad.append(rows)
                    with lock:
                        outcomes["ok"] += 1
                except _native.OperationTimedOut:
                    with lock:
                        outcomes["timeout"] += 1
                except BaseException as error:
                    bad.append(error)

        threads = [threading.Thread(target=worker, args=(10_000 * n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert bad == []
        assert outcomes["ok"] > 0 and outcomes["timeout"] > 0, outcomes
        time.sleep(0.05)
        conn.options(timeout=5)  # reads the last late replies
        assert conn.in_flight == 0 and conn.stats()["orphaned"] == 0
        conn.close()


async def test_stress_asyncio_with_timeouts_cancellations_and_out_of_order_replies(stub):
    import random

    with stub.StubServer(out_of_order_handler(stub)) as server:
        conn = await connect_async(server.port, tick=0.001)
        p = await conn.prepare_async("SELECT", timeout=5)
        rnd = random.Random(7)
        futures = []
        for k in range(1500):
            fut = conn.execute_async(p, [k], timeout=rnd.choice((0.002, 0.004, 5.0)))
            if k % 7 == 0:
                fut.cancel()
            futures.append((k, fut))
            if k % 100 == 0:
                await asyncio.sleep(0.001)
        results = await asyncio.gather(*(f for _, f in futures), return_exceptions=True)
        kinds = set()
        for (k, _fut), res in zip(futures, results):
            if isinstance(res, BaseException):
                assert isinstance(res, (asyncio.CancelledError, _native.OperationTimedOut)), res
                kinds.add(type(res).__name__)
            else:
                assert res[0] == [{"k": k, "v": f"v{k}", "u": uuid.UUID(int=k)}]
                kinds.add("ok")
        assert kinds == {"ok", "CancelledError", "OperationTimedOut"}, kinds
        await asyncio.sleep(0.05)
        await conn.options_async(timeout=5)
        assert conn.in_flight == 0 and conn.stats()["orphaned"] == 0
        conn.close()


async def test_requests_beyond_the_stream_ids_wait_in_a_backlog(stub):
    with stub.StubServer(out_of_order_handler(stub)) as server:
        conn = await connect_async(server.port, max_streams=8)
        p = await conn.prepare_async("SELECT", timeout=5)
        futs = [conn.execute_async(p, [k], timeout=10) for k in range(500)]
        assert conn.stats()["backlog"] == 492
        results = await asyncio.gather(*futs)
        assert [r[0][0]["k"] for r in results] == list(range(500))
        assert conn.stats()["backlog"] == 0 and conn.in_flight == 0
        # backlogged requests time out by the tick like the others, and fail on close
        slow = [conn.execute_async(p, [k], timeout=0.001) for k in range(100)]
        done = await asyncio.gather(*slow, return_exceptions=True)
        assert any(isinstance(d, _native.OperationTimedOut) for d in done)
        pending = [conn.execute_async(p, [k], timeout=10) for k in range(50)]
        conn.close()
        for fut in pending:
            with pytest.raises(_native.ConnectionClosed):
                await fut


def test_threads_beyond_the_stream_ids_wait_for_one(stub):
    with stub.StubServer(out_of_order_handler(stub)) as server:
        conn = connect(server.port, max_streams=2)
        p = conn.prepare("SELECT", timeout=5)
        errors: list[BaseException] = []

        def worker(base: int) -> None:
            try:
                for i in range(50):
                    assert conn.execute(p, [base + i], timeout=10)[0][0]["k"] == base + i
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(1000 * n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        conn.close()
