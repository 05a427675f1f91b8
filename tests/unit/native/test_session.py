"""The Python session (coodie.native) and the NativeDriver against stub servers:
nodes and peers, handshake options, re-prepare, paging, errors, closing."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from coodie import exceptions as exc_mod
from coodie.drivers import native as native_driver
from coodie.drivers.base import BatchType, Consistency, ExecOptions, Statement
from coodie.native import Session
from coodie.native.session import BatchKind, ConnectionOptions, parse_contact_points
from coodie.plan import run_sync
from coodie.schema_sync import plan_apply

INT_COL = [("n", "int")]


class Cluster:
    """State shared by the stub nodes of one test."""

    def __init__(self, stub, *, pages: int = 1, unprepared_once: bool = False) -> None:
        self.stub = stub
        self.pages = pages
        self.unprepared_once = unprepared_once
        self.peers: list[tuple[str, int]] = []
        self.seen: list[tuple[int, str]] = []  # (port, what)
        self.prepares = 0
        self.lock = threading.Lock()
        self.disagree = 0  # schema version queries that still see two versions
        self.levels: list[tuple[str, int]] = []  # (request, consistency) as the server got them

    def handler(self, port_of):
        stub = self.stub

        def handle(conn, f):
            port = port_of()
            if f.opcode == stub.QUERY:
                text, qp = stub.parse_query(f)
                with self.lock:
                    self.seen.append((port, text))
                    self.levels.append((text, qp.consistency))
                if "system.peers_v2" in text:
                    cols = [("peer", "inet"), ("native_address", "inet"), ("native_port", "int")]
                    rows = [
                        [ipaddress.ip_address(h).packed, ipaddress.ip_address(h).packed, struct.pack(">i", p)]
                        for h, p in self.peers
                    ]
                    conn.reply(f, stub.RESULT, stub.rows_body(cols, rows))
                elif "FROM system.local" in text:
                    conn.reply(f, stub.RESULT, stub.rows_body([("schema_version", "uuid")], [[b"A" * 16]]))
                elif "FROM system.peers" in text:
                    with self.lock:
                        version = b"B" * 16 if self.disagree > 0 else b"A" * 16
                        self.disagree -= 1
                    cols = [("peer", "inet"), ("rpc_address", "inet"), ("schema_version", "uuid")]
                    addr = ipaddress.ip_address("127.0.0.1").packed
                    conn.reply(f, stub.RESULT, stub.rows_body(cols, [[addr, addr, version]]))
                elif text.startswith("USE"):
                    conn.reply(f, stub.RESULT, stub.set_keyspace_body(text.split('"')[1]))
                elif text.startswith("CREATE"):
                    conn.reply(
                        f,
                        stub.RESULT,
                        stub.int32(5) + b"".join(stub.string(s) for s in ("CREATED", "TABLE", "ks", "t")),
                    )
                elif "BAD" in text:
                    conn.reply(
                        f,
                        stub.ERROR,
                        stub.error_body(
                            0x2200,
                            "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING",
                        ),
                    )
                else:
                    conn.reply(f, stub.RESULT, stub.void_body())
            elif f.opcode == stub.PREPARE:
                with self.lock:
                    self.prepares += 1
                conn.reply(f, stub.RESULT, stub.prepared_body(b"id1", [("k", "int")], INT_COL, [0]))
            elif f.opcode == stub.EXECUTE:
                sid, qp = stub.parse_execute(f)
                with self.lock:
                    self.seen.append((port, "EXECUTE"))
                    self.levels.append(("EXECUTE", qp.consistency))
                    unprepared = self.unprepared_once
                    self.unprepared_once = False
                if unprepared:
                    conn.reply(f, stub.ERROR, stub.error_body(0x2500, "unknown id", stub.short_bytes(sid)))
                    return
                page = int(qp.paging_state or b"0")
                state = str(page + 1).encode() if page + 1 < self.pages else None
                rows = [[struct.pack(">i", page * 10 + i)] for i in range(3)]
                conn.reply(
                    f, stub.RESULT, stub.rows_body(INT_COL, rows, paging_state=state, no_metadata=True)
                )
            elif f.opcode == stub.BATCH:
                _, _, consistency, _ = stub.parse_batch(f)
                with self.lock:
                    self.levels.append(("BATCH", consistency))
                conn.reply(f, stub.RESULT, stub.void_body())

        return handle


def start(stub, cluster: Cluster, **kwargs):
    holder: dict[str, int] = {}
    server = stub.StubServer(cluster.handler(lambda: holder["port"]), **kwargs)
    holder["port"] = server.port
    return server.__enter__()


@contextlib.contextmanager
def serving(stub, cluster: Cluster, **kwargs) -> Iterator[Any]:
    """A stub node of ``cluster``, stopped on the way out."""
    server = start(stub, cluster, **kwargs)
    try:
        yield server
    finally:
        server.stop()


def test_contact_points():
    nodes = parse_contact_points(["a", "b:9043", "[::1]:9044", "::1", "c"], 9000)
    assert [(n.host, n.port) for n in nodes] == [
        ("a", 9000),
        ("b", 9043),
        ("::1", 9044),
        ("::1", 9000),
        ("c", 9000),
    ]


def test_peers_round_robin_prepare_paging_and_close(stub):
    cluster = Cluster(stub, pages=3)
    one = start(stub, cluster)
    two = start(stub, cluster)
    try:
        cluster.peers = [("127.0.0.1", two.port)]
        session = Session(parse_contact_points(["127.0.0.1"], one.port), keyspace="ks")
        session.connect()
        assert [n.port for n in session.nodes] == [one.port, two.port]
        rows = session.execute_all("SELECT n FROM t WHERE k = ?", [1], page_size=3)
        assert [r["n"] for r in rows] == [0, 1, 2, 10, 11, 12, 20, 21, 22]
        rows, state = session.execute("SELECT n FROM t WHERE k = ?", [1], page_size=3)
        assert len(rows) == 3 and state == b"1"
        ports = {p for p, what in cluster.seen if what == "EXECUTE"}
        assert ports == {one.port, two.port}, "requests went round-robin over both nodes"
        assert ("USE" in w for p, w in cluster.seen if p == two.port)  # the new node got the keyspace
        assert cluster.prepares >= 1
        conns = session.connections()
        session.close()
        assert all(c.native.closed and c.native.fileno() == -1 for c in conns)
        assert session.connections() == []
    finally:
        one.stop()
        two.stop()


def test_unprepared_is_reprepared_transparently(stub):
    cluster = Cluster(stub, unprepared_once=True)
    server = start(stub, cluster)
    try:
        session = Session(parse_contact_points(["127.0.0.1"], server.port), discover_peers=False)
        rows, _ = session.execute("SELECT n FROM t WHERE k = ?", [1])
        assert [r["n"] for r in rows] == [0, 1, 2]
        assert cluster.prepares == 2
        session.close()
    finally:
        server.stop()


def test_keyspace_change_through_use_reaches_every_connection(stub):
    cluster = Cluster(stub)
    server = start(stub, cluster)
    try:
        session = Session(parse_contact_points(["127.0.0.1"], server.port), discover_peers=False)
        session.execute('USE "other"', prepare=False)
        assert session.keyspace == "other"

        async def go() -> None:
            await session.execute_async("SELECT n FROM t WHERE k = ?", [1])

        asyncio.run(go())
        assert [w for _, w in cluster.seen].count('USE "other"') == 2, "the asyncio connection used it too"
        session.close()
    finally:
        server.stop()


def test_authentication_options(stub):
    cluster = Cluster(stub)
    server = start(stub, cluster, users={"cassandra": "cassandra"})
    try:
        driver = native_driver.create(
            ["127.0.0.1"], port=server.port, username="cassandra", password="cassandra"
        )
        assert driver.run(Statement("SELECT n FROM t WHERE k = ?", (1,))).rows[0] == {"n": 0}
        driver.close()
        with pytest.raises(exc_mod.AuthenticationFailed) as info:
            native_driver.create(["127.0.0.1"], port=server.port, username="cassandra", password="nope")
        assert info.value.__cause__ is not None and info.value.code == 0x0100
        with pytest.raises(exc_mod.AuthenticationFailed, match="username= and password="):
            native_driver.create(["127.0.0.1"], port=server.port)
    finally:
        server.stop()


def test_compression_option_negotiates_lz4(stub):
    cluster = Cluster(stub)
    server = start(stub, cluster)
    try:
        driver = native_driver.create(["127.0.0.1"], port=server.port, compression="lz4")
        conn = driver.session.connections()[0]
        assert conn.native.compression == "lz4"
        driver.close()
    finally:
        server.stop()
    server = start(stub, cluster, compression=())
    try:
        with pytest.raises(exc_mod.ConnectionFailed, match="does not offer lz4"):
            native_driver.create(["127.0.0.1"], port=server.port, compression="lz4")
    finally:
        server.stop()


def test_driver_contract_and_error_translation(stub):
    cluster = Cluster(stub, pages=2)
    server = start(stub, cluster)
    try:

        def ours() -> set[threading.Thread]:
            return {t for t in threading.enumerate() if not t.name.startswith("stub")}

        before = ours()
        driver = native_driver.create(["127.0.0.1"], port=server.port)
        assert ours() == before, "the driver starts no thread"
        page = driver.run(Statement("SELECT n FROM t WHERE k = ?", (1,)), ExecOptions(page_size=3))
        assert len(page.rows) == 3 and page.paging_state == b"1"
        assert len(driver.run(Statement("SELECT n FROM t WHERE k = ?", (1,))).rows) == 6
        assert driver.run(Statement("CREATE TABLE t (k int PRIMARY KEY)", prepare=False)).rows == []
        assert driver.run_batch([Statement("INSERT ?", (1,))], BatchType.UNLOGGED).rows == []
        with pytest.raises(exc_mod.FilteringRequiredError) as info:
            driver.run(Statement("SELECT BAD", prepare=False))
        cause = info.value.__cause__
        assert cause is not None and info.value.original is cause and type(cause).__module__ == "cql"
        with pytest.raises(exc_mod.InvalidQueryError, match="column 'k' expects CQL int"):
            driver.run(Statement("SELECT n FROM t WHERE k = ?", ("x",)))
        with pytest.raises(exc_mod.ConfigurationError, match="SERIAL"):
            native_driver.create(["127.0.0.1"], port=server.port, serial_consistency=Consistency.QUORUM)

        async def aio() -> None:
            page = await driver.run_async(
                Statement("SELECT n FROM t WHERE k = ?", (1,)), ExecOptions(page_size=3)
            )
            assert page.paging_state == b"1"
            assert len((await driver.run_async(Statement("SELECT n FROM t WHERE k = ?", (1,)))).rows) == 6
            await driver.run_batch_async([Statement("INSERT ?", (1,))], BatchType.LOGGED)
            with pytest.raises(exc_mod.InvalidRequest):
                await driver.run_async(Statement("SELECT BAD", prepare=False))
            await driver.close_async()

        asyncio.run(aio())
        assert driver.session.closed
    finally:
        server.stop()


def test_unknown_options_and_unreachable_nodes():
    with pytest.raises(exc_mod.ConfigurationError, match="warp"):
        native_driver.create(["127.0.0.1"], warp=9)
    with pytest.raises(exc_mod.ConfigurationError, match="lz4"):
        native_driver.create(["127.0.0.1"], compression="snappy")
    with pytest.raises(exc_mod.ConnectionFailed, match="cannot connect to any node"):
        native_driver.create(["127.0.0.1"], port=1, connect_timeout=1)

    async def go() -> None:
        with pytest.raises(exc_mod.ConnectionFailed):
            await native_driver.create_async(["127.0.0.1"], port=1, connect_timeout=1)

    asyncio.run(go())


def test_session_options_reach_the_connections(stub):
    cluster = Cluster(stub)
    server = start(stub, cluster)
    try:
        options = ConnectionOptions(max_streams=8, request_timeout=3.0)
        session = Session(parse_contact_points(["127.0.0.1"], server.port), options, discover_peers=False)
        conn = session.sync_conn()
        assert conn.native.stats()["in_flight"] == 0
        session.close()
        with pytest.raises(Exception, match="closed"):
            session.sync_conn()
    finally:
        server.stop()


def test_ddl_waits_for_schema_agreement_on_a_cluster(stub, caplog):
    cluster = Cluster(stub)
    one = start(stub, cluster)
    two = start(stub, cluster)
    try:
        cluster.peers = [("127.0.0.1", two.port)]
        session = Session(parse_contact_points(["127.0.0.1"], one.port))
        session.connect()
        cluster.disagree = 2
        session.execute("CREATE TABLE t (k int PRIMARY KEY)", prepare=False)
        local_queries = [w for _, w in cluster.seen if "schema_version FROM system.local" in w]
        assert len(local_queries) == 3, "asked until both nodes reported one version"

        async def go() -> None:
            cluster.disagree = 1
            await session.execute_async("CREATE TABLE t (k int PRIMARY KEY)", prepare=False)

        asyncio.run(go())
        assert len([w for _, w in cluster.seen if "schema_version FROM system.local" in w]) == 5
        session.schema_agreement_timeout = 0.3
        cluster.disagree = 1000
        with caplog.at_level(logging.WARNING, logger="coodie.native"):
            session.execute("CREATE TABLE t (k int PRIMARY KEY)", prepare=False)  # gives up, no error
        assert "schema agreement not reached after 0.3s" in caplog.text
        session.close()
    finally:
        one.stop()
        two.stop()


def _last_level(cluster: Cluster, request: str) -> Consistency:
    return Consistency([level for what, level in cluster.levels if what == request][-1])


def test_a_session_used_directly_has_the_backend_s_defaults(stub):
    cluster = Cluster(stub)
    with serving(stub, cluster) as server:
        select = Statement("SELECT n FROM t WHERE k = ?", (1,))
        driver = native_driver.create(["127.0.0.1"], port=server.port, discover_peers=False)
        driver.run(select)
        assert _last_level(cluster, "EXECUTE") is Consistency.LOCAL_ONE
        session = Session(parse_contact_points(["127.0.0.1"], server.port), discover_peers=False)
        session.execute(select.cql, select.params)
        assert _last_level(cluster, "EXECUTE") is Consistency.LOCAL_ONE, "the same default either way"
        session.batch(BatchKind.UNLOGGED, [("INSERT ?", (1,))])
        assert _last_level(cluster, "BATCH") is Consistency.LOCAL_ONE
        assert driver.session.options.request_timeout == session.options.request_timeout == 10.0
        driver.close()
        session.close()


def test_one_options_object_from_the_driver_to_the_wire(stub):
    cluster = Cluster(stub)
    with serving(stub, cluster) as server:
        driver = native_driver.create(
            ["127.0.0.1"], port=server.port, consistency="quorum", discover_peers=False
        )
        session = driver.session
        handed: list[ExecOptions] = []
        for name in ("execute", "execute_all", "batch"):
            method = getattr(session, name)

            def spy(*args, _method=method, **kwargs):
                handed.append(args[2] if len(args) > 2 else kwargs.get("options"))
                return _method(*args, **kwargs)

            setattr(session, name, spy)
        select = Statement("SELECT n FROM t WHERE k = ?", (1,))
        driver.run(select)
        assert _last_level(cluster, "EXECUTE") is Consistency.QUORUM, "create(consistency=) is the default"
        for options in (
            ExecOptions(consistency=Consistency.ALL),
            ExecOptions(consistency=Consistency.TWO, page_size=2),
        ):
            handed.clear()
            driver.run(select, options)
            assert handed[0] is options, "the session gets the very object the caller built"
            assert _last_level(cluster, "EXECUTE") is options.consistency
        serial = ExecOptions(consistency=Consistency.THREE, serial_consistency=Consistency.LOCAL_SERIAL)
        handed.clear()
        driver.run_batch([Statement("INSERT ?", (1,))], BatchType.UNLOGGED, serial)
        assert handed == [serial] and handed[0] is serial
        assert _last_level(cluster, "BATCH") is Consistency.THREE
        # the keywords of Session.execute are a shorthand for the same object
        session.execute(select.cql, select.params, consistency="each_quorum")
        assert _last_level(cluster, "EXECUTE") is Consistency.EACH_QUORUM
        with pytest.raises(exc_mod.ConfigurationError, match="not a consistency level"):
            session.execute(select.cql, select.params, consistency="most")
        driver.close()


def test_timeouts_are_checked_where_they_are_given():
    with pytest.raises(exc_mod.ConfigurationError, match="request_timeout"):
        ConnectionOptions(request_timeout=0)
    with pytest.raises(exc_mod.ConfigurationError, match="connect_timeout"):
        ConnectionOptions(connect_timeout=-1)
    with pytest.raises(exc_mod.ConfigurationError, match="request_timeout"):
        native_driver.create(["127.0.0.1"], request_timeout=-1, lazy=True)
    with pytest.raises(exc_mod.ConfigurationError, match="timeout"):
        ExecOptions(timeout=0)
    with pytest.raises(exc_mod.ConfigurationError, match="SERIAL"):
        Session(parse_contact_points(["127.0.0.1"], 1), serial_consistency="quorum")
    assert ConnectionOptions(request_timeout=None).request_timeout is None  # None: wait forever


def test_schema_sync_leaves_schema_agreement_to_the_session(stub):
    cluster = Cluster(stub)
    with serving(stub, cluster) as one, serving(stub, cluster) as two:
        cluster.peers = [("127.0.0.1", two.port)]
        driver = native_driver.create(["127.0.0.1"], port=one.port)
        cluster.disagree = 2
        run_sync(
            plan_apply(driver, ["CREATE TABLE t (k int PRIMARY KEY)", "CREATE TABLE u (k int PRIMARY KEY)"])
        )
        local_queries = [w for _, w in cluster.seen if "schema_version FROM system.local" in w]
        assert len(local_queries) == 4, (
            "three checks after the first statement, one after the second, no more"
        )
        driver.close()
