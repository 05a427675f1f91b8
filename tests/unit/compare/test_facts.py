"""Readiness facts come from evidence of the run, each with the evidence named."""

from compare import claims, facts


def entry(*tests, lacks=()):
    caps = {c: c not in lacks for c in ("batches", "paging_state", "per_statement_timestamp", "tls")}
    return {"status": "ran", "capabilities": caps, "tests": {name: t for name, t in tests}}


def case(name, outcome, requires, detail=None):
    return name, {"outcome": outcome, "requires": list(requires), "detail": detail}


def test_a_capability_holds_when_every_test_needing_it_passed():
    e = entry(
        case("a", "passed", ["batches"]),
        case("b", "passed", ["batches", "paging_state"]),
        case("c", "failed", []),
    )
    fact = facts.from_tests(e, "batches", "matrix")
    assert fact["value"] is True and "2 test(s)" in fact["evidence"]


def test_an_expected_failure_for_this_capability_is_a_no_with_the_reason():
    e = entry(case("a", "passed", ["batches"]), case("t", "xfailed", ["batches", "per_statement_timestamp"],
                                                          "backend lacks per_statement_timestamp: only a session default"), lacks=["per_statement_timestamp"])  # fmt: skip
    assert facts.from_tests(e, "batches", "matrix")["value"] is True  # the xfail is about timestamps
    no = facts.from_tests(e, "per_statement_timestamp", "matrix")
    assert no["value"] is False and "only a session default" in no["evidence"]


def test_a_plain_failure_is_a_no():
    e = entry(case("a", "failed", ["paging_state"], "AssertionError: rows lost"))
    fact = facts.from_tests(e, "paging_state", "matrix")
    assert fact["value"] is False and "rows lost" in fact["evidence"]


def test_nothing_ran_is_unknown_not_no():
    assert facts.from_tests(None, "tls", "secure")["value"] is None
    assert facts.from_tests({"status": "not run", "reason": "deselected"}, "tls", "secure")[
        "evidence"
    ].endswith("deselected")
    assert facts.from_tests(entry(case("a", "passed", [])), "tls", "secure")["value"] is None


def test_wheel_fact_reads_the_install_metadata():
    wheel = {
        "installed": True,
        "tags": ["cp311-cp311-manylinux_2_17_x86_64"],
        "from_source": False,
        "installer": "pip",
    }
    assert facts.wheel_fact({"wheel": wheel})["value"] is True
    local = {**wheel, "tags": ["cp311-cp311-linux_x86_64"]}
    assert facts.wheel_fact({"wheel": local})["value"] is False
    source = {**wheel, "from_source": True}
    assert "source tree" in facts.wheel_fact({"wheel": source})["evidence"]
    assert facts.wheel_fact({})["value"] is None


def test_compression_is_what_the_server_saw():
    seen = {"error": None, "connections": [{"client_options": {"COMPRESSION": "lz4"}}]}
    assert facts.compression_fact(seen)["value"] is True
    plain = {"error": None, "connections": [{"client_options": {}}]}
    assert facts.compression_fact(plain)["value"] is False
    refused = {"error": "ConfigurationError: cannot compress", "connections": []}
    assert "refused" in facts.compression_fact(refused)["evidence"]
    assert facts.compression_fact(None)["value"] is None


def test_close_fact():
    hello = {"capabilities": {"close": True}}
    ok = {"close_error": None, "close_s": 0.002, "threads_before": 3, "threads_after": 3}
    assert facts.close_fact(ok, hello)["value"] is True
    assert facts.close_fact({**ok, "threads_after": 5}, hello)["evidence"] == "close left 2 thread(s) running"
    assert facts.close_fact({**ok, "close_error": "RuntimeError: x"}, hello)["value"] is False
    no_close = {"capabilities": {"close": False}, "gaps": {"close": "no session close"}}
    assert facts.close_fact(ok, no_close) == {"value": False, "evidence": "no session close"}


def test_protocol_fact_lists_what_was_negotiated():
    conns = [{"protocol_version": 4, "driver_name": "x"}, {"protocol_version": 5, "driver_name": "x"}]
    assert facts.protocol_fact(conns)["value"] == "v4/v5"
    assert facts.protocol_fact([])["value"] is None


def test_collect_gives_every_fact_in_order():
    got = facts.collect("native", {}, [], None, None, None, None, None, None)
    assert list(got) == [name for name, _ in facts.FACTS]
    assert got["shard_awareness"]["value"] is None


def test_claims_agree_only_on_measured_booleans():
    assert claims.agrees("yes", True) is True
    assert claims.agrees("branch", True) is False
    assert claims.agrees("no", False) is True
    assert claims.agrees("yes", None) is None
    assert claims.agrees("yes", "v4") is None
    assert set(claims.CLAIMS["native"]) == set(claims.DIMENSIONS)
