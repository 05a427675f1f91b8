"""The python-rs backend against a fake python-rs-driver session (no network)."""

import asyncio
import datetime as dt
import ssl
import threading
import types
import uuid
from collections import Counter
from typing import Any

import pytest
from pydantic import BaseModel
from scylla import errors as rs_errors
from scylla.enums import Consistency as RsConsistency
from scylla.enums import SerialConsistency as RsSerial
from scylla.results import PagingState
from scylla.statement import Statement as RsStatement
from scylla.tls import TlsContext, VerifyMode

from coodie.drivers import python_rs as mod
from coodie.drivers.base import BatchType, Consistency, ExecOptions, Statement
from coodie.drivers.python_rs import (
    DriverDuration,
    PythonRsDriver,
    decoder,
    duration_from_driver,
    encoder,
    lib,
    translate_error,
)
from coodie.drivers.python_rs import driver as driver_mod
from coodie.exceptions import (
    AlreadyExists,
    AuthenticationFailed,
    ConfigurationError,
    ConnectionFailed,
    DriverError,
    FilteringRequiredError,
    InvalidQueryError,
    InvalidRequest,
    RequestTimeout,
    Unauthorized,
    Unavailable,
)
from coodie.types import CqlDuration

UTC = dt.timezone.utc

# ------------------------------------------------------------------ fakes --


def cql(kind: str, **attrs: Any) -> Any:
    """A stand-in for a python-rs column type (the backend reads the class name and attributes)."""
    return type(kind, (), {})() if not attrs else _with(type(kind, (), {})(), attrs)


def _with(obj: Any, attrs: dict[str, Any]) -> Any:
    for k, v in attrs.items():
        setattr(obj, k, v)
    return obj


class Column:
    def __init__(self, name: str, cql_type: Any) -> None:
        self.name = name
        self.cql_type = cql_type


class FakeFuture:
    def __init__(
        self, value: Any = None, error: BaseException | None = None, thread_log: set | None = None
    ) -> None:
        self.value, self.error, self.thread_log = value, error, thread_log

    def result(self, timeout: float | None = None) -> Any:
        if self.thread_log is not None:
            self.thread_log.add(threading.get_ident())
        if self.error is not None:
            raise self.error
        return self.value

    def __await__(self):
        yield from ()
        return self.result()


class FakePrepared:
    def __init__(self, text: str, bind_columns: tuple = (), options: dict | None = None) -> None:
        self.text, self.bind_columns, self.options = text, bind_columns, dict(options or {})

    def _copy(self, **kw: Any) -> "FakePrepared":
        return FakePrepared(self.text, self.bind_columns, {**self.options, **kw})

    def with_consistency(self, c):
        return self._copy(consistency=c)

    def with_serial_consistency(self, c):
        return self._copy(serial_consistency=c)

    def with_request_timeout(self, t):
        return self._copy(request_timeout=t)

    def with_page_size(self, n):
        return self._copy(page_size=n)

    def set_is_idempotent(self, flag):
        return self._copy(is_idempotent=flag)


class FakeResult:
    def __init__(self, rows: list, start: int, size: int, columns: tuple) -> None:
        self._all, self._start, self._size, self.columns = rows, start, size, columns

    def iter_current_page(self):
        return iter([dict(r) for r in self._all[self._start : self._start + self._size]])

    def has_more_pages(self) -> bool:
        return self._start + self._size < len(self._all)

    def paging_state(self):
        return (
            PagingState.from_bytes(str(self._start + self._size).encode()) if self.has_more_pages() else None
        )

    def all(self) -> FakeFuture:
        return FakeFuture([dict(r) for r in self._all[self._start :]])


