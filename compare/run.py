"""One comparison run: the matrix, the workers, warm-up, interleaved rounds, probes,
and the data document the reports are rendered from."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compare import claims, facts, scorecard, stats
from compare import matrix as matrix_mod
from compare.environment import ROOT, SERVER_SETTINGS, describe, node_status
from compare.model import SCHEMA_VERSION, Data, DriverInfo, Result, RunInfo
from compare.progress import Progress
from compare.workers import WorkerError, WorkerProcess, interpreter
from compare.workloads import BY_NAME, Spec
from coodie.drivers import backend_module
from coodie.drivers.base import Statement

ALL_DRIVERS = ("native", "python-rs", "acsylla", "scylla", "cassandra")
HIGH_CONCURRENCY = 64


@dataclass(frozen=True)
class Mode:
    rounds: int
    duration_s: float
    warmup_s: float
    #: how the integration matrix and the secure suite are obtained
    matrix: str  # "run" | "subset" | "reuse" | "skip"
    secure: str  # "run" | "reuse" | "skip"


MODES = {
    "quick": Mode(rounds=2, duration_s=0.08, warmup_s=0.04, matrix="reuse", secure="reuse"),
    "default": Mode(rounds=3, duration_s=0.4, warmup_s=0.2, matrix="run", secure="run"),
    "full": Mode(rounds=5, duration_s=1.5, warmup_s=0.5, matrix="run", secure="run"),
}
#: the integration files whose tests establish readiness facts (a quick run's matrix)
SUBSET = ("test_paging.py", "test_batches.py")


@dataclass
class Settings:
    mode: str
    rounds: int
    duration_s: float
    warmup_s: float
    load_fraction: float
    drivers: list[str]
    benchmarks: list[str]
    hosts: list[str]
    out_root: Path
    matrix: str
    secure: str
    command: str


@dataclass(frozen=True)
class Variant:
    benchmark: str
    layer: str
    api: str
    concurrency: int

    @property
    def key(self) -> str:
        return f"{self.benchmark}/{self.layer}/{self.api}/{self.concurrency}"

    @property
    def paced(self) -> bool:
        return self.concurrency > 1


def variants(specs: list[Spec]) -> list[Variant]:
    out = []
    for spec in specs:
        shapes = [("sync", 1)]
        if spec.has_async:
            shapes.append(("async", 1))
        if spec.concurrent:
            shapes += [("async", HIGH_CONCURRENCY), ("sync", HIGH_CONCURRENCY)]
        for layer in ("odm", "raw") if spec.raw else ("odm",):
            out += [Variant(spec.name, layer, api, conc) for api, conc in shapes]
    return out


@dataclass
class DriverRun:
    """One driver's state during the run."""

    name: str
    info: DriverInfo
    worker: WorkerProcess | None = None
    hello: dict[str, Any] = field(default_factory=dict)
    connections: list[dict[str, Any]] = field(default_factory=list)
    compression: dict[str, Any] | None = None
    close: dict[str, Any] | None = None
    unsupported: dict[str, str] = field(default_factory=dict)
    failed_variants: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.info["status"] == "ok" and self.worker is not None and self.worker.alive


# ------------------------------------------------------------- the server --


class ServerView:
    """The comparison's own connection, to ask the server what it sees (its clients)."""

    def __init__(self, hosts: list[str]) -> None:
        self.driver = backend_module("native").create(hosts, discover_peers=False)

    def rows(self, cql: str) -> list[dict[str, Any]]:
        return self.driver.run(Statement(cql, prepare=False)).rows  # type: ignore[no-any-return]

    def clients(self) -> dict[tuple[str, int], dict[str, Any]]:
        rows = self.rows(
            "SELECT address, port, protocol_version, driver_name, driver_version, client_options, "
            "ssl_enabled FROM system_views.clients"
        )
        return {(str(r["address"]), int(r["port"])): _plain(r) for r in rows}

    def server(self) -> dict[str, Any]:
        release = self.rows("SELECT release_version FROM system.local")[0]["release_version"]
        settings = {
            r["name"]: r["value"]
            for r in self.rows("SELECT name, value FROM system_views.settings")
            if r["name"] in SERVER_SETTINGS
        }
        return {"release": str(release), "settings": settings, "node": node_status()}

    def close(self) -> None:
        self.driver.close()


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (dict(v) if isinstance(v, dict) else v if isinstance(v, (int, bool, type(None))) else str(v))
        for k, v in row.items()
    }


