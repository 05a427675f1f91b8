"""Connecting: coodie's connection options as a ``cassandra`` ``Cluster``, and the backend's ``create``."""

from __future__ import annotations

import asyncio
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import translating
from coodie.drivers._shared.options import DEFAULT_HOSTS
from coodie.drivers.cassandra.driver import CassandraDriver
from coodie.drivers.cassandra.errors import translate_error
from coodie.drivers.cassandra.lib import Cluster, PlainTextAuthProvider, cassandra


def check_compression(wanted: Any) -> None:
    """cassandra-driver silently sends uncompressed frames when it lacks the asked-for
    algorithm (cassandra-driver needs the ``lz4`` package; scylla-driver has LZ4 built in):
    an explicit request it cannot honour is a configuration error instead."""
    if wanted is None or wanted is False:
        return
    available = list(cassandra.connection.locally_supported_compressions)
    if (wanted is True and not available) or (isinstance(wanted, str) and wanted not in available):
        raise exc_mod.ConfigurationError(
            f"compression={wanted!r}: this driver install supports "
            f"{', '.join(available) or 'no compression'}; for LZ4 install the 'lz4' package "
            "(coodie[cassandra] includes it)"
        )


def build_cluster(hosts: list[str] | None, options: dict[str, Any]) -> Cluster:
    username = options.pop("username", None)
    password = options.pop("password", None)
    if username is not None:
        options.setdefault("auth_provider", PlainTextAuthProvider(username=username, password=password or ""))
    for key in ("ssl_context", "compression", "speculative_execution_policy"):
        if options.get(key) is None:
            options.pop(key, None)
    options.pop("lazy", None)
    options.setdefault("protocol_version", 4)
    check_compression(options.get("compression"))
    try:
        return Cluster(list(hosts or DEFAULT_HOSTS), **options)
    except TypeError as error:
        raise exc_mod.ConfigurationError(f"bad option for the scylla/cassandra backend: {error}") from error


def create(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "scylla",
    **options: Any,
) -> CassandraDriver:
    if session is not None:
        return CassandraDriver(session, keyspace)
    cluster = build_cluster(hosts, dict(options))
    with translating(translate_error, release=cluster.shutdown):
        new_session = cluster.connect(keyspace)
    return CassandraDriver(new_session, keyspace, cluster=cluster, owns_cluster=True)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "scylla",
    **options: Any,
) -> CassandraDriver:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: create(hosts, session, keyspace, driver_type, **options))