class FakeBatch:
    def __init__(self, batch_type: Any) -> None:
        self.batch_type, self.items, self.options = batch_type, [], {}

    def add(self, stmt: Any, values: Any) -> None:
        self.items.append((stmt, values))

    def with_consistency(self, c):
        self.options["consistency"] = c
        return self

    def with_serial_consistency(self, c):
        self.options["serial_consistency"] = c
        return self

    def with_request_timeout(self, t):
        self.options["request_timeout"] = t
        return self

    def set_is_idempotent(self, flag):
        self.options["is_idempotent"] = flag
        return self


class FakeSession:
    def __init__(self) -> None:
        self.rows: dict[str, list] = {}
        self.columns: dict[str, tuple] = {}
        self.bind_columns: dict[str, tuple] = {}
        self.prepared = Counter()
        self.calls: list[tuple[Any, Any, Any]] = []
        self.batches: list[FakeBatch] = []
        self.threads: set[int] = set()
        self.fail: BaseException | None = None

    def prepare(self, text: str) -> FakeFuture:
        self.prepared[text] += 1
        return FakeFuture(FakePrepared(text, self.bind_columns.get(text, ())), self.fail, self.threads)

    def execute(self, stmt: Any, values: Any = None, /, *, paging_state: Any = None) -> FakeFuture:
        self.calls.append((stmt, values, paging_state))
        text = stmt.text if isinstance(stmt, FakePrepared) else stmt.contents
        size = (stmt.options.get("page_size") if isinstance(stmt, FakePrepared) else None) or 5000
        start = int(paging_state.as_bytes() or b"0") if paging_state is not None else 0
        result = FakeResult(self.rows.get(text, []), start, size, self.columns.get(text, ()))
        return FakeFuture(result, self.fail, self.threads)

    def batch(self, batch: FakeBatch) -> FakeFuture:
        self.batches.append(batch)
        rows = self.rows.get("batch", [])
        return FakeFuture(FakeResult(rows, 0, 5000, self.columns.get("batch", ())), self.fail, self.threads)


@pytest.fixture
def session():
    return FakeSession()


@pytest.fixture
def driver(session):
    return PythonRsDriver(session, "ks", cache_size=4)


# ------------------------------------------------------------- requests --


def test_prepared_once_then_cached_and_bounded(driver, session):
    for _ in range(3):
        driver.execute("SELECT * FROM ks.t WHERE k = ?", [1])
    assert session.prepared["SELECT * FROM ks.t WHERE k = ?"] == 1
    for i in range(5):
        driver.execute(f"SELECT * FROM ks.t{i} WHERE k = ?", [1])
    assert len(driver._prepared) == 4
    driver.execute("SELECT * FROM ks.t0 WHERE k = ?", [1])
    assert session.prepared["SELECT * FROM ks.t0 WHERE k = ?"] == 2


def test_ddl_is_sent_unprepared(driver, session):
    driver.execute("CREATE TABLE ks.t (k int PRIMARY KEY)")
    assert not session.prepared
    stmt, values, _ = session.calls[-1]
    assert isinstance(stmt, RsStatement) and stmt.contents == "CREATE TABLE ks.t (k int PRIMARY KEY)"
    assert values is None


def test_options_reach_a_prepared_statement(driver, session):
    options = ExecOptions(
        consistency=Consistency.LOCAL_QUORUM, serial_consistency=Consistency.SERIAL, timeout=2.5, page_size=7
    )
    driver.run(Statement("SELECT * FROM ks.t WHERE k = ?", (1,), idempotent=True), options)
    stmt, values, paging = session.calls[-1]
    assert stmt.options == {
        "consistency": RsConsistency.LocalQuorum,
        "serial_consistency": RsSerial.Serial,
        "request_timeout": 2.5,
        "page_size": 7,
        "is_idempotent": True,
    }
    assert values == (1,) and paging is None


def test_options_reach_an_unprepared_statement(driver, session):
    driver.run(
        Statement("SELECT * FROM system.local", prepare=False),
        ExecOptions(consistency=Consistency.ONE, timeout=1.5, page_size=3),
    )
    stmt = session.calls[-1][0]
    assert stmt.consistency == RsConsistency.One
    assert stmt.request_timeout == 1.5 and stmt.page_size == 3


