"""The report's sections, in order, as blocks: scorecard, readiness, claims, results,
ODM overhead, matrix, problems, method. Both the Markdown and the HTML report are
written from :func:`build_blocks`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from compare.matrix import OUTCOMES
from compare.model import Data, Result
from compare.report.blocks import (
    MISSING,
    Alert,
    Block,
    Bullets,
    Details,
    Heading,
    Para,
    Plot,
    Table,
    benchmark_order,
    code,
    driver_order,
    fact_cell,
    fmt,
    fmt_count,
    fmt_span,
    is_ok,
    median,
    not_measured,
    overhead_delta,
    package_of,
    result_key,
    results_of,
    slug,
    spread,
    target_rate,
    variant,
)
from compare.report.plots import latency_plot, metric_plot, overhead_plot

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


def _scorecard(data: Data) -> list[Block]:
    card = data.get("scorecard", {})
    per_driver: Mapping[str, Any] = card.get("drivers", {})
    rows: list[list[str]] = []
    for name in driver_order(data):
        entry = per_driver.get(name)
        if entry is None:
            rows.append([name, package_of(data, name), *[MISSING] * (len(SCORECARD_HEADER) - 2)])
            continue
        api, perf = entry.get("api", {}), entry.get("performance", {})
        disagree = entry.get("claims_disagree", [])
        rows.append(
            [
                name,
                package_of(data, name),
                fmt_count(api.get("matrix_passed"), api.get("matrix_total")),
                fmt(api.get("matrix_pass_rate"), "percent"),
                fmt_count(api.get("capabilities_true"), api.get("capabilities_total")),
                fmt(perf.get("latency_vs_best"), "ratio"),
                fmt(perf.get("cpu_vs_best"), "ratio"),
                fmt(perf.get("throughput_vs_best"), "ratio"),
                fmt_count(perf.get("wins"), perf.get("compared")),
                fmt(overhead_delta(entry, "get", "p50_us"), "delta_us"),
                fmt(overhead_delta(entry, "get", "cpu_us_per_op"), "delta_us"),
                fmt(overhead_delta(entry, "save", "p50_us"), "delta_us"),
                fmt(overhead_delta(entry, "save", "cpu_us_per_op"), "delta_us"),
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
    for name, status, reason in not_measured(data):
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
            row.append(fact_cell(None if fact is None else fact.get("value")))
            if fact is not None and fact.get("evidence"):
                evidence.append(
                    f"{title} · **{driver}**: {fact_cell(fact.get('value'))} — {fact['evidence']}"
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
    for name, status, reason in not_measured(data):
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
                f"results-{slug(name)}",
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
                Plot(f"latency-{slug(name)}.png", f"{title}: latency percentiles", latency_plot(data, name))
            )
    if any(is_ok(r) for r in data.get("results", [])):
        blocks += [
            Heading(3, "Throughput"),
            Plot(
                "throughput.png",
                "Throughput per driver and benchmark",
                metric_plot(data, "throughput_ops_s"),
            ),
            Heading(3, "Client CPU per operation"),
            Plot("cpu.png", "Client CPU per operation", metric_plot(data, "cpu_us_per_op")),
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
                fmt(overhead_delta(per_driver[name], op, metric), "delta_us")
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
        overhead_delta(entry, op, m) is not None
        for entry in per_driver.values()
        for op in ("get", "save")
        for m in ("p50_us", "cpu_us_per_op")
    ):
        blocks.append(Plot("odm-overhead.png", "ODM overhead over the raw driver", overhead_plot(data)))
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


COUNT_NAMES = OUTCOMES


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
            [code(cap), *(fact_cell(per_driver[d].get("capabilities", {}).get(cap)) for d in measured)]
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
