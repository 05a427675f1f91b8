"""The reports say what data.json says: every number in the Markdown tables is read
back (by table header and row key) and compared with the formatted data value."""

from __future__ import annotations

import base64
import re
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compare.report import (
    MISSING,
    claim_cell,
    fmt,
    fmt_count,
    fmt_span,
    render_html,
    render_markdown,
    write_reports,
)
from compare.sample import sample_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+")


# ------------------------------------------------------------------ parsing --


def split_cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def md_tables(markdown: str) -> Iterator[tuple[list[str], list[str], list[list[str]]]]:
    """Every pipe table as (headings above it, outermost first; header; rows)."""
    headings: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        match = re.match(r"(#+) (.*)", line)
        if match:
            level = len(match[1])
            headings = [*headings[: level - 1], match[2]]
        if line.startswith("|") and i + 1 < len(lines) and SEPARATOR.fullmatch(lines[i + 1].strip()):
            header = split_cells(line)
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(split_cells(lines[i]))
                i += 1
            yield list(headings), header, rows
            continue
        i += 1


def tables_with(markdown: str, *first_columns: str) -> list[tuple[list[str], list[str], list[list[str]]]]:
    return [t for t in md_tables(markdown) if t[1][: len(first_columns)] == list(first_columns)]


def one_table(markdown: str, *first_columns: str) -> tuple[list[str], list[list[str]]]:
    found = tables_with(markdown, *first_columns)
    assert len(found) == 1, f"expected one table headed {first_columns}, found {len(found)}"
    return found[0][1], found[0][2]


def keyed(
    header: list[str], rows: list[list[str]], key_columns: int
) -> dict[tuple[str, ...], dict[str, str]]:
    out: dict[tuple[str, ...], dict[str, str]] = {}
    for row in rows:
        assert len(row) == len(header), row
        key = tuple(row[:key_columns])
        assert key not in out, f"duplicate row {key}"
        out[key] = dict(zip(header, row))
    return out


def strip_code(text: str) -> str:
    return text.strip("`")


# ----------------------------------------------------------------- fixtures --


@pytest.fixture(scope="module")
def data() -> Any:
    return sample_data()


@pytest.fixture(scope="module")
def markdown(data: Any) -> str:
    return render_markdown(data)


@pytest.fixture(scope="module")
def html(data: Any) -> str:
    return render_html(data)


def median(result: Any, metric: str) -> float:
    return result["summary"][metric]["median"]


# ----------------------------------------------------------------- numbers --


def test_fmt() -> None:
    assert fmt(None, "p50_us") == MISSING
    assert fmt(float("nan"), "p99_us") == MISSING
    assert fmt(5.234, "p50_us") == "5.23"
    assert fmt(12.34, "p95_us") == "12.3"
    assert fmt(99.97, "p99_us") == "100"
    assert fmt(812.4, "p999_us") == "812"
    assert fmt(12345.6, "max_us") == "12,346"
    assert fmt(33.21, "cpu_us_per_op") == "33.2"
    assert fmt(1.234, "ratio") == "1.23×"
    assert fmt(0.9735, "percent") == "97.4 %"
    assert fmt(19138.4, "throughput_ops_s") == "19,138"
    assert fmt(70.71, "rss_mib") == "70.7"
    assert fmt(14.08, "delta_us") == "+14.1"
    assert fmt(-3.2, "delta_us") == "−3.20"
    assert fmt(3, "int") == "3"
    assert fmt_count(5, 12) == "5/12"
    assert fmt_span(128.2, 142.9, "p50_us") == "128–143"
    with pytest.raises(ValueError):
        fmt(1.0, "furlongs")


def test_sample_is_deterministic(data: Any) -> None:
    assert sample_data() == data


# ------------------------------------------------------------------ results --

RESULT_KEY = ("Driver", "Layer", "API", "Concurrency")
MEDIAN_COLUMNS = {
    "p50 µs": "p50_us",
    "p95 µs": "p95_us",
    "p99 µs": "p99_us",
    "p99.9 µs": "p999_us",
    "max µs": "max_us",
    "ops/s": "throughput_ops_s",
    "CPU µs/op": "cpu_us_per_op",
    "RSS MiB": "rss_mib",
}