@pytest.mark.parametrize("consistency", list(Consistency))
def test_every_consistency_level_maps(consistency):
    assert driver_mod.CONSISTENCY[consistency] is not None


def test_per_request_timestamp_is_refused_clearly(driver, session):
    with pytest.raises(ConfigurationError, match="USING TIMESTAMP"):
        driver.run(Statement("INSERT INTO ks.t (k) VALUES (?)", (1,)), ExecOptions(timestamp=5))
    with pytest.raises(ConfigurationError, match="USING TIMESTAMP"):
        driver.run_batch(
            [Statement("INSERT INTO ks.t (k) VALUES (?)", (1,))], BatchType.LOGGED, ExecOptions(timestamp=5)
        )
    assert not session.calls and not session.batches


def test_rows_beyond_the_first_page_are_kept(driver, session):
    session.rows["SELECT * FROM ks.big"] = [{"n": i} for i in range(12_000)]
    page = driver.run(Statement("SELECT * FROM ks.big"))
    assert [r["n"] for r in page.rows] == list(range(12_000)) and page.paging_state is None


def test_paged_request_returns_one_page_and_resumes(driver, session):
    session.rows["SELECT * FROM ks.p"] = [{"n": i} for i in range(25)]
    first = driver.run(Statement("SELECT * FROM ks.p"), ExecOptions(page_size=10))
    assert [r["n"] for r in first.rows] == list(range(10)) and first.paging_state == b"10"
    second = driver.run(
        Statement("SELECT * FROM ks.p"), ExecOptions(page_size=10, paging_state=first.paging_state)
    )
    assert session.calls[-1][2].as_bytes() == b"10"
    assert [r["n"] for r in second.rows] == list(range(10, 20))
    last = driver.run(
        Statement("SELECT * FROM ks.p"), ExecOptions(page_size=10, paging_state=second.paging_state)
    )
    assert [r["n"] for r in last.rows] == list(range(20, 25)) and last.paging_state is None


def test_batch(driver, session, monkeypatch):
    monkeypatch.setattr(lib, "batch", types.SimpleNamespace(Batch=FakeBatch))
    statements = [
        Statement("INSERT INTO ks.t (k) VALUES (?)", (1,), idempotent=True),
        Statement("INSERT INTO ks.t (k) VALUES (2)", prepare=False, idempotent=True),
    ]
    driver.run_batch(statements, BatchType.COUNTER, ExecOptions(consistency=Consistency.ONE, timeout=3.0))
    batch = session.batches[-1]
    assert batch.batch_type == driver_mod.BATCH_TYPES[BatchType.COUNTER]
    assert batch.items[0][0].text == "INSERT INTO ks.t (k) VALUES (?)" and batch.items[0][1] == (1,)
    assert batch.items[1] == ("INSERT INTO ks.t (k) VALUES (2)", None)
    assert batch.options == {"consistency": RsConsistency.One, "request_timeout": 3.0, "is_idempotent": True}
    session.rows["batch"] = [{"[applied]": False, "k": 1}]
    session.columns["batch"] = (Column("[applied]", cql("CqlBoolean")), Column("k", cql("CqlInt")))
    assert driver.run_batch(statements, BatchType.LOGGED).rows == [{"[applied]": False, "k": 1}]
    assert driver.run_batch([], BatchType.LOGGED).rows == []


# ------------------------------------------------------ value conversion --


def rd(**kw: int) -> Any:
    """A dateutil relativedelta as the driver hands it out (normalised fields)."""
    base = dict.fromkeys(("years", "months", "days", "hours", "minutes", "seconds", "microseconds"), 0)
    return types.SimpleNamespace(**{**base, **kw})


