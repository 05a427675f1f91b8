"""Connection health: reconnection backoff, idle detection with a fake clock,
and dead connections found by heartbeats against a stub server."""

from __future__ import annotations

import asyncio
import time

import pytest

from coodie.native import Session
from coodie.native.health import Backoff, Heartbeat
from coodie.native.session import ConnectionOptions, Node, parse_contact_points


def test_backoff_grows_is_capped_and_jittered():
    top = Backoff(base=0.5, cap=8.0, rand=lambda: 1.0)
    assert [top.delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    low = Backoff(base=0.5, cap=8.0, rand=lambda: 0.0)
    assert [low.delay(n) for n in range(1, 5)] == [0.25, 0.5, 1.0, 2.0]
    real = Backoff(base=1.0, cap=4.0)
    assert all(0.5 <= real.delay(1) <= 1.0 for _ in range(50))
    assert real.ceiling(10_000) == 4.0
    with pytest.raises(ValueError):
        Backoff(base=2.0, cap=1.0)


def test_session_marks_down_with_growing_backoff():
    session = Session([Node("127.0.0.1", 1)], backoff=Backoff(base=1.0, cap=100.0, rand=lambda: 1.0))
    node = session.nodes[0]
    delays = []
    for _ in range(4):
        before = time.monotonic()
        session._mark_down(node, OSError("refused"))
        delays.append(round(node.down_until - before))
    assert delays == [1, 2, 4, 8] and node.failures == 4


class FakeNative:
    def __init__(self) -> None:
        self.frames = 0
        self.in_flight = 0
        self.closed = False
        self.fail = False
        self.beats = 0

    def stats(self):
        return {"frames_received": self.frames, "in_flight": self.in_flight}

    def options(self, timeout=None):
        self.beats += 1
        if self.fail:
            raise TimeoutError("no reply")
        self.frames += 1
        return {}

    def close(self):
        self.closed = True


class FakeConn:
    def __init__(self) -> None:
        self.native = FakeNative()


def test_idle_detection_with_a_fake_clock():
    now = [100.0]
    hb = Heartbeat(30.0, 1.0, clock=lambda: now[0])
    conn = FakeConn()
    dead = []
    assert not hb.due(conn)  # first sight
    now[0] += 29
    assert not hb.due(conn)
    conn.native.frames += 1  # traffic resets the idle time
    now[0] += 29
    assert not hb.due(conn)
    now[0] += 29
    assert not hb.due(conn)
    now[0] += 2
    assert hb.due(conn)
    assert hb.check([conn], lambda c, e: dead.append(c)) == 0 and conn.native.beats == 1
    now[0] += 10
    assert not hb.due(conn)  # the heartbeat's reply counts as traffic
    conn.native.in_flight = 1
    now[0] += 100
    assert not hb.due(conn)  # busy, not idle
    conn.native.in_flight = 0
    now[0] += 31
    conn.native.fail = True
    assert hb.check([conn], lambda c, e: dead.append((c, e))) == 1
    assert conn.native.closed and dead and isinstance(dead[0][1], TimeoutError)
    assert not Heartbeat(None).enabled and not Heartbeat(0).due(conn)


class FreezableServer:
    """Wraps a stub server so that its current connections can stop answering (half-dead)."""

    def __init__(self, stub) -> None:
        self._frozen: set[int] = set()
        outer = self

        class Server(stub.StubServer):
            def handle(self, conn, f):
                if id(conn) in outer._frozen:
                    return True  # read and ignore: no reply ever
                return super().handle(conn, f)

        self.server = Server()

    @property
    def frozen(self) -> bool:
        return bool(self._frozen)

    @frozen.setter
    def frozen(self, value: bool) -> None:
        self._frozen = {id(c) for c in self.server.connections} if value else set()


def _session(port: int, **kwargs) -> Session:
    return Session(
        parse_contact_points(["127.0.0.1"], port),
        ConnectionOptions(request_timeout=0.5),
        discover_peers=False,
        heartbeat_interval=0.2,
        backoff=Backoff(base=0.05, cap=0.1),
        **kwargs,
    )


def _wait(predicate, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_dead_blocking_connection_is_detected_and_replaced(stub):
    fs = FreezableServer(stub)
    with fs.server as server:
        session = _session(server.port)
        try:
            first = session.sync_conn()
            time.sleep(0.3)
            assert session.sync_conn() is first  # idle: a heartbeat, answered
            assert sum(f.opcode == stub.OPTIONS for f in server.connections[0].frames) == 2
            fs.frozen = True
            time.sleep(0.3)
            second = session.sync_conn()  # idle again: the heartbeat times out
            assert first.native.closed, "the unanswered heartbeat closed it"
            assert second is not first and not second.native.closed
            session.execute("SELECT 1", prepare=False)
        finally:
            session.close()


def test_dead_asyncio_connection_is_detected_and_replaced(stub):
    fs = FreezableServer(stub)
    with fs.server as server:
        session = _session(server.port)

        async def go() -> None:
            first = await session.async_conn()
            fs.frozen = True
            for _ in range(250):
                if first.native.closed:
                    break
                await asyncio.sleep(0.02)
            assert first.native.closed
            await asyncio.sleep(0.15)  # past the node's backoff
            second = await session.async_conn()
            assert second is not first
            await session.execute_async("SELECT 1", prepare=False)

        try:
            asyncio.run(go())
        finally:
            session.close()