def result_tables(markdown: str) -> dict[str, dict[tuple[str, ...], dict[str, str]]]:
    """benchmark name → row key → column → cell, from the ``### title (`name`)`` headings."""
    out = {}
    for headings, header, rows in tables_with(markdown, *RESULT_KEY):
        match = re.search(r"\(`([^`]+)`\)$", headings[-1])
        assert match, f"results table under {headings[-1]!r} names no benchmark"
        assert headings[-2] == "Results"
        out[match[1]] = keyed(header, rows, 4)
    return out


def test_every_result_number_matches_the_data(data: Any, markdown: str) -> None:
    tables = result_tables(markdown)
    benchmarks = [b["name"] for b in data["benchmarks"]]
    assert sorted(tables) == sorted(benchmarks)
    for name in benchmarks:
        results = [r for r in data["results"] if r["benchmark"] == name]
        rows = tables[name]
        assert len(rows) == len(results), name
        for result in results:
            key = (result["driver"], result["layer"], result["api"], str(result["concurrency"]))
            row = rows[key]
            if result["status"] != "ok":
                assert row["p50 µs"] == f"**{result['status']}**: {result['reason']}"
                assert all(row[c] == MISSING for c in list(row)[5:]), row
                continue
            for column, metric in MEDIAN_COLUMNS.items():
                assert row[column] == fmt(median(result, metric), metric), (key, column)
            p50 = result["summary"]["p50_us"]
            assert row["p50 spread µs"] == f"{fmt(p50['min'], 'p50_us')}–{fmt(p50['max'], 'p50_us')}"
            targets = [r["target_rate_ops_s"] for r in result["rounds"] if r["target_rate_ops_s"] is not None]
            target = statistics.median(targets) if targets else None
            assert row["target ops/s"] == fmt(target, "throughput_ops_s"), key
            assert row["Rounds"] == str(len(result["rounds"]))
            assert row["Errors"] == str(sum(r["errors"] for r in result["rounds"]))


def test_every_ok_result_has_its_percentiles(data: Any, markdown: str) -> None:
    tables = result_tables(markdown)
    ok = [r for r in data["results"] if r["status"] == "ok"]
    assert ok
    for result in ok:
        row = tables[result["benchmark"]][
            (result["driver"], result["layer"], result["api"], str(result["concurrency"]))
        ]
        for column in ("p50 µs", "p95 µs", "p99 µs", "p99.9 µs"):
            assert re.fullmatch(r"[\d,]+(\.\d+)?", row[column]), (result["driver"], column, row[column])


def test_a_failed_result_is_said_clearly(data: Any, markdown: str, html: str) -> None:
    failed = [r for r in data["results"] if r["status"] == "failed"]
    assert len(failed) == 1
    result = failed[0]
    line = (
        f"> ⚠ **{result['driver']}** {result['layer']} {result['api']} ×{result['concurrency']} "
        f"failed: {result['reason']}"
    )
    assert line in markdown.splitlines()
    assert (
        f"<strong>{result['driver']}</strong> {result['layer']} {result['api']} ×{result['concurrency']}"
        in html
    )
    assert result["reason"] in html


# ---------------------------------------------------------------- scorecard --


def delta(overhead: Any, metric: str) -> str:
    """A scorecard ODM-overhead cell: ``–`` where the driver had no raw twin to compare with."""
    return fmt(overhead[metric] if overhead else None, "delta_us")


def test_scorecard_numbers_match_the_data(data: Any, markdown: str) -> None:
    header, rows = one_table(markdown, "Driver", "Package", "Matrix passed")
    table = keyed(header, rows, 1)
    card = data["scorecard"]["drivers"]
    assert sorted(k[0] for k in table) == sorted(data["drivers"])
    for driver in data["drivers"]:
        row = table[(driver,)]
        if driver not in card:
            assert all(cell == MISSING for cell in list(row.values())[2:]), row
            continue
        api, perf = card[driver]["api"], card[driver]["performance"]
        overhead = card[driver]["odm_overhead"]
        expected = {
            "Matrix passed": fmt_count(api["matrix_passed"], api["matrix_total"]),
            "Pass rate": fmt(api["matrix_pass_rate"], "percent"),
            "Capabilities": fmt_count(api["capabilities_true"], api["capabilities_total"]),
            "Latency vs best": fmt(perf["latency_vs_best"], "ratio"),
            "CPU vs best": fmt(perf["cpu_vs_best"], "ratio"),
            "Throughput vs best": fmt(perf["throughput_vs_best"], "ratio"),
            "Wins": fmt_count(perf["wins"], perf["compared"]),
            "ODM get +p50 µs": delta(overhead["get"], "p50_us"),
            "ODM get +CPU µs/op": delta(overhead["get"], "cpu_us_per_op"),
            "ODM save +p50 µs": delta(overhead["save"], "p50_us"),
            "ODM save +CPU µs/op": delta(overhead["save"], "cpu_us_per_op"),
        }
        for column, value in expected.items():
            assert row[column] == value, (driver, column)
        disagree = card[driver]["claims_disagree"]
        assert row["Claims ≠ measured"] == (", ".join(f"`{d}`" for d in disagree) or "none")


