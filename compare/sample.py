"""A synthetic but realistic ``data.json`` document (see :mod:`compare.model`) for the
renderer's tests: deterministic (seeded), with a failed result, skipped variants
(a driver without a blocking or an asyncio API of its own) and a missing driver.
Nothing here was measured."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from typing import Any

from compare import scorecard
from compare.claims import CLAIMS
from compare.facts import FACTS
from compare.model import (
    METRICS,
    SCHEMA_VERSION,
    Benchmark,
    Data,
    DriverInfo,
    Fact,
    Result,
    Round,
    Summary,
)
from compare.workloads import BY_NAME


@dataclass(frozen=True)
class _Driver:
    package: str
    version: str
    latency_us: float  # raw sync p50 of one round trip
    cpu_us: float  # raw client CPU per op
    rss_mib: float
    blocking: bool  # the driver has a blocking API of its own
    asyncio: bool  # ... and an asyncio one


_DRIVERS = {
    "native": _Driver("coodie", "0.1.0", 118.0, 21.0, 58.0, True, True),
    "scylla": _Driver("scylla-driver", "3.29.3", 236.0, 94.0, 91.0, True, False),
    "cassandra": _Driver("cassandra-driver", "3.29.2", 249.0, 101.0, 89.0, True, False),
    "acsylla": _Driver("acsylla", "1.0.0", 171.0, 38.0, 76.0, False, True),
    "python-rs": _Driver("scylladb-rs-driver", "0.2.1", 152.0, 33.0, 80.0, True, True),
}
_GENERIC = _Driver("example-driver", "1.0", 200.0, 60.0, 80.0, True, True)


@dataclass(frozen=True)
class _Bench:
    name: str
    title: str
    description: str
    requests_per_op: int
    latency: float  # × the driver's round trip
    cpu: float  # × the driver's CPU per op
    odm_us: float  # what the ODM adds to latency
    odm_cpu_us: float  # ... and to CPU


def _bench(name: str, latency: float, cpu: float, odm_us: float, odm_cpu_us: float) -> _Bench:
    spec = BY_NAME[name]  # the real benchmarks' names and texts
    return _Bench(name, spec.title, spec.description, spec.requests_per_op, latency, cpu, odm_us, odm_cpu_us)


_BENCHMARKS = (
    _bench("get", 1.0, 1.0, 14.0, 12.5),
    _bench("save", 1.12, 1.05, 19.0, 16.0),
    _bench("find_limit", 2.7, 4.2, 160.0, 150.0),
    _bench("batch_10", 2.1, 2.6, 95.0, 88.0),
)

#: invented fact values per driver (names: compare.facts.FACTS); None = not established
_FACT_VALUES: dict[str, dict[str, bool | str | None]] = {
    "native": {"installs_as_wheel": False, "native_sync": True, "native_async": True, "clean_close": True},
    "scylla": {"installs_as_wheel": True, "native_sync": True, "native_async": False, "clean_close": True},
    "cassandra": {
        "installs_as_wheel": True,
        "native_sync": True,
        "native_async": False,
        "compression": False,
    },
    "acsylla": {"installs_as_wheel": True, "native_sync": False, "native_async": True, "compression": False},
    "python-rs": {"installs_as_wheel": True, "native_sync": True, "native_async": True, "clean_close": False},
}
_FACT_DEFAULTS: dict[str, bool | str | None] = {
    "tls": None,
    "password_auth": True,
    "compression": True,
    "paging_resume": True,
    "batches": True,
    "per_request_timestamp": True,
    "clean_close": True,
    "protocol_version": "v4",
    "shard_awareness": None,
}

#: driver → capability → supported (as the integration matrix would find it)
_CAPABILITIES: dict[str, dict[str, bool]] = {
    "native": {
        "per_statement_timestamp": True,
        "lz4": True,
        "native_sync": True,
        "native_async": True,
        "collections_in_sets": True,
        "duration_nanoseconds": True,
        "decimal": True,
        "close": True,
    },
    "scylla": {
        "per_statement_timestamp": False,
        "lz4": True,
        "native_sync": True,
        "native_async": False,
        "collections_in_sets": True,
        "duration_nanoseconds": True,
        "decimal": True,
        "close": True,
    },
    "acsylla": {
        "per_statement_timestamp": True,
        "lz4": False,
        "native_sync": False,
        "native_async": True,
        "collections_in_sets": False,
        "duration_nanoseconds": True,
        "decimal": True,  # the published table says "no": the sample's one disagreement
        "close": True,
    },
}
_CAPABILITIES["cassandra"] = dict(_CAPABILITIES["scylla"])
_CAPABILITIES["python-rs"] = {
    **_CAPABILITIES["native"],
    "per_statement_timestamp": False,
    "collections_in_sets": False,
    "duration_nanoseconds": False,
    "close": False,
}
_GAP_REASONS = {
    "per_statement_timestamp": "the driver has no per-request write timestamp",
    "lz4": "the driver offers no protocol compression",
    "native_sync": "no blocking API: coodie's sync API runs it on a loop thread",
    "native_async": "no asyncio API: coodie wraps the driver's futures",
    "collections_in_sets": "sets of frozen collections come back as lists and cannot be hashed",
    "duration_nanoseconds": "durations lose their nanoseconds",
    "decimal": "decimal values are refused",
    "close": "closing leaves the connections open",
}


def _profile(driver: str) -> _Driver:
    return _DRIVERS.get(driver, _GENERIC)


#: (layer, api, concurrency): the ODM through both APIs, paced ×64 through asyncio, the raw driver
_VARIANTS = (
    ("odm", "sync", 1),
    ("odm", "async", 1),
    ("odm", "async", 64),
    ("raw", "sync", 1),
    ("raw", "async", 1),
)


def _summary(rounds: list[Round]) -> dict[str, Summary]:
    summary: dict[str, Summary] = {}
    for metric in METRICS:
        values = [float(r[metric]) for r in rounds]  # type: ignore[literal-required]
        summary[metric] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return summary


def _result(
    rng: random.Random,
    driver: str,
    bench: _Bench,
    layer: str,
    api: str,
    concurrency: int,
    rounds: int,
    duration_s: float,
    load_fraction: float,
) -> Result:
    profile = _profile(driver)
    base: Result = {
        "driver": driver,
        "benchmark": bench.name,
        "layer": "odm" if layer == "odm" else "raw",
        "api": "sync" if api == "sync" else "async",
        "concurrency": concurrency,
        "status": "ok",
        "reason": None,
        "rounds": [],
        "summary": {},
    }
    has_api = profile.blocking if api == "sync" else profile.asyncio
    if layer == "raw" and not has_api:
        kind = "blocking" if api == "sync" else "asyncio"
        return {**base, "status": "skipped", "reason": f"{profile.package} has no {kind} API of its own"}
    p50 = profile.latency_us * bench.latency
    cpu = profile.cpu_us * bench.cpu
    if layer == "odm":
        p50 += bench.odm_us
        cpu += bench.odm_cpu_us
    if not has_api:  # coodie bridges: a loop thread, or wrapped futures
        p50 += 22.0
        cpu += 9.0
    tails = (1.0, 1.32, 1.85, 3.9, 11.0)
    target: float | None = None
    if concurrency > 1:
        capacity = min(0.92e6 / cpu, concurrency * 1e6 / p50)
        target = round(load_fraction * capacity, -1)
        p50 *= 1.7
        cpu *= 0.86
        tails = (1.0, 1.6, 2.9, 6.2, 21.0)
    out: list[Round] = []
    for number in range(1, rounds + 1):
        drift = 1.0 + rng.gauss(0.0, 0.035)
        percentiles = [p50 * drift * factor * (1.0 + abs(rng.gauss(0.0, 0.04))) for factor in tails]
        for i in range(1, len(percentiles)):  # a histogram's percentiles never fall
            percentiles[i] = max(percentiles[i], percentiles[i - 1])
        mean = percentiles[0] * 1.09
        throughput = target * (1.0 - abs(rng.gauss(0.0, 0.004))) if target else 1e6 / mean
        wall = duration_s * (1.0 + abs(rng.gauss(0.0, 0.002)))
        ops = int(throughput * wall)
        cpu_per_op = cpu * (1.0 + rng.gauss(0.0, 0.03))
        errors = 3 if (concurrency > 1 and bench.name == "find_limit" and number == 2) else 0
        out.append(
            {
                "round": number,
                "ops": ops,
                "errors": errors,
                "wall_s": round(wall, 4),
                "cpu_s": round(cpu_per_op * ops / 1e6, 4),
                "throughput_ops_s": ops / wall,
                "cpu_us_per_op": cpu_per_op,
                "rss_mib": profile.rss_mib + (12.0 if concurrency > 1 else 0.0) + rng.uniform(0.0, 1.5),
                "target_rate_ops_s": target,
                "mean_us": mean,
                "p50_us": percentiles[0],
                "p95_us": percentiles[1],
                "p99_us": percentiles[2],
                "p999_us": percentiles[3],
                "max_us": percentiles[4],
            }
        )
    return {**base, "rounds": out, "summary": _summary(out)}


def _matrix(drivers: list[str], missing: str) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for driver in drivers:
        capabilities = _CAPABILITIES.get(driver, _CAPABILITIES["native"])
        gaps = {name: _GAP_REASONS[name] for name, ok in capabilities.items() if not ok}
        flavours = {}
        for flavour in ("sync", "aio"):
            counts = {
                "passed": 148 - 2 * len(gaps),
                "xfailed": 2 * len(gaps),
                "failed": 1 if (driver == "acsylla" and flavour == "sync") else 0,
                "error": 0,
                "xpassed": 0,
                "skipped": 3,
            }
            flavours[flavour] = counts
        total = {k: flavours["sync"][k] + flavours["aio"][k] for k in flavours["sync"]}
        profile = _profile(driver)
        entries[driver] = {
            "status": "ran",
            "driver": profile.package,
            "driver_version": profile.version,
            "flavors": flavours,
            "total": total,
            "capabilities": dict(capabilities),
            "gaps": gaps,
        }
    entries[missing] = {"status": "not run", "reason": f"{missing} is not installed"}
    return {"source": "tests/integration run in this comparison (pytest, junit XML)", "drivers": entries}


def _probes(drivers: list[str]) -> dict[str, dict[str, Fact]]:
    return {
        driver: {
            name: Fact(
                value={**_FACT_DEFAULTS, **_FACT_VALUES.get(driver, {})}.get(name),
                evidence=f"sample evidence for {name}",
            )
            for name, _ in FACTS
        }
        for driver in drivers
    }


def sample_data(
    drivers: tuple[str, ...] = ("native", "scylla", "acsylla"), rounds: int = 3, *, missing: str = "python-rs"
) -> Data:
    """A complete synthetic document: ``drivers`` measured, ``missing`` not installed,
    and the last measured driver's paced ``batch_save`` ODM run failed."""
    rng = random.Random(20250301)
    measured = [d for d in drivers if d != missing]
    duration_s, load_fraction = 5.0, 0.7
    results: list[Result] = []
    for bench in _BENCHMARKS:
        for driver in measured:
            for layer, api, concurrency in _VARIANTS:
                results.append(
                    _result(rng, driver, bench, layer, api, concurrency, rounds, duration_s, load_fraction)
                )
    failed_key = (measured[-1], "batch_10", "odm", "async", 64) if measured else None
    failure = "TimeoutError: 7 of 64 in-flight requests timed out after 12 s in round 1; variant abandoned"
    for i, result in enumerate(results):
        key = (result["driver"], result["benchmark"], result["layer"], result["api"], result["concurrency"])
        if key == failed_key:
            results[i] = {**result, "status": "failed", "reason": failure, "rounds": [], "summary": {}}
    driver_infos: dict[str, DriverInfo] = {}
    for driver in measured:
        profile = _profile(driver)
        driver_infos[driver] = {
            "status": "ok",
            "reason": None,
            "package": profile.package,
            "version": profile.version,
            "interpreter": "main environment",
            "log": f"logs/{driver}.log",
            "capabilities": dict(_CAPABILITIES.get(driver, _CAPABILITIES["native"])),
        }
    driver_infos[missing] = {
        "status": "missing",
        "reason": f"{_profile(missing).package} is not installed: pip install 'coodie[{missing}]'",
        "package": _profile(missing).package,
        "version": None,
        "interpreter": "main environment",
        "log": None,
        "capabilities": {},
    }
    probes = _probes([*measured, missing])
    matrix = _matrix(measured, missing)
    benchmarks: list[Benchmark] = [
        {"name": b.name, "title": b.title, "description": b.description, "requests_per_op": b.requests_per_op}
        for b in _BENCHMARKS
    ]
    claims = {d: CLAIMS[d] for d in measured if d in CLAIMS}
    problems = [f"{missing}: {driver_infos[missing]['reason']}"]
    if failed_key:
        problems.append(f"{failed_key[0]} batch_10 odm async ×64 failed: {failure}")
    problems.append("acsylla: 1 integration test failed in the sync flavour (test_paging_resume)")
    data: Data = {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": "20250301T101500Z",
            "started": "2025-03-01T10:15:00Z",
            "finished": "2025-03-01T10:41:37Z",
            "mode": "quick",
            "rounds": rounds,
            "duration_s": duration_s,
            "warmup_s": 1.0,
            "load_fraction": load_fraction,
            "drivers": [*measured, missing],
            "benchmarks": [b.name for b in _BENCHMARKS],
            "command": "python -m compare --mode quick",
        },
        "environment": {
            "machine": {"cpu_model": "AMD EPYC 7B13", "cores": 8, "memory_bytes": 34_359_738_368},
            "os": "Linux 6.1.0-31-amd64 (Debian GNU/Linux 12)",
            "python": "CPython 3.11.2",
            "event_loop": "uvloop 0.21.0",
            "coodie_version": "0.1.0",
            "server": {
                "release": "Apache Cassandra 5.0.3",
                "hosts": ["127.0.0.1:9042"],
                "settings": {
                    "num_tokens": 16,
                    "concurrent_reads": 32,
                    "concurrent_writes": 32,
                    "commitlog_sync": "periodic",
                    "heap": "2 GiB",
                },
            },
        },
        "drivers": driver_infos,
        "benchmarks": benchmarks,
        "results": results,
        "matrix": matrix,
        "probes": probes,
        "claims": claims,
        "scorecard": {},
        "problems": problems,
    }
    data["scorecard"] = scorecard.build(data)  # the real scorecard of the sample's numbers
    return data
