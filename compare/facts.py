"""Production-readiness facts, each established in this run by a probe or a test.

Sources, per fact:
- the driver's installed distribution (wheel tags, built from source or not);
- the connections the server saw (``system_views.clients``): protocol version
  and compression as negotiated, not as configured;
- probes the driver's worker ran (a second driver opened with LZ4 and closed);
- the integration matrix and the secure-node suite (tests that need the feature).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compare.model import Fact

FACTS: tuple[tuple[str, str], ...] = (
    ("installs_as_wheel", "installs from PyPI as a wheel"),
    ("native_sync", "native sync API"),
    ("native_async", "native asyncio API"),
    ("tls", "TLS (client, verified)"),
    ("password_auth", "password auth"),
    ("compression", "compression (LZ4) negotiated"),
    ("paging_resume", "paging resume from saved state"),
    ("batches", "batches"),
    ("per_request_timestamp", "per-request timestamp"),
    ("clean_close", "clean close"),
    ("protocol_version", "protocol version negotiated"),
    ("shard_awareness", "shard awareness"),
)

#: the capability (a ``requires``/``needs`` mark of the suites) whose tests establish each fact
MATRIX_CAPABILITY = {
    "paging_resume": "paging_state",
    "batches": "batches",
    "per_request_timestamp": "per_statement_timestamp",
}
SECURE_CAPABILITY = {"tls": "tls", "password_auth": "password_auth"}


def from_tests(entry: Mapping[str, Any] | None, capability: str, where: str) -> Fact:
    """True when every test that needs ``capability`` passed (both API flavours); False when
    one failed, or was an expected failure because the backend lacks it (with the reason);
    None when none ran. A test that also needs another capability the backend lacks says
    nothing about this one."""
    if not entry or entry.get("status") != "ran":
        reason = (entry or {}).get("reason") or "not run"
        return Fact(value=None, evidence=f"{where}: {reason}")
    hits = {
        name: result
        for name, result in entry.get("tests", {}).items()
        if capability in (result.get("requires") or ())
    }
    if not hits:
        return Fact(value=None, evidence=f"{where}: no test needing {capability} ran")
    # an expected failure counts against this capability only when the backend lacks it
    # (the test may be expected to fail for another capability it also needs)
    lacks = not (entry.get("capabilities") or {}).get(capability, True)
    bad = {
        name: r
        for name, r in hits.items()
        if r.get("outcome") != "passed" and (r.get("outcome") != "xfailed" or lacks)
    }
    if not bad:
        return Fact(value=True, evidence=f"{where}: {len(hits)} test(s) needing {capability} passed")
    name, result = next(iter(sorted(bad.items())))
    detail = result.get("detail") or result.get("outcome")
    return Fact(value=False, evidence=f"{where}: {len(bad)} of {len(hits)} not passed, e.g. {name}: {detail}")


def wheel_fact(hello: Mapping[str, Any]) -> Fact:
    wheel = hello.get("wheel") or {}
    if not wheel.get("installed"):
        return Fact(value=None, evidence="package metadata not found")
    tags = wheel.get("tags") or []
    if wheel.get("from_source"):
        return Fact(value=False, evidence=f"installed from a source tree ({', '.join(tags) or 'no tag'})")
    portable = [t for t in tags if "manylinux" in t or "musllinux" in t or t.endswith("-any")]
    if portable:
        return Fact(value=True, evidence=f"installed by {wheel.get('installer')} from wheel {portable[0]}")
    return Fact(value=False, evidence=f"built locally from an sdist (wheel tag {', '.join(tags) or 'none'})")


def capability_fact(hello: Mapping[str, Any], capability: str, worked: bool | None, how: str) -> Fact:
    caps = hello.get("capabilities") or {}
    gaps = hello.get("gaps") or {}
    if not caps.get(capability, False):
        return Fact(value=False, evidence=gaps.get(capability, f"backend declares no {capability}"))
    if worked is False:
        return Fact(value=False, evidence=f"declared, but {how} failed in this run")
    if worked is None:
        return Fact(value=True, evidence="declared by the backend; not exercised in this run")
    return Fact(value=True, evidence=f"{how} ran in this run")


def protocol_fact(connections: list[dict[str, Any]]) -> Fact:
    versions = sorted({int(c["protocol_version"]) for c in connections if c.get("protocol_version")})
    if not versions:
        return Fact(value=None, evidence="the server listed no connection for this driver")
    names = sorted({str(c.get("driver_name")) for c in connections})
    return Fact(
        value="v" + "/v".join(str(v) for v in versions),
        evidence=f"system_views.clients: {len(connections)} connection(s), driver name {', '.join(names)}",
    )


def compression_fact(probe: Mapping[str, Any] | None) -> Fact:
    if probe is None:
        return Fact(value=None, evidence="compression probe not run")
    if probe.get("error"):
        return Fact(value=False, evidence=f"compression='lz4' refused: {probe['error']}")
    used = sorted(
        {str((c.get("client_options") or {}).get("COMPRESSION")) for c in probe.get("connections", [])}
        - {"None"}
    )
    if "lz4" in used:
        return Fact(value=True, evidence="the server saw COMPRESSION=lz4 on the probe's connections")
    return Fact(
        value=False,
        evidence=f"compression='lz4' accepted but the server saw {', '.join(used) or 'no compression'}",
    )


def close_fact(probe: Mapping[str, Any] | None, hello: Mapping[str, Any]) -> Fact:
    if probe is None:
        return Fact(value=None, evidence="close probe not run")
    caps = hello.get("capabilities") or {}
    if not caps.get("close", True):
        return Fact(value=False, evidence=(hello.get("gaps") or {}).get("close", "no close"))
    if probe.get("close_error"):
        return Fact(value=False, evidence=f"close raised {probe['close_error']}")
    leaked = int(probe.get("threads_after", 0)) - int(probe.get("threads_before", 0))
    if leaked > 0:
        return Fact(value=False, evidence=f"close left {leaked} thread(s) running")
    return Fact(value=True, evidence=f"closed in {probe.get('close_s', 0.0) * 1000:.1f} ms, no thread left")


def shard_fact(driver: str) -> Fact:
    return Fact(
        value=None,
        evidence="not testable here: Apache Cassandra has no shards (needs ScyllaDB or a stub server)",
    )


def collect(
    driver: str,
    hello: Mapping[str, Any],
    connections: list[dict[str, Any]],
    compression: Mapping[str, Any] | None,
    close: Mapping[str, Any] | None,
    matrix_entry: Mapping[str, Any] | None,
    secure_entry: Mapping[str, Any] | None,
    sync_worked: bool | None,
    async_worked: bool | None,
) -> dict[str, Fact]:
    facts = {
        "installs_as_wheel": wheel_fact(hello),
        "native_sync": capability_fact(hello, "native_sync", sync_worked, "the blocking benchmarks"),
        "native_async": capability_fact(hello, "native_async", async_worked, "the asyncio benchmarks"),
        "compression": compression_fact(compression),
        "clean_close": close_fact(close, hello),
        "protocol_version": protocol_fact(connections),
        "shard_awareness": shard_fact(driver),
    }
    for name, capability in MATRIX_CAPABILITY.items():
        facts[name] = from_tests(matrix_entry, capability, "integration matrix")
    for name, capability in SECURE_CAPABILITY.items():
        facts[name] = from_tests(secure_entry, capability, "secure-node suite")
    return {name: facts[name] for name, _ in FACTS}
