"""The acsylla backend against a fake acsylla session (no network)."""

import asyncio
import datetime as dt
import decimal
import ipaddress
import struct
import threading
import types
import uuid
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel

from coodie.drivers import acsylla as mod
from coodie.drivers._shared.loop_thread import LoopThread
from coodie.drivers.acsylla import (
    AcsyllaDriver,
    CqlT,
    cluster_kwargs,
    lib,
    parse_duration,
    parse_type,
    table_of,
    translate_error,
    varint_to_bytes,
)
from coodie.drivers.acsylla.statements import changes_schema, is_ddl, used_keyspace
from coodie.drivers.base import BatchType, Consistency, ExecOptions, Statement
from coodie.exceptions import (
    AlreadyExists,
    ConfigurationError,
    ConnectionFailed,
    DriverError,
    FilteringRequiredError,
    InvalidQueryError,
    InvalidRequest,
    RequestTimeout,
    Unavailable,
)
from coodie.types import CqlDuration

real_acsylla = lib.acsylla
acsylla_errors = lib.errors

# ------------------------------------------------------------------ fakes --
# The fakes behave as acsylla 1.2 does on a live node: uuid/inet as str,
# varint/vector as bytes (and wanted as bytes), time/timestamp ints taken as seconds.

NOT_BYTES = 'Value "{}" is not bytes.'


class FakeStatement:
    def __init__(self, cql: str, kinds: list[str] | None = None, **kwargs: Any) -> None:
        self.cql = cql
        self.kinds = kinds or []
        self.kwargs = kwargs
        self.values: dict[int, Any] = {}
        self.page_state = kwargs.get("page_state")
        self.timestamp: int | None = None
        self.idempotent = False

    def bind(self, index: int, value: Any) -> None:
        kind = self.kinds[index] if index < len(self.kinds) else "text"
        if kind in ("varint", "vector") and value is not None and not isinstance(value, bytes):
            raise ValueError(NOT_BYTES.format(value))
        if kind in ("time", "timestamp") and type(value).__name__ == "_Probe":
            raise TypeError(f"unsupported operand type(s) for *: '{type(value).__name__}' and 'int'")
        if kind == "timestamp" and isinstance(value, dt.time):
            raise AttributeError("'datetime.time' object has no attribute 'timestamp'")
        if kind == "int" and type(value).__name__ == "_Probe":
            raise TypeError(
                "int() argument must be a string, a bytes-like object or a real number, not '_Probe'"
            )
        self.values[index] = value

    def bind_list(self, values: list[Any]) -> None:
        for i, v in enumerate(values):
            self.bind(i, v)

    def set_page_state(self, state: bytes) -> None:
        self.page_state = state

    def set_timestamp(self, ts: int) -> None:
        self.timestamp = ts

    def set_is_idempotent(self, flag: bool) -> None:
        self.idempotent = flag


class FakePrepared:
    def __init__(self, cql: str, kinds: list[str]) -> None:
        self.cql = cql
        self.kinds = kinds
        self.binds: list[dict[str, Any]] = []

    def bind(self, **kwargs: Any) -> FakeStatement:
        self.binds.append(kwargs)
        return FakeStatement(self.cql, self.kinds, **kwargs)


class FakeRow:
    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def as_dict(self) -> dict[str, Any]:
        if isinstance(self.row, Exception):
            raise self.row
        return dict(self.row)


class FakeResult:
    def __init__(self, rows: list[Any], next_state: bytes | None) -> None:
        self.rows = rows
        self.next_state = next_state

    def all(self):
        return iter(FakeRow(r) for r in self.rows)

    def has_more_pages(self) -> bool:
        return self.next_state is not None

    def page_state(self) -> bytes:
        if self.next_state is None:
            raise RuntimeError("Error 16777240 trying to get the page token state")
        return self.next_state