@contextmanager
def watching(view: ServerView | None) -> Iterator[list[dict[str, Any]]]:
    """The server's connections that appeared during the block."""
    seen: list[dict[str, Any]] = []
    before = view.clients() if view else {}
    yield seen
    if view:
        after = view.clients()
        seen.extend(v for k, v in after.items() if k not in before)


# ------------------------------------------------------------ the matrix --


def run_suite(out: Path, progress: Progress, drivers: list[str], suite: str, subset: bool) -> None:
    """Run the integration (or secure) suite for these drivers, results into ``out``."""
    env = {**os.environ, "COODIE_RESULTS_DIR": str(out)}
    main_drivers = [d for d in drivers if d != "cassandra"]
    jobs: list[tuple[str, list[str], Path]] = []
    tests = ["tests/integration"] if suite == "matrix" else ["tests/secure"]
    if suite == "matrix" and subset:
        tests = [f"tests/integration/{f}" for f in SUBSET]
    if main_drivers:
        jobs.append((",".join(main_drivers), main_drivers, Path(sys.executable)))
    if "cassandra" in drivers:
        jobs.append(("cassandra", ["cassandra"], interpreter("cassandra")))
    for label, names, python in jobs:
        if not python.exists():
            progress.note(f"{suite}: {label} skipped: {python} is missing")
            continue
        log = out / "logs" / f"{suite}-{label.replace(',', '+')}.log"
        command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests]
        if suite == "secure":
            command = ["sh", "tools/with-secure-node.sh", *command]
        progress.note(f"{suite}: {' '.join(names)} (log: {log.relative_to(out)})")
        with log.open("w") as f:
            subprocess.run(
                command,
                cwd=ROOT,
                env={**env, "COODIE_TEST_DRIVERS": ",".join(names)},
                stdout=f,
                stderr=subprocess.STDOUT,
                check=False,
            )


def obtain_results(settings: Settings, out: Path, progress: Progress, suite: str, how: str) -> dict[str, Any]:
    """The merged matrix (or secure suite) document: run now, reused from the last test run, or none."""
    if how in ("run", "subset"):
        run_suite(out, progress, settings.drivers, suite, subset=how == "subset")
        folder = out / suite
        merged = matrix_mod.merge_runs(folder) if folder.exists() else {"drivers": {}}
        scope = "this run" if how == "run" else f"this run (subset: {', '.join(SUBSET)})"
        merged["source"] = scope
        return merged
    if how == "reuse":
        folder = matrix_mod.results_dir(ROOT) / suite
        if folder.exists() and any(folder.glob("*.json")):
            merged = matrix_mod.merge_runs(folder)
            merged["source"] = f"reused from the last test run ({merged.get('generated', '?')})"
            return merged
        if suite == "matrix":
            progress.note("matrix: no earlier results to reuse; running the subset")
            return obtain_results(settings, out, progress, suite, "subset")
        return {"source": "not run (no earlier results to reuse)", "drivers": {}}
    return {"source": "skipped", "drivers": {}}


# --------------------------------------------------------------- the run --


