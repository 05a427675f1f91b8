"""Open a report in headless Chromium: a screenshot beside it, or the DOM as the
browser built it. The tests use this to check that ``report.html`` really renders.

Needs the ``chromium`` system package (``apt-get install -y chromium``;
``tools/system-deps.sh`` installs it)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BINARIES = ("chromium", "chromium-browser")
INSTALL_HINT = "install it with: apt-get install -y chromium (or run `make system-deps` as root)"
TIMEOUT_S = 120.0


class BrowserError(RuntimeError):
    """Chromium is missing, or did not produce what it was asked for."""


def find_chromium() -> str:
    """The Chromium executable; :class:`BrowserError` naming the package when there is none."""
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError(f"chromium not found on PATH: {INSTALL_HINT}")


def _run(arguments: list[str]) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="coodie-chromium-") as profile:
        command = [
            find_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            *arguments,
        ]
        try:
            return subprocess.run(command, capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(
                f"chromium did not finish within {TIMEOUT_S:g} s: {' '.join(command)}"
            ) from exc


def screenshot(html_path: Path, *, width: int = 1400, height: int = 4000) -> Path:
    """Render ``html_path`` and save a PNG screenshot of the top ``width`` × ``height``
    pixels beside it (``report.html`` → ``report.png``); returns the PNG's path."""
    page = html_path.resolve()
    target = page.with_suffix(".png")
    target.unlink(missing_ok=True)
    done = _run([f"--screenshot={target}", f"--window-size={width},{height}", page.as_uri()])
    if not target.is_file() or target.stat().st_size == 0:
        raise BrowserError(
            f"chromium wrote no screenshot (exit status {done.returncode}): "
            + done.stderr.decode("utf-8", "replace")[-2000:]
        )
    return target


def dump_dom(html_path: Path) -> str:
    """The document as Chromium built it (``--dump-dom``)."""
    done = _run(["--dump-dom", html_path.resolve().as_uri()])
    dom = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0 or "<html" not in dom:
        raise BrowserError(
            f"chromium --dump-dom failed (exit status {done.returncode}): "
            + done.stderr.decode("utf-8", "replace")[-2000:]
        )
    return dom
