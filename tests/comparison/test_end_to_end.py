"""``python -m compare`` end to end on the local node, one driver, quick: it must
write the three reports with the promised shape. A test of the tool, never of
speed — no figure is compared with anything but its own data.json."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from compare.browser import dump_dom, screenshot
from compare.model import METRICS
from compare.workloads import SPECS

ROOT = Path(__file__).resolve().parents[2]
DRIVER = os.environ.get("COODIE_COMPARE_TEST_DRIVER", "native")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    command = [
        sys.executable, "-m", "compare", "--quick", "--drivers", DRIVER,
        "--matrix", "reuse", "--secure", "reuse", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    folder = (out / "latest").resolve()
    return folder, json.loads((folder / "data.json").read_text()), done.stdout


def test_writes_the_three_reports_and_points_latest_at_them(run):
    folder, data, stdout = run
    for name in ("data.json", "report.md", "report.html"):
        assert (folder / name).stat().st_size > 0, name
    assert folder.name == data["run"]["id"]
    assert "report:" in stdout and "Traceback" not in stdout


def test_every_benchmark_has_percentiles_for_the_driver(run):
    folder, data, _ = run
    assert data["drivers"][DRIVER]["status"] == "ok"
    results = [r for r in data["results"] if r["driver"] == DRIVER]
    names = {r["benchmark"] for r in results if r["status"] == "ok"}
    assert names == {s.name for s in SPECS}
    for r in results:
        if r["status"] != "ok":
            assert r["reason"], r
            continue
        assert len(r["rounds"]) == data["run"]["rounds"]
        assert set(r["summary"]) == set(METRICS)
        assert (
            0
            < r["summary"]["p50_us"]["median"]
            <= r["summary"]["p99_us"]["median"]
            <= r["summary"]["max_us"]["max"]
        )
    report = (folder / "report.md").read_text()
    for header in ("p50", "p95", "p99"):
        assert header in report


def test_raw_driver_runs_beside_coodie_for_get_and_save(run):
    _, data, _ = run
    raw = {
        (r["benchmark"], r["api"], r["concurrency"])
        for r in data["results"]
        if r["layer"] == "raw" and r["status"] == "ok"
    }
    assert {("get", "async", 1), ("save", "async", 1)} <= raw
    overhead = data["scorecard"]["drivers"][DRIVER]["odm_overhead"]
    assert overhead["get"] is not None and overhead["save"] is not None


def test_the_run_records_where_it_ran(run):
    _, data, _ = run
    env = data["environment"]
    assert env["machine"]["cores"] >= 1 and env["machine"]["cpu_model"]
    assert env["server"]["release"].startswith("5.")
    assert data["drivers"][DRIVER]["version"]
    assert data["run"]["mode"] == "quick"


def test_readiness_facts_are_probed_not_typed(run):
    _, data, _ = run
    facts = data["probes"][DRIVER]
    assert facts["protocol_version"]["value"] in ("v4", "v5")
    assert "system_views.clients" in facts["protocol_version"]["evidence"]
    assert isinstance(facts["clean_close"]["value"], bool)
    assert isinstance(facts["compression"]["value"], bool)


def test_render_alone_rewrites_the_same_reports_from_data_json(run, tmp_path):
    folder, _, _ = run
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "data.json").write_bytes((folder / "data.json").read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "compare", "--render", str(copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (copy / "report.md").read_text() == (folder / "report.md").read_text()


def test_the_html_report_renders_in_a_browser_with_plots_and_scorecard(run):
    folder, _, _ = run
    shot = screenshot(folder / "report.html")
    assert shot.parent == folder and shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    dom = dump_dom(folder / "report.html")  # as Chromium built it
    assert re.search(rf'<table id="scorecard">.*?<td>{DRIVER}</td>', dom, re.S)
    plots = [tag for tag in re.findall(r"<img\b[^>]*>", dom) if 'class="plot"' in tag]
    assert len(plots) >= 4 and all('src="data:image/png;base64,' in tag for tag in plots)


# The report-equals-data checks, run again on this real report (they take the
# ``data`` and ``markdown`` fixtures below instead of the synthetic sample's).
from unit.compare.test_render import (  # noqa: E402
    test_claims_match_the_data,
    test_every_driver_appears,
    test_every_ok_result_has_its_percentiles,
    test_every_result_number_matches_the_data,
    test_matrix_counts_match_the_data,
    test_overhead_tables_match_the_data,
    test_readiness_facts_match_the_data,
    test_relative_ratios_match_the_data,
    test_scorecard_numbers_match_the_data,
    test_sections_come_in_order,
    test_title_and_method_name_the_run,
)

__all__ = [
    "test_claims_match_the_data",
    "test_every_driver_appears",
    "test_every_ok_result_has_its_percentiles",
    "test_every_result_number_matches_the_data",
    "test_matrix_counts_match_the_data",
    "test_overhead_tables_match_the_data",
    "test_readiness_facts_match_the_data",
    "test_relative_ratios_match_the_data",
    "test_scorecard_numbers_match_the_data",
    "test_sections_come_in_order",
    "test_title_and_method_name_the_run",
]


@pytest.fixture(scope="module")
def data(run):
    return run[1]


@pytest.fixture(scope="module")
def markdown(run):
    return (run[0] / "report.md").read_text()