def test_durations_are_read_as_cqlduration():
    assert duration_from_driver(
        rd(years=1, months=2, days=3, hours=4, minutes=5, seconds=6, microseconds=7)
    ) == (CqlDuration(14, 3, ((4 * 60 + 5) * 60 + 6) * 10**9 + 7000))
    assert duration_from_driver(rd(months=-1, days=-2, microseconds=-5)) == CqlDuration(-1, -2, -5000)


def test_rows_are_converted_by_result_column_types(driver, session):
    udt = cql("CqlUserDefinedType", name="u", field_types=[("d", cql("CqlDuration")), ("n", cql("CqlInt"))])
    session.columns["SELECT * FROM ks.t"] = (
        Column("d", cql("CqlDuration")),
        Column("l", cql("CqlList", column_type=cql("CqlDuration"))),
        Column("u", udt),
        Column("m", cql("CqlMap", key_type=cql("CqlText"), value_type=cql("CqlDuration"))),
        Column("t", cql("CqlTuple", element_types=[cql("CqlInt"), cql("CqlDuration")])),
        Column("id", cql("CqlUuid")),
    )
    u = uuid.uuid4()
    session.rows["SELECT * FROM ks.t"] = [
        {
            "d": rd(days=1),
            "l": [rd(hours=1), None],
            "u": {"d": rd(months=2), "n": 1},
            "m": {"a": rd(seconds=1)},
            "t": (1, rd(microseconds=5)),
            "id": u,
        }
    ]
    (row,) = driver.execute("SELECT * FROM ks.t")
    assert row == {
        "d": CqlDuration(0, 1, 0),
        "l": [CqlDuration(0, 0, 3600 * 10**9), None],
        "u": {"d": CqlDuration(2, 0, 0), "n": 1},
        "m": {"a": CqlDuration(0, 0, 10**9)},
        "t": (1, CqlDuration(0, 0, 5000)),
        "id": u,
    }
    assert decoder(cql("CqlInt")) is None and decoder(cql("CqlList", column_type=cql("CqlInt"))) is None


class Addr(BaseModel):
    street: str
    zip: int | None = None


def test_parameters_are_adapted(driver, session):
    text = "INSERT INTO ks.t (k, d, s, a, ts, tm, tp) VALUES (?, ?, ?, ?, ?, ?, ?)"
    session.bind_columns[text] = tuple(
        Column(n, t)
        for n, t in [
            ("k", cql("CqlInt")),
            ("d", cql("CqlDuration")),
            ("s", cql("CqlSet", column_type=cql("CqlInt"))),
            (
                "a",
                cql(
                    "CqlUserDefinedType",
                    name="addr",
                    field_types=[("street", cql("CqlText")), ("zip", cql("CqlInt"))],
                ),
            ),
            ("ts", cql("CqlTimestamp")),
            ("tm", cql("CqlTime")),
            ("tp", cql("CqlTuple", element_types=[cql("CqlInt"), cql("CqlSet", column_type=cql("CqlInt"))])),
        ]
    )
    plus2 = dt.timezone(dt.timedelta(hours=2))
    driver.execute(
        text,
        [
            1,
            CqlDuration(1, 2, 3000),
            frozenset({5}),
            Addr(street="x", zip=1),
            dt.datetime(2020, 6, 1, 12, tzinfo=plus2),
            45_296_789_123_000,
            (1, frozenset({9})),
        ],
    )
    values = session.calls[-1][1]
    assert values[0] == 1
    assert values[1] == DriverDuration(1, 2, 3)
    assert values[2] == {5} and type(values[2]) is set
    assert values[3] == {"street": "x", "zip": 1}
    assert values[4] == dt.datetime(2020, 6, 1, 10, tzinfo=UTC) and values[4].tzinfo is UTC
    assert values[5] == dt.time(12, 34, 56, 789123)
    assert values[6] == (1, {9}) and type(values[6][1]) is set
    driver.execute(text, [1, None, None, None, dt.datetime(2001, 1, 1), None, None])
    assert session.calls[-1][1][4] == dt.datetime(2001, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cql_type", "value", "message"),
    [
        (lambda: cql("CqlDuration"), CqlDuration(0, 0, 3), "microsecond"),
        (lambda: cql("CqlTime"), 1, "microsecond"),
        (
            lambda: cql("CqlSet", column_type=cql("CqlSet", column_type=cql("CqlInt"))),
            {frozenset({1})},
            "set or map key",
        ),
        (
            lambda: cql(
                "CqlMap", key_type=cql("CqlList", column_type=cql("CqlInt")), value_type=cql("CqlInt")
            ),
            {(1,): 2},
            "set or map key",
        ),
        (
            lambda: cql(
                "CqlUserDefinedType", name="addr", field_types=[("a", cql("CqlInt")), ("b", cql("CqlInt"))]
            ),
            {"a": 1},
            r"null fields \['b'\]",
        ),
    ],
)
def test_values_the_driver_cannot_take_are_refused_clearly(cql_type, value, message):
    encode = encoder(cql_type())
    assert encode is not None
    with pytest.raises(InvalidQueryError, match=message):
        encode(value)