class FakeBatch:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.statements: list[Any] = []
        self.settings: dict[str, Any] = {}

    def add_statement(self, stmt: Any) -> None:
        self.statements.append(stmt)

    def __getattr__(self, name: str):
        if name.startswith("set_"):
            return lambda value: self.settings.__setitem__(name[4:], value)
        raise AttributeError(name)


class FakeSession:
    """Rows per CQL text, paged by the statement's page size (default 5000, like the C++ driver)."""

    def __init__(self, keyspace: str | None = "ks") -> None:
        self.keyspace = keyspace
        self.rows: dict[str, list[Any]] = {}
        self.kinds: dict[str, list[str]] = {}
        self.schema: dict[tuple[str, str], dict[str, str]] = {}
        self.udts: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self.prepared = Counter()
        self.executed: list[FakeStatement] = []
        self.batches: list[FakeBatch] = []
        self.threads: set[int] = set()
        self.fail: BaseException | None = None
        self.closed = False

    async def create_prepared(self, cql: str) -> FakePrepared:
        self.threads.add(threading.get_ident())
        self.prepared[cql] += 1
        if self.fail is not None:
            raise self.fail
        return FakePrepared(cql, self.kinds.get(cql, []))

    async def execute(self, stmt: FakeStatement) -> FakeResult:
        self.threads.add(threading.get_ident())
        if self.closed:
            raise RuntimeError("Session closed")
        if self.fail is not None:
            raise self.fail
        self.executed.append(stmt)
        cql = stmt.cql
        if "system_schema.columns" in cql:
            ks, table = stmt.values[0], stmt.values[1]
            rows = [{"column_name": c, "type": t} for c, t in self.schema.get((ks, table), {}).items()]
        elif "system_virtual_schema.columns" in cql:
            rows = []
        elif "system_schema.types" in cql:
            rows = [
                {
                    "type_name": name,
                    "field_names": [f for f, _ in fields],
                    "field_types": [t for _, t in fields],
                }
                for name, fields in self.udts.get(stmt.values[0], {}).items()
            ]
        else:
            rows = self.rows.get(cql, [])
        size = stmt.kwargs.get("page_size") or 5000
        start = int(stmt.page_state or b"0")
        end = start + size
        return FakeResult(rows[start:end], str(end).encode() if end < len(rows) else None)

    async def execute_batch(self, batch: FakeBatch) -> FakeResult:
        self.threads.add(threading.get_ident())
        if self.fail is not None:
            raise self.fail
        self.batches.append(batch)
        return FakeResult(self.rows.get("batch", []), None)

    async def close(self) -> None:
        self.closed = True


fake_acsylla = types.SimpleNamespace(
    Consistency=real_acsylla.Consistency,
    __version__="fake",
    create_statement=lambda cql, **kw: FakeStatement(cql, **kw),
    create_batch_logged=lambda: FakeBatch("logged"),
    create_batch_unlogged=lambda: FakeBatch("unlogged"),
    create_batch_counter=lambda: FakeBatch("counter"),
)


@pytest.fixture
def session(monkeypatch):
    monkeypatch.setattr(lib, "acsylla", fake_acsylla)
    return FakeSession()


@pytest.fixture
def driver(session):
    d = AcsyllaDriver(session, LoopThread("test-acsylla").start(), "ks", owns_session=True, cache_size=4)
    yield d
    d.close()


# ------------------------------------------------------------- requests --


def test_prepared_once_then_cached(driver, session):
    session.rows["SELECT * FROM ks.t WHERE k = ?"] = [{"k": 1}]
    for _ in range(3):
        assert driver.execute("SELECT * FROM ks.t WHERE k = ?", [1]) == [{"k": 1}]
    assert session.prepared["SELECT * FROM ks.t WHERE k = ?"] == 1


