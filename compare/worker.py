"""One driver's benchmark process: ``python -m compare.worker --driver NAME``.

The comparison starts one worker per driver and keeps it connected for the
whole run, sending it one command at a time as a JSON line on stdin and
reading one JSON line back. A process per driver keeps each driver's CPU time,
threads and memory apart (process CPU time then covers exactly one driver),
lets cassandra-driver run from its own environment, and keeps a crash or a
hang in one driver from taking the others down.

The worker's stdout and stderr (and so any driver's log noise, including
output written by compiled code) go to its log file; replies travel on a
duplicate of the original stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import logging
import os
import secrets
import sys
import threading
import time
import traceback
from typing import IO, Any

import coodie
import coodie.aio
import coodie.sync
from compare import stats
from compare.load import Budget, Outcome, run_async, run_sync
from compare.raw import RAW, RawDriver
from compare.workloads import (
    BY_NAME,
    DDL_KEYSPACE,
    KEYSPACE,
    KeySpace,
    build_models,
    drive_async,
    drive_sync,
    op_steps,
    seed_steps,
)
from coodie.batch import AsyncBatchQuery, BatchQuery
from coodie.drivers import backend_module
from coodie.drivers.base import AbstractDriver, ExecOptions, Statement

#: the PyPI distribution of each backend
PACKAGES = {
    "scylla": "scylla-driver",
    "cassandra": "cassandra-driver",
    "acsylla": "acsylla",
    "python-rs": "scylladb-rs-driver",
    "native": "coodie",
}
SCHEMA_TIMEOUT = 120.0


def wheel_facts(distribution: str) -> dict[str, Any]:
    """How the driver's package was installed: its wheel tags and installer, from its metadata."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return {"installed": False}
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    direct = dist.read_text("direct_url.json")
    return {
        "installed": True,
        "version": dist.version,
        "tags": tags,
        "installer": (dist.read_text("INSTALLER") or "").strip() or None,
        "from_source": direct is not None,
    }


