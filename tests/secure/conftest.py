"""Harness of the secure-node tests: password authentication and client TLS,
once per driver backend and once per API flavour (``coodie.sync`` / ``coodie.aio``).

These tests need the *secure* variant of the local node (PasswordAuthenticator,
login ``cassandra``/``cassandra``, optional client TLS on 127.0.0.1:9042 with the
project's CA). Run them with ``make integration-secure``, which wraps
``sh tools/with-secure-node.sh <python> -m pytest -q tests/secure``: that script
swaps the plain node for the secure one and back. Without a running secure node
every test errors at once with that hint (other test directories in the same
run are not affected).

Driver selection works as in ``tests/integration``: ``COODIE_TEST_DRIVERS=scylla,native``
runs those backends (a named backend that cannot be imported stops the run);
without it every backend that imports runs, and a driver type served by the same
class as one already selected (``cassandra`` = the ``scylla`` backend) is listed
as an alias. The ``cassandra`` alias runs in the cassandra-driver environment with
``COODIE_TEST_DRIVERS=cassandra``.

``@pytest.mark.needs("tls", ...)`` names :class:`coodie.drivers.base.Capabilities`
fields; on a backend whose flag is ``False`` the test is ``xfail(strict=True)``
with the backend's own reason, so a backend that gains the feature fails the run
until its flag is updated, and a backend that claims a feature it does not have
fails too.

Every test body runs on a worker thread with a deadline (``TEST_DEADLINE``): a
driver that hangs fails its test instead of blocking the run.

Each run writes its report to ``$COODIE_RESULTS_DIR/secure/<run-key>.json``
(default ``<rootdir>/results``; the key names the driver types that ran), and
``secure.json`` / ``secure.md`` beside that folder are rebuilt from every run
file in it, as for the integration matrix (``compare.matrix``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from compare import matrix as compare_matrix

import coodie
import coodie.aio
import coodie.sync
from _support import outcomes
from _support.backends import (
    ENV_DRIVERS,
    FLAVORS,
    Backend,
    Selection,
    run_flavored,
    select_backends,
    wanted_capabilities,
    xfail_for,
)
from coodie import drivers as coodie_drivers
from coodie.drivers.base import AbstractDriver, Capabilities

HOST = "127.0.0.1"
CQL_PORT = 9042
USERNAME = "cassandra"
PASSWORD = "cassandra"
KEYSPACE_PREFIX = "coodie_sec_"
#: a whole test (connect, queries, checks) must finish within this many seconds
TEST_DEADLINE = 60.0
#: fixture teardown (drop keyspaces, close drivers) must finish within this many seconds
TEARDOWN_DEADLINE = 60.0

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_SCRIPT = REPO_ROOT / "tools" / "cassandra" / "node.py"
TLS_DIR = REPO_ROOT / ".cache" / "cassandra" / "secure" / "tls"
HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------- run record --


@dataclass
class State:
    selection: Selection
    records: dict[str, outcomes.Record] = field(default_factory=dict)


_STATE = pytest.StashKey[State]()


def _state(config: pytest.Config) -> State:
    state = config.stash.get(_STATE, None)
    if state is None:
        state = State(select_backends(os.environ.get(ENV_DRIVERS)))
        config.stash[_STATE] = state
    return state


def _mine(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(*capabilities): the secure test needs these coodie.drivers.base.Capabilities; "
        "on a backend without them it is xfail(strict=True)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    state = _state(metafunc.config)
    if "backend" in metafunc.fixturenames:
        only = getattr(metafunc.function, "only_backends", None)
        chosen = [b for b in state.selection.selected if only is None or b.driver_type in only]
        metafunc.parametrize("backend", chosen, ids=[b.driver_type for b in chosen], scope="session")
    if "flavor" in metafunc.fixturenames:
        metafunc.parametrize("flavor", FLAVORS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:  # no test of this directory was collected
        return
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if not _mine(item) or "backend" not in params:
            continue
        backend: Backend = params["backend"]
        needs = wanted_capabilities(item, "needs")
        state.records[item.nodeid] = outcomes.Record(
            item.nodeid, backend.driver_type, params.get("flavor", "-"), requires=needs
        )
        mark = xfail_for(backend.capabilities, needs)
        if mark is not None:
            item.add_marker(mark)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    states = [s for s in _RUNNING if report.nodeid in s.records]
    if states:
        outcomes.record_outcome(states[0].records[report.nodeid], report)


#: the state of the running session (``pytest_runtest_logreport`` gets no config)
_RUNNING: list[State] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    _RUNNING.clear()


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None and state.records:
        _RUNNING[:] = [state]


def _short(nodeid: str) -> str:
    return nodeid.rsplit("/", 1)[-1]


def _counts(state: State, driver_type: str, flavor: str) -> dict[str, int]:
    return outcomes.count_outcomes(
        r for r in state.records.values() if r.driver_type == driver_type and r.flavor == flavor
    )


def build_report(state: State) -> dict[str, Any]:
    drivers: dict[str, Any] = {}
    for backend in state.selection.selected:
        caps = backend.capabilities
        tests = {
            _short(nodeid): {
                "outcome": r.outcome,
                "detail": r.detail,
                "notes": r.notes,
                "requires": r.requires,
            }
            for nodeid, r in sorted(state.records.items())
            if r.driver_type == backend.driver_type and r.outcome
        }
        drivers[backend.driver_type] = {
            # "not run" (no test of it ran, e.g. deselected) never replaces a run in the merge
            "status": "ran" if tests else "not run",
            "capabilities": {"tls": caps.tls, "password_auth": caps.password_auth},
            "gaps": {name: caps.reason(name) for name in ("tls", "password_auth") if not getattr(caps, name)},
            "flavors": {f: _counts(state, backend.driver_type, f) for f in FLAVORS},
            "tests": tests,
        }
        if not tests:
            drivers[backend.driver_type]["reason"] = "selected, but none of its tests ran"
    for backend in state.selection.not_run:
        drivers[backend.driver_type] = {"status": "not run", "reason": backend.problem}
    return {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "coodie_version": coodie.__version__,
        "selection": "explicit" if state.selection.explicit else "default",
        "node": f"{HOST}:{CQL_PORT} (secure variant)",
        "drivers": drivers,
    }


def render_report_md(report: dict[str, Any]) -> str:
    """The secure matrix as Markdown: one run's report or the merge of several (``runs``)."""
    runs: list[dict[str, Any]] = report.get("runs", [])
    sources: dict[str, str] = report.get("sources", {})
    made = (
        f"Merged {report['generated']} from {len(runs)} run(s)"
        if runs
        else f"Generated {report['generated']}"
    )
    lines = [
        "# coodie secure-node matrix (password auth + client TLS)",
        "",
        f"{made}, coodie {report.get('coodie_version', '?')}, node {report.get('node', '?')}.",
        "",
        *outcomes.MARKDOWN_HEAD,
    ]
    for name, d in report["drivers"].items():
        if d["status"] == "ran":
            for flavor, counts in d["flavors"].items():
                lines.append(outcomes.markdown_row(name, flavor, counts))
    lines += compare_matrix.runs_section(runs, sources)
    for name, d in report["drivers"].items():
        lines += ["", f"## {name}", ""]
        if name in sources:
            lines += [f"From run: `{sources[name]}`", ""]
        if d["status"] != "ran":
            lines.append(f"Not run: {d.get('reason')}")
            continue
        for cap, why in d["gaps"].items():
            lines.append(f"- declared gap `{cap}`: {why}")
        for test, t in d["tests"].items():
            detail = f" ({t['detail']})" if t["detail"] else ""
            lines.append(f"- `{test}`: {t['outcome']}{detail}")
            lines += [f"  - {note}" for note in t["notes"]]
    return "\n".join(lines) + "\n"