def test_prepared_cache_is_bounded_lru(driver, session):
    cqls = [f"SELECT * FROM ks.t{i} WHERE k = ?" for i in range(5)]
    for cql in cqls:
        driver.execute(cql, [1])
    assert len(driver._prepared) == 4
    driver.execute(cqls[0], [1])  # evicted: prepared again
    assert session.prepared[cqls[0]] == 2
    driver.execute(cqls[4], [1])  # still cached
    assert session.prepared[cqls[4]] == 1


def test_concurrent_first_use_prepares_once(driver, session):
    async def many():
        await asyncio.gather(
            *(driver.run_async(Statement("SELECT * FROM ks.t WHERE k = ?", (i,))) for i in range(20))
        )

    asyncio.run(many())
    assert session.prepared["SELECT * FROM ks.t WHERE k = ?"] == 1


def test_ddl_is_not_prepared_and_drops_schema_caches(driver, session):
    driver._columns.tables.put(("ks", "t"), {})
    driver.execute("CREATE TABLE ks.t (k int PRIMARY KEY)")
    assert not session.prepared
    assert session.executed[-1].cql == "CREATE TABLE ks.t (k int PRIMARY KEY)"
    assert len(driver._columns.tables) == 0
    # a schema change without its own timeout gets the long schema timeout
    assert session.executed[-1].kwargs["timeout"] == mod.SCHEMA_TIMEOUT


def test_use_statement_switches_the_keyspace_for_unqualified_tables(driver, session):
    driver.execute("USE other")
    assert driver._columns.keyspace == "other"
    assert table_of("SELECT * FROM t", driver._columns.keyspace) == ("other", "t")


def test_options_reach_the_statement(driver, session):
    options = ExecOptions(
        consistency=Consistency.QUORUM,
        serial_consistency=Consistency.LOCAL_SERIAL,
        timeout=2.5,
        page_size=7,
        paging_state=b"3",
        timestamp=1234567,
    )
    driver.run(Statement("SELECT * FROM ks.t WHERE k = ?", (1,), idempotent=True), options)
    stmt = session.executed[-1]
    assert stmt.kwargs == {
        "page_size": 7,
        "page_state": b"3",
        "timeout": 2.5,
        "consistency": real_acsylla.Consistency.QUORUM,
        "serial_consistency": real_acsylla.Consistency.LOCAL_SERIAL,
    }
    assert stmt.timestamp == 1234567
    assert stmt.idempotent is True


def test_sub_millisecond_timeout_is_not_turned_into_no_timeout(driver, session):
    driver.run(Statement("SELECT * FROM ks.t"), ExecOptions(timeout=0.000001))
    assert session.executed[-1].kwargs["timeout"] == 0.001


def test_every_page_is_read_without_page_size(driver, session):
    session.rows["SELECT * FROM ks.big"] = [{"n": i} for i in range(12_000)]
    page = driver.run(Statement("SELECT * FROM ks.big"))
    assert [r["n"] for r in page.rows] == list(range(12_000))
    assert page.paging_state is None
    assert sum(s.cql == "SELECT * FROM ks.big" for s in session.executed) == 3


def test_paged_request_returns_one_page_and_resumes(driver, session):
    session.rows["SELECT * FROM ks.p"] = [{"n": i} for i in range(25)]
    first = driver.run(Statement("SELECT * FROM ks.p"), ExecOptions(page_size=10))
    assert [r["n"] for r in first.rows] == list(range(10)) and first.paging_state == b"10"
    second = driver.run(
        Statement("SELECT * FROM ks.p"), ExecOptions(page_size=10, paging_state=first.paging_state)
    )
    assert [r["n"] for r in second.rows] == list(range(10, 20))
    last = driver.run(
        Statement("SELECT * FROM ks.p"), ExecOptions(page_size=10, paging_state=second.paging_state)
    )
    assert [r["n"] for r in last.rows] == list(range(20, 25)) and last.paging_state is None


def test_paging_state_is_returned_not_stored(driver, session):
    session.rows["SELECT * FROM ks.p"] = [{"n": i} for i in range(5)]
    page = driver.run(Statement("SELECT * FROM ks.p"), ExecOptions(page_size=2))
    assert page.paging_state == b"2"
    assert not hasattr(driver, "_last_paging_state")


