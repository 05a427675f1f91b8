"""Fixtures of the native driver's tests: the scriptable stub server and
connections to it (blocking and asyncio)."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType

import pytest

from coodie import _native


def _load_stub() -> ModuleType:
    name = "coodie_test_stub_server"
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).resolve().parents[2] / "_support" / "stub_server.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def stub() -> ModuleType:
    return _load_stub()


def open_fd(port: int) -> int:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s.detach()


def connect(port: int, *, startup: dict[str, str] | None = None, **kwargs: object) -> _native.Connection:
    """A blocking connection to a stub server, past STARTUP."""
    conn = _native.Connection(open_fd(port), **kwargs)
    conn.startup(startup or {"CQL_VERSION": "3.0.0"}, timeout=5)
    return conn


async def connect_async(
    port: int, *, startup: dict[str, str] | None = None, **kwargs: object
) -> _native.Connection:
    import asyncio

    conn = _native.Connection(open_fd(port), **kwargs)
    conn.attach(asyncio.get_running_loop())
    await conn.startup_async(startup or {"CQL_VERSION": "3.0.0"}, timeout=5)
    return conn
