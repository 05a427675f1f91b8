"""The driver matrix across test runs: one JSON file per run, merged into one document.

A node-backed suite (``tests/integration``, ``tests/secure``) writes what one run saw
to ``<results>/<name>/<run-key>.json``, the run key naming the driver types that ran
(``acsylla+native+python-rs+scylla``, ``cassandra``). :func:`write_merged` then
rebuilds ``<results>/<name>.json`` and ``<results>/<name>.md`` from every run file
of that folder, so runs in different environments (``cassandra-driver`` needs a
virtualenv of its own) end up in one matrix.

Per driver type the merged document keeps the entry of the newest run file whose
entry for it has status ``"ran"``; a driver that never ran keeps its newest entry
of any status (``"unavailable"``, ``"alias"``, ``"not run"``). Entries are copied
as the suite wrote them.

This module needs neither pytest nor the test harness.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

#: where the suites write their results; default ``<rootdir>/results``
RESULTS_ENV = "COODIE_RESULTS_DIR"
OUTCOMES = ("passed", "xfailed", "failed", "error", "xpassed", "skipped")
#: the outcomes a pass rate is taken over (``skipped`` did not run)
RATED = ("passed", "failed", "error", "xpassed", "xfailed")
#: top-level keys of a run file that the merged document replaces
_PER_RUN_KEYS = ("generated", "selection", "drivers")


# ----------------------------------------------------------------- run files --


def results_dir(root: Path) -> Path:
    """``$COODIE_RESULTS_DIR``, else ``root / "results"``."""
    configured = os.environ.get(RESULTS_ENV, "").strip()
    return Path(configured).expanduser() if configured else root / "results"


def run_key(driver_types: Iterable[str]) -> str:
    """The file stem of a run of these driver types: sorted, joined with ``+``."""
    names = sorted({re.sub(r"[^A-Za-z0-9._-]+", "_", name) for name in driver_types})
    return "+".join(names) or "none"


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, default=str) + "\n"


def write_run(folder: Path, key: str, document: dict[str, Any]) -> Path:
    """Store one run's document as ``folder / f"{key}.json"``; returns that path."""
    path = folder / f"{key}.json"
    _write_text(path, _dump(document))
    return path


# --------------------------------------------------------------------- merge --


def _load_runs(folder: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[str]]:
    """The run files of ``folder``, oldest first, and the names of those that do not parse."""
    runs: list[tuple[tuple[str, int], Path, dict[str, Any]]] = []
    unreadable: list[str] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            mtime = path.stat().st_mtime_ns
        except (OSError, ValueError):
            unreadable.append(path.name)
            continue
        if not isinstance(document, dict) or not isinstance(document.get("drivers"), dict):
            unreadable.append(path.name)
            continue
        runs.append(((str(document.get("generated") or ""), mtime), path, document))
    runs.sort(key=lambda run: run[0])
    return [(path, document) for _, path, document in runs], unreadable