# ------------------------------------------------------ value conversion --

NESTED = {
    "u": "uuid",
    "tu": "timeuuid",
    "ip": "inet",
    "vi": "varint",
    "du": "duration",
    "vec": "vector<float, 3>",
    "ts": "timestamp",
    "ud": "frozen<addr>",
    "su": "set<uuid>",
    "mt": "map<timeuuid, inet>",
    "lv": "list<varint>",
    "tp": "frozen<tuple<uuid, int>>",
    "t": "text",
}


def test_rows_are_made_canonical_from_the_table_types(driver, session):
    u, tu = uuid.uuid4(), uuid.uuid1()
    session.schema[("ks", "t")] = NESTED
    session.udts["ks"] = {
        "addr": [("id", "uuid"), ("ip", "inet"), ("geo", "frozen<geo>")],
        "geo": [("d", "duration")],
    }
    session.rows["SELECT * FROM ks.t WHERE k = ?"] = [
        {
            "u": str(u),
            "tu": str(tu),
            "ip": "::1",
            "vi": varint_to_bytes(-(2**70)),
            "du": "-1y2mo3d4h5m6s7ms8us9ns",
            "vec": struct.pack(">3f", 1.0, 2.5, -3.0),
            "ts": dt.datetime(2024, 1, 2, 3, 4, 5),
            "ud": {"id": str(u), "ip": "10.0.0.1", "geo": {"d": "1d"}},
            "su": {str(u)},
            "mt": {str(tu): "1.2.3.4"},
            "lv": [b"\x05", None],
            "tp": (str(u), 5),
            "t": str(u),  # text stays text
        }
    ]
    (row,) = driver.execute("SELECT * FROM ks.t WHERE k = ?", [1])
    assert row == {
        "u": u,
        "tu": tu,
        "ip": ipaddress.IPv6Address("::1"),
        "vi": -(2**70),
        "du": CqlDuration(-14, -3, -(4 * 3600 + 5 * 60 + 6) * 10**9 - 7_008_009),
        "vec": [1.0, 2.5, -3.0],
        "ts": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
        "ud": {"id": u, "ip": ipaddress.IPv4Address("10.0.0.1"), "geo": {"d": CqlDuration(0, 1, 0)}},
        "su": {u},
        "mt": {tu: ipaddress.IPv4Address("1.2.3.4")},
        "lv": [5, None],
        "tp": (u, 5),
        "t": str(u),
    }


def test_columns_not_in_the_table_keep_acsyllas_values(driver, session):
    session.schema[("ks", "t")] = {"u": "uuid"}
    u = uuid.uuid4()
    session.rows['SELECT "u", now() AS x FROM "ks"."t"'] = [{"u": str(u), "x": "aliased"}]
    assert driver.execute('SELECT "u", now() AS x FROM "ks"."t"') == [{"u": u, "x": "aliased"}]


def test_unreadable_sets_of_collections_are_explained(driver, session):
    session.rows["SELECT ns FROM ks.t"] = [TypeError("unhashable type: 'set'")]
    with pytest.raises(DriverError, match="set or map key whose elements are collections"):
        driver.execute("SELECT ns FROM ks.t")


def test_decimal_is_refused_both_ways(driver, session):
    with pytest.raises(InvalidQueryError, match="decimal"):
        driver.execute("INSERT INTO ks.t (k, d) VALUES (?, ?)", [1, decimal.Decimal("1.50")])
    session.schema[("ks", "t")] = {"d": "decimal"}
    session.rows["SELECT d FROM ks.t"] = [{"d": decimal.Decimal("8251118.56")}]
    with pytest.raises(DriverError, match="decimal"):
        driver.execute("SELECT d FROM ks.t")
    session.rows["SELECT d FROM ks.t"] = [{"d": None}]
    assert driver.execute("SELECT d FROM ks.t") == [{"d": None}]
    session.rows["SELECT d FROM ks.t"] = [decimal.InvalidOperation([decimal.ConversionSyntax])]
    with pytest.raises(DriverError, match="decimal"):
        driver.execute("SELECT d FROM ks.t")


