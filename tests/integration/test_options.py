"""Per-request options reach the server: consistency, serial consistency, timeout.

A one-node cluster cannot satisfy consistency levels that need more replicas,
so the server answers Unavailable and names the level it was asked for; that
proves the option travelled with the request. A keyspace with replication
factor 3 on one node makes QUORUM and SERIAL unreachable too.
"""

import re
from typing import Annotated

import pytest

from coodie.exceptions import ConfigurationError, CoodieError, RequestTimeout, Unavailable
from coodie.fields import ClusteringKey, Counter, PrimaryKey


def kv_model(api, keyspace=None, suffix="kv"):
    ks = keyspace

    class KV(api.Document):
        k: Annotated[int, PrimaryKey()]
        v: str | None = None

        class Settings:
            name = api.name(suffix)
            keyspace = ks

    api.run(KV.sync_table())
    return KV


def _normal(text):
    return re.sub(r"[^a-z]", "", text.lower())


# How servers and drivers name a level in an Unavailable error. Cassandra reports
# a Paxos round by its quorum: SERIAL as QUORUM, LOCAL_SERIAL as LOCAL_QUORUM.
_NAMES = {
    "SERIAL": ("serial", "quorum"),
    "LOCAL_SERIAL": ("localserial", "localquorum"),
}


def assert_unavailable(excinfo, level):
    exc = excinfo.value
    assert isinstance(exc, Unavailable), f"{type(exc).__name__}: {exc}"
    assert exc.__cause__ is not None
    words = re.findall(r"[a-z_]+", str(exc).lower().replace("_", ""))
    names = _NAMES.get(level, (_normal(level),))
    assert any(w in names for w in words), f"the error does not name {level}: {exc}"
    if not level.startswith("LOCAL"):
        assert not any(w.startswith("local") and w.endswith(("quorum", "serial")) for w in words), str(exc)


def test_consistency_levels_a_single_node_cannot_meet(api):
    KV = kv_model(api)
    doc = KV(k=1, v="x")
    api.run(doc.save(consistency="ONE"))
    api.run(doc.save(consistency="ALL"))  # RF=1: one replica is all of them
    with pytest.raises(CoodieError) as info:
        api.run(doc.save(consistency="THREE"))
    assert_unavailable(info, "THREE")
    with pytest.raises(CoodieError) as info:
        api.run(KV.find(k=1).consistency("TWO").all())
    assert_unavailable(info, "TWO")
    assert api.run(KV.find(k=1).consistency("LOCAL_ONE").all())[0].v == "x"


def test_consistency_on_an_under_replicated_keyspace(api):
    KV = kv_model(api, keyspace=api.keyspace_with_rf(3), suffix="kv_rf3")
    doc = KV(k=1, v="x")
    api.run(doc.save(consistency="ONE"))
    assert api.run(KV.find(k=1).consistency("ONE").first()).v == "x"

    with pytest.raises(CoodieError) as info:
        api.run(doc.save(consistency="QUORUM"))
    assert_unavailable(info, "QUORUM")
    with pytest.raises(CoodieError) as info:
        api.run(KV.find(k=1).consistency("ALL").all())
    assert_unavailable(info, "ALL")
    with pytest.raises(CoodieError) as info:
        api.run(KV.find(k=1).consistency("LOCAL_QUORUM").count())
    assert_unavailable(info, "LOCAL_QUORUM")
    with pytest.raises(CoodieError) as info:
        api.run(doc.update(v="y", consistency="QUORUM"))
    assert_unavailable(info, "QUORUM")
    with pytest.raises(CoodieError) as info:
        api.run(doc.delete(consistency="ALL"))
    assert_unavailable(info, "ALL")
    assert api.run(KV.find(k=1).consistency("ONE").first()).v == "x"  # none of those wrote


def test_counter_and_batch_consistency(api):
    ks = api.keyspace_with_rf(3)

    class Hits(api.CounterDocument):
        k: Annotated[int, PrimaryKey()]
        n: Annotated[int, Counter()] = 0

        class Settings:
            name = api.name("hits")
            keyspace = ks

    api.run(Hits.sync_table())
    api.run(Hits(k=1).increment(n=1, consistency="ONE"))
    with pytest.raises(CoodieError) as info:
        api.run(Hits(k=1).increment(n=1, consistency="ALL"))
    assert_unavailable(info, "ALL")

    KV = kv_model(api, keyspace=ks, suffix="kv_batch")
    with pytest.raises(CoodieError) as info, api.batch(consistency="QUORUM") as b:
        api.run(KV(k=1, v="a").save(batch=b))
    assert_unavailable(info, "QUORUM")
    with api.batch(consistency="ONE") as b:
        api.run(KV(k=2, v="b").save(batch=b))
    assert api.run(KV.find(k=2).consistency("ONE").first()).v == "b"


