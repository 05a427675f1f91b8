"""Driver registry and ``init_coodie``.

Backends are imported only when asked for, so a missing driver package raises an
``ImportError`` that names the extra to install.
"""

from __future__ import annotations

import importlib
from typing import Any

from coodie.drivers._guard import install_hint
from coodie.drivers.base import (
    AbstractDriver,
    BatchType,
    Capabilities,
    Consistency,
    ExecOptions,
    ResultPage,
    Statement,
)
from coodie.exceptions import ConfigurationError

#: driver_type → (module, extra to install)
BACKENDS: dict[str, tuple[str, str]] = {
    "scylla": ("coodie.drivers.cassandra", "scylla"),
    "cassandra": ("coodie.drivers.cassandra", "cassandra"),
    "acsylla": ("coodie.drivers.acsylla", "acsylla"),
    "python-rs": ("coodie.drivers.python_rs", "python-rs"),
    "native": ("coodie.drivers.native", ""),
}

_registry: dict[str, AbstractDriver] = {}
_default_name: str | None = None


def register_driver(name: str, driver: AbstractDriver, default: bool = False) -> None:
    global _default_name
    _registry[name] = driver
    if default or _default_name is None or _default_name not in _registry:
        _default_name = name


def get_driver(name: str | None = None) -> AbstractDriver:
    if name is None:
        if _default_name is None or _default_name not in _registry:
            if len(_registry) == 1:
                return next(iter(_registry.values()))
            raise ConfigurationError("No coodie driver registered. Call init_coodie() first.")
        return _registry[_default_name]
    try:
        return _registry[name]
    except KeyError:
        known = ", ".join(sorted(_registry)) or "none"
        raise ConfigurationError(f"no coodie driver registered as {name!r} (registered: {known})") from None


def backend_module(driver_type: str) -> Any:
    """The backend module for a driver type; a clear error when unknown or not installed."""
    try:
        module, extra = BACKENDS[driver_type]
    except KeyError:
        raise ConfigurationError(
            f"driver_type={driver_type!r} is not known; use one of {', '.join(BACKENDS)}"
        ) from None
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        hint = install_hint(extra) if extra else "reinstall coodie (its C extension is missing)"
        raise ImportError(
            f"coodie driver_type={driver_type!r} needs a package that is not installed: {hint}"
        ) from exc


def init_coodie(
    hosts: list[str] | str | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "scylla",
    name: str = "default",
    **options: Any,
) -> AbstractDriver:
    """Connect (or wrap ``session``) and register the driver as the default."""
    module = backend_module(driver_type)
    driver: AbstractDriver = module.create(
        hosts=_hosts(hosts), session=session, keyspace=keyspace, driver_type=driver_type, **options
    )
    register_driver(name, driver, default=True)
    return driver


async def init_coodie_async(
    hosts: list[str] | str | None = None,
    session: Any = None,
    keyspace: str | None = None,
    driver_type: str = "scylla",
    name: str = "default",
    **options: Any,
) -> AbstractDriver:
    """Like :func:`init_coodie`, connecting without blocking the event loop."""
    module = backend_module(driver_type)
    driver: AbstractDriver = await module.create_async(
        hosts=_hosts(hosts), session=session, keyspace=keyspace, driver_type=driver_type, **options
    )
    register_driver(name, driver, default=True)
    return driver


def _hosts(hosts: list[str] | str | None) -> list[str] | None:
    if hosts is None:
        return None
    return [hosts] if isinstance(hosts, str) else list(hosts)


__all__ = [
    "AbstractDriver",
    "BatchType",
    "Capabilities",
    "Consistency",
    "ExecOptions",
    "ResultPage",
    "Statement",
    "get_driver",
    "init_coodie",
    "init_coodie_async",
    "register_driver",
]