def test_relative_ratios_match_the_data(data: Any, markdown: str) -> None:
    header, rows = one_table(markdown, "Benchmark", "Layer", "API", "Concurrency", "Best")
    assert len(rows) == len(data["scorecard"]["relative"])
    for entry, row in zip(data["scorecard"]["relative"], rows):
        cells = dict(zip(header, row))
        assert strip_code(cells["Benchmark"]) == entry["benchmark"]
        assert cells["Best"] == entry["best_driver"]
        for driver, ratios in entry["ratios"].items():
            expected = f"{fmt(ratios['p50_us'], 'ratio')} · {fmt(ratios['cpu_us_per_op'], 'ratio')}"
            assert cells[f"{driver} (p50 · CPU)"] == expected


def test_a_missing_driver_is_said_clearly(data: Any, markdown: str, html: str) -> None:
    missing = [(name, info) for name, info in data["drivers"].items() if info["status"] == "missing"]
    assert len(missing) == 1
    name, info = missing[0]
    assert f"> ⚠ **{name}** was not measured (missing): {info['reason']}" in markdown.splitlines()
    assert f"<strong>{name}</strong> was not measured (missing)" in html
    assert not any(
        row.get("Driver") == name for rows in result_tables(markdown).values() for row in rows.values()
    )


def test_every_driver_appears(data: Any, markdown: str) -> None:
    fact_header, _ = one_table(markdown, "Fact")
    _, method_rows = one_table(markdown, "Driver", "Status", "Package")
    for driver in data["drivers"]:
        assert driver in fact_header
        assert any(row[0] == driver for row in method_rows), driver
    measured = {r["driver"] for r in data["results"]}
    listed = {key[0] for rows in result_tables(markdown).values() for key in rows}
    assert measured == listed == {d for d, i in data["drivers"].items() if i["status"] == "ok"}


# ------------------------------------------------------------- ODM overhead --


def test_overhead_tables_match_the_data(data: Any, markdown: str) -> None:
    header, rows = one_table(markdown, "Driver", "get +p50 µs")
    table = keyed(header, rows, 1)
    card = data["scorecard"]["drivers"]
    assert sorted(k[0] for k in table) == sorted(card)
    for driver, entry in card.items():
        for op in ("get", "save"):
            value = entry["odm_overhead"][op]
            assert table[(driver,)][f"{op} +p50 µs"] == delta(value, "p50_us")
            assert table[(driver,)][f"{op} +CPU µs/op"] == delta(value, "cpu_us_per_op")

    header, rows = one_table(markdown, "Driver", "Benchmark", "API", "Concurrency", "ODM p50 µs")
    pairs = keyed(header, [[r[0], strip_code(r[1]), *r[2:]] for r in rows], 4)
    ok = {
        (r["driver"], r["benchmark"], r["layer"], r["api"], r["concurrency"]): r
        for r in data["results"]
        if r["status"] == "ok"
    }
    expected = 0
    for (driver, bench, layer, api, conc), odm in ok.items():
        raw = ok.get((driver, bench, "raw", api, conc))
        if layer != "odm" or raw is None:
            continue
        expected += 1
        row = pairs[(driver, bench, api, str(conc))]
        for metric, label in (("p50_us", "p50 µs"), ("cpu_us_per_op", "CPU µs/op")):
            assert row[f"ODM {label}"] == fmt(median(odm, metric), metric)
            assert row[f"raw {label}"] == fmt(median(raw, metric), metric)
            assert row[f"+{label}"] == fmt(median(odm, metric) - median(raw, metric), "delta_us")
    assert expected == len(pairs) > 0


# --------------------------------------------------- facts, claims, matrix --