class Geo(BaseModel):
    lat: float
    when: CqlDuration | None = None


def test_parameters_are_adapted(driver, session):
    cql = "INSERT INTO ks.t (k, du, s, ud, ns) VALUES (?, ?, ?, ?, ?)"
    driver.execute(
        cql,
        [
            1,
            CqlDuration(1, 2, 3),
            frozenset({"a"}),
            Geo(lat=1.5, when=CqlDuration(0, 1, 0)),
            {frozenset({1})},
        ],
    )
    values = session.executed[-1].values
    assert values[1] == (1, 2, 3)
    assert values[2] == {"a"} and isinstance(values[2], set)
    assert values[3] == {"lat": 1.5, "when": (0, 1, 0)}
    assert values[4] == {frozenset({1})}


def test_varint_and_vector_parameters_are_learned_once(driver, session):
    cql = "INSERT INTO ks.t (k, vi, vec) VALUES (?, ?, ?)"
    session.kinds[cql] = ["int", "varint", "vector"]
    driver.execute(cql, [1, 2**70, [1.0, 2.0, 3.0]])
    values = session.executed[-1].values
    assert values == {0: 1, 1: varint_to_bytes(2**70), 2: struct.pack(">3f", 1.0, 2.0, 3.0)}
    prepared = driver._prepared.get(cql)
    assert prepared is not None and prepared.modes == {0: mod.PLAIN, 1: mod.VARINT, 2: mod.FLOAT_VECTOR}
    driver.execute(cql, [2, -1, [0.5, 0.5, 0.5]])
    assert session.executed[-1].values[1] == b"\xff"


def test_int_time_and_timestamp_parameters(driver, session):
    cql = "INSERT INTO ks.t (k, tm, ts) VALUES (?, ?, ?)"
    session.kinds[cql] = ["int", "time", "timestamp"]
    driver.execute(cql, [1, 45_296_789_123_000, 1_700_000_000_123])
    values = session.executed[-1].values
    assert values[1] == dt.time(12, 34, 56, 789123)
    assert values[2] == dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=dt.timezone.utc)
    with pytest.raises(InvalidQueryError, match="microsecond"):
        driver.execute(cql, [1, 1, None])


def test_batch(driver, session):
    statements = [
        Statement("INSERT INTO ks.t (k) VALUES (?)", (1,)),
        Statement("INSERT INTO ks.t (k) VALUES (2)", prepare=False),
    ]
    options = ExecOptions(
        consistency=Consistency.ONE, serial_consistency=Consistency.SERIAL, timeout=0.0004, timestamp=42
    )
    driver.run_batch(statements, BatchType.UNLOGGED, options)
    batch = session.batches[-1]
    assert batch.kind == "unlogged"
    assert batch.settings == {
        "request_timeout": 1,
        "consistency": real_acsylla.Consistency.ONE,
        "serial_consistency": real_acsylla.Consistency.SERIAL,
        "timestamp": 42,
    }
    assert [s.cql for s in batch.statements] == [s.cql for s in statements]
    assert batch.statements[0].values == {0: 1}
    driver.run_batch(statements[:1], BatchType.COUNTER)
    assert session.batches[-1].kind == "counter"
    assert driver.run_batch([], BatchType.LOGGED).rows == []


def test_lwt_batch_rows(driver, session):
    session.schema[("ks", "t")] = {"k": "int", "u": "uuid"}
    u = uuid.uuid4()
    session.rows["batch"] = [{"[applied]": False, "k": 1, "u": str(u)}]
    page = driver.run_batch(
        [Statement("INSERT INTO ks.t (k, u) VALUES (?, ?) IF NOT EXISTS", (1, u))], BatchType.LOGGED
    )
    assert page.rows == [{"[applied]": False, "k": 1, "u": u}]