class Comparison:
    def __init__(self, settings: Settings, progress: Progress) -> None:
        self.settings = settings
        self.progress = progress
        self.started = dt.datetime.now(dt.timezone.utc)
        self.run_id = self.started.strftime("%Y%m%dT%H%M%SZ")
        self.out = settings.out_root / self.run_id
        (self.out / "logs").mkdir(parents=True, exist_ok=True)
        self.problems: list[str] = []
        self.results: dict[tuple[str, str], Result] = {}
        self.specs = [BY_NAME[b] for b in settings.benchmarks]
        self.variants = variants(self.specs)
        self.drivers: dict[str, DriverRun] = {}
        self.view: ServerView | None = None

    def problem(self, line: str) -> None:
        self.problems.append(line)
        self.progress.note("problem: " + line)

    # ---------------------------------------------------------- phases --
    def execute(self) -> Data:
        server: dict[str, Any] = {}
        try:
            self.view = ServerView(self.settings.hosts)
            server = self.view.server()
        except Exception as exc:
            self.problem(
                f"the node at {', '.join(self.settings.hosts)} does not answer ({type(exc).__name__}: {exc}); "
                "start it with `make db-start` — no benchmark ran"
            )
            return self.document(server, {"source": "not run (node down)", "drivers": {}}, {"drivers": {}})
        matrix = obtain_results(self.settings, self.out, self.progress, "matrix", self.settings.matrix)
        try:
            self.start_workers()
            self.prepare()
            self.probe()
            self.measure()
        finally:
            self.stop_workers()
            if self.view:
                self.view.close()
        secure = obtain_results(self.settings, self.out, self.progress, "secure", self.settings.secure)
        return self.document(server, matrix, secure)

    def start_workers(self) -> None:
        for index, name in enumerate(self.settings.drivers):
            info = DriverInfo(
                status="ok",
                reason=None,
                package=None,
                version=None,
                interpreter="own environment" if name == "cassandra" else "main environment",
                log=f"logs/worker-{name}.log",
                capabilities={},
            )
            run = self.drivers[name] = DriverRun(name, info)
            self.progress.note(f"starting {name}")
            try:
                with watching(self.view) as seen:
                    run.worker = WorkerProcess(name, index, self.settings.hosts, self.out / info["log"])  # type: ignore[operator]
                    reply = run.worker.call({"cmd": "hello"}, timeout=120)
            except WorkerError as exc:
                self.driver_failed(run, f"could not start: {exc}")
                continue
            if not reply.get("ok"):
                error = str(reply.get("error"))
                missing = "not installed" in error or "No module named" in error
                info["status"] = "missing" if missing else "failed"
                info["reason"] = error
                self.problem(f"{name}: {'not installed' if missing else 'cannot connect'} — {error}")
                if run.worker:
                    run.worker.kill()
                continue
            run.hello = reply
            run.connections = seen
            info["package"], info["version"] = reply.get("package"), reply.get("version")
            info["capabilities"] = reply.get("capabilities", {})

    def driver_failed(self, run: DriverRun, why: str) -> None:
        run.info["status"] = "failed"
        run.info["reason"] = why
        self.problem(f"{run.name}: {why}; the other drivers go on")
        if run.worker is not None:
            run.worker.kill()

    def live(self) -> list[DriverRun]:
        return [r for r in self.drivers.values() if r.ok]

    def prepare(self) -> None:
        seeded = False
        for run in self.live():
            self.progress.note(f"preparing tables{' and seed rows' if not seeded else ''} ({run.name})")
            try:
                reply = run.worker.call({"cmd": "prepare", "seed": not seeded}, timeout=600)  # type: ignore[union-attr]
            except WorkerError as exc:
                self.driver_failed(run, f"prepare failed: {exc}")
                continue
            if not reply.get("ok"):
                self.driver_failed(run, f"prepare failed: {reply.get('error')}")
                continue
            seeded = True

    def probe(self) -> None:
        for run in self.live():
            worker = run.worker
            assert worker is not None
            try:
                with watching(self.view) as seen:
                    reply = worker.call({"cmd": "probe_open", "options": {"compression": "lz4"}}, timeout=120)
                run.compression = {
                    "error": None if reply.get("ok") else reply.get("error"),
                    "connections": seen,
                }
                if not reply.get("ok"):
                    reply = worker.call({"cmd": "probe_open", "options": {}}, timeout=120)
                if reply.get("ok"):
                    closed = worker.call({"cmd": "probe_close"}, timeout=120)
                    run.close = closed if closed.get("ok") else {"close_error": closed.get("error")}
            except WorkerError as exc:
                self.driver_failed(run, f"probe failed: {exc}")

    # ------------------------------------------------------ measuring --
    def plan(self) -> list[tuple[str, int, Variant, str]]:
        """(phase, round, variant, driver) in run order: warm-up, then interleaved rounds."""
        names = [r.name for r in self.live()]
        steps: list[tuple[str, int, Variant, str]] = []
        for v in self.variants:
            steps += [("warm-up", 0, v, d) for d in names]
        by_key = {v.key: v for v in self.variants}
        for rnd, key, d in stats.interleave(self.settings.rounds, list(by_key), names):
            steps.append(("round", rnd, by_key[key], d))
        return steps

    def measure(self) -> None:
        steps = self.plan()
        self.progress.start(len(steps), self.estimate(steps))
        for phase, rnd, variant, name in steps:
            run = self.drivers[name]
            label = f"{phase}{'' if phase == 'warm-up' else f' {rnd}/{self.settings.rounds}'}: {name} {variant.key}"
            self.progress.advance(label, self.step_estimate(phase, variant))
            if not run.ok or variant.key in run.unsupported or variant.key in run.failed_variants:
                continue
            self.one(run, phase, rnd, variant)
        self.progress.finish()

    def step_estimate(self, phase: str, variant: Variant) -> float:
        s = self.settings
        return (s.warmup_s if phase == "warm-up" else s.duration_s * (1.5 if variant.paced else 1.0)) + 0.05

    def estimate(self, steps: list[tuple[str, int, Variant, str]]) -> float:
        return sum(self.step_estimate(phase, v) for phase, _, v, _ in steps)

    def one(self, run: DriverRun, phase: str, rnd: int, variant: Variant) -> None:
        s = self.settings
        warm = phase == "warm-up"
        base = {
            "cmd": "run",
            "benchmark": variant.benchmark,
            "layer": variant.layer,
            "api": variant.api,
            "concurrency": variant.concurrency,
        }
        duration = s.warmup_s if warm else s.duration_s
        timeout = 120 + 60 * duration
        try:
            if variant.paced and not warm:
                closed = self.call(run, variant, {**base, "duration_s": duration / 2}, timeout)
                if closed is None:
                    return
                rate = max(_throughput(closed) * s.load_fraction, 1.0)
                paced = self.call(run, variant, {**base, "duration_s": duration, "rate": rate}, timeout)
                if paced is None:
                    return
                self.record(run, variant, rnd, paced, capacity=_throughput(closed))
                return
            reply = self.call(run, variant, {**base, "duration_s": duration}, timeout)
        except WorkerError as exc:
            self.driver_failed(run, f"{variant.key}: {exc}")
            return
        if reply is not None and not warm:
            self.record(run, variant, rnd, reply)

    def call(
        self, run: DriverRun, variant: Variant, command: dict[str, Any], timeout: float
    ) -> dict[str, Any] | None:
        assert run.worker is not None
        reply = run.worker.call(command, timeout)
        if reply.get("unsupported"):
            run.unsupported[variant.key] = str(reply.get("error"))
            return None
        if not reply.get("ok"):
            run.failed_variants[variant.key] = str(reply.get("error"))
            self.problem(f"{run.name} {variant.key}: {reply.get('error')}")
            return None
        if reply.get("ops", 0) == 0 and reply.get("errors", 0) > 0:
            run.failed_variants[variant.key] = f"every operation failed: {reply.get('first_error')}"
            self.problem(f"{run.name} {variant.key}: every operation failed: {reply.get('first_error')}")
            return None
        return reply

    def record(
        self, run: DriverRun, variant: Variant, rnd: int, reply: dict[str, Any], capacity: float | None = None
    ) -> None:
        sample = stats.Sample(
            ops=int(reply["ops"]),
            errors=int(reply["errors"]),
            wall_s=float(reply["wall_s"]),
            cpu_s=float(reply["cpu_s"]),
            rss_mib=float(reply["rss_mib"]),
            histogram=stats.decode(reply["histogram"]),
            target_rate_ops_s=reply.get("target_rate_ops_s"),
        )
        one = stats.to_round(rnd, sample)
        if capacity is not None:
            one["throughput_ops_s"] = capacity
        if reply.get("errors") and reply.get("first_error"):
            self.problem(
                f"{run.name} {variant.key} round {rnd}: {reply['errors']} error(s), e.g. {reply['first_error']}"
            )
        self.result(run.name, variant)["rounds"].append(one)

    def result(self, driver: str, variant: Variant) -> Result:
        key = (driver, variant.key)
        if key not in self.results:
            self.results[key] = Result(
                driver=driver,
                benchmark=variant.benchmark,
                layer=variant.layer,  # type: ignore[typeddict-item]
                api=variant.api,  # type: ignore[typeddict-item]
                concurrency=variant.concurrency,
                status="ok",
                reason=None,
                rounds=[],
                summary={},
            )
        return self.results[key]

    def stop_workers(self) -> None:
        live = self.live()
        if live and live[-1].worker is not None:
            with suppress(WorkerError):
                live[-1].worker.call({"cmd": "drop"}, timeout=300)
        for run in self.drivers.values():
            if run.worker is not None:
                run.worker.close()

    # ------------------------------------------------------- the document --
    def finish_results(self) -> list[Result]:
        out: list[Result] = []
        for name, run in self.drivers.items():
            if run.info["status"] == "missing":
                continue
            for v in self.variants:
                r = self.results.get((name, v.key)) or self.result(name, v)
                if v.key in run.unsupported:
                    r["status"], r["reason"] = "skipped", run.unsupported[v.key]
                elif v.key in run.failed_variants:
                    r["status"], r["reason"] = "failed", run.failed_variants[v.key]
                elif not r["rounds"]:
                    r["status"] = "failed"
                    r["reason"] = run.info["reason"] or "no round completed"
                r["summary"] = stats.summarize(r["rounds"])
                out.append(r)
        return out

    def document(self, server: dict[str, Any], matrix: dict[str, Any], secure: dict[str, Any]) -> Data:
        s = self.settings
        results = self.finish_results()
        for name in s.drivers:
            if name not in self.drivers:
                self.drivers[name] = DriverRun(
                    name,
                    DriverInfo(
                        status="failed",
                        reason="not started (node down)",
                        package=None,
                        version=None,
                        interpreter="",
                        log=None,
                        capabilities={},
                    ),
                )
        probes = {}
        for name, run in self.drivers.items():
            if run.info["status"] == "missing":
                continue
            mine = [r for r in results if r["driver"] == name and r["layer"] == "odm"]
            probes[name] = facts.collect(
                name,
                run.hello,
                run.connections,
                run.compression,
                run.close,
                matrix.get("drivers", {}).get(name),
                secure.get("drivers", {}).get(name),
                _worked(mine, "sync"),
                _worked(mine, "async"),
            )
        data = Data(
            schema_version=SCHEMA_VERSION,
            run=RunInfo(
                id=self.run_id,
                started=self.started.isoformat(timespec="seconds"),
                finished=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                mode=s.mode,  # type: ignore[typeddict-item]
                rounds=s.rounds,
                duration_s=s.duration_s,
                warmup_s=s.warmup_s,
                load_fraction=s.load_fraction,
                drivers=list(s.drivers),
                benchmarks=list(s.benchmarks),
                command=s.command,
            ),
            environment=describe("asyncio (stock event loop)", server),
            drivers={name: run.info for name, run in self.drivers.items()},
            benchmarks=[spec.describe() for spec in self.specs],
            results=results,
            matrix=matrix,
            probes=probes,
            claims={d: claims.CLAIMS[d] for d in s.drivers if d in claims.CLAIMS},
            scorecard={},
            problems=self.problems,
        )
        data["scorecard"] = scorecard.build(data)
        data["environment"]["server"]["secure_suite"] = secure.get("source")
        return data


def _throughput(reply: dict[str, Any]) -> float:
    return stats.throughput(int(reply.get("ops", 0)), float(reply.get("wall_s", 0.0)))


def _worked(results: list[Result], api: str) -> bool | None:
    mine = [r for r in results if r["api"] == api]
    if not mine:
        return None
    return any(r["rounds"] for r in mine)


def publish(data: Data, out_root: Path, write: Callable[[Data, Path], None]) -> Path:
    """Write data.json and the reports into the run's folder; point ``latest`` at it."""
    import json

    folder = out_root / data["run"]["id"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    write(data, folder)
    latest = out_root / "latest"
    if latest.is_symlink() or latest.exists():
        if latest.is_dir() and not latest.is_symlink():
            shutil.rmtree(latest)
        else:
            latest.unlink()
    latest.symlink_to(folder.name)
    return folder
