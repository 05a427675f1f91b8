#!/usr/bin/env python3
"""Client CPU and wall time per request, native driver against the others.

Every backend goes through coodie's driver contract (``driver.run`` /
``await driver.run_async``) with the same prepared SELECT by primary key that
returns one 8-column row (text, bigint, double, uuid, timestamp, boolean,
int). Blocking mode runs one request at a time on one thread; asyncio mode
keeps 1, 16 or 128 requests in flight with ``asyncio.gather``. CPU is the
whole process (driver threads included) from ``time.process_time``.

The "asyncio floor" row is the same gather harness awaiting futures resolved
by ``call_soon``: the cost of the event loop alone on this machine, which every
asyncio number includes.

Usage: python benchmarks/native_bench.py [--requests 20000] [--drivers native,scylla,acsylla,python-rs]
       [--depths 1,16,128] [--runs 3]   (best of --runs; needs a running node)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import platform
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from coodie.drivers import backend_module  # noqa: E402
from coodie.drivers.base import Statement  # noqa: E402

KS = "coodie_native_bench"
SELECT = f"SELECT * FROM {KS}.r8 WHERE id = ?"


def setup(host: str, port: int) -> None:
    driver = backend_module("native").create([host], port=port, discover_peers=False)
    run = driver.run
    run(
        Statement(
            f"CREATE KEYSPACE IF NOT EXISTS {KS} WITH replication = "
            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
            prepare=False,
        )
    )
    run(
        Statement(
            f"CREATE TABLE IF NOT EXISTS {KS}.r8 (id int PRIMARY KEY, a text, b bigint, c double, d uuid,"
            " e timestamp, f boolean, g int)",
            prepare=False,
        )
    )
    run(
        Statement(
            f"INSERT INTO {KS}.r8 (id, a, b, c, d, e, f, g) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (1, "hello world", 2**40, 1.5, uuid.uuid4(), dt.datetime.now(dt.timezone.utc), True, 7),
        )
    )
    driver.close()


def measure_sync(driver: Any, n: int) -> tuple[float, float]:
    stmt = Statement(SELECT, (1,))
    run = driver.run
    for _ in range(200):
        run(stmt)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        run(stmt)
    return (time.perf_counter() - t) / n * 1e6, (time.process_time() - c) / n * 1e6


async def measure_async(driver: Any, n: int, depth: int) -> tuple[float, float]:
    stmt = Statement(SELECT, (1,))
    run = driver.run_async
    for _ in range(3):
        await asyncio.gather(*(run(stmt) for _ in range(depth)))
    rounds = max(n // depth, 1)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        await asyncio.gather(*(run(stmt) for _ in range(depth)))
    done = rounds * depth
    return (time.perf_counter() - t) / done * 1e6, (time.process_time() - c) / done * 1e6


async def measure_floor(n: int, depth: int) -> tuple[float, float]:
    loop = asyncio.get_running_loop()
    row = [{"id": 1}]

    async def one() -> Any:
        f = loop.create_future()
        loop.call_soon(f.set_result, row)
        return await f

    rounds = max(n // depth, 1)
    t, c = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        await asyncio.gather(*(one() for _ in range(depth)))
    done = rounds * depth
    return (time.perf_counter() - t) / done * 1e6, (time.process_time() - c) / done * 1e6


def best(results: list[tuple[float, float]]) -> tuple[float, float]:
    return min(results, key=lambda r: r[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--drivers", default="native,scylla,acsylla,python-rs")
    parser.add_argument("--depths", default="1,16,128")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9042)
    args = parser.parse_args(argv)
    depths = [int(d) for d in args.depths.split(",")]
    setup(args.host, args.port)
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {platform.machine()}, stock asyncio"
    )
    print(f"# {args.requests} requests per measurement, best of {args.runs} (by CPU)")
    print(f"| {'driver':10} | {'mode':14} | {'us wall/req':>11} | {'us CPU/req':>10} |")
    print(f"|{'-' * 12}|{'-' * 16}|{'-' * 13}|{'-' * 12}|")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    for depth in depths:
        w, c = best([loop.run_until_complete(measure_floor(args.requests, depth)) for _ in range(args.runs)])
        print(f"| {'(floor)':10} | {'asyncio x' + str(depth):14} | {w:11.1f} | {c:10.2f} |", flush=True)
    for name in args.drivers.split(","):
        try:
            module = backend_module(name)
        except ImportError as error:
            print(f"| {name:10} | not installed: {error}")
            continue
        try:
            sync_driver = module.create([args.host], port=args.port)
        except Exception as error:
            print(f"| {name:10} | cannot connect: {error}")
            continue
        if sync_driver.capabilities.native_sync:
            w, c = best([measure_sync(sync_driver, args.requests // 4) for _ in range(args.runs)])
            print(f"| {name:10} | {'blocking x1':14} | {w:11.1f} | {c:10.2f} |", flush=True)
        sync_driver.close()
        driver = loop.run_until_complete(module.create_async([args.host], port=args.port))
        for depth in depths:
            w, c = best(
                [
                    loop.run_until_complete(measure_async(driver, args.requests, depth))
                    for _ in range(args.runs)
                ]
            )
            print(f"| {name:10} | {'asyncio x' + str(depth):14} | {w:11.1f} | {c:10.2f} |", flush=True)
        loop.run_until_complete(driver.close_async())
        importlib.invalidate_caches()
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
