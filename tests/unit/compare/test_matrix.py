"""compare.matrix: run files of the integration matrix merged into one document."""

import json
import os

import pytest
from compare import matrix


def counts(**given):
    return {o: given.get(o, 0) for o in matrix.OUTCOMES}


def ran(driver, passed=1, failed=0, **more):
    return {
        "status": "ran",
        "driver": driver,
        "driver_version": "1.0",
        "keyspace": "ks",
        "init_error": None,
        "teardown_error": None,
        "capabilities": {"paging_state": True},
        "gaps": {},
        "flavors": {"sync": counts(passed=passed, failed=failed), "aio": counts(passed=passed)},
        "total": counts(passed=2 * passed, failed=failed),
        "tests": {"test_crud.py::test_x[sync]": {"flavor": "sync", "outcome": "passed", "detail": None}},
        **more,
    }


def unavailable(reason="ImportError: no module"):
    return {"status": "unavailable", "alias_of": None, "reason": reason}


def run_doc(generated, drivers, selection="explicit"):
    return {
        "generated": generated,
        "coodie_version": "0.1.0",
        "selection": selection,
        "hosts": ["127.0.0.1"],
        "drivers": drivers,
    }


def write(folder, name, doc, mtime=None):
    path = matrix.write_run(folder, name, doc)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_two_runs_of_different_drivers_merge_into_one(tmp_path):
    folder = tmp_path / "matrix"
    write(
        folder,
        "acsylla+scylla",
        run_doc("2024-01-01T10:00:00+00:00", {"scylla": ran("s"), "acsylla": ran("a")}),
    )
    write(folder, "cassandra", run_doc("2024-01-01T11:00:00+00:00", {"cassandra": ran("c")}))

    merged = matrix.merge_runs(folder)

    assert set(merged["drivers"]) == {"scylla", "acsylla", "cassandra"}
    assert merged["drivers"]["cassandra"] == ran("c")  # entries as the suite wrote them
    assert merged["sources"] == {
        "acsylla": "acsylla+scylla.json",
        "cassandra": "cassandra.json",
        "scylla": "acsylla+scylla.json",
    }
    assert merged["runs"] == [
        {"file": "acsylla+scylla.json", "generated": "2024-01-01T10:00:00+00:00", "selection": "explicit"},
        {"file": "cassandra.json", "generated": "2024-01-01T11:00:00+00:00", "selection": "explicit"},
    ]
    assert merged["hosts"] == ["127.0.0.1"]


def test_a_newer_run_of_a_driver_replaces_the_older(tmp_path):
    folder = tmp_path / "matrix"
    write(
        folder,
        "native+scylla",
        run_doc("2024-01-01T10:00:00+00:00", {"scylla": ran("old"), "native": ran("n")}),
    )
    write(folder, "scylla", run_doc("2024-01-02T10:00:00+00:00", {"scylla": ran("new", failed=1)}))

    merged = matrix.merge_runs(folder)

    assert merged["drivers"]["scylla"]["driver"] == "new"
    assert merged["sources"]["scylla"] == "scylla.json"
    assert merged["drivers"]["native"]["driver"] == "n"  # not in the newer run: kept


def test_same_second_runs_are_ordered_by_file_time(tmp_path):
    folder = tmp_path / "matrix"
    same = "2024-01-01T10:00:00+00:00"
    write(folder, "b", run_doc(same, {"scylla": ran("first")}), mtime=1_000)
    write(folder, "a", run_doc(same, {"scylla": ran("second")}), mtime=2_000)

    assert matrix.merge_runs(folder)["drivers"]["scylla"]["driver"] == "second"


@pytest.mark.parametrize(
    "newer",
    [unavailable(), {"status": "alias", "alias_of": "scylla", "reason": "same class"}, ran("x", passed=0)],
)
def test_an_entry_that_did_not_run_does_not_replace_one_that_ran(tmp_path, newer):
    if "flavors" in newer:
        newer = {**newer, "status": "not run"}
    folder = tmp_path / "matrix"
    write(folder, "cassandra", run_doc("2024-01-01T10:00:00+00:00", {"cassandra": ran("c")}))
    write(folder, "scylla", run_doc("2024-01-02T10:00:00+00:00", {"scylla": ran("s"), "cassandra": newer}))

    merged = matrix.merge_runs(folder)

    assert merged["drivers"]["cassandra"] == ran("c")
    assert merged["sources"]["cassandra"] == "cassandra.json"