# --------------------------------------------------------------- errors --

DB = "Failed to execute statement: Database returned an error: "


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (
            rs_errors.ExecuteError(DB + "The submitted query has a syntax error, Error message: x"),
            InvalidRequest,
            0x2000,
        ),
        (
            rs_errors.ExecuteError(
                DB + "The query is syntactically correct but invalid, Error message: no table"
            ),
            InvalidRequest,
            0x2200,
        ),
        (
            rs_errors.ExecuteError(
                DB + "The query is syntactically correct but invalid, Error message: use ALLOW FILTERING"
            ),
            FilteringRequiredError,
            0x2200,
        ),
        (
            rs_errors.ExecuteError(
                DB + "Attempted to create a keyspace or a table that was already existing"
            ),
            AlreadyExists,
            0x2400,
        ),
        (
            rs_errors.ExecuteError(DB + "Not enough nodes are alive to satisfy required consistency level"),
            Unavailable,
            0x1000,
        ),
        (
            rs_errors.ExecuteError(DB + "Not enough nodes responded to the read request in time"),
            RequestTimeout,
            0x1200,
        ),
        (
            rs_errors.ExecuteError(DB + "The logged user doesn't have the right to perform the query"),
            Unauthorized,
            0x2100,
        ),
        (
            rs_errors.ExecuteError(
                "Failed to execute statement: Request execution exceeded a client timeout of 1ms"
            ),
            RequestTimeout,
            None,
        ),
        (
            rs_errors.ExecuteError("Failed to serialize values: SerializationError: Type mismatch"),
            InvalidRequest,
            None,
        ),
        (
            rs_errors.PrepareError("Failed to prepare statement: ... The submitted query has a syntax error"),
            InvalidRequest,
            0x2000,
        ),
        (
            rs_errors.SessionConnectionError("failed to establish session: Connection refused"),
            ConnectionFailed,
            None,
        ),
        (
            rs_errors.SessionConnectionError("Authentication failed - bad credentials"),
            AuthenticationFailed,
            None,
        ),
        (rs_errors.PyConversionFailedError("Python conversion failed"), DriverError, None),
    ],
)
def test_errors_are_translated(error, kind, code):
    translated = translate_error(error)
    assert type(translated) is kind
    assert translated.code == code
    assert translated.__cause__ is error


def test_unreadable_values_get_a_hint():
    assert "python-dateutil" in str(
        translate_error(rs_errors.PyConversionFailedError("Python conversion failed"))
    )


def test_request_errors_name_the_requested_levels(driver, session):
    session.fail = rs_errors.ExecuteError(
        DB + "Not enough nodes are alive to satisfy required consistency level"
    )
    with pytest.raises(Unavailable) as info:
        driver.run(
            Statement("SELECT 1 FROM ks.t", prepare=False),
            ExecOptions(consistency=Consistency.ONE, serial_consistency=Consistency.LOCAL_SERIAL),
        )
    assert "serial_consistency=LOCAL_SERIAL" in str(info.value)
    assert info.value.__cause__ is session.fail


