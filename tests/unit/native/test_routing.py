"""Token-aware routing: routing keys and tokens (C), fake rings (SimpleStrategy,
NetworkTopologyStrategy), and a session routing prepared statements between
two stub nodes."""

from __future__ import annotations

import asyncio
import ipaddress
import struct
import threading

import pytest

from coodie import _native
from coodie.native import Session
from coodie.native.routing import (
    Host,
    Replication,
    Router,
    TokenRing,
    hosts_from_rows,
    routing_key,
    routing_token,
    statement_keyspace,
    token_of,
)
from coodie.native.session import parse_contact_points


def _int(v: int) -> bytes:
    return struct.pack(">i", v)


# -- routing keys and tokens ---------------------------------------------------
def test_token_of_an_int_key_matches_cassandra():
    # SELECT token(k) for an int partition key k = 1 on a Murmur3Partitioner cluster
    assert token_of(_int(1)) == -4069959284402364209


def test_routing_key_single_and_composite():
    assert routing_key([b"abc"]) == b"abc"
    assert routing_key([b"a", b"bc"]) == b"\x00\x01a\x00" + b"\x00\x02bc\x00"
    assert routing_key([b"", b"x"]) == b"\x00\x00\x00" + b"\x00\x01x\x00"
    with pytest.raises(ValueError):
        routing_key([None])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        routing_key([])
    with pytest.raises(ValueError):
        routing_key([b"x" * 70000, b"y"])
    with pytest.raises(TypeError):
        routing_key(["text"])  # type: ignore[list-item]


class FakePrepared:
    def __init__(self, pk_indexes, query="SELECT * FROM ks.t WHERE a = ? AND b = ?"):
        self.pk_indexes = tuple(pk_indexes)
        self.query = query

    def bind(self, params):
        return [None if v is None else _int(v) for v in params]


def test_routing_token_uses_the_pk_markers_in_key_order():
    p = FakePrepared([1, 0])
    expected = _native.murmur3_token(routing_key([_int(2), _int(1)]))
    assert routing_token(p, [1, 2]) == expected
    assert routing_token(FakePrepared([0]), [1, 99]) == token_of(_int(1))
    assert routing_token(FakePrepared([]), [1]) is None
    assert routing_token(FakePrepared([0]), [None]) is None  # null key: round-robin


def test_statement_keyspace():
    assert statement_keyspace('SELECT * FROM "Ks"."t" WHERE k = ?', None) == "Ks"
    assert statement_keyspace("INSERT INTO ks.t (k) VALUES (?)", None) == "ks"
    assert statement_keyspace("UPDATE Other.t SET v = ? WHERE k = ?", "x") == "other"
    assert statement_keyspace("SELECT * FROM t WHERE k = ?", "dflt") == "dflt"


# -- fake rings ----------------------------------------------------------------
def addr(i: int) -> tuple[str, int]:
    return (f"10.0.0.{i}", 9042)


def ring4() -> TokenRing:
    # tokens: node1 owns (-inf..-100] and (300..inf) wraps to it, node2 (-100..0], node3 (0..100], node4 (100..300]
    return TokenRing(
        [
            Host(addr(1), "dc1", tokens=[-100]),
            Host(addr(2), "dc1", tokens=[0]),
            Host(addr(3), "dc1", tokens=[100]),
            Host(addr(4), "dc1", tokens=[300]),
        ]
    )


def test_primary_owner():
    ring = ring4()
    assert ring.primary(-500).address == addr(1)
    assert ring.primary(-100).address == addr(1)  # a node owns its own token
    assert ring.primary(-99).address == addr(2)
    assert ring.primary(1).address == addr(3)
    assert ring.primary(300).address == addr(4)
    assert ring.primary(301).address == addr(1)  # wraps around