def test_readiness_facts_match_the_data(data: Any, markdown: str) -> None:
    header, rows = one_table(markdown, "Fact")
    titles = {f["title"]: f["name"] for f in data["scorecard"]["facts"]}
    assert [row[0] for row in rows] == list(titles)
    for row in rows:
        for driver, cell in zip(header[1:], row[1:]):
            value = data["probes"][driver][titles[row[0]]]["value"]
            expected = {True: "✅", False: "❌", None: MISSING}.get(value, value)
            assert cell == expected, (driver, row[0])


def test_claims_match_the_data(data: Any, markdown: str) -> None:
    header, rows = one_table(markdown, "Dimension")
    table = {strip_code(row[0]): dict(zip(header, row)) for row in rows}
    entries = data["scorecard"]["claims_vs_measured"]
    assert len(rows) == len({e["dimension"] for e in entries})
    for entry in entries:
        cell = table[entry["dimension"]][entry["driver"]]
        assert cell == claim_cell(entry)
        assert cell.startswith("⚠") == (entry["agree"] is False)
        assert cell.endswith(f"{entry['claim']} → {entry['measured']}")


def test_matrix_counts_match_the_data(data: Any, markdown: str) -> None:
    header, rows = one_table(markdown, "Driver", "Package", "Flavour")
    table = keyed(header, rows, 3)
    for driver, entry in data["matrix"]["drivers"].items():
        if "flavors" not in entry:
            assert any(k[0] == driver and entry["reason"] in k[2] for k in table), driver
            continue
        for flavour, counts in [*entry["flavors"].items(), ("total", entry["total"])]:
            key = next(k for k in table if k[0] == driver and k[2] == flavour)
            for outcome, count in counts.items():
                assert table[key][outcome] == fmt(count, "int"), (driver, flavour, outcome)


# --------------------------------------------------------------- structure --


def test_sections_come_in_order(data: Any, markdown: str) -> None:
    sections = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    problems = ["Problems"] if data["problems"] else []
    assert sections == [
        "Scorecard",
        "Production readiness",
        "Claims vs measured",
        "Results",
        "ODM overhead",
        "Integration matrix",
        *problems,
        "Method and environment",
    ]
    assert markdown.startswith("# ")


def test_title_and_method_name_the_run(data: Any, markdown: str) -> None:
    summary = markdown.splitlines()[2]
    assert data["run"]["id"] in summary and data["run"]["mode"] in summary
    assert data["environment"]["machine"]["cpu_model"] in summary
    method = markdown.split("## Method and environment", 1)[1]
    for text in (
        data["environment"]["os"],
        data["environment"]["python"],
        data["environment"]["event_loop"],
        data["environment"]["server"]["release"],
        "HDR histogram",
        "interleaved",
        "coordinated-omission",
        "intended start",
        "every thread",
    ):
        assert text in method, text
    for problem in data["problems"]:
        assert f"- {problem}" in markdown


def test_html_is_self_contained_with_scorecard_and_plots(html: str) -> None:
    assert re.search(r'<table id="scorecard">', html)
    sources = re.findall(r'<img class="plot" [^>]*src="([^"]+)"', html)
    assert len(sources) >= 4
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1]).startswith(PNG_SIGNATURE)
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_html_keeps_the_markdown_order(markdown: str, html: str) -> None:
    md_sections = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    html_sections = re.findall(r"<h2[^>]*>(.*?)</h2>", html)
    assert html_sections == md_sections


def test_write_reports(data: Any, tmp_path: Path) -> None:
    write_reports(data, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\((plots/[^)]+\.png)\)", markdown)
    assert len(links) >= 4
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(Path(link).name for link in links)
    for link in links:
        assert (tmp_path / link).read_bytes().startswith(PNG_SIGNATURE)
    assert html.count('class="plot"') == len(links)


def test_a_run_that_measured_nothing_still_renders() -> None:
    data = sample_data()
    data["results"] = []
    data["scorecard"] = {}
    data["matrix"] = {}
    data["probes"] = {}
    data["problems"] = []
    markdown = render_markdown(data)
    html = render_html(data)
    assert "No driver produced a result for `get`." in markdown
    assert "The integration matrix was not part of this run." in markdown
    assert "No production-readiness facts were collected in this run." in markdown
    assert "## Problems" not in markdown
    _, rows = one_table(markdown, "Driver", "Package", "Matrix passed")
    assert all(cell == MISSING for row in rows for cell in row[2:])
    assert '<table id="scorecard">' in html and 'class="plot"' not in html
