"""``python -m coodie.compare``: connect with every installed backend to the local
node and print, per backend, the driver package and version and the server's
release version (the full comparison builds on this table)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

from coodie.drivers import BACKENDS, backend_module
from coodie.drivers.base import AbstractDriver, Statement


@dataclass
class Probe:
    driver_type: str
    package: str = "-"
    version: str = "-"
    server: str = "-"
    status: str = "ok"


async def probe(driver_type: str, hosts: list[str]) -> Probe:
    result = Probe(driver_type)
    try:
        module = backend_module(driver_type)
    except ImportError as exc:
        result.status = f"not installed ({exc})"
        return result
    driver: AbstractDriver | None = None
    try:
        driver = await module.create_async(hosts=hosts, session=None, keyspace=None, driver_type=driver_type)
        result.package, result.version = driver.driver_name, driver.driver_version()
        page = await driver.run_async(Statement("SELECT release_version FROM system.local"))
        result.server = str(page.rows[0]["release_version"]) if page.rows else "?"
    except Exception as exc:
        result.status = f"error: {type(exc).__name__}: {exc}"
    finally:
        if driver is not None:
            await driver.close_async()
    return result


def render(rows: list[Probe]) -> str:
    header = ("driver_type", "package", "version", "server release", "status")
    table = [header] + [(r.driver_type, r.package, r.version, r.server, r.status) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in table]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coodie.compare", description=__doc__)
    parser.add_argument("--hosts", default="127.0.0.1", help="comma-separated contact points")
    parser.add_argument("--drivers", default=",".join(t for t in BACKENDS if t != "cassandra"))
    args = parser.parse_args(argv)
    hosts = args.hosts.split(",")

    async def run_all() -> list[Probe]:
        return [await probe(t, hosts) for t in args.drivers.split(",")]

    rows = asyncio.run(run_all())
    print(render(rows))
    return 0 if any(r.status == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