def _ran_driver_types(report: dict[str, Any]) -> list[str]:
    return [name for name, d in report["drivers"].items() if d["status"] == "ran"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None or not any(r.outcome for r in state.records.values()):
        return
    report = build_report(state)
    folder = compare_matrix.results_dir(session.config.rootpath) / "secure"
    compare_matrix.write_run(folder, compare_matrix.run_key(_ran_driver_types(report)), report)
    compare_matrix.write_merged(folder, render=render_report_md)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None or not any(r.outcome for r in state.records.values()):
        return
    tr = terminalreporter
    tr.section("coodie secure-node matrix (password auth + TLS)")
    tr.write_line(outcomes.TERMINAL_HEAD)
    for backend in state.selection.selected:
        for flavor in FLAVORS:
            tr.write_line(
                outcomes.terminal_row(
                    backend.driver_type, flavor, _counts(state, backend.driver_type, flavor)
                )
            )
    for nodeid, r in sorted(state.records.items()):
        if r.outcome in ("xfailed", "failed", "error", "xpassed"):
            tr.write_line(f"  {r.outcome:<7} {_short(nodeid)}: {r.detail or ''}")
        if config.option.verbose > 0:
            for note in r.notes:
                tr.write_line(f"  {_short(nodeid)}: {note}")
    for backend in state.selection.not_run:
        tr.write_line(f"not run: {backend.driver_type}: {backend.problem}")
    out = compare_matrix.results_dir(config.rootpath)
    key = compare_matrix.run_key(_ran_driver_types(build_report(state)))
    tr.write_line(
        f"written: {out / 'secure' / (key + '.json')}; merged with the other runs there "
        f"into {out / 'secure.md'} and secure.json"
    )


# -------------------------------------------------------------- deadlines --


def run_with_deadline(fn: Callable[[], Any], seconds: float, what: str) -> Any:
    """``fn()`` on a worker thread: its result or its exception, or a failure when it hangs."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed to the caller's thread as is
            box["error"] = exc

    worker = threading.Thread(target=target, name="coodie-secure-test", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        frame = sys._current_frames().get(worker.ident or -1)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)"
        pytest.fail(
            f"{what} still runs after {seconds:.0f} s (a hang?); where it is:\n{stack}", pytrace=False
        )
    if "error" in box:
        raise box["error"]
    return box.get("result")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_with_deadline(lambda: pyfuncitem.obj(**kwargs), TEST_DEADLINE, pyfuncitem.name)
    return True


# -------------------------------------------------------------- the node --


@dataclass(frozen=True)
class SecureNode:
    host: str
    port: int
    ca: Path
    wrong_ca: Path


@pytest.fixture(scope="session")
def secure_node() -> SecureNode:
    """The running secure node and its TLS files; every test errors with a hint when it is not up."""
    hint = (
        "run this suite against the secure node: make integration-secure "
        "(or sh tools/with-secure-node.sh .venv/bin/python -m pytest -q tests/secure)"
    )
    try:
        out = subprocess.run(
            [sys.executable, str(NODE_SCRIPT), "status", "--secure", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        status = json.loads(out.stdout or "{}")
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        pytest.fail(f"cannot ask {NODE_SCRIPT.name} for the node's status: {exc}; {hint}", pytrace=False)
    if status.get("state") != "running" or status.get("cql") != "ok":
        seen = f"state {status.get('state')}, CQL {status.get('cql')}" if status else out.stderr.strip()
        pytest.fail(f"the secure Cassandra node is not running ({seen}); {hint}", pytrace=False)
    if status.get("tls") != "ok":
        pytest.fail(f"the secure node does not answer TLS: {status.get('tls')}; {hint}", pytrace=False)
    node = SecureNode(HOST, CQL_PORT, TLS_DIR / "ca.pem", TLS_DIR / "wrong-ca.pem")
    for path in (node.ca, node.wrong_ca):
        if not path.is_file():
            pytest.fail(f"missing TLS file {path.relative_to(REPO_ROOT)}; {hint}", pytrace=False)
    return node


# -------------------------------------------------------------------- api --


def own_cql_ports(port: int = CQL_PORT) -> set[int]:
    """Local ports of this process's established TCP connections to ``port`` (Linux ``/proc``)."""
    inodes: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports: set[int] = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            local, remote, state, inode = cols[1], cols[2], cols[3], cols[9]
            if state == "01" and inode in inodes and int(remote.rsplit(":", 1)[1], 16) == port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


class Api:
    """One backend in one API flavour: connect, run calls, and clean up after the test.

    ``run(x)`` returns ``x`` for the sync flavour and runs the awaitable ``x`` on the
    test's own event loop for the aio flavour.
    """

    def __init__(
        self, backend: Backend, flavor: str, node: SecureNode, record: outcomes.Record | None = None
    ) -> None:
        self.backend = backend
        self.record = record
        self.driver_type = backend.driver_type
        self.flavor = flavor
        self.is_async = flavor == "aio"
        self.node = node
        self.module: Any = coodie.aio if self.is_async else coodie.sync
        self.Document: Any = self.module.Document
        self.loop = asyncio.new_event_loop() if self.is_async else None
        self._token = secrets.token_hex(3)
        self._drivers: list[tuple[str, AbstractDriver]] = []
        self._keyspaces: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"<Api {self.driver_type}/{self.flavor}>"

    @property
    def capabilities(self) -> Capabilities:
        return self.backend.capabilities

    def note(self, text: str) -> None:
        """Keep an observation for the report (terminal summary with -v, results/secure.md)."""
        if self.record is not None:
            self.record.notes.append(text)

    def run(self, value: Any) -> Any:
        return run_flavored(value, self.loop)

    def connect(self, **options: Any) -> tuple[str, AbstractDriver]:
        """``init_coodie`` / ``init_coodie_async`` with these options; (registered name, driver)."""
        name = f"secure_{self._token}_{len(self._drivers)}"
        driver = self.run(
            self.module.init_coodie(
                hosts=[self.node.host], driver_type=self.driver_type, name=name, **options
            )
        )
        self._drivers.append((name, driver))
        return name, driver

    def connect_error(self, **options: Any) -> tuple[BaseException, float]:
        """The exception that connecting with these options raises, and how long it took."""
        started = time.monotonic()
        try:
            name, _ = self.connect(**options)
        except Exception as exc:
            return exc, time.monotonic() - started
        pytest.fail(
            f"driver_type={self.driver_type!r} connected with {sorted(options)} (registered as {name!r}) "
            "although it should have failed"
        )

    def create_keyspace(self, connection: str) -> str:
        keyspace = f"{KEYSPACE_PREFIX}{self.driver_type.replace('-', '_')}_{self.flavor}_{self._token}"
        keyspace += f"_{len(self._keyspaces)}"
        self.run(self.module.create_keyspace(keyspace, replication_factor=1, connection=connection))
        self._keyspaces.append((connection, keyspace))
        return keyspace

    def execute_raw(self, cql: str, connection: str) -> list[dict[str, Any]]:
        return self.run(self.module.execute_raw(cql, connection=connection))

    def cleanup(self) -> list[str]:
        problems: list[str] = []
        for connection, keyspace in self._keyspaces:
            try:
                self.run(self.module.drop_keyspace(keyspace, connection=connection))
            except Exception as exc:
                problems.append(f"drop keyspace {keyspace}: {type(exc).__name__}: {exc}")
        for name, driver in self._drivers:
            try:
                if self.is_async:
                    self.run(driver.close_async())
                else:
                    driver.close()
            except Exception as exc:
                problems.append(f"close {name}: {type(exc).__name__}: {exc}")
            coodie_drivers._registry.pop(name, None)
        if self.loop is not None:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()
        return problems


@pytest.fixture
def api(
    backend: Backend, flavor: str, secure_node: SecureNode, request: pytest.FixtureRequest
) -> Iterator[Api]:
    record = _state(request.config).records.get(request.node.nodeid)
    api = Api(backend, flavor, secure_node, record)
    try:
        yield api
    finally:
        problems = run_with_deadline(api.cleanup, TEARDOWN_DEADLINE, f"cleanup of {api!r}")
        if problems:
            pytest.fail(f"cleanup of {api!r}: " + "; ".join(problems), pytrace=False)