def test_simple_strategy_walks_distinct_hosts():
    ring = TokenRing(
        [
            Host(addr(1), tokens=[-100, 200]),  # vnodes: two tokens per node
            Host(addr(2), tokens=[0, 250]),
            Host(addr(3), tokens=[100]),
        ]
    )
    rf2 = Replication.parse(
        {"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "2"}
    )
    assert [h.address for h in ring.replicas(150, rf2)] == [addr(1), addr(2)]
    rf3 = Replication.parse({"class": "SimpleStrategy", "replication_factor": "3"})
    assert [h.address for h in ring.replicas(150, rf3)] == [addr(1), addr(2), addr(3)]
    rf9 = Replication.parse({"class": "SimpleStrategy", "replication_factor": "9"})
    assert len(ring.replicas(150, rf9)) == 3  # capped at the number of nodes
    # 210..250 belongs to node2, then the walk wraps to node1 (-100), skipping node2's repeat
    assert [h.address for h in ring.replicas(240, rf2)] == [addr(2), addr(1)]


def test_network_topology_strategy_per_dc():
    ring = TokenRing(
        [
            Host(addr(1), "dc1", tokens=[0]),
            Host(addr(2), "dc2", tokens=[10]),
            Host(addr(3), "dc1", tokens=[20]),
            Host(addr(4), "dc2", tokens=[30]),
            Host(addr(5), "dc1", tokens=[40]),
        ]
    )
    nts = Replication.parse({"class": "NetworkTopologyStrategy", "dc1": "2", "dc2": "1"})
    assert nts.per_dc == {"dc1": 2, "dc2": 1}
    assert [h.address for h in ring.replicas(5, nts)] == [addr(2), addr(3), addr(5)]
    assert [h.address for h in ring.replicas(35, nts)] == [addr(5), addr(1), addr(2)]
    only_dc2 = Replication.parse({"class": "NetworkTopologyStrategy", "dc1": "0", "dc2": "2"})
    assert [h.address for h in ring.replicas(15, only_dc2)] == [addr(4), addr(2)]
    unknown_dc = Replication.parse({"class": "NetworkTopologyStrategy", "dc9": "3"})
    assert ring.replicas(15, unknown_dc) == []


def test_other_strategies_and_empty_ring():
    ring = ring4()
    assert [h.address for h in ring.replicas(1, None)] == [addr(3)]
    local = Replication.parse({"class": "org.apache.cassandra.locator.LocalStrategy"})
    assert len(ring.replicas(1, local)) == 4
    assert TokenRing([]).replicas(1, None) == []
    assert not TokenRing([])
    assert Replication.parse({"class": "SimpleStrategy", "replication_factor": "3/1"}).factor == 3


def test_hosts_from_system_tables():
    local = [{"data_center": "dc1", "rack": "r1", "tokens": {"-5", "7"}}]
    peers = [
        {
            "peer": ipaddress.ip_address("10.0.0.2"),
            "native_address": None,
            "native_port": 9043,
            "data_center": "dc2",
            "tokens": {"1"},
        },
        {
            "peer": ipaddress.ip_address("10.0.0.3"),
            "rpc_address": ipaddress.ip_address("0.0.0.0"),
            "tokens": ["x", "3"],
        },
    ]
    hosts = hosts_from_rows(("127.0.0.1", 9042), local, peers)
    assert [(h.address, h.datacenter, sorted(h.tokens)) for h in hosts] == [
        (("127.0.0.1", 9042), "dc1", [-5, 7]),
        (("10.0.0.2", 9043), "dc2", [1]),
        (("10.0.0.3", 9042), None, [3]),
    ]


def test_router_answers_and_falls_back():
    router = Router()
    p = FakePrepared([0], "SELECT * FROM ks.t WHERE k = ?")
    assert router.replicas(p, [1], None) is None  # no ring yet
    hosts = [Host(addr(i), "dc1", tokens=[t]) for i, t in enumerate([-(2**62), 0, 2**62], start=1)]
    router.set_ring(hosts)
    router.set_keyspaces(
        [{"keyspace_name": "ks", "replication": {"class": "SimpleStrategy", "replication_factor": "2"}}]
    )
    token = token_of(_int(1))  # -4069959284402364209: between -2**62 and 0
    assert router.replicas(p, [1], None) == [addr(2), addr(3)]
    assert router.replicas_for_token(token, "unknown") == [addr(2)]  # primary only
    assert router.replicas(FakePrepared([]), [1], None) is None
    assert router.replicas(p, [], None) is None
    calls = []

    def query(cql):
        calls.append(cql)
        return [
            {"keyspace_name": "ks", "replication": {"class": "SimpleStrategy", "replication_factor": "1"}}
        ]

    router.schema_changed(("CREATED", "TABLE", "ks", "t"), query)
    assert calls == []
    router.schema_changed(("ALTERED", "KEYSPACE", "ks", ""), query)
    assert len(calls) == 1 and router.replicas(p, [1], None) == [addr(2)]

    def failing(cql):
        raise OSError("down")

    fresh = Router()
    fresh.load(failing, addr(1))
    assert not fresh.ring


# -- a session between two stub nodes -------------------------------------------
class RingCluster:
    """Two stub nodes: the first owns tokens (-inf, 0] and (2**62, inf), the second (0, 2**62]."""

    def __init__(self, stub) -> None:
        self.stub = stub
        self.tokens: dict[int, str] = {}
        self.ports: list[int] = []
        self.executes: list[tuple[int, bytes]] = []
        self.lock = threading.Lock()

    def handler(self, port_of):
        stub = self.stub

        def handle(conn, f):
            port = port_of()
            if f.opcode == stub.QUERY:
                text, _ = stub.parse_query(f)
                if "FROM system.local" in text:
                    cols = [("data_center", "text"), ("rack", "text"), ("tokens", "set<text>")]
                    tok = self.tokens[port].encode()
                    tokens = struct.pack(">i", 1) + struct.pack(">i", len(tok)) + tok
                    conn.reply(f, stub.RESULT, stub.rows_body(cols, [[b"dc1", b"r1", tokens]]))
                elif "system.peers_v2" in text:
                    cols = [
                        ("peer", "inet"),
                        ("native_address", "inet"),
                        ("native_port", "int"),
                        ("data_center", "text"),
                        ("rack", "text"),
                        ("tokens", "set<text>"),
                    ]
                    rows = []
                    for p in self.ports:
                        if p == port:
                            continue
                        tok = self.tokens[p].encode()
                        ip = ipaddress.ip_address("127.0.0.1").packed
                        tokens = struct.pack(">i", 1) + struct.pack(">i", len(tok)) + tok
                        rows.append([ip, ip, struct.pack(">i", p), b"dc1", b"r1", tokens])
                    conn.reply(f, stub.RESULT, stub.rows_body(cols, rows))
                elif "system_schema.keyspaces" in text:
                    cols = [("keyspace_name", "text"), ("replication", "map<text, text>")]
                    entries = [(b"class", b"SimpleStrategy"), (b"replication_factor", b"1")]
                    rep = struct.pack(">i", len(entries)) + b"".join(
                        struct.pack(">i", len(k)) + k + struct.pack(">i", len(v)) + v for k, v in entries
                    )
                    conn.reply(f, stub.RESULT, stub.rows_body(cols, [[b"ks", rep]]))
                elif text.startswith("USE"):
                    conn.reply(f, stub.RESULT, stub.set_keyspace_body(text.split('"')[1]))
                else:
                    conn.reply(f, stub.RESULT, stub.void_body())
            elif f.opcode == stub.PREPARE:
                conn.reply(f, stub.RESULT, stub.prepared_body(b"id1", [("k", "int")], [("n", "int")], [0]))
            elif f.opcode == stub.EXECUTE:
                _, qp = stub.parse_execute(f)
                with self.lock:
                    self.executes.append((port, qp.values[0]))
                conn.reply(f, stub.RESULT, stub.rows_body([("n", "int")], [], no_metadata=True))

        return handle


def _start(stub, cluster, token: str):
    holder: dict[str, int] = {}
    server = stub.StubServer(cluster.handler(lambda: holder["port"]))
    holder["port"] = server.port
    cluster.tokens[server.port] = token
    cluster.ports.append(server.port)
    return server.__enter__()


def _owner(cluster, one, two, k: int) -> int:
    t = token_of(_int(k))
    return one.port if (t <= 0 or t > 2**62) else two.port


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_session_routes_prepared_statements_to_the_owner(stub, mode):
    cluster = RingCluster(stub)
    one = _start(stub, cluster, "0")
    two = _start(stub, cluster, str(2**62))
    session = Session(parse_contact_points(["127.0.0.1"], one.port), keyspace="ks")
    keys = list(range(40))
    try:
        if mode == "sync":
            session.connect()
            assert session.router.ring and session.router.keyspaces["ks"].factor == 1
            session.execute("SELECT n FROM t WHERE k = ?", [0])  # prepares (round-robin)
            cluster.executes.clear()
            for k in keys:
                session.execute("SELECT n FROM t WHERE k = ?", [k])
        else:

            async def run():
                await session.connect_async()
                await session.execute_async("SELECT n FROM t WHERE k = ?", [0])
                cluster.executes.clear()
                for k in keys:
                    await session.execute_async("SELECT n FROM t WHERE k = ?", [k])

            asyncio.run(run())
        got = [(port, struct.unpack(">i", v)[0]) for port, v in cluster.executes]
        assert got == [(_owner(cluster, one, two, k), k) for k in keys]
        assert {p for p, _ in got} == {one.port, two.port}
    finally:
        session.close()
        one.stop()
        two.stop()
