"""The comparison's orchestration with fake workers and no node: a missing driver,
a driver that dies mid-run and a node that is down each give a clear line, and
the other drivers still run."""

import pytest
from compare import run as run_mod
from compare import stats
from compare.run import Comparison, Settings, variants
from compare.workers import WorkerError
from compare.workloads import BY_NAME


class FakeView:
    def __init__(self, hosts):
        self.seen = 0

    def clients(self):
        self.seen += 1
        return {
            ("127.0.0.1", 40000 + n): {"protocol_version": 4, "driver_name": "fake", "client_options": {}}
            for n in range(self.seen)
        }

    def server(self):
        return {"release": "5.0.8", "settings": {}, "node": {}}

    def close(self):
        pass


def fake_sample(ops=100):
    h = stats.new_histogram()
    for i in range(ops):
        stats.record(h, 0.0005 + i * 1e-6)
    return {"ok": True, "ops": ops, "errors": 0, "first_error": None, "wall_s": 0.1, "cpu_s": 0.01,
            "rss_mib": 30.0, "target_rate_ops_s": None, "histogram": stats.encode(h)}  # fmt: skip


class FakeWorker:
    #: driver → behaviour: "ok", "missing", "dies" (after a few runs)
    behaviour: dict = {}
    calls: list = []

    def __init__(self, driver, index, hosts, log):
        self.driver, self.alive, self.runs = driver, True, 0

    def call(self, command, timeout):
        how = self.behaviour.get(self.driver, "ok")
        FakeWorker.calls.append((self.driver, command["cmd"]))
        if command["cmd"] == "hello":
            if how == "missing":
                return {
                    "ok": False,
                    "error": "ImportError: coodie driver_type='acsylla' needs a package that is not installed: pip install 'coodie[acsylla]'",
                }
            return {
                "ok": True,
                "package": self.driver,
                "version": "1.0",
                "capabilities": {"close": True, "native_sync": True, "native_async": True},
                "gaps": {},
                "wheel": {
                    "installed": True,
                    "tags": ["py3-none-any"],
                    "from_source": False,
                    "installer": "pip",
                },
            }
        if command["cmd"] == "run":
            self.runs += 1
            if how == "dies" and self.runs > 3:
                self.alive = False
                raise WorkerError("the worker exited (code -9) during run")
            if command["api"] == "sync" and command["layer"] == "raw" and how == "no-sync":
                return {"ok": False, "unsupported": True, "error": "no blocking API"}
            return fake_sample()
        if command["cmd"] == "prepare":
            return {"ok": True, "raw": {"sync": True, "async": True, "reason": None}}
        if command["cmd"] == "probe_close":
            return {
                "ok": True,
                "close_error": None,
                "close_s": 0.001,
                "threads_before": 1,
                "threads_after": 1,
            }
        return {"ok": True}

    def close(self, timeout=60.0):
        self.alive = False
        return {"ok": True}

    def kill(self):
        self.alive = False


def settings(tmp_path, drivers, benchmarks=("get", "instantiate")):
    return Settings(mode="quick", rounds=2, duration_s=0.01, warmup_s=0.0, load_fraction=0.5, drivers=list(drivers),
                    benchmarks=list(benchmarks), hosts=["127.0.0.1"], out_root=tmp_path, matrix="skip", secure="skip",
                    command="test")  # fmt: skip


class Quiet:
    def __init__(self):
        self.lines = []

    def note(self, line):
        self.lines.append(line)

    def start(self, total, estimate):
        self.total = total

    def advance(self, label, weight=0.0):
        pass

    def finish(self):
        pass


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setattr(run_mod, "WorkerProcess", FakeWorker)
    monkeypatch.setattr(run_mod, "ServerView", FakeView)
    FakeWorker.calls = []
    yield FakeWorker


def test_variants_cover_sync_async_and_64_in_flight_with_raw_twins():
    got = {
        (v.benchmark, v.layer, v.api, v.concurrency)
        for v in variants([BY_NAME["get"], BY_NAME["scan_10k"], BY_NAME["instantiate"]])
    }
    assert ("get", "odm", "async", 64) in got and ("get", "raw", "sync", 64) in got
    assert ("scan_10k", "odm", "async", 1) in got and ("scan_10k", "odm", "async", 64) not in got
    assert {v for v in got if v[0] == "instantiate"} == {("instantiate", "odm", "sync", 1)}


