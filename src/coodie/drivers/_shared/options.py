"""Connection options every backend reads in the same sense, and their checks.

Each backend translates coodie's connection options into its driver's own
configuration; these are the parts that do not depend on the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coodie import exceptions as exc_mod
from coodie.support.hosts import split_host_port

#: prepared statements a backend keeps per driver, unless ``prepared_cache_size=`` says otherwise
PREPARED_CACHE_SIZE = 512
#: the contact point when ``hosts`` is not given
DEFAULT_HOSTS = ("127.0.0.1",)
#: the connection options that mean the same to every backend that checks its options by name
#: (each adds its own, and the TLS options of :mod:`.tls`)
CONNECTION_OPTIONS = frozenset(
    {
        "port",
        "username",
        "password",
        "compression",
        "connect_timeout",
        "request_timeout",
        "consistency",
        "serial_consistency",
        "prepared_cache_size",
        "lazy",
    }
)


def host_ports(hosts: Sequence[str] | None) -> list[tuple[str, int | None]]:
    """The contact points (default: :data:`DEFAULT_HOSTS`) as (host, own port or None)."""
    return [split_host_port(h) for h in hosts or DEFAULT_HOSTS]


def prepared_cache_size(options: dict[str, Any]) -> int:
    """Take ``prepared_cache_size`` out of the options."""
    return int(options.pop("prepared_cache_size", PREPARED_CACHE_SIZE))


def require_username(options: dict[str, Any]) -> None:
    if options.get("password") is not None and options.get("username") is None:
        raise exc_mod.ConfigurationError("password= needs username= as well")


def refuse_unknown(options: dict[str, Any], known: frozenset[str], driver_type: str, hint: str = "") -> None:
    unknown = sorted(set(options) - known)
    if unknown:
        raise exc_mod.ConfigurationError(
            f"driver_type={driver_type!r} does not know the option(s) {unknown}; supported: "
            f"{', '.join(sorted(known))}{hint}"
        )


def refuse_lazy(lazy: Any, driver_type: str) -> None:
    if lazy:
        raise exc_mod.ConfigurationError(
            f"driver_type={driver_type!r} does not support lazy=True; it connects on init"
        )


def no_options(options: dict[str, Any]) -> None:
    """With ``session=``, the caller configured the session: connection options would be ignored."""
    extra = {k: v for k, v in options.items() if v is not None and k != "lazy"}
    if extra:
        raise exc_mod.ConfigurationError(
            f"connection options {sorted(extra)} have no effect with session=: configure the session yourself"
        )