# ---------------------------------------------------------------- bridge --


def test_blocking_and_async_calls_from_anywhere(driver, session):
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
        return driver.execute("SELECT * FROM ks.t"), await driver.execute_async("SELECT * FROM ks.t")

    assert asyncio.run(inside_a_loop()) == ([{"k": 1}], [{"k": 1}])
    assert asyncio.run(driver.execute_async("SELECT * FROM ks.t")) == [{"k": 1}]


def test_no_thread_is_started(session):
    before = threading.active_count()
    d = PythonRsDriver(session)
    d.execute("SELECT 1 FROM ks.t")
    assert threading.active_count() == before


def test_close_drops_the_session(driver, session):
    driver.execute("SELECT * FROM ks.t WHERE k = ?", [1])
    driver.close()
    assert len(driver._prepared) == 0
    with pytest.raises(ConfigurationError, match="closed"):
        driver.execute("SELECT * FROM ks.t")
    asyncio.run(driver.close_async())


def test_capabilities():
    caps = PythonRsDriver.capabilities
    assert not caps.per_statement_timestamp and not caps.close
    assert not caps.collections_in_sets and not caps.udt_null_fields and not caps.duration_nanoseconds
    assert caps.native_sync and caps.native_async and caps.lz4 and caps.tls and caps.paging_state
    assert "garbage-collected" in caps.reason("close")


# ------------------------------------------------------------ connecting --


class RecordingBuilder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def __getattr__(self, name: str):
        def record(*args: Any) -> "RecordingBuilder":
            self.calls.append((name, args))
            return self

        return record

    def connect(self) -> FakeFuture:
        return FakeFuture(FakeSession())


@pytest.fixture
def builder(monkeypatch):
    made: list[RecordingBuilder] = []

    def factory() -> RecordingBuilder:
        made.append(RecordingBuilder())
        return made[-1]

    monkeypatch.setattr(lib, "session_builder", types.SimpleNamespace(SessionBuilder=factory))
    return made


def test_builder_options(builder):
    hook = []
    d = mod.create(
        ["10.0.0.1", "10.0.0.2:9043", "[::1]:9044"],
        keyspace="ks",
        port=9142,
        username="u",
        password="p",
        compression="lz4",
        connect_timeout=3,
        request_timeout=7,
        configure=lambda b: hook.append(b) or b,
    )
    assert isinstance(d, PythonRsDriver) and d.default_keyspace == "ks"
    calls = dict(builder[0].calls)
    assert calls["contact_points"] == ([("10.0.0.1", 9142), ("10.0.0.2", 9043), ("::1", 9044)],)
    assert calls["use_keyspace"] == ("ks", False)
    assert calls["user"] == ("u", "p")
    assert calls["compression"] == (lib.enums.Compression.Lz4,)
    assert calls["connection_timeout"] == (3.0,)
    (profile,) = calls["execution_profile"]
    assert profile.request_timeout == 7.0 and profile.consistency == RsConsistency.LocalOne
    assert hook == [builder[0]]


def test_default_consistency_matches_the_other_backends(builder):
    mod.create(["h"])
    (profile,) = dict(builder[0].calls)["execution_profile"]
    assert profile.consistency == RsConsistency.LocalOne
    mod.create(["h"], consistency="quorum", serial_consistency="serial")
    (profile,) = dict(builder[1].calls)["execution_profile"]
    assert profile.consistency == RsConsistency.Quorum and profile.serial_consistency == RsSerial.Serial