def test_a_driver_that_never_ran_keeps_its_newest_entry(tmp_path):
    folder = tmp_path / "matrix"
    write(
        folder,
        "scylla",
        run_doc("2024-01-01T10:00:00+00:00", {"scylla": ran("s"), "acsylla": unavailable("old")}),
    )
    write(
        folder,
        "native",
        run_doc("2024-01-02T10:00:00+00:00", {"native": ran("n"), "acsylla": unavailable("new")}),
    )

    assert matrix.merge_runs(folder)["drivers"]["acsylla"]["reason"] == "new"


def test_unreadable_run_files_are_skipped(tmp_path):
    folder = tmp_path / "matrix"
    write(folder, "scylla", run_doc("2024-01-01T10:00:00+00:00", {"scylla": ran("s")}))
    (folder / "broken.json").write_text("{not json")
    (folder / "other.json").write_text(json.dumps({"no": "drivers"}))

    merged = matrix.merge_runs(folder)

    assert list(merged["drivers"]) == ["scylla"]
    assert merged["unreadable"] == ["broken.json", "other.json"]


def test_an_empty_or_missing_folder_merges_to_nothing(tmp_path):
    merged = matrix.merge_runs(tmp_path / "nowhere")
    assert merged["drivers"] == {}
    assert merged["runs"] == []


def test_pass_rate():
    entry = {
        "flavors": {
            "sync": counts(passed=6, failed=1, xfailed=1, skipped=5),
            "aio": counts(passed=2, error=1, xpassed=1),
        }
    }
    # 8 passed of 8 + 1 failed + 1 error + 1 xpassed + 1 xfailed; skipped does not count
    assert matrix.pass_rate(entry) == pytest.approx(8 / 12)
    assert matrix.pass_rate({"flavors": {"sync": counts(passed=3)}}) == 1.0
    assert matrix.pass_rate({"flavors": {"sync": counts(failed=3)}}) == 0.0


def test_pass_rate_is_none_when_nothing_ran():
    assert matrix.pass_rate(unavailable()) is None
    assert matrix.pass_rate({"flavors": {"sync": counts(), "aio": counts(skipped=4)}}) is None


def test_rendered_markdown_lists_every_driver(tmp_path):
    folder = tmp_path / "matrix"
    write(
        folder,
        "native+scylla",
        run_doc(
            "2024-01-01T10:00:00+00:00",
            {"scylla": ran("s"), "native": ran("n", failed=2), "python-rs": unavailable("no wheel")},
        ),
    )
    write(folder, "cassandra", run_doc("2024-01-01T11:00:00+00:00", {"cassandra": ran("c")}))

    text = matrix.render_markdown(matrix.merge_runs(folder))

    for name in ("scylla", "native", "cassandra"):
        assert f"| {name} | sync |" in text
        assert f"| {name} | aio |" in text
        assert f"## {name}" in text
    assert "**python-rs** (unavailable): no wheel" in text
    assert "`cassandra.json`" in text
    assert "| native | sync | 1 | 0 | 2 | 0 | 0 | 0 | 33.3% |" in text


def test_write_merged_writes_json_and_markdown_beside_the_folder(tmp_path):
    folder = tmp_path / "secure"
    write(folder, "scylla", run_doc("2024-01-01T10:00:00+00:00", {"scylla": ran("s")}))
    write(folder, "cassandra", run_doc("2024-01-01T11:00:00+00:00", {"cassandra": ran("c")}))

    merged = matrix.write_merged(folder, render=lambda doc: "drivers: " + ",".join(doc["drivers"]))

    assert json.loads((tmp_path / "secure.json").read_text()) == merged
    assert (tmp_path / "secure.md").read_text() == "drivers: cassandra,scylla"
    matrix.write_merged(folder)
    assert "## cassandra" in (tmp_path / "secure.md").read_text()


def test_run_key_and_results_dir(tmp_path, monkeypatch):
    assert matrix.run_key(["scylla", "native", "python-rs", "acsylla"]) == "acsylla+native+python-rs+scylla"
    assert matrix.run_key(["cassandra"]) == "cassandra"
    monkeypatch.delenv(matrix.RESULTS_ENV, raising=False)
    assert matrix.results_dir(tmp_path) == tmp_path / "results"
    monkeypatch.setenv(matrix.RESULTS_ENV, str(tmp_path / "mx"))
    assert matrix.results_dir(tmp_path) == tmp_path / "mx"
