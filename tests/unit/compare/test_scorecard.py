"""The scorecard's arithmetic: ratios to the best, geometric means, ODM overhead."""

import pytest
from compare import scorecard


def result(driver, bench, p50, cpu, tput, layer="odm", api="async", conc=1, status="ok"):
    summary = {
        m: {"median": v, "min": v, "max": v}
        for m, v in (("p50_us", p50), ("cpu_us_per_op", cpu), ("throughput_ops_s", tput))
    }
    return {"driver": driver, "benchmark": bench, "layer": layer, "api": api, "concurrency": conc, "status": status,
            "reason": None, "rounds": [{}], "summary": summary}  # fmt: skip


RESULTS = [
    result("a", "get", 100, 10, 1000),
    result("b", "get", 200, 40, 500),
    result("a", "save", 300, 30, 300),
    result("b", "save", 150, 30, 600),
    result("a", "get", 80, 8, 1200, layer="raw"),
    result("b", "get", 150, 30, 700, layer="raw"),
    result("a", "instantiate", 5, 5, 1e5),  # no I/O: never ranked
    result("b", "instantiate", 50, 50, 1e4),
]


def test_ratios_are_to_the_best_driver_of_each_variant():
    rows = {(r["benchmark"], r["layer"]): r for r in scorecard.relative(RESULTS)}
    assert ("instantiate", "odm") not in rows
    get = rows[("get", "odm")]
    assert get["best_driver"] == "a"
    assert get["ratios"]["b"] == {"p50_us": 2.0, "cpu_us_per_op": 4.0, "throughput_ops_s": 2.0}
    assert rows[("save", "odm")]["best_driver"] == "b"


def test_performance_is_the_geometric_mean_over_odm_variants():
    rows = scorecard.relative(RESULTS)
    a = scorecard.performance(rows, "a")
    b = scorecard.performance(rows, "b")
    assert a["latency_vs_best"] == pytest.approx((1.0 * 2.0) ** 0.5)
    assert b["latency_vs_best"] == pytest.approx((2.0 * 1.0) ** 0.5)
    assert b["cpu_vs_best"] == pytest.approx((4.0 * 1.0) ** 0.5)
    assert (a["wins"], a["compared"], b["wins"]) == (1, 2, 1)


def test_odm_overhead_is_coodie_minus_the_raw_driver():
    rows = scorecard.overhead_rows(RESULTS)
    assert [(r["driver"], r["benchmark"]) for r in rows] == [("a", "get"), ("b", "get")]
    over = scorecard.odm_overhead(rows, "b")
    assert over["get"] == {"p50_us": 50, "cpu_us_per_op": 10}
    assert over["save"] is None


def test_failed_results_are_left_out():
    rows = scorecard.relative(
        [result("a", "get", 100, 10, 1000), result("b", "get", 1, 1, 1e6, status="failed")]
    )
    assert rows[0]["best_driver"] == "a" and set(rows[0]["ratios"]) == {"a"}


def test_api_completeness_counts_flags_and_rated_outcomes():
    entry = {
        "status": "ran",
        "total": {"passed": 8, "xfailed": 2, "failed": 0, "error": 0, "xpassed": 0, "skipped": 3},
    }
    got = scorecard.api_completeness({"tls": True, "lz4": False, "close": True}, entry)
    assert got["capabilities_true"] == 2 and got["capabilities_total"] == 3
    assert got["matrix_passed"] == 8 and got["matrix_total"] == 10
    assert got["matrix_pass_rate"] == pytest.approx(0.8)
    assert scorecard.api_completeness({}, None)["matrix_pass_rate"] is None
