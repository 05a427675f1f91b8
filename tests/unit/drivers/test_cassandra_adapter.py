"""The scylla-driver / cassandra-driver backend: converters, error translation, and requests on a fake session."""

import asyncio
import datetime as dt
import ipaddress
import uuid
from collections import Counter
from typing import Any

import pytest
from cassandra.cluster import NoHostAvailable
from cassandra.query import SimpleStatement

import cassandra
from cassandra import cqltypes, util
from coodie.drivers import cassandra as mod
from coodie.drivers.base import Consistency, ExecOptions, Statement
from coodie.drivers.cassandra import CassandraDriver, translate_error
from coodie.drivers.cassandra.values import decoder, encoder
from coodie.exceptions import (
    AlreadyExists,
    AuthenticationFailed,
    ConfigurationError,
    ConnectionFailed,
    DriverError,
    FilteringRequiredError,
    InvalidRequest,
    RequestTimeout,
    Unavailable,
)
from coodie.types import CqlDuration

T = cqltypes
UTC = dt.timezone.utc


def typ(name: str, *subs: Any) -> Any:
    return getattr(T, name).apply_parameters(list(subs))


ADDR = T.UserType.make_udt_class(
    "ks", "addr", ["id", "ip", "tags"], [T.UUIDType, T.InetAddressType, typ("SetType", T.UTF8Type)]
)


# ------------------------------------------------------------ converters --


def test_scalar_decoders():
    assert decoder(T.DateType)(dt.datetime(2024, 1, 2)) == dt.datetime(2024, 1, 2, tzinfo=UTC)
    aware = dt.datetime(2024, 1, 2, tzinfo=UTC)
    assert decoder(T.DateType)(aware) is aware
    assert decoder(T.SimpleDateType)(util.Date(dt.date(2024, 2, 29))) == dt.date(2024, 2, 29)
    assert decoder(T.TimeType)(util.Time(45_296_789_123_456)) == 45_296_789_123_456
    assert decoder(T.DurationType)(util.Duration(1, 2, 3)) == CqlDuration(1, 2, 3)
    assert decoder(T.InetAddressType)("::1") == ipaddress.IPv6Address("::1")
    for plain in (T.Int32Type, T.UTF8Type, T.UUIDType, T.DecimalType, T.BytesType):
        assert decoder(plain) is None


def test_collection_and_udt_decoders():
    u = uuid.uuid4()
    udt_value = (u, "10.0.0.1", util.SortedSet(["a"]))  # the driver gives a (named) tuple
    assert decoder(ADDR)(udt_value) == {"id": u, "ip": ipaddress.IPv4Address("10.0.0.1"), "tags": {"a"}}
    nested = typ("SetType", typ("FrozenType", typ("SetType", T.Int32Type)))
    assert decoder(nested)(util.SortedSet([util.SortedSet([1, 2])])) == {frozenset({1, 2})}
    keyed = typ("MapType", typ("FrozenType", typ("ListType", T.Int32Type)), T.InetAddressType)
    assert decoder(keyed)({(1, 2): "::1"}) == {(1, 2): ipaddress.IPv6Address("::1")}
    assert decoder(typ("ListType", T.DurationType))([util.Duration(0, 1, 0)]) == [CqlDuration(0, 1, 0)]
    assert decoder(typ("TupleType", T.InetAddressType, T.Int32Type))(("1.2.3.4", None)) == (
        ipaddress.IPv4Address("1.2.3.4"),
        None,
    )
    vector = T.lookup_casstype(
        "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType, 3)"
    )
    assert decoder(vector)((1.0, 2.0, 3.0)) == [1.0, 2.0, 3.0]


