"""Load loops: run one operation again and again for a time, and measure it.

Four shapes, one per (API, concurrency):

- blocking, one at a time, and asyncio, one at a time: closed loops; the
  latency of an operation is its service time;
- asyncio tasks and blocking threads, many in flight: when given a rate, each
  operation has an *intended* start time ``t0 + i / rate`` and its latency is
  measured from that time, not from when a free worker got round to it.
  A stall in the client or the server then shows in the latency of every
  operation that should have started during it (no coordinated omission).
  Without a rate the loop is closed: as many in flight as workers, as fast as
  they go — this is how the rate is calibrated.

Every loop reports process CPU time (``time.process_time``: every thread of the
process, so driver I/O threads are counted) and the RSS at its end.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from compare.stats import Sample, new_histogram, record

SyncOp = Callable[[int, int], Any]  # (slot, sequence number) → anything
AsyncOp = Callable[[int, int], Awaitable[Any]]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_mib() -> float:
    """Resident set size now, MiB (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


@dataclass
class Budget:
    """How long a run lasts: ``duration_s``, but never more than ``max_ops`` operations."""

    duration_s: float
    max_ops: int | None = None
    rate: float | None = None  # operations per second for paced loops; None = closed loop


@dataclass
class _Tally:
    ops: int = 0
    errors: int = 0
    first_error: str | None = None
    issued: int = 0
    histogram: Any = field(default_factory=new_histogram)

    def failed(self, error: BaseException) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = f"{type(error).__name__}: {error}"[:500]


@dataclass(frozen=True)
class Outcome:
    sample: Sample
    first_error: str | None


def _outcome(tally: _Tally, wall: float, cpu: float, rate: float | None) -> Outcome:
    sample = Sample(
        ops=tally.ops,
        errors=tally.errors,
        wall_s=wall,
        cpu_s=cpu,
        rss_mib=rss_mib(),
        histogram=tally.histogram,
        target_rate_ops_s=rate,
    )
    return Outcome(sample, tally.first_error)


def _more(tally: _Tally, budget: Budget, now: float, deadline: float) -> bool:
    if budget.max_ops is not None and tally.issued >= budget.max_ops:
        return False
    return now < deadline


# ------------------------------------------------------------- blocking --


def run_sync(op: SyncOp, budget: Budget, concurrency: int = 1) -> Outcome:
    """Blocking API: one caller, or ``concurrency`` threads sharing the driver."""
    if concurrency == 1:
        return _sync_serial(op, budget)
    return _sync_threads(op, budget, concurrency)


def _sync_serial(op: SyncOp, budget: Budget) -> Outcome:
    tally = _Tally()
    clock = time.perf_counter
    cpu0, t0 = time.process_time(), clock()
    deadline = t0 + budget.duration_s
    while _more(tally, budget, clock(), deadline):
        i = tally.issued
        tally.issued += 1
        start = clock()
        try:
            op(0, i)
        except Exception as error:
            tally.failed(error)
            continue
        record(tally.histogram, clock() - start)
        tally.ops += 1
    return _outcome(tally, clock() - t0, time.process_time() - cpu0, None)


def _sync_threads(op: SyncOp, budget: Budget, concurrency: int) -> Outcome:
    tally = _Tally()
    lock = threading.Lock()
    clock = time.perf_counter
    rate = budget.rate
    go = threading.Event()
    t0 = 0.0
    deadline = 0.0

    def ticket() -> tuple[int, float] | None:
        with lock:
            now = clock()
            intended = t0 + tally.issued / rate if rate else now
            if not _more(tally, budget, intended if rate else now, deadline):
                return None
            i = tally.issued
            tally.issued += 1
            return i, intended

    def worker(slot: int) -> None:
        go.wait()
        while (t := ticket()) is not None:
            i, intended = t
            wait = intended - clock()
            if wait > 0:
                time.sleep(wait)
            try:
                op(slot, i)
            except Exception as error:
                with lock:
                    tally.failed(error)
                continue
            done = clock()
            with lock:
                record(tally.histogram, done - intended)
                tally.ops += 1

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in range(concurrency)]
    for t in threads:
        t.start()
    cpu0 = time.process_time()
    t0 = clock()
    deadline = t0 + budget.duration_s
    go.set()
    for t in threads:
        t.join()
    return _outcome(tally, clock() - t0, time.process_time() - cpu0, rate)


# -------------------------------------------------------------- asyncio --


async def run_async(op: AsyncOp, budget: Budget, concurrency: int = 1) -> Outcome:
    """asyncio API: ``concurrency`` tasks on the running loop (one task = a closed loop)."""
    tally = _Tally()
    clock = time.perf_counter
    rate = budget.rate
    cpu0, t0 = time.process_time(), clock()
    deadline = t0 + budget.duration_s

    async def worker(slot: int) -> None:
        while True:
            now = clock()
            intended = t0 + tally.issued / rate if rate else now
            if not _more(tally, budget, intended, deadline):
                return
            i = tally.issued
            tally.issued += 1
            if intended > now:
                await asyncio.sleep(intended - now)
            try:
                await op(slot, i)
            except Exception as error:
                tally.failed(error)
                continue
            record(tally.histogram, clock() - intended)
            tally.ops += 1

    await asyncio.gather(*(worker(s) for s in range(concurrency)))
    return _outcome(tally, clock() - t0, time.process_time() - cpu0, rate)
