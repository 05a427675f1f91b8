"""Statistics of a comparison run: latency histograms, per-round figures,
medians over rounds, and the interleaving order.

Latencies are recorded in HDR histograms (``hdrhistogram``) with microsecond
resolution and 3 significant digits, from 1 µs to 10 minutes, so percentiles
are exact to 0.1 % whatever the distribution.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from hdrh.histogram import HdrHistogram

from compare.model import METRICS, PERCENTILES, Round, Summary

LOWEST_US = 1
HIGHEST_US = 600_000_000
SIGNIFICANT_DIGITS = 3

T = TypeVar("T")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record(histogram: HdrHistogram, seconds: float) -> None:
    """Record one latency given in seconds (clamped into the histogram's range)."""
    micros = int(seconds * 1e6 + 0.5)
    histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US))


def encode(histogram: HdrHistogram) -> str:
    """A text form that crosses a process boundary in a JSON line."""
    raw = histogram.encode()
    return raw.decode("ascii") if isinstance(raw, bytes) else str(raw)


def decode(text: str) -> HdrHistogram:
    histogram = new_histogram()
    if text:
        histogram.add(HdrHistogram.decode(text.encode("ascii")))
    return histogram


def percentiles(histogram: HdrHistogram) -> dict[str, float]:
    """p50/p95/p99/p99.9, max and mean in µs (zeros for an empty histogram)."""
    if histogram.get_total_count() == 0:
        return {**dict.fromkeys(PERCENTILES, 0.0), "max_us": 0.0, "mean_us": 0.0}
    out = {name: float(histogram.get_value_at_percentile(p)) for name, p in PERCENTILES.items()}
    out["max_us"] = float(histogram.get_max_value())
    out["mean_us"] = float(histogram.get_mean_value())
    return out


@dataclass(frozen=True)
class Sample:
    """What a worker measured in one timed run."""

    ops: int
    errors: int
    wall_s: float
    cpu_s: float
    rss_mib: float
    histogram: HdrHistogram
    target_rate_ops_s: float | None = None


def cpu_per_op_us(cpu_s: float, ops: int) -> float:
    """Process CPU time per completed operation, µs (0 when nothing completed)."""
    return cpu_s / ops * 1e6 if ops > 0 else 0.0


def throughput(ops: int, wall_s: float) -> float:
    return ops / wall_s if wall_s > 0 else 0.0


def to_round(number: int, sample: Sample) -> Round:
    pct = percentiles(sample.histogram)
    return Round(
        round=number,
        ops=sample.ops,
        errors=sample.errors,
        wall_s=sample.wall_s,
        cpu_s=sample.cpu_s,
        throughput_ops_s=throughput(sample.ops, sample.wall_s),
        cpu_us_per_op=cpu_per_op_us(sample.cpu_s, sample.ops),
        rss_mib=sample.rss_mib,
        target_rate_ops_s=sample.target_rate_ops_s,
        mean_us=pct["mean_us"],
        p50_us=pct["p50_us"],
        p95_us=pct["p95_us"],
        p99_us=pct["p99_us"],
        p999_us=pct["p999_us"],
        max_us=pct["max_us"],
    )


def summarize(rounds: Sequence[Round]) -> dict[str, Summary]:
    """Median, min and max over rounds of every metric (rounds with no completed op are left out)."""
    useful = [r for r in rounds if r["ops"] > 0]
    out: dict[str, Summary] = {}
    for metric in METRICS:
        values = [float(r[metric]) for r in useful]  # type: ignore[literal-required]
        if values:
            out[metric] = Summary(median=statistics.median(values), min=min(values), max=max(values))
    return out


def interleave(rounds: int, benchmarks: Sequence[str], drivers: Sequence[T]) -> list[tuple[int, str, T]]:
    """The order of a run: for each benchmark, round after round, every driver in turn
    (A B C, A B C, ...), so noise on the machine falls on all drivers alike. The
    driver order rotates by one each round so no driver always runs first."""
    order: list[tuple[int, str, T]] = []
    for bench in benchmarks:
        for r in range(rounds):
            shift = r % len(drivers) if drivers else 0
            turn = [*drivers[shift:], *drivers[:shift]]
            order.extend((r + 1, bench, d) for d in turn)
    return order


def geometric_mean(values: Iterable[float]) -> float | None:
    positive = [v for v in values if v > 0]
    return statistics.geometric_mean(positive) if positive else None
