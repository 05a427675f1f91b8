"""The report's building blocks: how a number is written (:func:`fmt`, the one place
that decides), the block types both reports are made of, and read access to the data."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure

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


def walk(blocks: Sequence[Block]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, Details):
            yield from walk(block.blocks)


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


def package_of(data: Data, driver: str) -> str:
    info = data.get("drivers", {}).get(driver)
    if info is None:
        return MISSING
    text = " ".join(part for part in (info.get("package"), info.get("version")) if part) or MISSING
    return text if info["status"] == "ok" else f"{text} ({info['status']})"


def not_measured(data: Data) -> list[tuple[str, str, str]]:
    """(driver, status, reason) for every driver the run could not measure."""
    return [
        (name, info["status"], info.get("reason") or "no reason given")
        for name, info in data.get("drivers", {}).items()
        if info["status"] != "ok"
    ]


def fact_cell(value: object) -> str:
    if value is True:
        return "✅"
    if value is False:
        return "❌"
    if value is None or value == "":
        return MISSING
    return str(value)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def overhead_delta(entry: Mapping[str, Any], operation: str, metric: str) -> float | None:
    value = (entry.get("odm_overhead") or {}).get(operation)
    return None if not value else value.get(metric)