@pytest.mark.requires("serial_consistency")
def test_serial_consistency_reaches_lwt(api):
    KV = kv_model(api, keyspace=api.keyspace_with_rf(3), suffix="kv_serial")
    for level in ("LOCAL_SERIAL", "SERIAL"):
        with pytest.raises(CoodieError) as info:
            api.run(KV(k=1, v="x").insert(consistency="ONE", serial_consistency=level))
        assert_unavailable(info, level)
    doc = KV(k=2, v="x")
    api.run(doc.save(consistency="ONE"))
    with pytest.raises(CoodieError) as info:
        api.run(doc.update(v="y", if_exists=True, consistency="ONE", serial_consistency="LOCAL_SERIAL"))
    assert_unavailable(info, "LOCAL_SERIAL")
    with pytest.raises(CoodieError) as info:
        api.run(doc.delete(if_exists=True, consistency="ONE", serial_consistency="LOCAL_SERIAL"))
    assert_unavailable(info, "LOCAL_SERIAL")
    with pytest.raises(CoodieError) as info:
        api.run(KV.find(k=2).consistency("ONE").serial_consistency("LOCAL_SERIAL").if_exists().delete())
    assert_unavailable(info, "LOCAL_SERIAL")

    # and on a keyspace the node can serve, the same options work
    Local = kv_model(api, suffix="kv_serial_ok")
    first = api.run(Local(k=1, v="x").insert(serial_consistency="LOCAL_SERIAL"))
    assert first.applied is True
    second = api.run(Local(k=1, v="y").insert(serial_consistency="SERIAL", consistency="QUORUM"))
    assert second.applied is False


def test_bad_serial_consistency_is_refused_before_io(api):
    KV = kv_model(api)
    with api.requests() as sent, pytest.raises(ConfigurationError, match="QUORUM"):
        api.run(KV(k=1).insert(serial_consistency="QUORUM"))
    assert sent == []


def _times_out(api, request, attempts=5):
    """Run a request with a far too small timeout until the driver gives up on it.

    A driver whose timer shares an event loop with its socket (acsylla's libuv,
    python-rs-driver's tokio) looks at the answer before its timer, so when the
    machine is busy and its thread was not scheduled for the whole request, the
    answer wins. One success is no proof the timeout was ignored; five in a row
    are. Returns the timeout's chained cause.
    """
    for _ in range(attempts):
        try:
            api.run(request())
        except RequestTimeout as error:
            return error.__cause__
    pytest.fail(
        f"{attempts} requests with a 1 µs timeout all succeeded: the timeout did not reach the request"
    )


@pytest.mark.requires("request_timeout")
def test_timeout_reaches_the_request(api):
    class Row(api.Document):
        p: Annotated[int, PrimaryKey()]
        c: Annotated[int, ClusteringKey()]
        payload: str = ""

        class Settings:
            name = api.name("slow")

    api.run(Row.sync_table())
    # Enough data that no request can finish within the smallest timeout a driver
    # honours (some round a microsecond up to a millisecond): 2 MB to read and count,
    # 1 MB to write.
    rows = 2000
    for start in range(0, rows, 20):
        with api.batch(logged=False) as b:
            for i in range(start, start + 20):
                api.run(Row(p=1, c=i, payload="x" * 1000).save(batch=b))

    # Counting is quick work for the server (2,000 rows take it ~9 ms); 10,000 rows
    # keep it busy well past the smallest timeout.
    counted = 10_000
    for start in range(0, counted, 100):
        with api.batch(logged=False) as b:
            for i in range(start, start + 100):
                api.run(Row(p=3, c=i).save(batch=b))

    tiny = 0.000001
    cause = _times_out(api, lambda: Row.find(p=1).timeout(tiny).all())
    assert cause is not None
    _times_out(api, lambda: Row(p=2, c=0, payload="y" * 1_000_000).save(timeout=tiny))
    _times_out(api, lambda: Row.find(p=3).using(timeout=tiny).count())
    # a generous timeout works, and the driver is still healthy afterwards
    assert len(api.run(Row.find(p=1).timeout(30).all())) == rows
    assert api.run(Row.find(p=1).count()) == rows
    assert api.run(Row.find(p=3).count()) == counted
    with api.requests() as sent:
        api.run(Row.find(p=1).timeout(12.5).consistency("one").first())
    assert sent[0].options.timeout == 12.5
    assert sent[0].options.consistency is not None and sent[0].options.consistency.name == "ONE"


def test_bad_option_values_are_configuration_errors(api):
    KV = kv_model(api)
    with api.requests() as sent:
        with pytest.raises(ConfigurationError, match="QUROUM"):
            api.run(KV(k=1).save(consistency="QUROUM"))
        with pytest.raises(ConfigurationError, match="ALMOST_ALL"):
            KV.find(k=1).consistency("ALMOST_ALL")
        with pytest.raises(ConfigurationError, match="bogus"):
            api.run(KV(k=1).delete(consistency="bogus"))
        with pytest.raises(ConfigurationError, match="NOPE"):
            api.Batch(consistency="NOPE")
        with pytest.raises(CoodieError):
            api.run(KV(k=1).save(timeout=0))
        with pytest.raises(CoodieError):
            api.run(KV(k=1).save(timeout=-1))
    assert sent == []