# --------------------------------------------------------------- errors --


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (acsylla_errors.CassErrorServerSyntaxError("Syntax error: line 1:0"), InvalidRequest, 0x2000),
        (
            acsylla_errors.CassErrorServerInvalidQuery("Invalid query: table x does not exist"),
            InvalidRequest,
            0x2200,
        ),
        (
            acsylla_errors.CassErrorServerInvalidQuery("Invalid query: ... use ALLOW FILTERING"),
            FilteringRequiredError,
            0x2200,
        ),
        (acsylla_errors.CassErrorServerAlreadyExists("Already exists: table t"), AlreadyExists, 0x2400),
        (
            acsylla_errors.CassErrorServerUnavailable("Cannot achieve consistency level QUORUM"),
            Unavailable,
            0x1000,
        ),
        (acsylla_errors.CassErrorServerReadTimeout("Operation timed out"), RequestTimeout, 0x1200),
        (acsylla_errors.CassErrorLibRequestTimedOut("Request timed out"), RequestTimeout, None),
        (acsylla_errors.CassErrorLibNoHostsAvailable("No hosts available"), ConnectionFailed, None),
        (ValueError('Value "x" is not bytes.'), InvalidRequest, None),
        (OverflowError("Python int too large to convert to C long"), InvalidRequest, None),
    ],
)
def test_errors_are_translated(error, kind, code):
    translated = translate_error(error)
    assert type(translated) is kind
    assert translated.code == code
    assert translated.__cause__ is error and translated.original is error


def test_request_errors_carry_the_original_and_the_request(driver, session):
    session.fail = acsylla_errors.CassErrorServerUnavailable("Cannot achieve consistency level LOCAL_QUORUM")
    with pytest.raises(Unavailable) as info:
        driver.run(
            Statement("SELECT 1 FROM ks.t", prepare=False),
            ExecOptions(consistency=Consistency.ONE, serial_consistency=Consistency.SERIAL),
        )
    assert info.value.__cause__ is session.fail
    assert "consistency=ONE" in str(info.value) and "serial_consistency=SERIAL" in str(info.value)


# ---------------------------------------------------------------- bridge --


