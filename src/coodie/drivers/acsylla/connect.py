"""Connecting: coodie's connection options as acsylla's cluster settings, and the backend's ``create``."""

from __future__ import annotations

import asyncio
from typing import Any

from coodie import exceptions as exc_mod
from coodie.drivers._shared.errors import translating
from coodie.drivers._shared.loop_thread import ForeignLoop, LoopThread
from coodie.drivers._shared.options import host_ports, no_options, prepared_cache_size, refuse_lazy
from coodie.drivers._shared.tls import pem_text, tls_requested
from coodie.drivers.acsylla import lib
from coodie.drivers.acsylla.driver import AcsyllaDriver, consistency
from coodie.drivers.acsylla.errors import translate_error
from coodie.drivers.base import Consistency

#: TLS options whose value acsylla wants as PEM text (coodie also takes a file name)
_PEM_OPTIONS = ("ssl_cert", "ssl_private_key", "ssl_trusted_cert")


def _split_hosts(hosts: list[str] | None, port: int | None) -> tuple[list[str], int | None]:
    """Host names and the one port acsylla connects to them on (None: acsylla's default)."""
    points = host_ports(hosts)
    ports = {p for _, p in points if p is not None}
    if port is not None:
        ports.add(int(port))
    if len(ports) > 1:
        raise exc_mod.ConfigurationError(
            f"acsylla connects to every host on one port; got ports {sorted(ports)}"
        )
    return [name for name, _ in points], (ports.pop() if ports else None)


def cluster_kwargs(hosts: list[str] | None, options: dict[str, Any]) -> dict[str, Any]:
    """Translate coodie's connection options into ``acsylla.create_cluster`` keywords."""
    options = dict(options)
    refuse_lazy(options.pop("lazy", False), "acsylla")
    if options.pop("compression", None) not in (None, False):
        raise exc_mod.ConfigurationError(
            "driver_type='acsylla' cannot compress traffic: acsylla exposes no protocol compression option"
        )
    if options.pop("ssl_context", None) is not None:
        raise exc_mod.ConfigurationError(
            "driver_type='acsylla' takes TLS settings as ssl_enabled=True plus ssl_trusted_cert= (CA, PEM text "
            "or file), ssl_cert=/ssl_private_key= (client certificate) and ssl_verify_flags=, not an ssl_context"
        )
    names, port = _split_hosts(hosts, options.pop("port", None))
    kwargs: dict[str, Any] = {"contact_points": names}
    if port is not None:
        kwargs["port"] = port
    for key in _PEM_OPTIONS:
        if options.get(key) is not None:
            options[key] = pem_text(options[key], key)
    if options.get("ssl_enabled") is None and tls_requested(options):
        options["ssl_enabled"] = True
    level = options.pop("consistency", None)
    if level is not None:
        kwargs["consistency"] = consistency(Consistency.parse(level))
    serial = options.pop("serial_consistency", None)
    if serial is not None:
        kwargs["serial_consistency"] = consistency(Consistency.parse(serial, option="serial_consistency"))
    kwargs.update({k: v for k, v in options.items() if v is not None})
    # The C++ driver's default policy retries an Unavailable error on the next host and, once every
    # host was tried, reports "no hosts available" instead of the server's error. Surface the
    # server's error unless the caller chose a policy.
    kwargs.setdefault("retry_policy", "fallthrough")
    return kwargs


async def _connect(kwargs: dict[str, Any], keyspace: str | None) -> tuple[Any, Any]:
    try:
        cluster = lib.acsylla.create_cluster(**kwargs)
    except (TypeError, ValueError) as error:
        raise exc_mod.ConfigurationError(f"bad option for driver_type='acsylla': {error}") from error
    with translating(translate_error):
        session = await cluster.create_session(keyspace=keyspace)
    return cluster, session


def create(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "acsylla",
    **options: Any,
) -> AcsyllaDriver:
    """Connect (on a new private loop thread), or wrap ``session`` living on ``loop=``."""
    cache_size = prepared_cache_size(options)
    if session is not None:
        loop = options.pop("loop", None)
        if loop is None:
            raise exc_mod.ConfigurationError(
                "an acsylla session only works on the event loop it was created on: pass loop=<that loop> with "
                "session=, or pass hosts= and let coodie create the session on its own loop thread"
            )
        return _wrap(session, loop, keyspace, options, cache_size)
    kwargs = cluster_kwargs(hosts, options)
    thread = LoopThread("coodie-acsylla").start()
    try:
        connected = thread.call(_connect(kwargs, keyspace))
    except BaseException:
        thread.stop()
        raise
    return _owned(thread, connected, keyspace, cache_size)


async def create_async(
    hosts: list[str] | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "acsylla",
    **options: Any,
) -> AcsyllaDriver:
    """Like :func:`create`, without blocking the caller's loop.

    A ``session`` created by the caller is assumed to live on the running loop
    (or ``loop=``); blocking calls on that loop's own thread are then refused.
    """
    cache_size = prepared_cache_size(options)
    if session is not None:
        loop = options.pop("loop", None) or asyncio.get_running_loop()
        return _wrap(session, loop, keyspace, options, cache_size)
    kwargs = cluster_kwargs(hosts, options)
    running = asyncio.get_running_loop()
    thread = LoopThread("coodie-acsylla").start()
    try:
        connected = await thread.acall(_connect(kwargs, keyspace))
    except BaseException:
        await running.run_in_executor(None, thread.stop)
        raise
    return _owned(thread, connected, keyspace, cache_size)


def _wrap(
    session: Any,
    loop: asyncio.AbstractEventLoop,
    keyspace: str | None,
    options: dict[str, Any],
    cache_size: int,
) -> AcsyllaDriver:
    """A driver over the caller's session, which lives on ``loop``."""
    no_options(options)
    return AcsyllaDriver(session, ForeignLoop(loop), keyspace, cache_size=cache_size)


def _owned(
    thread: LoopThread, connected: tuple[Any, Any], keyspace: str | None, cache_size: int
) -> AcsyllaDriver:
    """A driver over the (cluster, session) it created on its own loop thread."""
    cluster, session = connected
    return AcsyllaDriver(session, thread, keyspace, cluster=cluster, owns_session=True, cache_size=cache_size)
