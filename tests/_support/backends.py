"""Which driver backends a node-backed suite runs, their capability marks, and flavoured calls.

Driver selection
    ``COODIE_TEST_DRIVERS=scylla,acsylla`` runs those backends; a backend named
    there that cannot be imported stops the run with an error. Without the
    variable every backend of ``coodie.drivers.BACKENDS`` whose module imports
    runs; a driver type served by the same driver class as one already selected
    (``cassandra`` = ``scylla`` backend) is listed as an alias instead of running
    the suite twice.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from dataclasses import dataclass, field, fields
from typing import Any

import pytest

from coodie import drivers as coodie_drivers
from coodie.drivers.base import AbstractDriver, Capabilities

ENV_DRIVERS = "COODIE_TEST_DRIVERS"
FLAVORS = ("sync", "aio")
CAPABILITY_NAMES = tuple(f.name for f in fields(Capabilities) if f.name != "gaps")


@dataclass
class Backend:
    driver_type: str
    module_name: str
    driver_class: type[AbstractDriver] | None = None
    problem: str | None = None  # why it does not run (import error, alias)
    alias_of: str | None = None

    @property
    def capabilities(self) -> Capabilities:
        assert self.driver_class is not None, f"{self.driver_type} does not run: {self.problem}"
        return self.driver_class.capabilities


@dataclass
class Selection:
    explicit: bool
    selected: list[Backend] = field(default_factory=list)
    not_run: list[Backend] = field(default_factory=list)


def load_backend(driver_type: str) -> Backend:
    """Import the backend of a driver type; what went wrong is in ``problem``."""
    module_name = coodie_drivers.BACKENDS[driver_type][0]
    backend = Backend(driver_type, module_name)
    try:
        module = importlib.import_module(module_name)
    except (ImportError, NotImplementedError) as exc:
        cause = f" (caused by {type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
        backend.problem = f"{type(exc).__name__}: {exc}{cause}"
        return backend
    for obj in vars(module).values():
        if (
            isinstance(obj, type)
            and issubclass(obj, AbstractDriver)
            and driver_type in getattr(obj, "driver_types", ())
        ):
            backend.driver_class = obj
            break
    else:
        backend.problem = f"{module_name} has no driver class for {driver_type!r}"
    return backend


def select_backends(env_value: str | None) -> Selection:
    """The backends to run, from ``COODIE_TEST_DRIVERS`` (or every one that imports)."""
    known = list(coodie_drivers.BACKENDS)
    if env_value is not None and env_value.strip():
        names = list(dict.fromkeys(n.strip() for n in env_value.split(",") if n.strip()))
        unknown = [n for n in names if n not in known]
        if unknown:
            raise pytest.UsageError(
                f"{ENV_DRIVERS} names unknown driver type(s) {', '.join(unknown)}; known: {', '.join(known)}"
            )
        selection = Selection(explicit=True)
        for name in names:
            backend = load_backend(name)
            if backend.problem:
                raise pytest.UsageError(
                    f"{ENV_DRIVERS} asks for driver type {name!r} but its backend cannot be loaded: {backend.problem}"
                )
            selection.selected.append(backend)
        return selection
    selection = Selection(explicit=False)
    for name in known:
        backend = load_backend(name)
        if backend.problem is None:
            twin = next((b for b in selection.selected if b.driver_class is backend.driver_class), None)
            if twin is not None:
                assert backend.driver_class is not None
                backend.alias_of = twin.driver_type
                backend.problem = (
                    f"same backend class as {twin.driver_type!r} "
                    f"({backend.module_name}.{backend.driver_class.__name__}); "
                    f"run it with {ENV_DRIVERS}={name}"
                )
        (selection.not_run if backend.problem else selection.selected).append(backend)
    if not selection.selected:
        problems = "; ".join(f"{b.driver_type}: {b.problem}" for b in selection.not_run)
        raise pytest.UsageError(f"no coodie driver backend can be loaded: {problems}")
    return selection


# ------------------------------------------------------------ capabilities --


def wanted_capabilities(item: pytest.Item, marker: str) -> list[str]:
    """The capabilities a test names with ``@pytest.mark.<marker>(...)``; an unknown name stops the run."""
    wanted: list[str] = []
    for mark in item.iter_markers(marker):
        for name in mark.args:
            if name not in CAPABILITY_NAMES:
                raise pytest.UsageError(
                    f"{item.nodeid}: @pytest.mark.{marker}({name!r}) is not a capability; "
                    f"use one of {', '.join(CAPABILITY_NAMES)}"
                )
            wanted.append(name)
    return wanted


def xfail_for(capabilities: Capabilities, wanted: list[str]) -> pytest.MarkDecorator | None:
    """``xfail(strict=True)`` with the backend's reasons when it lacks some of ``wanted``."""
    missing = [name for name in wanted if not getattr(capabilities, name)]
    if not missing:
        return None
    reason = "; ".join(f"{name}: {capabilities.reason(name)}" for name in missing)
    return pytest.mark.xfail(strict=True, reason=f"backend lacks {reason}")


# ------------------------------------------------------------------ flavours --


def run_flavored(value: Any, loop: asyncio.AbstractEventLoop | None) -> Any:
    """The result of an API call: as is (sync flavour, ``loop`` None) or awaited on ``loop`` (aio)."""
    if loop is not None:
        if not inspect.isawaitable(value):
            raise TypeError(f"aio flavour: expected an awaitable from the API, got {type(value).__name__}")
        return loop.run_until_complete(value)
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        raise TypeError("sync flavour: the API returned an awaitable")
    return value
