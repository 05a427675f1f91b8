"""Contact points as users write them."""

from __future__ import annotations


def split_host_port(host: str) -> tuple[str, int | None]:
    """``"host"``, ``"host:port"``, ``"[v6]:port"`` or a bare IPv6 address as (host, port or None)."""
    name, sep, port = host.rpartition(":")
    if sep and name and port.isdigit() and (":" not in name or name.startswith("[")):
        return name.strip("[]"), int(port)
    return host.strip("[]"), None
