"""Integration harness: every test runs against a real node, once per driver
backend and once per API flavour (``coodie.sync`` and ``coodie.aio``).

Tests are plain ``def test_...(api)`` functions. The ``api`` object hides the
flavour: ``api.run(x)`` returns ``x`` for the sync flavour and runs the
coroutine ``x`` to completion on the harness's own event loop for the aio
flavour, so the same test body checks both APIs and no event loop is running
while sync-flavour code runs.

Driver selection
    ``COODIE_TEST_DRIVERS=scylla,acsylla`` runs those backends; a backend named
    there that cannot be imported stops the run with an error. Without the
    variable every backend of ``coodie.drivers.BACKENDS`` whose module imports
    runs; the others are listed (with the import error) in the terminal summary
    and in the matrix (see Results). A driver type served by the same driver class
    as one already selected (``cassandra`` = ``scylla`` backend) is listed as
    an alias instead of running the suite twice.

Other variables
    ``COODIE_TEST_HOSTS`` (comma list, default ``127.0.0.1``) and
    ``COODIE_TEST_PORT`` (passed as ``port=`` only when set).

Capabilities
    ``@pytest.mark.requires("paging_state", ...)`` names fields of
    :class:`coodie.drivers.base.Capabilities`. When the connected driver lacks
    one, the test is marked ``xfail(strict=True)`` with the backend's reason,
    so a backend that gains the feature fails the run until its flag is
    updated. The mark is added once the driver is connected: a driver that
    cannot connect gives errors, not expected failures.

Results
    Each run writes its per-driver outcomes to ``$COODIE_RESULTS_DIR/matrix/<run-key>.json``
    (``COODIE_RESULTS_DIR`` defaults to ``<rootdir>/results``; the run key names the
    driver types that ran, sorted and joined with ``+``, e.g. ``acsylla+native+python-rs+scylla``
    or ``cassandra``), so the runs of ``make test`` in different environments do not
    overwrite each other. Then ``$COODIE_RESULTS_DIR/matrix.json`` and ``matrix.md`` are
    rebuilt from every run file of that folder (``compare.matrix.write_merged``): per
    driver type the entry of the newest run in which it ran, else its newest entry. Delete
    the ``matrix/`` folder to forget old runs. A per-driver table of this run is printed in
    the terminal summary.
"""

import asyncio
import contextlib
import datetime as dt
import hashlib
import inspect
import os
import re
import secrets
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from compare import matrix as compare_matrix

import coodie
import coodie.aio
import coodie.sync
from _support import outcomes
from _support.backends import (
    CAPABILITY_NAMES,
    ENV_DRIVERS,
    FLAVORS,
    Selection,
    run_flavored,
    select_backends,
    wanted_capabilities,
    xfail_for,
)
from coodie import drivers as coodie_drivers
from coodie.batch import AsyncBatchQuery, BatchQuery
from coodie.drivers.base import AbstractDriver, Capabilities, ExecOptions, Statement
from coodie.exceptions import BlockingCallInEventLoopWarning

ENV_HOSTS = "COODIE_TEST_HOSTS"
ENV_PORT = "COODIE_TEST_PORT"
KEYSPACE_PREFIX = "coodie_it_"
#: keyspaces of earlier runs older than this are dropped at start (crashed runs)
STALE_KEYSPACE_AGE = 6 * 3600
DROP_KEYSPACE_TIMEOUT = 180.0


# --------------------------------------------------------------- run record --


@dataclass
class DriverInfo:
    name: str | None = None
    version: str | None = None
    keyspace: str | None = None
    init_error: str | None = None
    teardown_error: str | None = None


@dataclass
class HarnessState:
    selection: Selection
    records: dict[str, outcomes.Record] = field(default_factory=dict)
    driver_info: dict[str, DriverInfo] = field(default_factory=dict)


_STATE = pytest.StashKey[HarnessState]()
#: the state of the running session (``pytest_runtest_logreport`` gets no config)
_CURRENT: list[HarnessState] = []


