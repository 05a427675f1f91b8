"""The report's plots (matplotlib, Agg): latency percentiles per benchmark, throughput,
CPU per operation and ODM overhead, as PNG bytes by name."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from compare.model import Data, Result
from compare.report.blocks import (
    APIS,
    LAYERS,
    PERCENTILE_COLUMNS,
    benchmark_order,
    driver_order,
    is_ok,
    median,
    overhead_delta,
    results_of,
    spread,
    variant,
)

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


def ok_variants(results: Sequence[Result]) -> list[tuple[str, str, int]]:
    """The (layer, API, concurrency) variants among ``results``, in report order."""
    return sorted(
        {(r["layer"], r["api"], r["concurrency"]) for r in results},
        key=lambda v: (
            LAYERS.index(v[0]) if v[0] in LAYERS else 9,
            APIS.index(v[1]) if v[1] in APIS else 9,
            v[2],
        ),
    )


def latency_plot(data: Data, benchmark: str) -> Callable[[], Figure]:
    def draw() -> Figure:
        results = [r for r in results_of(data, benchmark) if is_ok(r)]
        variants = ok_variants(results)
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


def metric_plot(data: Data, metric: str) -> Callable[[], Figure]:
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
            variants = ok_variants(results)
            drivers = sorted({r["driver"] for r in results}, key=list(colours).index)
            drawn.update(drivers)
            by_key: dict[tuple[str, str, str, int], Result] = {
                (r["driver"], r["layer"], r["api"], r["concurrency"]): r for r in results
            }
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


def overhead_plot(data: Data) -> Callable[[], Figure]:
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
                    [overhead_delta(per_driver[d], op, metric) for op in ("get", "save")],
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