def test_quoted_keyspace_is_case_sensitive(builder):
    mod.create(["h"], keyspace='"MyKs"')
    assert dict(builder[0].calls)["use_keyspace"] == ("MyKs", True)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bogus": 1}, "does not know"),
        ({"lazy": True}, "lazy"),
        ({"compression": "zstd"}, "lz4"),
        ({"password": "p"}, "username"),
        ({"ssl_context": ssl.create_default_context()}, "ssl.SSLContext"),
        ({"ssl_enabled": True, "ssl_private_key_password": "x"}, "unencrypted"),
        ({"ssl_cert": "-----BEGIN CERTIFICATE-----", "ssl_private_key": "k.pem"}, "file paths"),
        ({"serial_consistency": "quorum"}, "SERIAL or LOCAL_SERIAL"),
    ],
)
def test_bad_options_are_refused(builder, options, message):
    with pytest.raises(ConfigurationError, match=message):
        mod.create(["h"], **options)


class FakeTlsContext:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.verify_mode = None

    def load_verify_locations(self, **kw: Any) -> None:
        self.calls.append(("load_verify_locations", kw))

    def load_cert_chain(self, certfile: str, keyfile: str | None = None) -> None:
        self.calls.append(("load_cert_chain", {"certfile": certfile, "keyfile": keyfile}))


@pytest.fixture
def fake_tls(monkeypatch):
    fake = types.SimpleNamespace(TlsContext=FakeTlsContext, VerifyMode=VerifyMode)
    real_require = lib.require
    monkeypatch.setattr(
        lib, "require", lambda name, **kw: fake if name == "scylla.tls" else real_require(name, **kw)
    )
    return fake


def test_tls_options(builder, fake_tls):
    mod.create(
        ["h"], ssl_trusted_cert="/certs/ca.pem", ssl_cert="/certs/c.pem", ssl_private_key="/certs/k.pem"
    )
    (ctx,) = dict(builder[0].calls)["tls_context"]
    assert ctx.calls == [
        ("load_verify_locations", {"cafile": "/certs/ca.pem"}),
        ("load_cert_chain", {"certfile": "/certs/c.pem", "keyfile": "/certs/k.pem"}),
    ]
    # set explicitly: TlsContext.verify_mode of scylladb-rs-driver 0.2.0 always reads back CERT_NONE
    assert ctx.verify_mode == VerifyMode.CERT_REQUIRED
    mod.create(["h"], ssl_enabled=True, ssl_trusted_cert="-----BEGIN CERTIFICATE-----\n", ssl_verify_flags=0)
    (ctx,) = dict(builder[1].calls)["tls_context"]
    assert ctx.calls == [("load_verify_locations", {"cadata": "-----BEGIN CERTIFICATE-----\n"})]
    assert ctx.verify_mode == VerifyMode.CERT_NONE
    mod.create(["h"])
    assert "tls_context" not in dict(builder[2].calls)


def test_a_tls_context_of_the_driver_is_passed_through(builder):
    own = TlsContext()
    mod.create(["h"], ssl_context=own)
    assert dict(builder[0].calls)["tls_context"] == (own,)


def test_session_is_wrapped_without_connecting(session):
    d = mod.create(session=session, keyspace="ks")
    assert d.session is session
    with pytest.raises(ConfigurationError, match="no effect"):
        mod.create(session=session, username="u")

    async def main():
        return await mod.create_async(session=session)

    assert asyncio.run(main()).session is session


def test_create_async_connects_by_awaiting(builder):
    async def main():
        return await mod.create_async(["h"], keyspace="ks")

    d = asyncio.run(main())
    assert isinstance(d.session, FakeSession)


def test_connection_errors_are_translated(monkeypatch):
    class Failing(RecordingBuilder):
        def connect(self) -> FakeFuture:
            return FakeFuture(error=rs_errors.SessionConnectionError("failed to establish session: refused"))

    monkeypatch.setattr(lib, "session_builder", types.SimpleNamespace(SessionBuilder=Failing))
    with pytest.raises(ConnectionFailed):
        mod.create(["h"])
