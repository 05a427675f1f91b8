"""What a report records about where it ran: machine, OS, Python, the node."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import coodie
from compare.model import Environment

ROOT = Path(__file__).resolve().parent.parent
NODE_SCRIPT = ROOT / "tools" / "cassandra" / "node.py"
#: server settings worth a line in the report (read from system_views.settings)
SERVER_SETTINGS = (
    "concurrent_reads",
    "concurrent_writes",
    "commitlog_sync",
    "commitlog_sync_period",
    "native_transport_max_threads",
    "num_tokens",
    "cas_contention_timeout",
    "read_request_timeout",
    "write_request_timeout",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def os_name() -> str:
    try:
        info = platform.freedesktop_os_release()
        return f"{info.get('PRETTY_NAME', 'Linux')}, kernel {platform.release()}"
    except OSError:
        return f"{platform.system()} {platform.release()}"


def node_status() -> dict[str, Any]:
    """The project's node script's view of the local node (empty when it cannot say)."""
    try:
        out = subprocess.run(
            [sys.executable, str(NODE_SCRIPT), "status", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        status: dict[str, Any] = json.loads(out.stdout or "{}")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}
    status.pop("pid", None)
    status.pop("system_log", None)
    return status


def describe(event_loop: str, server: dict[str, Any]) -> Environment:
    return Environment(
        machine={
            "cpu_model": cpu_model(),
            "cores": os.cpu_count(),
            "memory_bytes": memory_bytes(),
            "arch": platform.machine(),
        },
        os=os_name(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        event_loop=event_loop,
        coodie_version=coodie.__version__,
        server=server,
    )