def merge_runs(folder: Path) -> dict[str, Any]:
    """One document from every ``*.json`` run file in ``folder``.

    ``runs`` lists the files (oldest first) with their ``generated`` and ``selection``;
    ``drivers`` holds one entry per driver type, from the newest run in which it ran
    (else from its newest run); ``sources`` names the file each entry came from. Other
    top-level keys (``coodie_version``, ``hosts``, ...) come from the newest run.
    """
    runs, unreadable = _load_runs(folder)
    chosen: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, document in reversed(runs):  # newest first
        for name, entry in document["drivers"].items():
            # an older entry replaces a newer one only when the older ran and the newer did not
            upgrade = chosen.get(name, ("", {}))[1].get("status") != "ran" and entry.get("status") == "ran"
            if name not in chosen or upgrade:
                chosen[name] = (path.name, entry)
    merged: dict[str, Any] = {}
    if runs:
        merged.update({k: v for k, v in runs[-1][1].items() if k not in _PER_RUN_KEYS})
    merged["generated"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    merged["runs"] = [
        {"file": path.name, "generated": document.get("generated"), "selection": document.get("selection")}
        for path, document in runs
    ]
    names = sorted(chosen)
    merged["drivers"] = {name: chosen[name][1] for name in names}
    merged["sources"] = {name: chosen[name][0] for name in names}
    if unreadable:
        merged["unreadable"] = unreadable
    return merged


def write_merged(folder: Path, *, render: Callable[[dict[str, Any]], str] | None = None) -> dict[str, Any]:
    """Merge the run files of ``folder`` into ``<folder>.json`` and ``<folder>.md`` beside it.

    ``render`` turns the merged document into Markdown (default :func:`render_markdown`).
    Returns the merged document.
    """
    merged = merge_runs(folder)
    _write_text(folder.parent / f"{folder.name}.json", _dump(merged))
    _write_text(folder.parent / f"{folder.name}.md", (render or render_markdown)(merged))
    return merged


# ------------------------------------------------------------------ numbers --


def pass_rate(entry: dict[str, Any]) -> float | None:
    """passed / (passed + failed + error + xpassed + xfailed), every flavour together;
    ``None`` when no test of the entry ran."""
    flavors = entry.get("flavors") or {}
    passed = sum(int(counts.get("passed", 0)) for counts in flavors.values())
    rated = sum(int(counts.get(o, 0)) for counts in flavors.values() for o in RATED)
    return passed / rated if rated else None


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


# ----------------------------------------------------------------- markdown --


def runs_section(runs: list[dict[str, Any]], sources: dict[str, str]) -> list[str]:
    """The "Runs" list of a merged document: each run file and the entries taken from it."""
    if not runs:
        return []
    lines = ["", "## Runs", ""]
    for run in runs:
        took = [name for name, file in sources.items() if file == run["file"]]
        lines.append(
            f"- `{run['file']}` — generated {run.get('generated')}, "
            f"driver selection: {run.get('selection')}; "
            f"entries used: {', '.join(took) if took else 'none (superseded)'}"
        )
    return lines


def render_markdown(matrix: dict[str, Any]) -> str:
    """The integration matrix (merged or of one run) as Markdown: every driver type appears."""
    drivers: dict[str, Any] = matrix.get("drivers", {})
    sources: dict[str, str] = matrix.get("sources", {})
    runs: list[dict[str, Any]] = matrix.get("runs", [])
    hosts = ", ".join(matrix.get("hosts") or []) or "?"
    lines = ["# coodie integration matrix", ""]
    if runs:
        lines.append(
            f"Merged {matrix.get('generated')} from {len(runs)} run(s) — "
            f"coodie {matrix.get('coodie_version', '?')}, hosts {hosts}."
        )
    else:
        lines.append(
            f"Generated {matrix.get('generated')} — coodie {matrix.get('coodie_version', '?')}, "
            f"hosts {hosts}, driver selection: {matrix.get('selection')}."
        )
    lines += [
        "",
        "| driver | flavour | " + " | ".join(OUTCOMES) + " | pass rate |",
        "|---|---|" + "---|" * (len(OUTCOMES) + 1),
    ]
    tested = {name: d for name, d in drivers.items() if "flavors" in d}
    for name, d in tested.items():
        for flavor, counts in d["flavors"].items():
            cells = " | ".join(str(counts.get(o, 0)) for o in OUTCOMES)
            rate = _percent(pass_rate({"flavors": {flavor: counts}}))
            lines.append(f"| {name} | {flavor} | {cells} | {rate} |")
    untested = {name: d for name, d in drivers.items() if name not in tested}
    if untested:
        lines += ["", "## Backends not run", ""]
        lines += [
            f"- **{name}** ({d.get('status')}): {d.get('reason') or 'no reason given'}"
            for name, d in untested.items()
        ]
    lines += runs_section(runs, sources)
    if matrix.get("unreadable"):
        lines += ["", "Unreadable run files (skipped): " + ", ".join(matrix["unreadable"])]
    for name, d in tested.items():
        lines += ["", f"## {name}", ""]
        lines.append(f"Driver: {d.get('driver') or '?'} {d.get('driver_version') or ''}".rstrip())
        lines.append(f"Status: {d.get('status')}, pass rate {_percent(pass_rate(d))}")
        if name in sources:
            lines.append(f"From run: `{sources[name]}`")
        if d.get("init_error"):
            lines += ["", f"Could not connect: {d['init_error']}"]
        if d.get("teardown_error"):
            lines += ["", f"Cleanup failed: {d['teardown_error']}"]
        if d.get("gaps"):
            lines += ["", "Declared capability gaps:", ""]
            lines += [f"- `{cap}`: {why}" for cap, why in d["gaps"].items()]
        tests: dict[str, Any] = d.get("tests") or {}
        for outcome, title in (
            ("failed", "Failures"),
            ("error", "Errors"),
            ("xpassed", "Unexpected passes"),
            ("xfailed", "Expected failures"),
            ("skipped", "Skipped"),
        ):
            hits = [(t, r) for t, r in tests.items() if r.get("outcome") == outcome]
            if hits:
                lines += ["", f"{title}:", ""]
                lines += [f"- `{t}` — {r.get('detail') or ''}".rstrip(" —") for t, r in hits]
    return "\n".join(lines) + "\n"