def test_sync_from_plain_threads_and_async_from_other_loops(driver, session):
    session.rows["SELECT * FROM ks.t"] = [{"k": 1}]
    out = []
    threads = [
        threading.Thread(target=lambda: out.append(driver.execute("SELECT * FROM ks.t"))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [[{"k": 1}]] * 4

    async def inside_a_loop():
        blocking = driver.execute("SELECT * FROM ks.t")  # sync API inside a running loop
        awaited = await driver.execute_async("SELECT * FROM ks.t")
        return blocking, awaited

    assert asyncio.run(inside_a_loop()) == ([{"k": 1}], [{"k": 1}])
    assert asyncio.run(driver.execute_async("SELECT * FROM ks.t")) == [{"k": 1}]  # a second, different loop
    # every session call ran on the driver's own loop thread
    assert session.threads == {driver.loop_thread.thread_id}


def test_close_releases_the_thread_and_the_session(session):
    d = AcsyllaDriver(session, LoopThread("closing").start(), "ks", owns_session=True)
    thread = d.loop_thread.thread
    d.close()
    assert session.closed and not thread.is_alive()
    d.close()
    with pytest.raises(ConfigurationError, match="closed"):
        d.execute("SELECT 1")


def test_close_async_releases_the_thread_and_the_session(session):
    d = AcsyllaDriver(session, LoopThread("closing").start(), "ks", owns_session=True)
    thread = d.loop_thread.thread
    asyncio.run(d.close_async())
    assert session.closed and not thread.is_alive()


def test_a_session_the_caller_owns_is_not_closed(session):
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    try:
        d = mod.create(session=session, keyspace="ks", loop=loop)
        session.rows["SELECT * FROM ks.t"] = [{"k": 1}]
        assert d.execute("SELECT * FROM ks.t") == [{"k": 1}]
        assert session.threads == {runner.ident}
        d.close()
        assert not session.closed
    finally:
        loop.call_soon_threadsafe(loop.stop)
        runner.join()
        loop.close()


def test_session_without_its_loop_is_refused(session):
    with pytest.raises(ConfigurationError, match="loop"):
        mod.create(session=session)


def test_create_async_with_a_session_uses_the_running_loop(session):
    async def main():
        d = await mod.create_async(session=session, keyspace="ks")
        session.rows["SELECT * FROM ks.t"] = [{"k": 2}]
        rows = await d.execute_async("SELECT * FROM ks.t")
        with pytest.raises(ConfigurationError, match="own event loop"):
            d.execute("SELECT * FROM ks.t")  # would deadlock: refused
        await d.close_async()
        return rows

    assert asyncio.run(main()) == [{"k": 2}]


def test_connect_runs_on_a_new_loop_thread(monkeypatch, session):
    created = {}

    class FakeCluster:
        async def create_session(self, keyspace=None):
            created["thread"] = threading.get_ident()
            created["keyspace"] = keyspace
            return session

    def create_cluster(**kwargs):
        created["kwargs"] = kwargs
        return FakeCluster()

    monkeypatch.setattr(
        lib, "acsylla", types.SimpleNamespace(**vars(fake_acsylla), create_cluster=create_cluster)
    )
    d = mod.create(["10.0.0.1:9043", "10.0.0.2"], keyspace="ks", username="u", password="p")
    try:
        assert created["thread"] == d.loop_thread.thread_id != threading.get_ident()
        assert created["keyspace"] == "ks"
        assert created["kwargs"]["contact_points"] == ["10.0.0.1", "10.0.0.2"]
        assert created["kwargs"]["port"] == 9043
        assert created["kwargs"]["username"] == "u"
    finally:
        d.close()
    assert not d.loop_thread.thread.is_alive()


# ------------------------------------------------------------ connecting --


def test_cluster_options(tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n")
    kwargs = cluster_kwargs(
        ["h1", "h2"], {"port": 9142, "ssl_trusted_cert": str(pem), "consistency": "quorum"}
    )
    assert kwargs["contact_points"] == ["h1", "h2"] and kwargs["port"] == 9142
    assert kwargs["ssl_trusted_cert"].startswith("-----BEGIN CERTIFICATE-----")
    assert kwargs["ssl_enabled"] is True
    assert kwargs["consistency"] == real_acsylla.Consistency.QUORUM
    assert kwargs["retry_policy"] == "fallthrough"
    assert cluster_kwargs(None, {"retry_policy": "default"})["retry_policy"] == "default"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"compression": "lz4"}, "compress"),
        ({"ssl_context": object()}, "ssl_enabled"),
        ({"lazy": True}, "lazy"),
        ({"ssl_cert": "/nonexistent/cert.pem"}, "neither PEM text nor a readable file"),
    ],
)
def test_unsupported_options_are_refused(options, message):
    with pytest.raises(ConfigurationError, match=message):
        cluster_kwargs(None, options)


def test_hosts_on_different_ports_are_refused():
    with pytest.raises(ConfigurationError, match="one port"):
        cluster_kwargs(["a:9042", "b:9043"], {})


def test_capabilities_name_their_gaps():
    caps = AcsyllaDriver.capabilities
    assert not caps.lz4 and not caps.native_sync and not caps.decimal and not caps.collections_in_sets
    assert caps.per_statement_timestamp and caps.paging_state and caps.tls and caps.vector
    for name in ("lz4", "native_sync", "decimal", "collections_in_sets", "time_nanoseconds"):
        assert "does not support" not in caps.reason(name)


# ----------------------------------------------------------- type texts --