def test_encoders():
    assert encoder(T.InetAddressType)(ipaddress.ip_address("::1")) == "::1"
    encoded = encoder(T.DurationType)(CqlDuration(1, 2, 3))
    assert (encoded.months, encoded.days, encoded.nanoseconds) == (1, 2, 3)
    u = uuid.uuid4()
    encode_udt = encoder(ADDR)
    assert encode_udt({"id": u, "ip": ipaddress.ip_address("10.0.0.1"), "tags": None}) == (
        u,
        "10.0.0.1",
        None,
    )

    class Obj:
        id = u
        ip = ipaddress.ip_address("10.0.0.2")

    assert encode_udt(Obj()) == (u, "10.0.0.2", None)
    assert encoder(typ("ListType", T.InetAddressType))([ipaddress.ip_address("::2")]) == ["::2"]
    assert encoder(typ("ListType", T.Int32Type)) is None


# ----------------------------------------------------------------- errors --


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (cassandra.InvalidRequest("unconfigured table t"), InvalidRequest),
        (cassandra.InvalidRequest("... use ALLOW FILTERING"), FilteringRequiredError),
        (cassandra.AlreadyExists(keyspace="ks", table="t"), AlreadyExists),
        (cassandra.Unavailable("no", consistency=4, required_replicas=2, alive_replicas=1), Unavailable),
        (cassandra.OperationTimedOut("slow"), RequestTimeout),
        (cassandra.ReadTimeout("slow"), RequestTimeout),
        (NoHostAvailable("no", {"h": cassandra.AuthenticationFailed("bad")}), AuthenticationFailed),
        (NoHostAvailable("no", {"h": ConnectionRefusedError("refused")}), ConnectionFailed),
        (RuntimeError("other"), DriverError),
    ],
)
def test_translate_error(error, kind):
    translated = translate_error(error)
    assert type(translated) is kind
    assert translated.__cause__ is error


def test_no_host_available_wrapping_a_server_answer_reports_the_answer():
    inner = cassandra.Unavailable("no", consistency=4, required_replicas=2, alive_replicas=1)
    outer = NoHostAvailable("Unable to complete the operation against any hosts", {"h": inner})
    translated = translate_error(outer)
    assert type(translated) is Unavailable and translated.__cause__ is outer


# ------------------------------------------------------- fake session --


class FakePrepared:
    def __init__(self, cql: str, column_types: list[Any]) -> None:
        self.cql = cql
        self.column_metadata = [type("Col", (), {"type": t})() for t in column_types]

    def bind(self, params):
        bound = SimpleStatement(self.cql)
        bound.values = list(params)
        return bound


class FakeResponse:
    def __init__(self, pages: list[list[tuple]], names: list[str], types: list[Any], start: int = 0) -> None:
        self.pages, self.i = pages, start
        self.callback = None
        self._col_names, self._col_types = names, types

    def result(self):
        return type("R", (), {"current_rows": self.pages[self.i]})()

    @property
    def has_more_pages(self) -> bool:
        return self.i + 1 < len(self.pages)

    @property
    def _paging_state(self):
        return str(self.i + 1).encode() if self.has_more_pages else None

    def start_fetching_next_page(self) -> None:
        self.i += 1
        if self.callback is not None:
            self.callback(self.pages[self.i])

    def add_callbacks(self, callback, errback):
        self.callback = callback
        callback(self.pages[self.i])


class FakeCluster:
    def __init__(self) -> None:
        self.profile_manager = type("PM", (), {"profiles": {}})()
        self.shutdown_called = False

    def add_execution_profile(self, name, profile):
        self.profile_manager.profiles[name] = profile

    def shutdown(self):
        self.shutdown_called = True


class FakeSession:
    keyspace = "ks"

    def __init__(self) -> None:
        self.cluster = FakeCluster()
        self.prepared = Counter()
        self.sent: list[tuple[Any, dict]] = []
        self.pages: dict[str, list[list[tuple]]] = {}
        self.types: dict[str, list[Any]] = {}

    def execution_profile_clone_update(self, base, **kw):
        return ("profile", kw)

    def prepare(self, cql):
        self.prepared[cql] += 1
        return FakePrepared(cql, self.types.get(cql, []))

    def execute_async(self, query, **kwargs):
        self.sent.append((query, kwargs))
        pages = self.pages.get(query.query_string, [[]])
        start = int(kwargs.get("paging_state") or b"0")
        return FakeResponse(pages, ["n"], [T.Int32Type], start)


