"""The comparison's side of a worker process: start it, send a command, wait for
the reply — with a deadline, so a driver that hangs is reported, not waited on."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from compare.environment import ROOT

#: cassandra-driver and scylla-driver install the same import package, so it has its own environment
OWN_ENVIRONMENTS = {"cassandra": ROOT / ".venvs" / "cassandra-driver" / "bin" / "python"}


class WorkerError(Exception):
    """The worker died, hung or answered nonsense; the driver is out of the run."""


def interpreter(driver: str) -> Path:
    own = OWN_ENVIRONMENTS.get(driver)
    return own if own is not None else Path(sys.executable)


class WorkerProcess:
    def __init__(self, driver: str, index: int, hosts: list[str], log: Path) -> None:
        self.driver = driver
        self.log = log
        python = interpreter(driver)
        if not python.exists():
            raise WorkerError(
                f"its environment is missing ({python.relative_to(ROOT)}; `make compare` builds it)"
            )
        # the repo root only: coodie itself is installed (editable) in each environment, and
        # src/ on the path would shadow its installed metadata
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                str(python),
                "-m",
                "compare.worker",
                "--driver",
                driver,
                "--index",
                str(index),
                "--hosts",
                ",".join(hosts),
                "--log",
                str(log),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.alive = True

    def call(self, command: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one command, return its reply; ``WorkerError`` when the worker is gone or too slow."""
        if not self.alive:
            raise WorkerError("the worker was stopped earlier")
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
        except OSError as exc:
            self.kill()
            raise WorkerError(f"the worker is gone ({exc}); see {self.log.name}") from exc
        deadline = time.monotonic() + timeout
        out = self.process.stdout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerError(f"no answer to {command.get('cmd')} within {timeout:.0f} s (driver hung?)")
            ready, _, _ = select.select([out], [], [], min(left, 1.0))
            if ready:
                line = out.readline()
                if not line:
                    code = self.process.wait(timeout=5)
                    self.alive = False
                    raise WorkerError(
                        f"the worker exited (code {code}) during {command.get('cmd')}; see {self.log.name}"
                    )
                try:
                    reply: dict[str, Any] = json.loads(line)
                except ValueError as exc:
                    raise WorkerError(f"unreadable reply {line[:200]!r}") from exc
                return reply

    def close(self, timeout: float = 60.0) -> dict[str, Any] | None:
        if not self.alive:
            return None
        try:
            reply = self.call({"cmd": "close"}, timeout)
        except WorkerError:
            return None
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.alive = False
        return reply

    def kill(self) -> None:
        self.alive = False
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