class Worker:
    def __init__(self, driver_type: str, index: int, hosts: list[str]) -> None:
        self.driver_type = driver_type
        self.hosts = hosts
        self.loop = asyncio.new_event_loop()
        self.driver: AbstractDriver | None = None
        # table names of the DDL benchmark are new in every run, even after an interrupted one
        # left its keyspace behind: sync_table() must create, not find, them
        ddl_prefix = f"t_{driver_type.replace('-', '_')}_{secrets.token_hex(3)}"
        self.keys = KeySpace(base=(index + 1) * 2 * 10**8, ddl_prefix=ddl_prefix)
        self.sync_models = build_models(coodie.sync.Document, BatchQuery)
        self.aio_models = build_models(coodie.aio.Document, AsyncBatchQuery)
        self.raw: RawDriver | None = None
        self.probe: AbstractDriver | None = None
        self._threads_before = 0

    # ------------------------------------------------------------ commands --
    def hello(self, _: dict[str, Any]) -> dict[str, Any]:
        backend_module(self.driver_type)  # a missing package fails here, with the extra to install
        self.driver = self.loop.run_until_complete(
            coodie.init_coodie_async(hosts=self.hosts, driver_type=self.driver_type)
        )
        caps = self.driver.capabilities
        return {
            "package": PACKAGES[self.driver_type],
            "version": self.driver.driver_version(),
            "driver_name": self.driver.driver_name,
            "python": sys.version.split()[0],
            "executable_env": "own" if ".venvs" in sys.prefix else "main",
            "wheel": wheel_facts(PACKAGES[self.driver_type]),
            "capabilities": {
                name: getattr(caps, name) for name in type(caps).__dataclass_fields__ if name != "gaps"
            },
            "gaps": dict(caps.gaps),
            "pid": os.getpid(),
        }

    def prepare(self, command: dict[str, Any]) -> dict[str, Any]:
        assert self.driver is not None
        run = self.loop.run_until_complete
        ddl = ExecOptions(timeout=SCHEMA_TIMEOUT)
        for ks in (KEYSPACE, DDL_KEYSPACE):
            statement = Statement(
                f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = "
                "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                prepare=False,
            )
            run(self.driver.run_async(statement, ddl))
        m = self.aio_models
        for model in (m.Item, m.Event, m.Notification, m.Order, m.Reading):
            run(model.sync_table())
        if command.get("seed"):
            run(self._seed())
        for slot in range(64):
            run(m.Order(id=self.keys.key(slot), status="open").save())
        raw_type = RAW.get(self.driver_type, RawDriver)
        self.raw = raw_type(self.driver, self.keys.base + 10**8)
        run(self.raw.open())
        return {}

    async def _seed(self) -> None:
        steps = seed_steps(self.aio_models)
        for awaitable in steps:
            await awaitable

    def run(self, command: dict[str, Any]) -> dict[str, Any]:
        spec = BY_NAME[command["benchmark"]]
        api, concurrency, layer = command["api"], int(command["concurrency"]), command["layer"]
        budget = Budget(
            duration_s=float(command["duration_s"]),
            max_ops=command.get("max_ops") or spec.max_ops,
            rate=command.get("rate"),
        )
        if layer == "raw":
            outcome = self._run_raw(spec.name, api, concurrency, budget)
        elif api == "sync":
            steps = op_steps(spec.name, self.sync_models, coodie.sync.Document, self.keys)
            outcome = run_sync(lambda slot, i: drive_sync(steps(slot, i)), budget, concurrency)
        else:
            steps = op_steps(spec.name, self.aio_models, coodie.aio.Document, self.keys)
            outcome = self.loop.run_until_complete(
                run_async(lambda slot, i: drive_async(steps(slot, i)), budget, concurrency)
            )
        return _sample_reply(outcome)

    def _run_raw(self, name: str, api: str, concurrency: int, budget: Budget) -> Outcome:
        raw = self.raw
        if raw is None:
            raise RuntimeError("prepare was not run")
        if api == "sync":
            if not raw.has_sync:
                raise Unsupported(raw.reason or "the driver has no blocking API")
            return run_sync(raw.get if name == "get" else raw.save, budget, concurrency)
        if not raw.has_async:
            raise Unsupported(raw.reason or "the driver has no asyncio API")
        op = raw.get_async if name == "get" else raw.save_async
        return self.loop.run_until_complete(run_async(op, budget, concurrency))

    def probe_open(self, command: dict[str, Any]) -> dict[str, Any]:
        """Open a second driver with ``options`` (e.g. compression) and run one query on it;
        it stays open so the comparison can see its connections from the server's side."""
        self._threads_before = _driver_threads()
        self.probe = self.loop.run_until_complete(
            coodie.init_coodie_async(
                hosts=self.hosts, driver_type=self.driver_type, name="probe", **command.get("options", {})
            )
        )
        coodie.drivers.register_driver("default", self.driver, default=True)  # type: ignore[arg-type]
        statement = Statement("SELECT release_version FROM system.local")
        self.loop.run_until_complete(self.probe.run_async(statement))
        return {}

    def probe_close(self, _: dict[str, Any]) -> dict[str, Any]:
        """Close the second driver: does close succeed and release its threads?"""
        if self.probe is None:
            raise RuntimeError("probe_open was not run (or failed)")
        second, self.probe = self.probe, None
        started = time.perf_counter()
        error = None
        try:
            self.loop.run_until_complete(second.close_async())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        close_s = time.perf_counter() - started
        deadline = time.monotonic() + 2.0
        while _driver_threads() > self._threads_before and time.monotonic() < deadline:
            time.sleep(0.05)
        return {
            "close_error": error,
            "close_s": close_s,
            "threads_before": self._threads_before,
            "threads_after": _driver_threads(),
        }

    def close(self, _: dict[str, Any]) -> dict[str, Any]:
        error = None
        try:
            if self.raw is not None:
                self.loop.run_until_complete(self.raw.close())
            if self.driver is not None:
                self.loop.run_until_complete(self.driver.close_async())
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
        return {"close_error": error}

    def drop(self, _: dict[str, Any]) -> dict[str, Any]:
        """Drop the benchmark keyspaces (the last worker does it at the end of a run)."""
        assert self.driver is not None
        for ks in (DDL_KEYSPACE, KEYSPACE):
            statement = Statement(f"DROP KEYSPACE IF EXISTS {ks}", prepare=False)
            self.loop.run_until_complete(
                self.driver.run_async(statement, ExecOptions(timeout=SCHEMA_TIMEOUT))
            )
        return {}


def _driver_threads() -> int:
    """Live threads, less asyncio's default executor (coodie's blocking backends borrow it)."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith("asyncio_"))


class Unsupported(Exception):
    """This variant does not exist for this driver (e.g. no blocking API)."""


def _sample_reply(outcome: Outcome) -> dict[str, Any]:
    s = outcome.sample
    return {
        "ops": s.ops,
        "errors": s.errors,
        "first_error": outcome.first_error,
        "wall_s": s.wall_s,
        "cpu_s": s.cpu_s,
        "rss_mib": s.rss_mib,
        "target_rate_ops_s": s.target_rate_ops_s,
        "histogram": stats.encode(s.histogram),
    }


def serve(worker: Worker, replies: IO[str]) -> None:
    handlers = {
        "hello": worker.hello,
        "prepare": worker.prepare,
        "run": worker.run,
        "probe_open": worker.probe_open,
        "probe_close": worker.probe_close,
        "drop": worker.drop,
        "close": worker.close,
    }
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        name = command.get("cmd", "")
        try:
            reply: dict[str, Any] = {"ok": True, **handlers[name](command)}
        except Unsupported as exc:
            reply = {"ok": False, "unsupported": True, "error": str(exc)}
        except Exception as exc:
            logging.getLogger("compare.worker").error("%s failed:\n%s", name, traceback.format_exc())
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000]}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
        if name == "close":
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m compare.worker")
    parser.add_argument("--driver", required=True)
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--hosts", default="127.0.0.1")
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    # Replies get a private copy of stdout; fd 1 and 2 (Python, Rust, C++ alike) go to the log.
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    log = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    worker = Worker(args.driver, args.index, [h for h in args.hosts.split(",") if h])
    serve(worker, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