@pytest.fixture
def session():
    return FakeSession()


def test_requests_on_a_fake_session(session):
    d = CassandraDriver(session, cache_size=2)
    session.pages["SELECT n FROM ks.t"] = [[(1,), (2,)], [(3,)]]
    assert d.execute("SELECT n FROM ks.t") == [{"n": 1}, {"n": 2}, {"n": 3}]  # every page
    page = d.run(
        Statement("SELECT n FROM ks.t"), ExecOptions(page_size=2, consistency=Consistency.ONE, timeout=3)
    )
    assert page.rows == [{"n": 1}, {"n": 2}] and page.paging_state == b"1"
    query, kwargs = session.sent[-1]
    assert query.fetch_size == 2 and query.consistency_level == 1 and kwargs["timeout"] == 3
    rest = d.run(Statement("SELECT n FROM ks.t"), ExecOptions(page_size=2, paging_state=page.paging_state))
    assert rest.rows == [{"n": 3}] and rest.paging_state is None
    assert session.prepared["SELECT n FROM ks.t"] == 1  # prepared once, reused
    d.execute("CREATE TABLE ks.x (k int PRIMARY KEY)")
    assert "CREATE TABLE ks.x (k int PRIMARY KEY)" not in session.prepared  # DDL unprepared
    for i in range(3):
        d.execute(f"SELECT n FROM ks.t{i}")
    assert len(d._prepared) == 2  # bounded
    with pytest.raises(ConfigurationError):
        d.run(Statement("INSERT INTO ks.t (n) VALUES (?)", (1,)), ExecOptions(timestamp=1))


def test_async_requests_on_a_fake_session(session):
    d = CassandraDriver(session)
    session.pages["SELECT n FROM ks.t"] = [[(1,)], [(2,)]]
    assert asyncio.run(d.execute_async("SELECT n FROM ks.t")) == [{"n": 1}, {"n": 2}]


def test_parameters_are_encoded_per_prepared_statement(session):
    d = CassandraDriver(session)
    session.types["INSERT INTO ks.t (k, ip) VALUES (?, ?)"] = [T.Int32Type, T.InetAddressType]
    d.execute("INSERT INTO ks.t (k, ip) VALUES (?, ?)", [1, ipaddress.ip_address("::1")])
    assert session.sent[-1][0].values == [1, "::1"]


def test_close_shuts_down_only_an_owned_cluster(session):
    CassandraDriver(session).close()
    assert not session.cluster.shutdown_called
    CassandraDriver(session, owns_cluster=True).close()
    assert session.cluster.shutdown_called


def test_capability_flags_of_the_new_fields_default_to_supported():
    caps = mod.CassandraDriver.capabilities
    assert caps.collections_in_sets and caps.decimal and caps.udt_null_fields and caps.time_nanoseconds


@pytest.mark.parametrize("wanted", ["lz4", True])
def test_compression_the_driver_cannot_do_is_a_configuration_error(monkeypatch, wanted):
    monkeypatch.setattr(cassandra.connection, "locally_supported_compressions", {})
    with pytest.raises(ConfigurationError, match=r"compression=.*lz4"):
        mod.build_cluster(["127.0.0.1"], {"compression": wanted})


def test_compression_the_driver_can_do_is_passed_on(monkeypatch):
    monkeypatch.setattr(cassandra.connection, "locally_supported_compressions", {"lz4": (None, None)})
    cluster = mod.build_cluster(["127.0.0.1"], {"compression": "lz4"})
    assert cluster.compression == "lz4"
    assert mod.build_cluster(["127.0.0.1"], {}).compression is True  # the driver's own default, unchecked
