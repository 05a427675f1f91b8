"""The driver package a backend runs on: imported with an install hint when it is missing or
wrong, and its installed version."""

from __future__ import annotations

import importlib
import importlib.util
from importlib import metadata
from types import ModuleType


def install_hint(extra: str) -> str:
    return f"pip install 'coodie[{extra}]'"


def require(module: str, *, driver_type: str, extra: str, package: str) -> ModuleType:
    """Import ``module`` or raise an ``ImportError`` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"coodie driver_type={driver_type!r} needs the {package} package, which is not installed "
            f"(import {module!r} failed: {exc}). Install it with: {install_hint(extra)}"
        ) from exc


def require_python_rs() -> ModuleType:
    """Import python-rs-driver's ``scylla.session_builder``, telling it apart from PyPI's unrelated ``scylla``.

    python-rs-driver is published on PyPI as ``scylladb-rs-driver`` and imports as
    ``scylla``. An unrelated project is published on PyPI under the name ``scylla``;
    if that one is installed, ``import scylla`` works but ``scylla.session_builder``
    does not exist.
    """
    try:
        import scylla
    except ImportError as exc:
        raise ImportError(
            "coodie driver_type='python-rs' needs python-rs-driver (PyPI: scylladb-rs-driver, import name "
            f"'scylla'), which is not installed. Install it with: {install_hint('python-rs')}"
        ) from exc
    try:
        is_python_rs = importlib.util.find_spec("scylla.session_builder") is not None
    except (ImportError, ValueError):
        is_python_rs = False
    try:
        return importlib.import_module("scylla.session_builder")
    except ImportError as exc:
        if is_python_rs:
            raise ImportError(
                f"python-rs-driver is installed but failed to import ({exc}); reinstall it with: "
                f"{install_hint('python-rs')}"
            ) from exc
        where = getattr(scylla, "__file__", None) or "an unknown location"
        raise ImportError(
            f"the 'scylla' package found at {where} is not python-rs-driver (it has no scylla.session_builder). "
            "It is probably the unrelated PyPI project named 'scylla': uninstall it (pip uninstall scylla) and "
            f"install python-rs-driver with: {install_hint('python-rs')} (PyPI: scylladb-rs-driver)"
        ) from exc


def installed_version(distribution: str) -> str | None:
    """The installed version of a distribution (None when it is not installed)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
