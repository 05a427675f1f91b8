"""Connection health: heartbeats on idle connections and reconnection backoff.

* :class:`Backoff` - how long a node that failed ``n`` times in a row is left
  alone: ``base * 2**(n-1)`` capped at ``cap``, with "equal jitter" (a random
  point in the upper half) so that clients do not retry in lockstep.
* :class:`Heartbeat` - watches connections. One that has received no frame and
  has nothing in flight for ``interval`` seconds gets an OPTIONS request; if
  that fails or times out the connection is closed and reported through
  ``on_dead`` (the session marks the node down and opens a new connection).
  The session starts no thread: a blocking connection is checked when it is
  handed out for a request, an asyncio connection by a ``call_later`` chain
  on its own loop.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from coodie.native.runner import Plan, call, run_async, run_blocking

DEFAULT_HEARTBEAT_INTERVAL = 30.0


class Backoff:
    """Exponential reconnection delays, capped, with jitter."""

    def __init__(
        self, base: float = 0.5, cap: float = 60.0, rand: Callable[[], float] = random.random
    ) -> None:
        if base <= 0 or cap < base:
            raise ValueError("need 0 < base <= cap")
        self.base = base
        self.cap = cap
        self.rand = rand

    def ceiling(self, failures: int) -> float:
        """The delay before jitter after ``failures`` consecutive failures (>= 1)."""
        exponent = min(max(failures, 1) - 1, 62)
        return min(self.cap, self.base * (2.0**exponent))

    def delay(self, failures: int) -> float:
        d = self.ceiling(failures)
        return d / 2 + self.rand() * d / 2


OnDead = Callable[[Any, BaseException], None]


class Heartbeat:
    """OPTIONS requests on idle connections; dead ones are closed and reported."""

    def __init__(
        self,
        interval: float | None = DEFAULT_HEARTBEAT_INTERVAL,
        timeout: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval if interval and interval > 0 else None
        self.timeout = timeout
        self.clock = clock
        self._seen: dict[int, tuple[int, float]] = {}  # id(native) -> (frames received, since)
        self._next_check = 0.0
        self._stop = threading.Event()

    @property
    def enabled(self) -> bool:
        return self.interval is not None

    # idleness ----------------------------------------------------------------
    def due(self, conn: Any) -> bool:
        """True when the connection has been idle (no frame received, nothing in flight) for ``interval``."""
        if self.interval is None or conn.native.closed:
            return False
        stats = conn.native.stats()
        frames = int(stats.get("frames_received", 0))
        now = self.clock()
        key = id(conn.native)
        seen = self._seen.get(key)
        if seen is None or seen[0] != frames or stats.get("in_flight", 0):
            self._seen[key] = (frames, now)
            return False
        return now - seen[1] >= self.interval

    def track(self, conn: Any) -> None:
        """Start the idle clock of a new connection."""
        if self.interval is not None:
            self._beaten(conn)

    def _beaten(self, conn: Any) -> None:
        self._seen[id(conn.native)] = (int(conn.native.stats().get("frames_received", 0)), self.clock())

    def _dead(self, conn: Any, error: BaseException, on_dead: OnDead) -> None:
        self._seen.pop(id(conn.native), None)
        conn.native.close()
        on_dead(conn, error)

    # heartbeats ----------------------------------------------------------------
    def beating(self, conn: Any, on_dead: OnDead) -> Plan[bool]:
        """One heartbeat, either mode; False (and the connection closed) if it failed."""
        try:
            yield call(conn.native, "options", self.timeout)
        except Exception as error:  # any failure means the connection is not usable
            self._dead(conn, error, on_dead)
            return False
        self._beaten(conn)
        return True

    def beat(self, conn: Any, on_dead: OnDead) -> bool:
        """One heartbeat on a blocking connection."""
        return run_blocking(self.beating(conn, on_dead))

    async def beat_async(self, conn: Any, on_dead: OnDead) -> bool:
        """One heartbeat on an asyncio connection."""
        return await run_async(self.beating(conn, on_dead))

    def check(self, conns: list[Any], on_dead: OnDead) -> int:
        """Heartbeat every due connection; the number that failed."""
        failed = 0
        for conn in conns:
            if self.due(conn) and not self.beat(conn, on_dead):
                failed += 1
        return failed

    def ensure(self, conn: Any, on_dead: OnDead) -> bool:
        """Before handing out a blocking connection: heartbeat it if it sat idle; False if it died.

        Checked at most once per ``interval / 4`` (the session starts no thread), so
        busy sessions pay one clock read per request.
        """
        if self.interval is None:
            return True
        now = self.clock()
        if now < self._next_check:
            return True
        self._next_check = now + self.interval / 4
        return not self.due(conn) or self.beat(conn, on_dead)

    def stop(self) -> None:
        self._stop.set()

    # asyncio connections ------------------------------------------------------------
    def watch_async(self, conn: Any, loop: asyncio.AbstractEventLoop, on_dead: OnDead) -> None:
        """Check one asyncio connection periodically on its loop until it or the loop closes."""
        if self.interval is None:
            return
        period = min(self.interval / 2, 1.0)
        tasks: set[asyncio.Task[bool]] = set()

        def tick() -> None:
            if self._stop.is_set() or conn.native.closed or loop.is_closed():
                self._seen.pop(id(conn.native), None)
                return
            if not tasks and self.due(conn):
                task = loop.create_task(self.beat_async(conn, on_dead))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            loop.call_later(period, tick)

        loop.call_later(period, tick)