def test_a_missing_driver_is_a_line_and_the_others_run(tmp_path, fakes):
    fakes.behaviour = {"acsylla": "missing"}
    progress = Quiet()
    data = Comparison(settings(tmp_path, ["native", "acsylla"]), progress).execute()
    assert data["drivers"]["acsylla"]["status"] == "missing"
    assert any("acsylla: not installed" in p for p in data["problems"])
    assert any("not installed" in line for line in progress.lines)
    native = [r for r in data["results"] if r["driver"] == "native"]
    assert native and all(r["status"] == "ok" and len(r["rounds"]) == 2 for r in native)
    assert not [r for r in data["results"] if r["driver"] == "acsylla"]


def test_a_driver_dying_mid_run_is_a_line_and_the_others_finish(tmp_path, fakes):
    fakes.behaviour = {"scylla": "dies"}
    data = Comparison(settings(tmp_path, ["native", "scylla"]), Quiet()).execute()
    assert data["drivers"]["scylla"]["status"] == "failed"
    assert "exited" in data["drivers"]["scylla"]["reason"]
    assert any(p.startswith("scylla:") and "the other drivers go on" in p for p in data["problems"])
    scylla = [r for r in data["results"] if r["driver"] == "scylla"]
    assert any(r["status"] == "failed" and r["reason"] for r in scylla)
    assert all(r["status"] == "ok" for r in data["results"] if r["driver"] == "native")
    # no command went to the dead worker after it died
    dead_at = next(
        i
        for i, c in enumerate(fakes.calls)
        if c == ("scylla", "run") and fakes.calls[: i + 1].count(("scylla", "run")) == 4
    )
    assert ("scylla", "run") not in fakes.calls[dead_at + 1 :]


def test_rounds_are_interleaved_across_drivers(tmp_path, fakes):
    fakes.behaviour = {}
    Comparison(settings(tmp_path, ["native", "scylla"], ["instantiate"]), Quiet()).execute()
    runs = [d for d, cmd in fakes.calls if cmd == "run"]
    # warm-up native, scylla; round 1 native, scylla; round 2 rotated: scylla, native
    assert runs == ["native", "scylla", "native", "scylla", "scylla", "native"]


def test_a_node_that_is_down_is_a_clear_line_not_a_traceback(tmp_path, monkeypatch):
    class Down:
        def __init__(self, hosts):
            raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(run_mod, "ServerView", Down)
    data = Comparison(settings(tmp_path, ["native"]), Quiet()).execute()
    assert any("does not answer" in p and "make db-start" in p for p in data["problems"])
    assert data["results"] == []
    assert data["drivers"]["native"]["status"] == "failed"


def test_paced_rounds_use_the_closed_loop_rate(tmp_path, fakes):
    fakes.behaviour = {}
    seen = []
    original = FakeWorker.call

    def spy(self, command, timeout):
        if command["cmd"] == "run":
            seen.append((command["concurrency"], command.get("rate")))
        return original(self, command, timeout)

    FakeWorker.call = spy
    try:
        data = Comparison(settings(tmp_path, ["native"], ["get"]), Quiet()).execute()
    finally:
        FakeWorker.call = original
    rates = [rate for conc, rate in seen if conc == 64 and rate is not None]
    # the fake does 100 ops in 0.1 s: 1,000 ops/s closed loop → paced at 500 ops/s
    assert rates and all(r == pytest.approx(500.0) for r in rates)
    r64 = next(r for r in data["results"] if r["concurrency"] == 64)
    assert r64["rounds"][0]["throughput_ops_s"] == pytest.approx(1000.0)


def test_progress_eta_weighs_steps_by_their_estimate(monkeypatch):
    import io

    from compare import progress as progress_mod

    clock = [100.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: clock[0])
    p = progress_mod.Progress(stream=io.StringIO(), live=False)
    p.start(total=3, estimate_s=10.0)  # e.g. two 1-s warm-ups and one 8-s round
    assert p.eta() == 10.0
    p.advance("warm-up a", 1.0)
    p.advance("warm-up b", 1.0)
    clock[0] += 4.0  # the warm-ups took twice their estimate
    assert p.eta() == 16.0  # the 8-s round left, at the same pace