def test_parse_type():
    udts = {"addr": [("street", "text"), ("geo", "frozen<geo>")], "geo": [("lat", "float")]}
    t = parse_type("map<text, frozen<list<frozen<addr>>>>", udts)
    assert t == CqlT(
        "map",
        (
            CqlT("text"),
            CqlT(
                "list",
                (
                    CqlT(
                        "udt:addr",
                        fields=(
                            ("street", CqlT("text")),
                            ("geo", CqlT("udt:geo", fields=(("lat", CqlT("float")),))),
                        ),
                    ),
                ),
            ),
        ),
    )
    assert parse_type("vector<float, 3>") == CqlT("vector", (CqlT("float"),), size=3)
    assert parse_type('frozen<"MyType">', {"MyType": [("a", "int")]}) == CqlT(
        "udt:MyType", fields=(("a", CqlT("int")),)
    )
    assert parse_type("'org.apache.cassandra.db.marshal.BytesType'") == CqlT(
        "custom:org.apache.cassandra.db.marshal.BytesType"
    )
    assert parse_type("unknown_udt") == CqlT("udt:unknown_udt")
    loop = {"a": [("b", "frozen<a>")]}
    assert parse_type("a", loop) == CqlT("udt:a", fields=(("b", CqlT("udt:a")),))
    with pytest.raises(ValueError):
        parse_type("map<text,")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("", CqlDuration(0, 0, 0)),
        ("1mo2d3ns", CqlDuration(1, 2, 3)),
        ("-1y2mo25d5h6m7s8ms9us10ns", CqlDuration(-14, -25, -(5 * 3600 + 6 * 60 + 7) * 10**9 - 8_009_010)),
        ("3w", CqlDuration(0, 21, 0)),
        ("5µs", CqlDuration(0, 0, 5000)),
    ],
)
def test_parse_duration(text, value):
    assert parse_duration(text) == value


def test_parse_duration_refuses_garbage():
    with pytest.raises(ValueError):
        parse_duration("1x")


@pytest.mark.parametrize("n", [0, 1, -1, 127, 128, -128, -129, 255, 2**63, -(2**70) + 3])
def test_varint_roundtrip(n):
    assert mod.bytes_to_varint(varint_to_bytes(n)) == n
    assert varint_to_bytes(n) == n.to_bytes(len(varint_to_bytes(n)), "big", signed=True)


@pytest.mark.parametrize(
    ("cql", "table"),
    [
        ("SELECT * FROM ks.t WHERE k = ?", ("ks", "t")),
        ('SELECT "a" FROM "KS"."My""T"', ("KS", 'My"T')),
        ("select * from T", ("cur", "t")),
        ("INSERT INTO t (k) VALUES (?)", ("cur", "t")),
        ("UPDATE ks.t SET v = ? WHERE k = ?", ("ks", "t")),
        ("DELETE v FROM ks.t WHERE k = ?", ("ks", "t")),
        ("SELECT now()", None),
    ],
)
def test_table_of(cql, table):
    assert table_of(cql, "cur") == table


@pytest.mark.parametrize(
    ("cql", "ddl", "slow", "keyspace"),
    [
        ("CREATE TABLE ks.t (k int PRIMARY KEY)", True, True, None),
        ("  alter table t ADD v int", True, True, None),
        ("DROP KEYSPACE ks", True, True, None),
        ("TRUNCATE ks.t", False, True, None),
        ("SELECT * FROM ks.t", False, False, None),
        ("INSERT INTO created (k) VALUES (1)", False, False, None),
        ("USE Other;", False, False, "other"),
        ('use "Mixed""Case"', False, False, 'Mixed"Case'),
        ("USE ks AND more", False, False, None),
    ],
)
def test_statement_text(cql, ddl, slow, keyspace):
    assert is_ddl(cql) is ddl
    assert changes_schema(cql) is slow
    assert used_keyspace(cql) == keyspace
