"""What is published about each driver — the qualitative feature table the
project started from (its driver notes, §7 "Feature matrix", written from the
drivers' docs and code, not measured) — so the scorecard can put each claim
beside what this run measured.

Marks: "yes", "partial", "no", "branch" (only on an unmerged branch). A dimension
the notes say nothing about for a driver has no claim (scylla-driver's
per-statement timestamp, for one).
"""

from __future__ import annotations

DIMENSIONS = {
    "native_sync": "sync API",
    "native_async": "async API",
    "batches": "batches",
    "paging_resume": "paging-state resume",
    "tls": "TLS",
    "password_auth": "password auth",
    "compression": "compression",
    "shard_awareness": "shard awareness",
    "clean_close": "close / shutdown",
    "per_request_timestamp": "per-statement timestamp",
}

_SCYLLA_DRIVER = {
    "native_sync": "yes",
    "native_async": "partial",  # callback ResponseFuture, no awaitables
    "batches": "yes",
    "paging_resume": "yes",
    "tls": "yes",
    "password_auth": "yes",
    "compression": "yes",
    "shard_awareness": "yes",
    "clean_close": "yes",
}

CLAIMS: dict[str, dict[str, str]] = {
    "scylla": dict(_SCYLLA_DRIVER),
    # the same code base without the ScyllaDB extensions
    "cassandra": {**_SCYLLA_DRIVER, "shard_awareness": "no"},
    "acsylla": {
        "native_sync": "no",
        "native_async": "yes",
        "batches": "yes",
        "paging_resume": "yes",
        "tls": "yes",
        "password_auth": "yes",
        "compression": "no",
        "shard_awareness": "yes",
        "clean_close": "yes",
        "per_request_timestamp": "yes",
    },
    "python-rs": {
        "native_sync": "branch",
        "native_async": "yes",
        "batches": "yes",
        "paging_resume": "yes",
        "tls": "branch",
        "password_auth": "yes",
        "compression": "yes",
        "shard_awareness": "yes",
        "clean_close": "no",
        "per_request_timestamp": "no",
    },
    # coodie's own README feature table
    "native": {
        "native_sync": "yes",
        "native_async": "yes",
        "batches": "yes",
        "paging_resume": "yes",
        "tls": "yes",
        "password_auth": "yes",
        "compression": "yes",
        "shard_awareness": "no",
        "clean_close": "yes",
        "per_request_timestamp": "yes",
    },
}
SOURCE = (
    "the project's driver notes (feature matrix compiled from each driver's docs, stubs and "
    "repositories); for native, coodie's README"
)


def agrees(claim: str, measured: bool | str | None) -> bool | None:
    """Does a claim match a measured fact? None when nothing was measured."""
    if measured is None or not isinstance(measured, bool):
        return None
    return (claim == "yes") == measured
