"""The shape of ``data.json``: every number a comparison run measured, and
everything the reports say. The Markdown and HTML reports are rendered from
this document alone, so it is the one contract between measuring and
rendering.

All latencies are microseconds, CPU is microseconds of process CPU time
(every thread of the worker process) per operation, RSS is MiB.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

SCHEMA_VERSION = 1

#: the metrics kept per round; each gets a median/min/max summary over rounds
METRICS = (
    "p50_us",
    "p95_us",
    "p99_us",
    "p999_us",
    "max_us",
    "throughput_ops_s",
    "cpu_us_per_op",
    "rss_mib",
)
PERCENTILES = {"p50_us": 50.0, "p95_us": 95.0, "p99_us": 99.0, "p999_us": 99.9}

Api = Literal["sync", "async"]
Layer = Literal["odm", "raw"]


class RunInfo(TypedDict):
    id: str  # UTC timestamp, also the report folder's name
    started: str  # ISO 8601, UTC
    finished: str
    mode: Literal["quick", "default", "full"]
    rounds: int
    duration_s: float  # measured time per (driver, benchmark, variant) and round
    warmup_s: float
    load_fraction: float  # concurrency-64 runs are paced at this share of the calibrated rate
    drivers: list[str]  # as asked for, in interleaving order
    benchmarks: list[str]
    command: str


class Summary(TypedDict):
    median: float
    min: float
    max: float


class Round(TypedDict):
    round: int  # 1-based
    ops: int
    errors: int
    wall_s: float
    cpu_s: float
    throughput_ops_s: float
    cpu_us_per_op: float
    rss_mib: float
    #: paced (coordinated-omission-safe) runs: the intended rate; None for closed loops
    target_rate_ops_s: float | None
    mean_us: float
    p50_us: float
    p95_us: float
    p99_us: float
    p999_us: float
    max_us: float


class Result(TypedDict):
    driver: str
    benchmark: str
    layer: Layer  # "odm": through coodie's API; "raw": the driver's own prepared statement
    api: Api
    concurrency: int
    status: Literal["ok", "failed", "skipped"]
    reason: str | None
    rounds: list[Round]
    summary: dict[str, Summary]  # metric name (METRICS) → median/min/max over rounds


class Benchmark(TypedDict):
    name: str
    title: str
    description: str
    requests_per_op: int  # CQL requests one operation sends (0: no I/O)


class DriverInfo(TypedDict):
    status: Literal["ok", "missing", "failed"]
    reason: str | None
    package: str | None  # PyPI distribution
    version: str | None
    interpreter: str  # "main environment" / "own environment (cassandra-driver)"
    log: str | None  # the worker's log file, relative to the report folder
    #: the backend's capability flags (coodie.drivers.base.Capabilities), as its worker reported them
    capabilities: dict[str, bool]


class Fact(TypedDict):
    value: bool | str | None  # None: could not be established in this run
    evidence: str


class Environment(TypedDict):
    machine: dict[str, Any]  # cpu_model, cores, memory_bytes
    os: str
    python: str
    event_loop: str
    coodie_version: str
    server: dict[str, Any]  # release, hosts, node settings


class Data(TypedDict):
    schema_version: int
    run: RunInfo
    environment: Environment
    drivers: dict[str, DriverInfo]
    benchmarks: list[Benchmark]
    results: list[Result]
    #: merged integration matrix: {"source": str, "drivers": {driver: {...}}} (see compare.matrix)
    matrix: dict[str, Any]
    #: production-readiness facts: driver → fact name → Fact
    probes: dict[str, dict[str, Fact]]
    #: published claims (the driver notes' feature table): driver → dimension → claim text
    claims: dict[str, dict[str, str]]
    #: derived from everything above by compare.scorecard (stored so renderers stay dumb)
    scorecard: dict[str, Any]
    #: lines a reader must see: missing drivers, failed benchmarks, a node that was down
    problems: list[str]
