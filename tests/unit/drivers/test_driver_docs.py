"""docs/drivers.md carries a capability table generated from the backends' flags: it must be current."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "gen_driver_docs.py"


def load():
    spec = importlib.util.spec_from_file_location("coodie_gen_driver_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    module = load()
    try:
        module.backends()
    except ImportError as exc:
        pytest.skip(f"every driver package is needed to render the table: {exc}")
    return module


def test_driver_docs_are_up_to_date(gen):
    text = gen.DOC.read_text(encoding="utf-8")
    assert gen.updated(text) == text, "docs/drivers.md is out of date: run python tools/gen_driver_docs.py"
    assert gen.main(["--check"]) == 0


def test_every_capability_and_every_gap_is_in_the_table(gen):
    from dataclasses import fields

    from coodie.drivers.base import Capabilities

    table = gen.render()
    for f in fields(Capabilities):
        if f.name != "gaps":
            assert f"(`{f.name}`)" in table
    for _, cls in gen.backends():
        for name, _reason in cls.capabilities.gaps:
            assert f"`{name}`:" in table


def test_the_table_covers_every_backend(gen):
    labels = " ".join(label for label, _ in gen.backends())
    for driver_type in ("scylla", "cassandra", "acsylla", "python-rs"):
        assert f"`{driver_type}`" in labels


def test_check_fails_on_a_stale_document(gen, tmp_path, monkeypatch):
    stale = tmp_path / "drivers.md"
    stale.write_text(f"intro\n{gen.BEGIN}\nold table\n{gen.END}\nrest\n", encoding="utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path)
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    fresh = stale.read_text(encoding="utf-8")
    assert fresh.startswith("intro\n") and fresh.endswith("rest\n") and "old table" not in fresh
    assert gen.main(["--check"]) == 0


def test_code_types_escapes_cql_types(gen):
    assert gen.code_types("no set<frozen<set<int>>> here") == "no `set<frozen<set<int>>>` here"
    assert gen.code_types("already `list<int>`") == "already `list<int>`"
