"""The comparison's statistics: percentiles, summaries over rounds, interleaving, CPU accounting."""

import random

import pytest
from compare import stats
from compare.model import METRICS


def histogram_of(values_s):
    h = stats.new_histogram()
    for v in values_s:
        stats.record(h, v)
    return h


def test_percentiles_of_a_uniform_distribution():
    # 1..10,000 µs, each once: the p-th percentile is p % of 10,000 (within HDR's 0.1 %)
    h = histogram_of(us / 1e6 for us in range(1, 10_001))
    pct = stats.percentiles(h)
    for name, expected in (("p50_us", 5000), ("p95_us", 9500), ("p99_us", 9900), ("p999_us", 9990)):
        assert pct[name] == pytest.approx(expected, rel=2e-3), name
    assert pct["max_us"] == pytest.approx(10_000, rel=1e-3)
    assert pct["mean_us"] == pytest.approx(5000.5, rel=1e-3)


def test_percentiles_of_an_exponential_distribution():
    rng = random.Random(7)
    mean_us = 800.0
    values = sorted(rng.expovariate(1 / mean_us) + 1 for _ in range(200_000))
    h = histogram_of(v / 1e6 for v in values)
    pct = stats.percentiles(h)
    for name, q in (("p50_us", 0.50), ("p95_us", 0.95), ("p99_us", 0.99), ("p999_us", 0.999)):
        exact = values[int(q * len(values)) - 1]
        assert pct[name] == pytest.approx(exact, rel=5e-3), name


def test_a_bimodal_tail_shows_in_p99_not_in_p50():
    h = histogram_of([0.001] * 980 + [0.1] * 20)
    pct = stats.percentiles(h)
    assert pct["p50_us"] == pytest.approx(1000, rel=1e-3)
    assert pct["p95_us"] == pytest.approx(1000, rel=1e-3)
    assert pct["p99_us"] == pytest.approx(100_000, rel=1e-3)


def test_empty_histogram_gives_zeros_not_an_error():
    assert set(stats.percentiles(stats.new_histogram()).values()) == {0.0}


def test_histograms_cross_a_process_boundary_intact():
    h = histogram_of([0.0005, 0.002, 0.3])
    back = stats.decode(stats.encode(h))
    assert back.get_total_count() == 3
    assert stats.percentiles(back) == stats.percentiles(h)


def test_values_outside_the_range_are_clamped():
    h = histogram_of([0.0, 1e6])
    assert h.get_total_count() == 2
    assert stats.percentiles(h)["max_us"] >= stats.HIGHEST_US * 0.999


def test_cpu_per_op_and_throughput():
    assert stats.cpu_per_op_us(0.5, 10_000) == pytest.approx(50.0)
    assert stats.cpu_per_op_us(0.5, 0) == 0.0
    assert stats.throughput(3000, 1.5) == pytest.approx(2000.0)
    assert stats.throughput(10, 0.0) == 0.0


def sample(ops, cpu_s, wall_s, latencies_s):
    return stats.Sample(
        ops=ops, errors=0, wall_s=wall_s, cpu_s=cpu_s, rss_mib=10.0, histogram=histogram_of(latencies_s)
    )


def test_round_figures_come_from_the_sample():
    r = stats.to_round(2, sample(1000, 0.25, 2.0, [0.001] * 1000))
    assert r["round"] == 2
    assert r["cpu_us_per_op"] == pytest.approx(250.0)
    assert r["throughput_ops_s"] == pytest.approx(500.0)
    assert r["p50_us"] == pytest.approx(1000, rel=1e-3)
    assert r["target_rate_ops_s"] is None


def test_summary_is_median_min_max_over_rounds():
    rounds = [
        stats.to_round(i + 1, sample(100, cpu, 1.0, [lat] * 100))
        for i, (cpu, lat) in enumerate([(0.01, 0.001), (0.03, 0.003), (0.02, 0.002)])
    ]
    summary = stats.summarize(rounds)
    assert set(summary) == set(METRICS)
    assert summary["cpu_us_per_op"] == {
        "median": pytest.approx(200.0),
        "min": pytest.approx(100.0),
        "max": pytest.approx(300.0),
    }
    assert summary["p50_us"]["median"] == pytest.approx(2000, rel=1e-3)


def test_rounds_where_nothing_completed_are_left_out_of_the_summary():
    empty = stats.to_round(1, sample(0, 0.1, 1.0, []))
    full = stats.to_round(2, sample(10, 0.001, 1.0, [0.001] * 10))
    assert stats.summarize([empty, full])["p50_us"]["min"] == pytest.approx(1000, rel=1e-3)
    assert stats.summarize([empty]) == {}


def test_interleaving_runs_every_driver_in_turn_each_round_and_rotates_the_first():
    order = stats.interleave(3, ["get", "save"], ["A", "B", "C"])
    assert [(r, b, d) for r, b, d in order[:9]] == [
        (1, "get", "A"), (1, "get", "B"), (1, "get", "C"),
        (2, "get", "B"), (2, "get", "C"), (2, "get", "A"),
        (3, "get", "C"), (3, "get", "A"), (3, "get", "B"),
    ]  # fmt: skip
    assert len(order) == 3 * 2 * 3
    # each driver runs each benchmark once per round, never twice in a row within a benchmark round
    for bench in ("get", "save"):
        for rnd in (1, 2, 3):
            assert sorted(d for r, b, d in order if r == rnd and b == bench) == ["A", "B", "C"]


def test_interleaving_with_one_driver_is_its_rounds_in_order():
    assert stats.interleave(2, ["x"], ["only"]) == [(1, "x", "only"), (2, "x", "only")]


def test_geometric_mean_ignores_missing_values():
    assert stats.geometric_mean([1.0, 4.0]) == pytest.approx(2.0)
    assert stats.geometric_mean([]) is None