def _state(config: pytest.Config) -> HarnessState:
    return config.stash[_STATE]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(*capabilities): the test needs these coodie.drivers.base.Capabilities; "
        "on a backend without them it is xfail(strict=True)",
    )
    config.stash[_STATE] = HarnessState(select_backends(os.environ.get(ENV_DRIVERS)))
    _CURRENT[:] = [config.stash[_STATE]]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    state = _state(metafunc.config)
    if "driver_type" in metafunc.fixturenames:
        names = [b.driver_type for b in state.selection.selected]
        metafunc.parametrize("driver_type", names, scope="session")
    if "flavor" in metafunc.fixturenames:
        metafunc.parametrize("flavor", FLAVORS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state(config)
    blocking_is_error = pytest.mark.filterwarnings(
        f"error::{BlockingCallInEventLoopWarning.__module__}.{BlockingCallInEventLoopWarning.__name__}"
    )
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "driver_type" not in params:
            continue
        driver_type = params["driver_type"]
        # unknown capability names stop the run here
        requires = wanted_capabilities(item, "requires")
        state.records[item.nodeid] = outcomes.Record(
            item.nodeid, driver_type, params.get("flavor", "-"), requires=requires
        )
        item.add_marker(blocking_is_error)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _CURRENT:
        return
    record = _CURRENT[0].records.get(report.nodeid)
    if record is not None:
        outcomes.record_outcome(record, report)


# ---------------------------------------------------------- matrix writing --


def _short_id(nodeid: str) -> str:
    return nodeid.split("tests/integration/", 1)[-1]


def build_matrix(state: HarnessState) -> dict[str, Any]:
    drivers: dict[str, Any] = {}
    ran = [r for r in state.records.values() if r.outcome is not None]
    for backend in state.selection.selected:
        mine = [r for r in ran if r.driver_type == backend.driver_type]
        info = state.driver_info.get(backend.driver_type, DriverInfo())
        caps = backend.capabilities
        drivers[backend.driver_type] = {
            "status": "ran" if mine else "not run",
            "driver": info.name,
            "driver_version": info.version,
            "keyspace": info.keyspace,
            "init_error": info.init_error,
            "teardown_error": info.teardown_error,
            "capabilities": {name: getattr(caps, name) for name in CAPABILITY_NAMES},
            "gaps": dict(caps.gaps),
            "flavors": {f: outcomes.count_outcomes(r for r in mine if r.flavor == f) for f in FLAVORS},
            "total": outcomes.count_outcomes(mine),
            "tests": {
                _short_id(r.nodeid): {
                    "flavor": r.flavor,
                    "outcome": r.outcome,
                    "detail": r.detail,
                    "requires": r.requires,
                }
                for r in sorted(mine, key=lambda r: r.nodeid)
            },
        }
    for backend in state.selection.not_run:
        drivers[backend.driver_type] = {
            "status": "alias" if backend.alias_of else "unavailable",
            "alias_of": backend.alias_of,
            "reason": backend.problem,
        }
    return {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "coodie_version": coodie.__version__,
        "selection": "explicit" if state.selection.explicit else "default",
        "hosts": _hosts(),
        "drivers": drivers,
    }


def ran_driver_types(matrix: dict[str, Any]) -> list[str]:
    return [name for name, d in matrix["drivers"].items() if d["status"] == "ran"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = _state(session.config)
    if not any(r.outcome for r in state.records.values()):
        return
    matrix = build_matrix(state)
    folder = compare_matrix.results_dir(session.config.rootpath) / "matrix"
    compare_matrix.write_run(folder, compare_matrix.run_key(ran_driver_types(matrix)), matrix)
    compare_matrix.write_merged(folder)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = _state(config)
    if not any(r.outcome for r in state.records.values()):
        return
    matrix = build_matrix(state)
    tr = terminalreporter
    tr.section("coodie driver matrix")
    tr.write_line(outcomes.TERMINAL_HEAD)
    for name, d in matrix["drivers"].items():
        if d["status"] in ("alias", "unavailable"):
            continue
        for flavor, counts in d["flavors"].items():
            tr.write_line(outcomes.terminal_row(name, flavor, counts))
    for d in matrix["drivers"].values():
        if d["status"] == "ran":
            for t, r in d["tests"].items():
                if r["outcome"] == "xfailed":
                    tr.write_line(f"  xfail  {t}: {r['detail']}")
    for name, d in matrix["drivers"].items():
        if d["status"] in ("alias", "unavailable"):
            tr.write_line(f"not run: {name} ({d['status']}): {d['reason']}")
    out = compare_matrix.results_dir(config.rootpath)
    run_file = out / "matrix" / f"{compare_matrix.run_key(ran_driver_types(matrix))}.json"
    tr.write_line(
        f"written: {run_file}; merged with the other runs there into {out / 'matrix.md'} and matrix.json"
    )


# -------------------------------------------------------------- the driver --


def _hosts() -> list[str]:
    raw = os.environ.get(ENV_HOSTS, "127.0.0.1")
    return [h.strip() for h in raw.split(",") if h.strip()]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class DriverContext:
    """One connected driver per backend for the whole session, plus its keyspaces."""

    def __init__(self, driver_type: str, loop: asyncio.AbstractEventLoop, driver: AbstractDriver) -> None:
        self.driver_type = driver_type
        self.loop = loop
        self.driver = driver
        stamp = int(time.time())
        self.keyspace = f"{KEYSPACE_PREFIX}{_slug(driver_type)}_{stamp}_{secrets.token_hex(2)}"
        self._extra: dict[int, str] = {}

    def run(self, awaitable: Awaitable[Any]) -> Any:
        return self.loop.run_until_complete(awaitable)

    def setup(self) -> None:
        self._drop_stale_keyspaces()
        self.run(coodie.aio.create_keyspace(self.keyspace, replication_factor=1))
        self.driver.default_keyspace = self.keyspace

    def keyspace_with_rf(self, replication_factor: int) -> str:
        """A keyspace with this replication factor (more than the node count → Unavailable)."""
        if replication_factor not in self._extra:
            name = f"{self.keyspace}_rf{replication_factor}"
            self.run(coodie.aio.create_keyspace(name, replication_factor=replication_factor))
            self._extra[replication_factor] = name
        return self._extra[replication_factor]

    def _drop_stale_keyspaces(self) -> None:
        rows = self.run(coodie.aio.execute_raw("SELECT keyspace_name FROM system_schema.keyspaces"))
        pattern = re.compile(rf"^{KEYSPACE_PREFIX}[a-z0-9_]+?_(\d{{10}})_[0-9a-f]{{4}}(_rf\d+)?$")
        now = time.time()
        for row in rows:
            m = pattern.match(row["keyspace_name"])
            if m and now - int(m.group(1)) > STALE_KEYSPACE_AGE:
                statement = Statement(f'DROP KEYSPACE IF EXISTS "{row["keyspace_name"]}"', prepare=False)
                self.run(self.driver.run_async(statement, ExecOptions(timeout=DROP_KEYSPACE_TIMEOUT)))

    def teardown(self) -> list[str]:
        """Drop the keyspaces and close the driver; returns the problems met (never raises:
        pytest would pin a session-fixture teardown error on the next backend's first test)."""
        problems: list[str] = []
        # Dropping a keyspace of a few hundred tables takes longer than a default request timeout.
        for ks in [*self._extra.values(), self.keyspace]:
            statement = Statement(f'DROP KEYSPACE IF EXISTS "{ks}"', prepare=False)
            try:
                self.run(self.driver.run_async(statement, ExecOptions(timeout=DROP_KEYSPACE_TIMEOUT)))
            except Exception as exc:
                problems.append(f"drop keyspace {ks}: {type(exc).__name__}: {exc}")
        try:
            self.run(self.driver.close_async())
        except Exception as exc:
            problems.append(f"close: {type(exc).__name__}: {exc}")
        if coodie_drivers._registry.get("default") is self.driver:
            del coodie_drivers._registry["default"]
        return problems


@pytest.fixture(scope="session")
def harness_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop that runs every aio-flavour call; never running between calls."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


@pytest.fixture(scope="session")
def driver_ctx(
    driver_type: str, harness_loop: asyncio.AbstractEventLoop, request: pytest.FixtureRequest
) -> Iterator[DriverContext]:
    info = _state(request.config).driver_info.setdefault(driver_type, DriverInfo())
    options: dict[str, Any] = {}
    if os.environ.get(ENV_PORT):
        options["port"] = int(os.environ[ENV_PORT])
    try:
        driver = harness_loop.run_until_complete(
            coodie.init_coodie_async(hosts=_hosts(), driver_type=driver_type, name="default", **options)
        )
    except Exception as exc:
        info.init_error = f"{type(exc).__name__}: {exc}"
        raise RuntimeError(
            f"cannot connect driver_type={driver_type!r} to {_hosts()}: {exc} "
            "(is the node up? python3 tools/cassandra/node.py start)"
        ) from exc
    info.name, info.version = driver.driver_name, driver.driver_version()
    ctx = DriverContext(driver_type, harness_loop, driver)
    info.keyspace = ctx.keyspace
    try:
        ctx.setup()
        yield ctx
    finally:
        problems = ctx.teardown()
        if problems:
            info.teardown_error = "; ".join(problems)
            warnings.warn(f"cleanup of driver_type={driver_type!r}: {info.teardown_error}", stacklevel=1)


# -------------------------------------------------------------------- api --


@dataclass
class Request:
    kind: str  # "run" | "batch"
    cql: str | tuple[str, ...]
    params: Any
    options: Any


class Api:
    """One API flavour, with helpers that make a test body flavour-independent."""

    def __init__(self, ctx: DriverContext, flavor: str, nodeid: str) -> None:
        self.ctx = ctx
        self.flavor = flavor
        self.is_async = flavor == "aio"
        self.driver_type = ctx.driver_type
        self.driver = ctx.driver
        self.keyspace = ctx.keyspace
        self.module = coodie.aio if self.is_async else coodie.sync
        self.Document = self.module.Document
        self.CounterDocument = self.module.CounterDocument
        self.QuerySet = self.module.QuerySet
        self.Batch: type[BatchQuery] | type[AsyncBatchQuery] = (
            AsyncBatchQuery if self.is_async else BatchQuery
        )
        self._nodeid = nodeid
        self._names: set[str] = set()

    def __repr__(self) -> str:
        return f"<Api {self.driver_type}/{self.flavor}>"

    @property
    def capabilities(self) -> Capabilities:
        return self.driver.capabilities

    # -------------------------------------------------------- running --
    def run(self, value: Any) -> Any:
        """The result of an API call: as is (sync) or awaited on the harness loop (aio)."""
        return run_flavored(value, self.ctx.loop if self.is_async else None)

    def gather(self, values: Iterable[Any]) -> list[Any]:
        """Results of several calls; the aio flavour runs them concurrently."""
        if not self.is_async:
            return [self.run(v) for v in values]
        pending = list(values)  # built outside the loop: the producer may call api.run()

        async def all_of() -> list[Any]:
            return list(await asyncio.gather(*pending))

        return self.ctx.run(all_of())

    def collect(self, queryset: Any) -> list[Any]:
        """Every item of a QuerySet through ``for`` (sync) or ``async for`` (aio)."""
        if not self.is_async:
            return [item for item in queryset]

        async def drain() -> list[Any]:
            return [item async for item in queryset]

        return self.ctx.run(drain())

    def take(self, queryset: Any, n: int) -> list[Any]:
        """The first ``n`` items by iteration, then stop iterating."""
        if not self.is_async:
            out = []
            for item in queryset:
                out.append(item)
                if len(out) >= n:
                    break
            return out

        async def first_n() -> list[Any]:
            out = []
            iterator = queryset.__aiter__()
            try:
                async for item in iterator:
                    out.append(item)
                    if len(out) >= n:
                        break
            finally:
                await iterator.aclose()
            return out

        return self.ctx.run(first_n())

    def sleep(self, seconds: float) -> None:
        if self.is_async:
            self.ctx.run(asyncio.sleep(seconds))
        else:
            time.sleep(seconds)

    @contextlib.contextmanager
    def batch(self, **options: Any) -> Iterator[Any]:
        """``with api.batch(...) as b:`` — ``with BatchQuery`` or ``async with AsyncBatchQuery``."""
        b = self.Batch(**options)
        if not self.is_async:
            with b:  # type: ignore[union-attr]
                yield b
            return
        self.ctx.run(b.__aenter__())  # type: ignore[union-attr]
        try:
            yield b
        except BaseException as exc:
            self.ctx.run(b.__aexit__(type(exc), exc, exc.__traceback__))  # type: ignore[union-attr]
            raise
        else:
            self.ctx.run(b.__aexit__(None, None, None))  # type: ignore[union-attr]

    # ----------------------------------------------------- module calls --
    def execute_raw(self, cql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return self.run(self.module.execute_raw(cql, params))

    def create_keyspace(self, keyspace: str, **kwargs: Any) -> None:
        self.run(self.module.create_keyspace(keyspace, **kwargs))

    def drop_keyspace(self, keyspace: str) -> None:
        self.run(self.module.drop_keyspace(keyspace))

    def sync_type(self, udt: Any, keyspace: str | None = None) -> list[str]:
        return self.run(self.module.sync_type(udt, keyspace=keyspace))

    def keyspace_with_rf(self, replication_factor: int) -> str:
        return self.ctx.keyspace_with_rf(replication_factor)

    # ------------------------------------------------------------ names --
    def name(self, suffix: str = "t") -> str:
        """A table/type name unique to this test, flavour and driver (and ``suffix``)."""
        digest = hashlib.sha1(
            f"{self._nodeid}|{self.flavor}|{self.driver_type}|{suffix}".encode()
        ).hexdigest()
        test = _slug(self._nodeid.rsplit("::", 1)[-1].split("[", 1)[0].removeprefix("test_"))
        name = f"{test[:16]}_{_slug(suffix)[:12]}_{self.flavor[0]}{digest[:8]}"
        if name in self._names:
            raise ValueError(f"api.name({suffix!r}) used twice in one test")
        self._names.add(name)
        return name

    def table_exists(self, table: str, keyspace: str | None = None) -> bool:
        rows = self.execute_raw(
            "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
            [keyspace or self.keyspace, table],
        )
        return bool(rows)

    # -------------------------------------------------- request spying --
    @contextlib.contextmanager
    def requests(self) -> Iterator[list[Request]]:
        """Record every request the ODM hands to the driver inside the block."""
        seen: list[Request] = []
        driver = self.driver
        originals: dict[str, Callable[..., Any]] = {}

        def spy_run(name: str) -> Callable[..., Any]:
            original = getattr(driver, name)
            originals[name] = original
            is_batch = "batch" in name

            def record(statement_or_list: Any, *args: Any) -> None:
                options = args[-1] if len(args) >= 1 else None
                if is_batch:
                    seen.append(
                        Request(
                            "batch",
                            tuple(s.cql for s in statement_or_list),
                            [s.params for s in statement_or_list],
                            options,
                        )
                    )
                else:
                    seen.append(Request("run", statement_or_list.cql, statement_or_list.params, options))

            if inspect.iscoroutinefunction(original):

                async def wrapped_async(*args: Any) -> Any:
                    record(*args)
                    return await original(*args)

                return wrapped_async

            def wrapped(*args: Any) -> Any:
                record(*args)
                return original(*args)

            return wrapped

        for name in ("run", "run_async", "run_batch", "run_batch_async"):
            setattr(driver, name, spy_run(name))
        try:
            yield seen
        finally:
            for name in originals:
                with contextlib.suppress(AttributeError):
                    delattr(driver, name)


@pytest.fixture
def api(driver_ctx: DriverContext, flavor: str, request: pytest.FixtureRequest) -> Iterator[Api]:
    # A test may have registered another driver as the default: the harness's comes back.
    coodie_drivers.register_driver("default", driver_ctx.driver, default=True)
    # Capability xfails are added only once the driver is up, so a setup failure
    # (node down, driver cannot connect) is an error, never an "expected failure".
    wanted = wanted_capabilities(request.node, "requires")
    mark = xfail_for(driver_ctx.driver.capabilities, wanted) if wanted else None
    if mark is not None:
        request.node.add_marker(mark)
    yield Api(driver_ctx, flavor, request.node.nodeid)
    coodie_drivers.register_driver("default", driver_ctx.driver, default=True)
