#!/usr/bin/env python3
"""No-leak check of the native driver: many requests, flat RSS.

Runs N requests (1,000,000 by default) against a node through every path that
allocates: prepared SELECTs decoding every CQL type (skip_metadata plans),
INSERTs encoding them, unprepared queries (a plan per result), paged reads
(paging state), server errors (exception objects), bind errors refused before
any I/O, client-side timeouts (orphaned stream ids, late replies), batches;
in asyncio mode (128 requests in flight) and in blocking mode (4 threads
sharing one connection). RSS is sampled after a warm-up and at the end, after
gc.collect(); the check fails when it grew by more than --tolerance (5 %).

Usage: python benchmarks/native_leak_check.py [--requests 1000000] [--host H] [--port P]
Exit status 0 when RSS stayed flat, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import decimal
import gc
import ipaddress
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coodie.native.session import BatchKind, ConnectionOptions, Node, Session  # noqa: E402
from coodie.types import CqlDuration  # noqa: E402

COLS = "k, c, i, bi, vi, de, d, b, t, bl, u, ip, da, tm, ts, du, l, s, m, tp, ad"
INSERT = f"INSERT INTO items ({COLS}) VALUES ({', '.join('?' * 21)})"
SELECT = "SELECT * FROM items WHERE k = ? AND c = ?"
PAGED = "SELECT k, c, t FROM items WHERE k = ?"
ASYNC_IN_FLIGHT = 128
THREADS = 4


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def values(k: int, c: int) -> list[Any]:
    return [
        k, c, -c, 2**40 + c, 10**30 + c, decimal.Decimal(f"{c}.25"), 0.5 * c, c % 2 == 0, f"text {c} \u00e9",
        bytes(range(c % 50)), uuid.UUID(int=c + 1), ipaddress.ip_address("10.0.0.1"), dt.date(2000, 1, 1 + c % 28),
        c * 10**9, dt.datetime(2020, 1, 1, c % 24, tzinfo=dt.timezone.utc), CqlDuration(1, c, 5), [c, c + 1],
        {"a", str(c)}, {"x": c}, (c, "y"), {"street": "s", "zip": c},
    ]  # fmt: skip


def setup(session: Session, ks: str) -> None:
    q = session.execute
    q(
        f"CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}",
        prepare=False,
    )
    q(f"USE {ks}", prepare=False)
    q("CREATE TYPE addr (street text, zip int)", prepare=False)
    q(
        "CREATE TABLE items (k int, c int, i int, bi bigint, vi varint, de decimal, d double, b boolean, t text,"
        " bl blob, u uuid, ip inet, da date, tm time, ts timestamp, du duration, l list<int>, s set<text>,"
        " m map<text, int>, tp frozen<tuple<int, text>>, ad frozen<addr>, PRIMARY KEY (k, c))",
        prepare=False,
        timeout=60,
    )
    for c in range(16):
        q(INSERT, values(1, c))


class Counter:
    def __init__(self) -> None:
        self.done = 0
        self.errors = 0
        self.lock = threading.Lock()


def one_sync(session: Session, n: int) -> None:
    """The n-th request of the mix (blocking)."""
    kind = n % 10
    c = n % 16
    if kind <= 3:
        session.execute(SELECT, [1, c])
    elif kind == 4:
        session.execute(INSERT, values(1, c))
    elif kind == 5:
        session.execute(f"SELECT k, c, t, de, ts FROM items WHERE k = 1 AND c = {c}", prepare=False)
    elif kind == 6:
        session.execute(PAGED, [1], page_size=5)
    elif kind == 7:
        with contextlib.suppress(Exception):
            session.execute("SELECT nope FROM items", prepare=False)
    elif kind == 8:
        with contextlib.suppress(TypeError, ValueError):
            session.execute(SELECT, ["not an int", c])
    else:
        if n % 20 == 9:
            with contextlib.suppress(Exception):
                session.execute(SELECT, [1, c], timeout=0.000001)
        else:
            session.batch(BatchKind.UNLOGGED, [(INSERT, values(1, c)), (INSERT, values(1, (c + 1) % 16))])


async def one_async(session: Session, n: int) -> None:
    kind = n % 10
    c = n % 16
    if kind <= 3:
        await session.execute_async(SELECT, [1, c])
    elif kind == 4:
        await session.execute_async(INSERT, values(1, c))
    elif kind == 5:
        await session.execute_async(
            f"SELECT k, c, t, de, ts FROM items WHERE k = 1 AND c = {c}", prepare=False
        )
    elif kind == 6:
        await session.execute_async(PAGED, [1], page_size=5)
    elif kind == 7:
        with contextlib.suppress(Exception):
            await session.execute_async("SELECT nope FROM items", prepare=False)
    elif kind == 8:
        with contextlib.suppress(TypeError, ValueError):
            await session.execute_async(SELECT, ["not an int", c])
    else:
        if n % 20 == 9:
            with contextlib.suppress(Exception):
                await session.execute_async(SELECT, [1, c], timeout=0.000001)
        else:
            await session.batch_async(
                BatchKind.UNLOGGED, [(INSERT, values(1, c)), (INSERT, values(1, (c + 1) % 16))]
            )


def run_sync(session: Session, start: int, count: int) -> None:
    def worker(offset: int) -> None:
        for n in range(start + offset, start + count, THREADS):
            one_sync(session, n)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


async def run_async(session: Session, start: int, count: int) -> None:
    n = start
    end = start + count
    while n < end:
        batch = range(n, min(n + ASYNC_IN_FLIGHT, end))
        await asyncio.gather(*(one_async(session, i) for i in batch))
        n = batch.stop


def run(session: Session, loop: asyncio.AbstractEventLoop, start: int, count: int) -> None:
    """Half the requests in asyncio mode, half in blocking mode, in chunks."""
    chunk = 10_000
    n = start
    while n < start + count:
        size = min(chunk, start + count - n)
        if (n // chunk) % 2 == 0:
            loop.run_until_complete(run_async(session, n, size))
        else:
            run_sync(session, n, size)
        n += size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--warmup", type=int, default=100_000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    parser.add_argument("--tolerance", type=float, default=0.05)
    args = parser.parse_args(argv)

    ks = f"coodie_leak_{int(time.time())}_{os.getpid()}"
    session = Session(
        [Node(args.host, args.port)], ConnectionOptions(request_timeout=30), discover_peers=False
    )
    loop = asyncio.new_event_loop()
    try:
        setup(session, ks)
        t0 = time.perf_counter()
        run(session, loop, 0, args.warmup)
        gc.collect()
        base = rss_kib()
        print(f"warm-up: {args.warmup} requests, RSS {base / 1024:.1f} MiB", flush=True)
        samples = [base]
        step = max(args.requests // 10, 1)
        done = 0
        t1, cpu1 = time.perf_counter(), time.process_time()
        while done < args.requests:
            size = min(step, args.requests - done)
            run(session, loop, args.warmup + done, size)
            done += size
            gc.collect()
            samples.append(rss_kib())
            print(f"  {done:>9} requests  RSS {samples[-1] / 1024:.1f} MiB", flush=True)
        wall = time.perf_counter() - t1
        cpu = time.process_time() - cpu1
    finally:
        with contextlib.suppress(Exception):
            session.execute(f"DROP KEYSPACE IF EXISTS {ks}", prepare=False, timeout=120)
        session.close()
        loop.close()
    final = samples[-1]
    growth = (final - base) / base
    print(
        f"{args.requests} requests in {wall:.1f} s ({args.requests / wall:,.0f} req/s, "
        f"{cpu / args.requests * 1e6:.1f} us client CPU per request); total {time.perf_counter() - t0:.1f} s"
    )
    print(f"RSS after warm-up {base / 1024:.1f} MiB, at the end {final / 1024:.1f} MiB: {growth:+.2%}")
    print(f"max RSS {max(samples) / 1024:.1f} MiB; samples (MiB): {[round(s / 1024, 1) for s in samples]}")
    if growth > args.tolerance:
        print(f"FAIL: RSS grew by more than {args.tolerance:.0%}")
        return 1
    print(f"OK: RSS flat within {args.tolerance:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
