"""Render one comparison run (a ``data.json`` document, see :mod:`compare.model`)
into ``report.md`` with its plots as PNG files, and a self-contained ``report.html``
carrying the same content with the plots inline.

Both reports are built from one list of blocks (headings, tables, plots, ...), so
they hold the same content in the same order. Every number goes through
:func:`fmt`, the one place that decides how a value is written.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import statistics
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from compare.model import Data, Result

MISSING = "–"

# ------------------------------------------------------------------ numbers --

_MICROSECONDS = {"p50_us", "p95_us", "p99_us", "p999_us", "max_us", "mean_us", "cpu_us_per_op", "us"}


def _three_digits(value: float) -> str:
    size = abs(value)
    if size < 9.995:
        return f"{value:.2f}"
    if size < 99.95:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def fmt(value: float | None, metric: str) -> str:
    """``value`` as the reports write it. ``metric`` is a name from
    :data:`compare.model.METRICS` or a kind: ``us``, ``delta_us`` (signed µs),
    ``ratio``, ``percent`` (a fraction), ``int``, ``seconds``, ``gib`` (bytes).
    A missing value (None, NaN) is written as ``–``."""
    if value is None:
        return MISSING
    number = float(value)
    if not math.isfinite(number):
        return MISSING
    if metric in _MICROSECONDS:
        return _three_digits(number)
    if metric == "delta_us":
        return ("+" if number >= 0 else "−") + _three_digits(abs(number))
    if metric in ("throughput_ops_s", "ops"):
        return f"{number:,.0f}"
    if metric == "rss_mib":
        return f"{number:,.1f}"
    if metric == "ratio":
        return f"{number:.2f}×"
    if metric == "percent":
        return f"{number * 100:.1f} %"
    if metric == "int":
        return f"{round(number):d}"
    if metric == "seconds":
        return f"{number:g} s"
    if metric == "gib":
        return f"{number / 2**30:.1f} GiB"
    raise ValueError(f"no format for metric {metric!r}")


def fmt_count(part: int | None, total: int | None) -> str:
    """``part/total``, e.g. ``142/150``."""
    if part is None or total is None:
        return MISSING
    return f"{fmt(part, 'int')}/{fmt(total, 'int')}"


def fmt_span(low: float | None, high: float | None, metric: str) -> str:
    """A min–max spread, e.g. ``812–845``."""
    if low is None or high is None:
        return MISSING
    return f"{fmt(low, metric)}–{fmt(high, metric)}"


# ------------------------------------------------------------------- blocks --


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Alert:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[bool]  # per column: right-aligned
    anchor: str | None = None
    #: per row: the column whose cell (a note, e.g. why a result is missing) spans the
    #: rest of the row in HTML; None for a row of plain cells
    spans: Sequence[int | None] = ()


@dataclass(frozen=True)
class Plot:
    name: str  # file name under plots/
    alt: str
    draw: Callable[[], Figure]


@dataclass(frozen=True)
class Details:
    summary: str
    blocks: Sequence[Block]


Block = Heading | Para | Alert | Bullets | Table | Plot | Details


def code(text: object) -> str:
    return "`" + str(text).replace("`", "'") + "`"


def _walk(blocks: Sequence[Block]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, Details):
            yield from _walk(block.blocks)


# ------------------------------------------------------------- data access --

LAYERS = ("odm", "raw")
APIS = ("sync", "async")
PERCENTILE_COLUMNS = (("p50_us", "p50"), ("p95_us", "p95"), ("p99_us", "p99"), ("p999_us", "p99.9"))


def driver_order(data: Data) -> list[str]:
    """Every driver the run knows of: the asked-for order first."""
    names: list[str] = []
    for name in [
        *data["run"].get("drivers", []),
        *data.get("drivers", {}),
        *data.get("scorecard", {}).get("drivers", {}),
        *(r["driver"] for r in data.get("results", [])),
    ]:
        if name not in names:
            names.append(name)
    return names


def benchmark_order(data: Data) -> list[tuple[str, str, str, int | None]]:
    """(name, title, description, requests per op) for every benchmark with a title or a result."""
    seen: dict[str, tuple[str, str, str, int | None]] = {}
    for bench in data.get("benchmarks", []):
        seen[bench["name"]] = (bench["name"], bench["title"], bench["description"], bench["requests_per_op"])
    for result in data.get("results", []):
        seen.setdefault(result["benchmark"], (result["benchmark"], result["benchmark"], "", None))
    return list(seen.values())


def result_key(data: Data) -> Callable[[Result], tuple[int, int, int, int]]:
    order = {name: i for i, name in enumerate(driver_order(data))}

    def key(result: Result) -> tuple[int, int, int, int]:
        return (
            order.get(result["driver"], len(order)),
            LAYERS.index(result["layer"]) if result["layer"] in LAYERS else 9,
            APIS.index(result["api"]) if result["api"] in APIS else 9,
            result["concurrency"],
        )

    return key


def results_of(data: Data, benchmark: str) -> list[Result]:
    found = [r for r in data.get("results", []) if r["benchmark"] == benchmark]
    return sorted(found, key=result_key(data))


def median(result: Result, metric: str) -> float | None:
    summary = result.get("summary", {}).get(metric)
    return None if summary is None else summary["median"]


def spread(result: Result, metric: str) -> tuple[float, float] | None:
    summary = result.get("summary", {}).get(metric)
    return None if summary is None else (summary["min"], summary["max"])


def target_rate(result: Result) -> float | None:
    rates = [rate for r in result.get("rounds", []) if (rate := r.get("target_rate_ops_s")) is not None]
    return statistics.median(rates) if rates else None


def is_ok(result: Result) -> bool:
    return result["status"] == "ok" and bool(result.get("summary"))


def variant(layer: str, api: str, concurrency: int) -> str:
    return f"{layer} {api} ×{concurrency}"


def _package(data: Data, driver: str) -> str:
    info = data.get("drivers", {}).get(driver)
    if info is None:
        return MISSING
    text = " ".join(part for part in (info.get("package"), info.get("version")) if part) or MISSING
    return text if info["status"] == "ok" else f"{text} ({info['status']})"


def _not_measured(data: Data) -> list[tuple[str, str, str]]:
    """(driver, status, reason) for every driver the run could not measure."""
    return [
        (name, info["status"], info.get("reason") or "no reason given")
        for name, info in data.get("drivers", {}).items()
        if info["status"] != "ok"
    ]


def _fact_cell(value: object) -> str:
    if value is True:
        return "✅"
    if value is False:
        return "❌"
    if value is None or value == "":
        return MISSING
    return str(value)


# ----------------------------------------------------------------- sections --


def _title(data: Data) -> list[Block]:
    run, env = data["run"], data["environment"]
    machine = env.get("machine", {})
    parts = [
        str(machine.get("cpu_model") or "unknown CPU"),
        f"{machine['cores']} cores" if machine.get("cores") else None,
        fmt(machine.get("memory_bytes"), "gib") if machine.get("memory_bytes") else None,
    ]
    server = env.get("server", {}).get("release")
    line = (
        f"Run {code(run['id'])} · mode **{run['mode']}** · {fmt(run['rounds'], 'int')} rounds × "
        f"{fmt(run['duration_s'], 'seconds')} per variant · machine: {', '.join(p for p in parts if p)}"
        + (f" · server {server}" if server else "")
    )
    return [Heading(1, "coodie driver comparison"), Para(line)]


SCORECARD_HEADER = (
    "Driver",
    "Package",
    "Matrix passed",
    "Pass rate",
    "Capabilities",
    "Latency vs best",
    "CPU vs best",
    "Throughput vs best",
    "Wins",
    "ODM get +p50 µs",
    "ODM get +CPU µs/op",
    "ODM save +p50 µs",
    "ODM save +CPU µs/op",
    "Claims ≠ measured",
)


def _overhead(entry: Mapping[str, Any], operation: str, metric: str) -> float | None:
    value = (entry.get("odm_overhead") or {}).get(operation)
    return None if not value else value.get(metric)


def _scorecard(data: Data) -> list[Block]:
    card = data.get("scorecard", {})
    per_driver: Mapping[str, Any] = card.get("drivers", {})
    rows: list[list[str]] = []
    for name in driver_order(data):
        entry = per_driver.get(name)
        if entry is None:
            rows.append([name, _package(data, name), *[MISSING] * (len(SCORECARD_HEADER) - 2)])
            continue
        api, perf = entry.get("api", {}), entry.get("performance", {})
        disagree = entry.get("claims_disagree", [])
        rows.append(
            [
                name,
                _package(data, name),
                fmt_count(api.get("matrix_passed"), api.get("matrix_total")),
                fmt(api.get("matrix_pass_rate"), "percent"),
                fmt_count(api.get("capabilities_true"), api.get("capabilities_total")),
                fmt(perf.get("latency_vs_best"), "ratio"),
                fmt(perf.get("cpu_vs_best"), "ratio"),
                fmt(perf.get("throughput_vs_best"), "ratio"),
                fmt_count(perf.get("wins"), perf.get("compared")),
                fmt(_overhead(entry, "get", "p50_us"), "delta_us"),
                fmt(_overhead(entry, "get", "cpu_us_per_op"), "delta_us"),
                fmt(_overhead(entry, "save", "p50_us"), "delta_us"),
                fmt(_overhead(entry, "save", "cpu_us_per_op"), "delta_us"),
                ", ".join(code(d) for d in disagree) if disagree else "none",
            ]
        )
    blocks: list[Block] = [
        Heading(2, "Scorecard"),
        Table(SCORECARD_HEADER, rows, [False, False, *[True] * 11, False], anchor="scorecard"),
        Para(
            "Matrix: integration tests passed through the driver (both flavours). "
            "*vs best*: geometric mean over every benchmark variant of the driver's value ÷ the best "
            "driver's value, so 1.00× is the best and 1.50× is 50 % worse (throughput: best ÷ driver). "
            "Wins: variants where the driver had the lowest p50 latency, of those it was compared in. "
            "ODM: what coodie adds on top of the driver's own prepared statement (p50 latency and CPU)."
        ),
    ]
    for name, status, reason in _not_measured(data):
        blocks.append(Alert(f"**{name}** was not measured ({status}): {reason}"))
    blocks.extend(_relative(data))
    return blocks


def _relative(data: Data) -> list[Block]:
    relative: Sequence[Mapping[str, Any]] = data.get("scorecard", {}).get("relative", [])
    if not relative:
        return []
    drivers = [d for d in driver_order(data) if any(d in r.get("ratios", {}) for r in relative)]
    rows = []
    for entry in relative:
        ratios = entry.get("ratios", {})
        cells = [
            f"{fmt(ratios[d].get('p50_us'), 'ratio')} · {fmt(ratios[d].get('cpu_us_per_op'), 'ratio')}"
            if d in ratios
            else MISSING
            for d in drivers
        ]
        rows.append(
            [
                code(entry["benchmark"]),
                entry["layer"],
                entry["api"],
                fmt(entry["concurrency"], "int"),
                entry.get("best_driver") or MISSING,
                *cells,
            ]
        )
    header = ["Benchmark", "Layer", "API", "Concurrency", "Best", *(f"{d} (p50 · CPU)" for d in drivers)]
    table = Table(header, rows, [False, False, False, True, False, *[True] * len(drivers)])
    return [Details("Ratios to the best driver, per benchmark variant", [table])]


def _facts(data: Data) -> list[Block]:
    card = data.get("scorecard", {})
    per_driver: Mapping[str, Any] = card.get("drivers", {})
    drivers = driver_order(data)

    def facts_of(driver: str) -> Mapping[str, Any]:
        entry = per_driver.get(driver)
        if entry is not None and entry.get("facts"):
            return dict(entry["facts"])
        return dict(data.get("probes", {}).get(driver, {}))

    titles: list[tuple[str, str]] = [(f["name"], f.get("title") or f["name"]) for f in card.get("facts", [])]
    for driver in drivers:
        for name in facts_of(driver):
            if name not in (t[0] for t in titles):
                titles.append((name, name))
    blocks: list[Block] = [Heading(2, "Production readiness")]
    if not titles:
        return [*blocks, Para("No production-readiness facts were collected in this run.")]
    rows = []
    evidence: list[str] = []
    for name, title in titles:
        row = [title]
        for driver in drivers:
            fact = facts_of(driver).get(name)
            row.append(_fact_cell(None if fact is None else fact.get("value")))
            if fact is not None and fact.get("evidence"):
                evidence.append(
                    f"{title} · **{driver}**: {_fact_cell(fact.get('value'))} — {fact['evidence']}"
                )
        rows.append(row)
    blocks.append(Table(["Fact", *drivers], rows, [False] * (len(drivers) + 1)))
    blocks.append(Para("✅ yes · ❌ no · – could not be established in this run."))
    if evidence:
        blocks.append(Details("Evidence for every fact", [Bullets(evidence)]))
    return blocks


def claim_cell(entry: Mapping[str, Any]) -> str:
    """One claims-grid cell: ``claim → measured``, flagged when the two disagree."""
    flag = "⚠ " if entry.get("agree") is False else ""
    return f"{flag}{entry['claim']} → {entry['measured']}"


def _claims(data: Data) -> list[Block]:
    entries: Sequence[Mapping[str, Any]] = data.get("scorecard", {}).get("claims_vs_measured", [])
    blocks: list[Block] = [Heading(2, "Claims vs measured")]
    if not entries:
        return [*blocks, Para("No published claims to compare with.")]
    drivers = list(dict.fromkeys(e["driver"] for e in entries))
    grid: dict[str, dict[str, str]] = {}
    for entry in entries:
        grid.setdefault(entry["dimension"], {})[entry["driver"]] = claim_cell(entry)
    rows = [[code(dim), *(cells.get(d, MISSING) for d in drivers)] for dim, cells in grid.items()]
    source = data.get("scorecard", {}).get("claims_source") or "the driver notes' published feature table"
    blocks.append(
        Para(
            f"Each cell: what is published (claims: {source}) → what this run measured. "
            "⚠: the two disagree; – : not measurable in this run."
        )
    )
    blocks.append(Table(["Dimension", *drivers], rows, [False] * (len(drivers) + 1)))
    return blocks


RESULT_HEADER = (
    "Driver",
    "Layer",
    "API",
    "Concurrency",
    "p50 µs",
    "p95 µs",
    "p99 µs",
    "p99.9 µs",
    "max µs",
    "p50 spread µs",
    "ops/s",
    "target ops/s",
    "CPU µs/op",
    "RSS MiB",
    "Rounds",
    "Errors",
)


def _result_row(result: Result) -> list[str]:
    key = [result["driver"], result["layer"], result["api"], fmt(result["concurrency"], "int")]
    if not is_ok(result):
        reason = result.get("reason") or "no reason given"
        return [*key, f"**{result['status']}**: {reason}", *[MISSING] * (len(RESULT_HEADER) - 5)]
    low, high = spread(result, "p50_us") or (None, None)
    rounds = result.get("rounds", [])
    return [
        *key,
        *(fmt(median(result, m), m) for m in ("p50_us", "p95_us", "p99_us", "p999_us", "max_us")),
        fmt_span(low, high, "p50_us"),
        fmt(median(result, "throughput_ops_s"), "throughput_ops_s"),
        fmt(target_rate(result), "throughput_ops_s"),
        fmt(median(result, "cpu_us_per_op"), "cpu_us_per_op"),
        fmt(median(result, "rss_mib"), "rss_mib"),
        fmt(len(rounds), "int"),
        fmt(sum(r.get("errors", 0) for r in rounds), "int"),
    ]


def _results(data: Data) -> list[Block]:
    run = data["run"]
    blocks: list[Block] = [
        Heading(2, "Results"),
        Para(
            f"Medians over {fmt(run['rounds'], 'int')} rounds of {fmt(run['duration_s'], 'seconds')} each. "
            "Latency in µs; *p50 spread*: the lowest and the highest round's p50. "
            "*target ops/s*: the median paced rate of the coordinated-omission-safe runs (– for a closed loop); *ops/s* of a 64-in-flight row is its closed-loop throughput. "
            "*odm*: through coodie's API; *raw*: the driver's own prepared statement."
        ),
    ]
    for name, status, reason in _not_measured(data):
        blocks.append(Alert(f"**{name}** has no rows below: {status}: {reason}"))
    for name, title, description, requests in benchmark_order(data):
        results = results_of(data, name)
        blocks.append(Heading(3, f"{title} ({code(name)})"))
        about = description.rstrip()
        if about and not about.endswith((".", ")")):
            about += "."
        if requests is not None:
            about += f" {requests} CQL request{'s' if requests != 1 else ''} per operation."
        if about.strip():
            blocks.append(Para(about.strip()))
        if not results:
            blocks.append(Alert(f"No driver produced a result for {code(name)}."))
            continue
        blocks.append(
            Table(
                RESULT_HEADER,
                [_result_row(r) for r in results],
                [False] * 3 + [True] * 13,
                f"results-{_slug(name)}",
                spans=[None if is_ok(r) else 4 for r in results],
            )
        )
        for result in results:
            if result["status"] == "failed" or (result["status"] == "ok" and not result.get("summary")):
                label = variant(result["layer"], result["api"], result["concurrency"])
                blocks.append(
                    Alert(
                        f"**{result['driver']}** {label} {result['status']}: "
                        f"{result.get('reason') or 'no reason given'}"
                    )
                )
        if any(is_ok(r) for r in results):
            blocks.append(
                Plot(f"latency-{_slug(name)}.png", f"{title}: latency percentiles", _latency_plot(data, name))
            )
    if any(is_ok(r) for r in data.get("results", [])):
        blocks += [
            Heading(3, "Throughput"),
            Plot(
                "throughput.png",
                "Throughput per driver and benchmark",
                _metric_plot(data, "throughput_ops_s"),
            ),
            Heading(3, "Client CPU per operation"),
            Plot("cpu.png", "Client CPU per operation", _metric_plot(data, "cpu_us_per_op")),
        ]
    return blocks


OVERHEAD_HEADER = ("Driver", "get +p50 µs", "get +CPU µs/op", "save +p50 µs", "save +CPU µs/op")
PAIRS_HEADER = (
    "Driver",
    "Benchmark",
    "API",
    "Concurrency",
    "ODM p50 µs",
    "raw p50 µs",
    "+p50 µs",
    "ODM CPU µs/op",
    "raw CPU µs/op",
    "+CPU µs/op",
)


def overhead_pairs(data: Data) -> list[tuple[Result, Result]]:
    """(odm, raw) results of the same driver, benchmark, API and concurrency, both ok."""
    raw = {
        (r["driver"], r["benchmark"], r["api"], r["concurrency"]): r
        for r in data.get("results", [])
        if r["layer"] == "raw" and is_ok(r)
    }
    pairs = []
    for result in sorted(data.get("results", []), key=result_key(data)):
        match = raw.get((result["driver"], result["benchmark"], result["api"], result["concurrency"]))
        if result["layer"] == "odm" and is_ok(result) and match is not None:
            pairs.append((result, match))
    return pairs


def _difference(odm: Result, raw: Result, metric: str) -> float | None:
    a, b = median(odm, metric), median(raw, metric)
    return None if a is None or b is None else a - b


def _odm_overhead(data: Data) -> list[Block]:
    per_driver: Mapping[str, Any] = data.get("scorecard", {}).get("drivers", {})
    blocks: list[Block] = [
        Heading(2, "ODM overhead"),
        Para(
            "What coodie adds on top of each driver: the ODM result minus the raw result "
            "(the driver's own prepared statement) of the same benchmark, API and concurrency."
        ),
    ]
    rows = [
        [
            name,
            *(
                fmt(_overhead(per_driver[name], op, metric), "delta_us")
                for op in ("get", "save")
                for metric in ("p50_us", "cpu_us_per_op")
            ),
        ]
        for name in driver_order(data)
        if name in per_driver
    ]
    if rows:
        blocks.append(Table(OVERHEAD_HEADER, rows, [False, True, True, True, True], "odm-overhead"))
    if any(
        _overhead(entry, op, m) is not None
        for entry in per_driver.values()
        for op in ("get", "save")
        for m in ("p50_us", "cpu_us_per_op")
    ):
        blocks.append(Plot("odm-overhead.png", "ODM overhead over the raw driver", _overhead_plot(data)))
    pairs = overhead_pairs(data)
    if not pairs:
        return [*blocks, Para("No benchmark has both an ODM and a raw result to compare.")]
    pair_rows = [
        [
            odm["driver"],
            code(odm["benchmark"]),
            odm["api"],
            fmt(odm["concurrency"], "int"),
            fmt(median(odm, "p50_us"), "p50_us"),
            fmt(median(raw, "p50_us"), "p50_us"),
            fmt(_difference(odm, raw, "p50_us"), "delta_us"),
            fmt(median(odm, "cpu_us_per_op"), "cpu_us_per_op"),
            fmt(median(raw, "cpu_us_per_op"), "cpu_us_per_op"),
            fmt(_difference(odm, raw, "cpu_us_per_op"), "delta_us"),
        ]
        for odm, raw in pairs
    ]
    blocks.append(Para("Every measured pair:"))
    blocks.append(Table(PAIRS_HEADER, pair_rows, [False] * 3 + [True] * 7, "odm-overhead-pairs"))
    return blocks


COUNT_NAMES = ("passed", "xfailed", "failed", "error", "xpassed", "skipped")


def _ran(entry: Mapping[str, Any]) -> bool:
    """A matrix entry with test counts (its status is ``"ran"``, or ``"ok"``)."""
    return bool(entry.get("flavors")) or entry.get("status") in ("ran", "ok")


def _matrix(data: Data) -> list[Block]:
    matrix = data.get("matrix") or {}
    per_driver: Mapping[str, Any] = matrix.get("drivers", {})
    blocks: list[Block] = [Heading(2, "Integration matrix")]
    if not per_driver:
        return [*blocks, Para("The integration matrix was not part of this run.")]
    if matrix.get("source"):
        blocks.append(Para(f"Source: {matrix['source']}."))
    drivers = [d for d in driver_order(data) if d in per_driver] + [
        d for d in per_driver if d not in data["drivers"]
    ]
    rows: list[list[str]] = []
    for name in drivers:
        entry = per_driver[name]
        if not _ran(entry):
            rows.append(
                [
                    name,
                    MISSING,
                    f"{entry.get('status', 'not run')}: {entry.get('reason') or 'no reason given'}",
                ]
                + [MISSING] * len(COUNT_NAMES)
            )
            continue
        version = " ".join(p for p in (entry.get("driver"), entry.get("driver_version")) if p) or MISSING
        flavours: list[tuple[str, Mapping[str, int]]] = list(entry.get("flavors", {}).items())
        total = entry.get("total") or {
            c: sum(int(counts.get(c, 0)) for _, counts in flavours) for c in COUNT_NAMES
        }
        flavours.append(("total", total))
        for flavour, counts in flavours:
            rows.append([name, version, flavour, *(fmt(counts.get(c), "int") for c in COUNT_NAMES)])
    blocks.append(
        Table(["Driver", "Package", "Flavour", *COUNT_NAMES], rows, [False] * 3 + [True] * len(COUNT_NAMES))
    )
    for name in drivers:
        entry = per_driver[name]
        if not _ran(entry):
            status, reason = entry.get("status") or "not run", entry.get("reason") or "no reason given"
            blocks.append(Alert(f"**{name}**: integration matrix {status}: {reason}"))
        for key, what in (("init_error", "could not connect"), ("teardown_error", "cleanup failed")):
            if entry.get(key):
                blocks.append(Alert(f"**{name}**: integration matrix {what}: {entry[key]}"))
    measured = [d for d in drivers if _ran(per_driver[d])]
    capabilities: list[str] = []
    for name in measured:
        for cap in per_driver[name].get("capabilities", {}):
            if cap not in capabilities:
                capabilities.append(cap)
    if capabilities:
        blocks.append(Heading(3, "Capabilities"))
        cap_rows = [
            [code(cap), *(_fact_cell(per_driver[d].get("capabilities", {}).get(cap)) for d in measured)]
            for cap in capabilities
        ]
        blocks.append(Table(["Capability", *measured], cap_rows, [False] * (len(measured) + 1)))
    gaps = [
        f"**{name}** · {code(cap)}: {reason}"
        for name in measured
        for cap, reason in per_driver[name].get("gaps", {}).items()
    ]
    if gaps:
        blocks += [Heading(3, "Gaps"), Bullets(gaps)]
    return blocks


def _problems(data: Data) -> list[Block]:
    problems = data.get("problems", [])
    return [Heading(2, "Problems"), Bullets(list(problems))] if problems else []


METHOD = (
    "Each driver runs in a worker process of its own, connected for the whole run. Every benchmark "
    "variant first gets a warm-up on every driver. Then, variant by variant, the rounds are "
    "interleaved: every driver runs the variant in turn (A B C, then B C A, ...), so drift of the "
    "machine or the node reaches every driver alike. Every operation's latency goes into an HDR "
    "histogram, from which the percentiles are read. The tables give the median over rounds of each "
    "metric, with the spread (lowest–highest round) of p50. Concurrency-1 runs are closed loops. A "
    "concurrency-64 round first runs a closed loop for half the run time (its rate is the round's "
    "throughput), then runs paced at {load} of that rate, coordinated-omission safe: every operation "
    "has an intended start time on a fixed schedule and its latency is measured from that intended "
    "start, so a stall also shows in the latency of the operations it delayed; the latency figures of "
    "64-in-flight rows come from the paced run. CPU is the worker's process CPU time (user + system, "
    "every thread, including the driver's own I/O threads) divided by the operations; RSS is the "
    "worker's resident memory."
)


def _settings(value: object) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_settings(v)}" for k, v in value.items()) or MISSING
    if isinstance(value, list | tuple):
        return ", ".join(_settings(v) for v in value) or MISSING
    return MISSING if value is None else str(value)


def _method(data: Data) -> list[Block]:
    run, env = data["run"], data["environment"]
    machine = dict(env.get("machine", {}))
    server = dict(env.get("server", {}))
    machine_text = ", ".join(
        part
        for part in (
            str(machine.pop("cpu_model", "") or ""),
            f"{machine.pop('cores')} cores" if machine.get("cores") else "",
            fmt(machine.pop("memory_bytes"), "gib") if machine.get("memory_bytes") else "",
            _settings(machine) if machine else "",
        )
        if part
    )
    items = [
        f"Machine: {machine_text or MISSING}",
        f"OS: {env.get('os') or MISSING}",
        f"Python: {env.get('python') or MISSING}",
        f"Event loop: {env.get('event_loop') or MISSING}",
        f"coodie: {env.get('coodie_version') or MISSING}",
        f"Server release: {server.pop('release', None) or MISSING}",
        f"Server hosts: {_settings(server.pop('hosts', None))}",
    ]
    items += [f"Server {key}: {_settings(value)}" for key, value in server.items()]
    items += [
        f"Mode: {run['mode']}; rounds: {fmt(run['rounds'], 'int')}; measured time per variant and round: "
        f"{fmt(run['duration_s'], 'seconds')}; warm-up: {fmt(run['warmup_s'], 'seconds')}; "
        f"paced runs at {fmt(run['load_fraction'], 'percent')} of the calibrated rate",
        f"Started {run.get('started') or MISSING}, finished {run.get('finished') or MISSING}",
        f"Command: {code(run['command'])}" if run.get("command") else f"Command: {MISSING}",
    ]
    rows = []
    for name in driver_order(data):
        info = data.get("drivers", {}).get(name)
        if info is None:
            continue
        log = info.get("log")
        rows.append(
            [
                name,
                info["status"] + (f": {info['reason']}" if info.get("reason") else ""),
                info.get("package") or MISSING,
                info.get("version") or MISSING,
                info.get("interpreter") or MISSING,
                f"[{log}]({log})" if log else MISSING,
            ]
        )
    blocks: list[Block] = [Heading(2, "Method and environment"), Bullets(items)]
    if rows:
        blocks.append(
            Table(["Driver", "Status", "Package", "Version", "Interpreter", "Log"], rows, [False] * 6)
        )
    blocks.append(Para(METHOD.format(load=fmt(run["load_fraction"], "percent"))))
    return blocks


def build_blocks(data: Data) -> list[Block]:
    """The report, in order, as blocks both renderers write."""
    return [
        *_title(data),
        *_scorecard(data),
        *_facts(data),
        *_claims(data),
        *_results(data),
        *_odm_overhead(data),
        *_matrix(data),
        *_problems(data),
        *_method(data),
    ]


# -------------------------------------------------------------------- plots --

_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)

Series = tuple[str, str, Sequence[float | None], Sequence[tuple[float, float] | None]]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _colours(data: Data) -> dict[str, str]:
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(driver_order(data))}


def _figure(panels: int, width: float = 4.8, height: float = 3.3) -> tuple[Figure, list[Axes]]:
    columns = 2 if panels in (2, 4) else min(3, max(panels, 1))
    rows = math.ceil(max(panels, 1) / columns)
    figure = Figure(figsize=(width * columns, height * rows + 0.7), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = [figure.add_subplot(rows, columns, i + 1) for i in range(panels)]
    return figure, axes


def _tick(value: float, _position: int | None = None) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _grouped_bars(
    ax: Axes, groups: Sequence[str], series: Sequence[Series], *, log: bool, ylabel: str
) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (_label, colour, values, spans) in enumerate(series):
        positions = [x - 0.4 + width * (i + 0.5) for x in range(len(groups))]
        heights = [math.nan if v is None else v for v in values]
        if any(s is not None for s in spans):
            lower = [0.0 if v is None or s is None else max(v - s[0], 0.0) for v, s in zip(values, spans)]
            upper = [0.0 if v is None or s is None else max(s[1] - v, 0.0) for v, s in zip(values, spans)]
            ax.bar(
                positions,
                heights,
                width * 0.9,
                color=colour,
                yerr=[lower, upper],
                capsize=2,
                error_kw={"elinewidth": 0.8, "ecolor": "#333333"},
            )
        else:
            ax.bar(positions, heights, width * 0.9, color=colour)
    ax.set_xticks(list(range(len(groups))), list(groups), fontsize=8)
    if log:
        ax.set_yscale("log")
        lowest = min(
            (v for _, _, values, _ in series for v in values if v is not None and v > 0), default=None
        )
        if lowest is not None:
            ax.set_ylim(bottom=lowest * 0.6)
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(_tick))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3, which="both")
    ax.set_axisbelow(True)


def _legend(figure: Figure, colours: Mapping[str, str], drivers: Sequence[str]) -> None:
    handles = [Patch(color=colours[d], label=d) for d in drivers]
    figure.legend(handles=handles, loc="outside lower center", ncols=max(len(handles), 1), fontsize=9)


def _latency_plot(data: Data, benchmark: str) -> Callable[[], Figure]:
    def draw() -> Figure:
        results = [r for r in results_of(data, benchmark) if is_ok(r)]
        variants = sorted(
            {(r["layer"], r["api"], r["concurrency"]) for r in results},
            key=lambda v: (
                LAYERS.index(v[0]) if v[0] in LAYERS else 9,
                APIS.index(v[1]) if v[1] in APIS else 9,
                v[2],
            ),
        )
        colours = _colours(data)
        figure, axes = _figure(len(variants))
        for ax, (layer, api, concurrency) in zip(axes, variants):
            chosen = [
                r for r in results if (r["layer"], r["api"], r["concurrency"]) == (layer, api, concurrency)
            ]
            series: list[Series] = [
                (
                    r["driver"],
                    colours[r["driver"]],
                    [median(r, m) for m, _ in PERCENTILE_COLUMNS],
                    [spread(r, m) for m, _ in PERCENTILE_COLUMNS],
                )
                for r in chosen
            ]
            _grouped_bars(ax, [label for _, label in PERCENTILE_COLUMNS], series, log=True, ylabel="µs")
            ax.set_title(variant(layer, api, concurrency), fontsize=10)
        title = next((b[1] for b in benchmark_order(data) if b[0] == benchmark), benchmark)
        figure.suptitle(f"{title} — latency percentiles (median over rounds; whiskers: min–max)", fontsize=11)
        _legend(figure, colours, sorted({r["driver"] for r in results}, key=list(colours).index))
        return figure

    return draw


def _metric_plot(data: Data, metric: str) -> Callable[[], Figure]:
    label, log, title = {
        "throughput_ops_s": ("ops/s", True, "Throughput (median over rounds; whiskers: min–max)"),
        "cpu_us_per_op": (
            "CPU µs/op",
            False,
            "Client CPU per operation (median over rounds; whiskers: min–max)",
        ),
    }[metric]

    def draw() -> Figure:
        colours = _colours(data)
        benchmarks = [b for b in benchmark_order(data) if any(is_ok(r) for r in results_of(data, b[0]))]
        figure, axes = _figure(len(benchmarks), width=5.2, height=3.4)
        drawn: set[str] = set()
        for ax, (name, bench_title, _, _) in zip(axes, benchmarks):
            results = [r for r in results_of(data, name) if is_ok(r)]
            variants = sorted(
                {(r["layer"], r["api"], r["concurrency"]) for r in results},
                key=lambda v: (
                    LAYERS.index(v[0]) if v[0] in LAYERS else 9,
                    APIS.index(v[1]) if v[1] in APIS else 9,
                    v[2],
                ),
            )
            drivers = sorted({r["driver"] for r in results}, key=list(colours).index)
            drawn.update(drivers)
            by_key = {(r["driver"], r["layer"], r["api"], r["concurrency"]): r for r in results}
            series: list[Series] = []
            for driver in drivers:
                chosen = [by_key.get((driver, *v)) for v in variants]
                series.append(
                    (
                        driver,
                        colours[driver],
                        [None if r is None else median(r, metric) for r in chosen],
                        [None if r is None else spread(r, metric) for r in chosen],
                    )
                )
            _grouped_bars(
                ax, [variant(*v).replace(" ×", "\n×") for v in variants], series, log=log, ylabel=label
            )
            ax.set_title(bench_title, fontsize=10)
        figure.suptitle(title, fontsize=11)
        _legend(figure, colours, sorted(drawn, key=list(colours).index))
        return figure

    return draw


def _overhead_plot(data: Data) -> Callable[[], Figure]:
    def draw() -> Figure:
        colours = _colours(data)
        per_driver: Mapping[str, Any] = data.get("scorecard", {}).get("drivers", {})
        drivers = [d for d in driver_order(data) if d in per_driver]
        figure, axes = _figure(2, width=5.6, height=3.4)
        for ax, (metric, label) in zip(axes, (("p50_us", "+p50 µs"), ("cpu_us_per_op", "+CPU µs/op"))):
            series: list[Series] = [
                (
                    d,
                    colours[d],
                    [_overhead(per_driver[d], op, metric) for op in ("get", "save")],
                    [None, None],
                )
                for d in drivers
            ]
            _grouped_bars(ax, ["get", "save"], series, log=False, ylabel=label)
            for container in ax.containers:
                if isinstance(container, BarContainer):
                    ax.bar_label(container, fmt="%.1f", fontsize=7, padding=2)
            ax.axhline(0, color="#333333", linewidth=0.8)
            ax.set_title(f"ODM overhead: {label}", fontsize=10)
        figure.suptitle("What coodie adds over the driver's own prepared statement", fontsize=11)
        _legend(figure, colours, drivers)
        return figure

    return draw


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def render_plots(data: Data) -> dict[str, bytes]:
    """Every plot the reports show: file name → PNG bytes."""
    return {block.name: _png(block.draw()) for block in _walk(build_blocks(data)) if isinstance(block, Plot)}


# ----------------------------------------------------------------- Markdown --


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(blocks: Sequence[Block]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Para):
            out.append(block.text)
        elif isinstance(block, Alert):
            out.append(f"> ⚠ {block.text}")
        elif isinstance(block, Bullets):
            out.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(_md_cell(h) for h in block.header) + " |"]
            lines.append("|" + "|".join("---:" if n else "---" for n in block.numeric) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            out.append("\n".join(lines))
        elif isinstance(block, Plot):
            out.append(f"![{block.alt}](plots/{block.name})")
        elif isinstance(block, Details):
            inner = "\n\n".join(_markdown(block.blocks))
            out.append(f"<details>\n<summary>{html.escape(block.summary)}</summary>\n\n{inner}\n\n</details>")
    return out


def render_markdown(data: Data) -> str:
    """``report.md``: plots are linked as ``plots/<name>.png`` (see :func:`write_reports`)."""
    return "\n\n".join(_markdown(build_blocks(data))) + "\n"


# --------------------------------------------------------------------- HTML --

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


#: ✅/❌ as glyphs every desktop font has (colour emoji fonts are not everywhere)
_MARKS = {"✅": '<span class="yes" title="yes">✔</span>', "❌": '<span class="no" title="no">✘</span>'}


def _inline(text: str) -> str:
    """The little inline Markdown the blocks use (code, bold, emphasis, links) as HTML."""
    out = []
    for i, part in enumerate(_CODE.split(text)):
        if i % 2:
            out.append(f"<code>{html.escape(part)}</code>")
            continue
        escaped = html.escape(part, quote=False)
        escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
        escaped = _EMPHASIS.sub(r"<em>\1</em>", escaped)
        escaped = _LINK.sub(lambda m: f'<a href="{html.escape(m[2])}">{m[1]}</a>', escaped)
        for mark, replacement in _MARKS.items():
            escaped = escaped.replace(mark, replacement)
        out.append(escaped)
    return "".join(out)


def _html(blocks: Sequence[Block], plots: Mapping[str, bytes]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            anchor = block.anchor or (f"section-{_slug(block.text)}" if block.level == 2 else None)
            attr = f' id="{anchor}"' if anchor else ""
            out.append(f"<h{block.level}{attr}>{_inline(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            out.append(f"<p>{_inline(block.text)}</p>")
        elif isinstance(block, Alert):
            out.append(f'<p class="alert">⚠ {_inline(block.text)}</p>')
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block.items) + "</ul>")
        elif isinstance(block, Table):
            attr = f' id="{block.anchor}"' if block.anchor else ""
            numeric = list(block.numeric)

            def cls(i: int, numeric: list[bool] = numeric) -> str:
                return ' class="num"' if i < len(numeric) and numeric[i] else ""

            head = "".join(f"<th{cls(i)}>{_inline(h)}</th>" for i, h in enumerate(block.header))
            rows = []
            for number, row in enumerate(block.rows):
                span = block.spans[number] if number < len(block.spans) else None
                cells = [f"<td{cls(i)}>{_inline(c)}</td>" for i, c in enumerate(row[:span])]
                if span is not None:
                    cells.append(f'<td class="note" colspan="{len(row) - span}">{_inline(row[span])}</td>')
                rows.append("<tr>" + "".join(cells) + "</tr>")
            body = "".join(rows)
            out.append(
                f'<div class="table"><table{attr}><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>"
            )
        elif isinstance(block, Plot):
            png = plots.get(block.name)
            if png is None:
                png = _png(block.draw())
            source = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            out.append(f'<figure><img class="plot" alt="{html.escape(block.alt)}" src="{source}"></figure>')
        elif isinstance(block, Details):
            inner = "\n".join(_html(block.blocks, plots))
            out.append(f"<details><summary>{html.escape(block.summary)}</summary>\n{inner}\n</details>")
    return out


_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       margin: 0; background: #fafafa; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 48px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e3e3e3; }
h3 { font-size: 16px; margin: 22px 0 6px; }
div.table { overflow-x: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { border: 1px solid #d8d8d8; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; vertical-align: bottom; }
tbody tr:nth-child(even) { background: #f7f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td:first-child { white-space: nowrap; }
#scorecard td:nth-child(2) { white-space: nowrap; }
#scorecard th { min-width: 4.5em; }
td.note { color: #6b4a00; }
.yes { color: #1a7f37; font-weight: 700; }
.no { color: #cf222e; font-weight: 700; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f1f1;
       padding: 0 3px; border-radius: 3px; }
.alert { background: #fff4e0; border-left: 4px solid #e69500; padding: 6px 10px; margin: 6px 0; }
figure { margin: 8px 0 16px; }
img.plot { max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
details { margin: 6px 0 12px; }
summary { cursor: pointer; color: #1f4f8f; }
#scorecard td:first-child { font-weight: 600; }
"""


def render_html(data: Data, plots: Mapping[str, bytes] | None = None) -> str:
    """``report.html``: self-contained, the plots inline as base64 PNG. ``plots``
    (from :func:`render_plots`) saves drawing them again."""
    blocks = build_blocks(data)
    body = "\n".join(_html(blocks, plots if plots is not None else render_plots(data)))
    title = f"coodie driver comparison — {data['run']['id']}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_reports(data: Data, folder: Path) -> None:
    """Write ``report.md``, ``report.html`` and ``plots/*.png`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = render_plots(data)
    plot_folder = folder / "plots"
    plot_folder.mkdir(exist_ok=True)
    for name, png in plots.items():
        (plot_folder / name).write_bytes(png)
    (folder / "report.md").write_text(render_markdown(data), encoding="utf-8")
    (folder / "report.html").write_text(render_html(data, plots), encoding="utf-8")
