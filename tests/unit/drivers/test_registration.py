"""Import guards (missing or wrong driver packages) and registration through init_coodie."""

import asyncio
import importlib
import sys
import types

import pytest

from coodie import drivers
from coodie.drivers import backend_module, get_driver, init_coodie, init_coodie_async
from coodie.exceptions import ConfigurationError


def _forget(monkeypatch, *prefixes: str) -> None:
    """Drop modules from sys.modules for this test (monkeypatch puts them back afterwards)."""
    for name in list(sys.modules):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            monkeypatch.delitem(sys.modules, name)


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(drivers, "_registry", {})
    monkeypatch.setattr(drivers, "_default_name", None)
    return drivers


# ----------------------------------------------------------- import guards --


def test_missing_acsylla_names_the_extra(monkeypatch):
    _forget(monkeypatch, "acsylla", "coodie.drivers.acsylla")
    monkeypatch.setitem(sys.modules, "acsylla", None)  # "not installed"
    with pytest.raises(ImportError, match=r"pip install 'coodie\[acsylla\]'"):
        importlib.import_module("coodie.drivers.acsylla")
    with pytest.raises(ImportError, match=r"coodie\[acsylla\]"):
        backend_module("acsylla")


def test_missing_python_rs_driver_names_the_extra(monkeypatch):
    _forget(monkeypatch, "scylla", "coodie.drivers.python_rs")
    monkeypatch.setitem(sys.modules, "scylla", None)
    with pytest.raises(ImportError, match=r"scylladb-rs-driver.*pip install 'coodie\[python-rs\]'"):
        importlib.import_module("coodie.drivers.python_rs")
    with pytest.raises(ImportError, match=r"coodie\[python-rs\]"):
        backend_module("python-rs")


def _fake_scylla(tmp_path, session_builder: str | None = None):
    pkg = tmp_path / "scylla"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""An unrelated package that happens to be called scylla."""\n')
    if session_builder is not None:
        (pkg / "session_builder.py").write_text(session_builder)
    return tmp_path


def test_the_unrelated_scylla_package_is_recognised(monkeypatch, tmp_path):
    _forget(monkeypatch, "scylla", "coodie.drivers.python_rs")
    monkeypatch.syspath_prepend(str(_fake_scylla(tmp_path)))
    with pytest.raises(ImportError) as info:
        importlib.import_module("coodie.drivers.python_rs")
    message = str(info.value)
    assert "is not python-rs-driver" in message and "unrelated PyPI project named 'scylla'" in message
    assert "pip install 'coodie[python-rs]'" in message and "pip uninstall scylla" in message


def test_a_broken_python_rs_install_is_not_called_the_wrong_package(monkeypatch, tmp_path):
    _forget(monkeypatch, "scylla", "coodie.drivers.python_rs")
    monkeypatch.syspath_prepend(str(_fake_scylla(tmp_path, "raise ImportError('libscylla missing')\n")))
    with pytest.raises(ImportError, match="python-rs-driver is installed but failed to import"):
        importlib.import_module("coodie.drivers.python_rs")


def test_missing_cassandra_names_the_extra(monkeypatch):
    _forget(monkeypatch, "cassandra", "coodie.drivers.cassandra")
    monkeypatch.setitem(sys.modules, "cassandra", None)
    with pytest.raises(ImportError, match=r"coodie\[scylla\]"):
        backend_module("scylla")
    with pytest.raises(ImportError, match=r"coodie\[cassandra\]"):
        backend_module("cassandra")


def test_unknown_driver_type():
    with pytest.raises(ConfigurationError, match="python-rs"):
        backend_module("nope")


# ------------------------------------------------------------ registration --


def test_init_coodie_with_a_fake_backend_module(registry, monkeypatch):
    calls = []

    class Driver(drivers.AbstractDriver):
        def run(self, statement, options=None):
            return drivers.ResultPage()

        async def run_async(self, statement, options=None):
            return drivers.ResultPage()

        def run_batch(self, statements, batch_type, options=None):
            return drivers.ResultPage()

        async def run_batch_async(self, statements, batch_type, options=None):
            return drivers.ResultPage()

        def close(self):
            pass

        async def close_async(self):
            pass

    def create(**kwargs):
        calls.append(kwargs)
        return Driver(kwargs["keyspace"])

    async def create_async(**kwargs):
        return create(**kwargs)

    fake = types.ModuleType("fake_backend")
    fake.create, fake.create_async = create, create_async
    monkeypatch.setitem(sys.modules, "fake_backend", fake)
    monkeypatch.setitem(drivers.BACKENDS, "fake", ("fake_backend", "fake"))

    first = init_coodie("h1", keyspace="ks", driver_type="fake", name="one", port=9999)
    assert calls[-1] == {
        "hosts": ["h1"],
        "session": None,
        "keyspace": "ks",
        "driver_type": "fake",
        "port": 9999,
    }
    assert get_driver() is first and get_driver("one") is first
    second = asyncio.run(init_coodie_async(["h2", "h3"], driver_type="fake", name="two"))
    assert calls[-1]["hosts"] == ["h2", "h3"]
    assert get_driver() is second  # the latest init becomes the default
    assert get_driver("one") is first


def test_init_coodie_wraps_a_python_rs_session(registry):
    pytest.importorskip("scylla.session_builder")
    from coodie.drivers.python_rs import PythonRsDriver

    session = object()
    d = init_coodie(session=session, keyspace="ks", driver_type="python-rs")
    assert isinstance(d, PythonRsDriver) and d.session is session and d.default_keyspace == "ks"
    assert get_driver() is d


def test_init_coodie_async_wraps_an_acsylla_session_on_the_running_loop(registry):
    pytest.importorskip("acsylla")
    from coodie.drivers.acsylla import AcsyllaDriver

    class Session:
        keyspace = "ks"

    async def main():
        d = await init_coodie_async(session=Session(), driver_type="acsylla")
        return d, asyncio.get_running_loop()

    d, loop = asyncio.run(main())
    assert isinstance(d, AcsyllaDriver) and d.loop is loop and d.loop_thread is None
    assert d.default_keyspace is None and d._columns.keyspace == "ks"
    assert get_driver() is d
