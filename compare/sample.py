"""A synthetic but realistic ``data.json`` document (see :mod:`compare.model`) for the
renderer's tests: deterministic (seeded), with a failed result, skipped variants
(a driver without a blocking or an asyncio API of its own) and a missing driver.
Nothing here was measured."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from typing import Any

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


_BENCHMARKS = (
    _Bench("get", "Read one row by key", "`Item.get(id=...)` on a 9-column row.", 1, 1.0, 1.0, 14.0, 12.5),
    _Bench("save", "Insert one row", "`Item(...).save()` of a 9-column row.", 1, 1.12, 1.05, 19.0, 16.0),
    _Bench(
        "query_page",
        "Read a 100-row partition",
        "`Item.find(bucket=...).limit(100).all()`, one page.",
        1,
        2.7,
        4.2,
        160.0,
        150.0,
    ),
    _Bench(
        "batch_save",
        "Save 10 rows in a logged batch",
        "`BatchQuery` of 10 inserts into one partition.",
        1,
        2.1,
        2.6,
        95.0,
        88.0,
    ),
)

_FACTS = (
    ("installs_as_wheel", "installs from PyPI as a wheel"),
    ("wheel_platforms", "wheels for"),
    ("python_versions", "supports Python"),
    ("last_release", "last release"),
    ("license", "license"),
    ("shard_aware", "shard-aware routing"),
    ("tls_handshake", "TLS handshake with the node"),
    ("clean_close", "closes without leaked threads or sockets"),
)

_FACT_VALUES: dict[str, dict[str, bool | str | None]] = {
    "native": {
        "installs_as_wheel": "built with coodie",
        "wheel_platforms": "built from source",
        "python_versions": "3.10–3.13",
        "last_release": "unreleased",
        "license": "Apache-2.0",
        "shard_aware": False,
        "tls_handshake": None,
        "clean_close": True,
    },
    "scylla": {
        "installs_as_wheel": True,
        "wheel_platforms": "Linux x86-64/aarch64, macOS, Windows",
        "python_versions": "3.9–3.13",
        "last_release": "2025-01-14",
        "license": "Apache-2.0",
        "shard_aware": True,
        "tls_handshake": None,
        "clean_close": True,
    },
    "cassandra": {
        "installs_as_wheel": True,
        "wheel_platforms": "Linux x86-64/aarch64, macOS, Windows",
        "python_versions": "3.9–3.13",
        "last_release": "2024-08-06",
        "license": "Apache-2.0",
        "shard_aware": False,
        "tls_handshake": None,
        "clean_close": True,
    },
    "acsylla": {
        "installs_as_wheel": True,
        "wheel_platforms": "Linux x86-64",
        "python_versions": "3.8–3.12",
        "last_release": "2024-10-02",
        "license": "Apache-2.0",
        "shard_aware": True,
        "tls_handshake": None,
        "clean_close": True,
    },
    "python-rs": {
        "installs_as_wheel": True,
        "wheel_platforms": "Linux x86-64/aarch64, macOS",
        "python_versions": "3.9–3.13",
        "last_release": "2025-02-20",
        "license": "Apache-2.0 OR MIT",
        "shard_aware": True,
        "tls_handshake": None,
        "clean_close": False,
    },
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
_PUBLISHED_NO = {("acsylla", "decimal")}  # claims the sample's matrix contradicts


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
        errors = 3 if (concurrency > 1 and bench.name == "query_page" and number == 2) else 0
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


def _geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def _scorecard(
    drivers: list[str], results: list[Result], matrix: dict[str, Any], probes: dict[str, dict[str, Fact]]
) -> dict[str, Any]:
    ok = [r for r in results if r["status"] == "ok"]
    groups: dict[tuple[str, str, int, str], list[Result]] = {}
    for r in ok:
        groups.setdefault((r["benchmark"], r["api"], r["concurrency"], r["layer"]), []).append(r)
    relative = []
    ratios: dict[str, dict[str, list[float]]] = {d: {"lat": [], "cpu": [], "tput": []} for d in drivers}
    wins = dict.fromkeys(drivers, 0)
    compared = dict.fromkeys(drivers, 0)
    for (bench, api, concurrency, layer), members in groups.items():
        if len(members) < 2:
            continue
        best_lat = min(m["summary"]["p50_us"]["median"] for m in members)
        best_cpu = min(m["summary"]["cpu_us_per_op"]["median"] for m in members)
        best_tput = max(m["summary"]["throughput_ops_s"]["median"] for m in members)
        best = min(members, key=lambda m: m["summary"]["p50_us"]["median"])["driver"]
        entry_ratios = {}
        for m in members:
            lat = m["summary"]["p50_us"]["median"] / best_lat
            cpu = m["summary"]["cpu_us_per_op"]["median"] / best_cpu
            entry_ratios[m["driver"]] = {"p50_us": lat, "cpu_us_per_op": cpu}
            ratios[m["driver"]]["lat"].append(lat)
            ratios[m["driver"]]["cpu"].append(cpu)
            ratios[m["driver"]]["tput"].append(best_tput / m["summary"]["throughput_ops_s"]["median"])
            compared[m["driver"]] += 1
        wins[best] += 1
        relative.append(
            {
                "benchmark": bench,
                "api": api,
                "concurrency": concurrency,
                "layer": layer,
                "best_driver": best,
                "ratios": entry_ratios,
            }
        )

    def overhead(driver: str, bench: str) -> dict[str, float] | None:
        by_key = {
            (r["layer"], r["api"], r["concurrency"]): r
            for r in ok
            if r["driver"] == driver and r["benchmark"] == bench
        }
        for api in ("async", "sync"):
            odm, raw = by_key.get(("odm", api, 1)), by_key.get(("raw", api, 1))
            if odm and raw:
                return {
                    metric: odm["summary"][metric]["median"] - raw["summary"][metric]["median"]
                    for metric in ("p50_us", "cpu_us_per_op")
                }
        return None

    claims_vs_measured = []
    disagree: dict[str, list[str]] = {d: [] for d in drivers}
    for driver in drivers:
        capabilities = matrix["drivers"][driver]["capabilities"]
        for dimension in ("per_statement_timestamp", "lz4", "native_async", "decimal"):
            claimed = (driver, dimension) not in _PUBLISHED_NO and capabilities[dimension]
            measured = capabilities[dimension]
            claims_vs_measured.append(
                {
                    "dimension": dimension,
                    "driver": driver,
                    "claim": "yes" if claimed else "no",
                    "measured": "yes" if measured else "no",
                    "agree": claimed == measured,
                }
            )
            if claimed != measured:
                disagree[driver].append(dimension)
        claims_vs_measured.append(
            {
                "dimension": "shard_aware",
                "driver": driver,
                "claim": "yes" if _FACT_VALUES.get(driver, {}).get("shard_aware") else "no",
                "measured": "not measured (one node)",
                "agree": None,
            }
        )

    per_driver: dict[str, Any] = {}
    for driver in drivers:
        entry = matrix["drivers"][driver]
        capabilities = entry["capabilities"]
        passed = entry["total"]["passed"]
        total = sum(entry["total"][k] for k in ("passed", "failed", "error", "xpassed", "xfailed"))
        per_driver[driver] = {
            "api": {
                "capabilities_true": sum(1 for v in capabilities.values() if v),
                "capabilities_total": len(capabilities),
                "matrix_passed": passed,
                "matrix_total": total,
                "matrix_pass_rate": passed / total if total else None,
            },
            "performance": {
                "latency_vs_best": _geomean(ratios[driver]["lat"]),
                "cpu_vs_best": _geomean(ratios[driver]["cpu"]),
                "throughput_vs_best": _geomean(ratios[driver]["tput"]),
                "wins": wins[driver],
                "compared": compared[driver],
            },
            "odm_overhead": {"get": overhead(driver, "get"), "save": overhead(driver, "save")},
            "facts": {name: dict(fact) for name, fact in probes.get(driver, {}).items()},
            "claims_disagree": disagree[driver],
        }
    return {
        "facts": [{"name": name, "title": title} for name, title in _FACTS],
        "drivers": per_driver,
        "relative": relative,
        "claims_vs_measured": claims_vs_measured,
    }


def _probes(drivers: list[str]) -> dict[str, dict[str, Fact]]:
    probes: dict[str, dict[str, Fact]] = {}
    for driver in drivers:
        values = _FACT_VALUES.get(driver, _FACT_VALUES["scylla"])
        facts: dict[str, Fact] = {}
        for name, _ in _FACTS:
            value = values.get(name)
            evidence = {
                "installs_as_wheel": "pip install --only-binary=:all: in a fresh environment",
                "tls_handshake": "not checked: the node of this run has no TLS",
                "clean_close": "threads and sockets of the worker process before and after close()",
                "shard_aware": "the driver's documentation",
            }.get(name, "package metadata (pip show, the release's files)")
            facts[name] = {"value": value, "evidence": evidence}
        probes[driver] = facts
    return probes


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
    failed_key = (measured[-1], "batch_save", "odm", "async", 64) if measured else None
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
        }
    driver_infos[missing] = {
        "status": "missing",
        "reason": f"{_profile(missing).package} is not installed: pip install 'coodie[{missing}]'",
        "package": _profile(missing).package,
        "version": None,
        "interpreter": "main environment",
        "log": None,
    }
    probes = _probes([*measured, missing])
    matrix = _matrix(measured, missing)
    benchmarks: list[Benchmark] = [
        {"name": b.name, "title": b.title, "description": b.description, "requests_per_op": b.requests_per_op}
        for b in _BENCHMARKS
    ]
    claims = {
        d: {
            dim: ("no" if (d, dim) in _PUBLISHED_NO else ("yes" if ok else "no"))
            for dim, ok in matrix["drivers"][d]["capabilities"].items()
        }
        for d in measured
    }
    problems = [f"{missing}: {driver_infos[missing]['reason']}"]
    if failed_key:
        problems.append(f"{failed_key[0]} batch_save odm async ×64 failed: {failure}")
    problems.append("acsylla: 1 integration test failed in the sync flavour (test_paging_resume)")
    return {
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
        "scorecard": _scorecard(measured, results, matrix, probes),
        "problems": problems,
    }
