"""The scorecard: every verdict derived from the run's data, none typed by hand.

- API completeness: the backend's capability flags and its pass rate in the
  integration matrix;
- performance: for every benchmark variant through coodie's API, each driver's
  p50 latency and CPU per operation divided by the best driver's (1.00 = best),
  and the best throughput divided by the driver's; summarised per driver as
  geometric means (so one benchmark cannot dominate);
- ODM overhead: coodie's ``get``/``save`` minus the raw driver's prepared
  statement on the same session (asyncio, one in flight);
- readiness facts (``compare.facts``) beside the published claims (``compare.claims``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from compare import claims as claims_mod
from compare.facts import FACTS
from compare.matrix import RATED
from compare.model import Data, Result
from compare.stats import geometric_mean
from compare.workloads import BY_NAME

OVERHEAD_VARIANT = ("async", 1)


def _median(result: Result, metric: str) -> float | None:
    summary = result["summary"].get(metric)
    return summary["median"] if summary else None


def _variant(r: Result) -> tuple[str, str, str, int]:
    return (r["benchmark"], r["layer"], r["api"], r["concurrency"])


def relative(results: list[Result]) -> list[dict[str, Any]]:
    """Per benchmark variant: the best driver and every driver's ratios to the best."""
    groups: dict[tuple[str, str, str, int], list[Result]] = defaultdict(list)
    for r in results:
        if (
            r["status"] == "ok"
            and r["summary"]
            and BY_NAME.get(r["benchmark"])
            and BY_NAME[r["benchmark"]].io
        ):
            groups[_variant(r)].append(r)
    rows: list[dict[str, Any]] = []
    for (bench, layer, api, conc), members in groups.items():
        p50 = {r["driver"]: _median(r, "p50_us") for r in members}
        cpu = {r["driver"]: _median(r, "cpu_us_per_op") for r in members}
        tput = {r["driver"]: _median(r, "throughput_ops_s") for r in members}
        best_p50 = min((v for v in p50.values() if v), default=None)
        best_cpu = min((v for v in cpu.values() if v), default=None)
        best_tput = max((v for v in tput.values() if v), default=None)
        ratios: dict[str, dict[str, float]] = {}
        for d in p50:
            ratios[d] = {}
            if best_p50 and p50[d]:
                ratios[d]["p50_us"] = p50[d] / best_p50  # type: ignore[operator]
            if best_cpu and cpu[d]:
                ratios[d]["cpu_us_per_op"] = cpu[d] / best_cpu  # type: ignore[operator]
            if best_tput and tput[d]:
                ratios[d]["throughput_ops_s"] = best_tput / tput[d]  # type: ignore[operator]
        best = min((d for d in p50 if p50[d]), key=lambda d: p50[d] or 0.0, default=None)
        rows.append(
            {
                "benchmark": bench,
                "layer": layer,
                "api": api,
                "concurrency": conc,
                "best_driver": best,
                "ratios": ratios,
            }
        )
    return rows


def performance(rows: list[dict[str, Any]], driver: str) -> dict[str, Any]:
    mine = [r for r in rows if r["layer"] == "odm" and driver in r["ratios"] and len(r["ratios"]) > 1]

    def mean(metric: str) -> float | None:
        return geometric_mean(r["ratios"][driver][metric] for r in mine if metric in r["ratios"][driver])

    return {
        "latency_vs_best": mean("p50_us"),
        "cpu_vs_best": mean("cpu_us_per_op"),
        "throughput_vs_best": mean("throughput_ops_s"),
        "wins": sum(1 for r in mine if r["best_driver"] == driver),
        "compared": len(mine),
    }


def overhead_rows(results: list[Result]) -> list[dict[str, Any]]:
    """coodie over the raw driver, for every variant both layers ran."""
    by_key = {(r["driver"], *_variant(r)): r for r in results if r["status"] == "ok" and r["summary"]}
    rows = []
    for (driver, bench, layer, api, conc), raw in by_key.items():
        if layer != "raw":
            continue
        odm = by_key.get((driver, bench, "odm", api, conc))
        if odm is None:
            continue
        row: dict[str, Any] = {"driver": driver, "benchmark": bench, "api": api, "concurrency": conc}
        for metric in ("p50_us", "cpu_us_per_op"):
            o, w = _median(odm, metric), _median(raw, metric)
            row[f"odm_{metric}"], row[f"raw_{metric}"] = o, w
            row[f"delta_{metric}"] = (o - w) if o is not None and w is not None else None
        rows.append(row)
    return sorted(rows, key=lambda r: (r["benchmark"], r["api"], r["concurrency"], r["driver"]))


def odm_overhead(rows: list[dict[str, Any]], driver: str) -> dict[str, Any]:
    api, conc = OVERHEAD_VARIANT
    out: dict[str, Any] = {}
    for bench in ("get", "save"):
        hit = next(
            (
                r
                for r in rows
                if r["driver"] == driver
                and r["benchmark"] == bench
                and r["api"] == api
                and r["concurrency"] == conc
            ),
            None,
        )
        out[bench] = (
            {"p50_us": hit["delta_p50_us"], "cpu_us_per_op": hit["delta_cpu_us_per_op"]} if hit else None
        )
    return out


def api_completeness(capabilities: dict[str, bool], matrix_entry: dict[str, Any] | None) -> dict[str, Any]:
    flags = [v for v in capabilities.values() if isinstance(v, bool)]
    total = (matrix_entry or {}).get("total") or {}
    rated = sum(int(total.get(k, 0)) for k in RATED)
    return {
        "capabilities_true": sum(flags),
        "capabilities_total": len(flags),
        "matrix_passed": int(total.get("passed", 0)),
        "matrix_total": rated,
        "matrix_pass_rate": int(total.get("passed", 0)) / rated if rated else None,
    }


def build(data: Data) -> dict[str, Any]:
    """The scorecard of ``data``: derived from the document alone, so it can be rebuilt from
    any ``data.json``."""
    rows = relative(data["results"])
    overhead = overhead_rows(data["results"])
    matrix_drivers = data["matrix"].get("drivers", {})
    drivers: dict[str, Any] = {}
    versus: list[dict[str, Any]] = []
    for driver, info in data["drivers"].items():
        if info["status"] == "missing":
            continue
        facts = data["probes"].get(driver, {})
        claimed = data["claims"].get(driver, {})
        disagree = []
        for dimension, claim in claimed.items():
            fact = facts.get(dimension)
            measured = fact["value"] if fact else None
            agree = claims_mod.agrees(claim, measured)
            if agree is False:
                disagree.append(dimension)
            versus.append(
                {
                    "dimension": claims_mod.DIMENSIONS.get(dimension, dimension),
                    "driver": driver,
                    "claim": claim,
                    "measured": "–"
                    if measured is None
                    else ("yes" if measured is True else "no" if measured is False else str(measured)),
                    "agree": agree,
                }
            )
        drivers[driver] = {
            "api": api_completeness(info.get("capabilities", {}), matrix_drivers.get(driver)),
            "performance": performance(rows, driver),
            "odm_overhead": odm_overhead(overhead, driver),
            "facts": facts,
            "claims_disagree": [claims_mod.DIMENSIONS.get(d, d) for d in disagree],
        }
    return {
        "facts": [{"name": name, "title": title} for name, title in FACTS],
        "drivers": drivers,
        "relative": rows,
        "overhead": overhead,
        "claims_vs_measured": versus,
        "claims_source": claims_mod.SOURCE,
    }
