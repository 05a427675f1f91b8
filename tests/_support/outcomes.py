"""Per-test outcomes of a node-backed suite, counted per backend and flavour for its report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest
from compare.matrix import OUTCOMES


@dataclass
class Record:
    nodeid: str
    driver_type: str
    flavor: str
    outcome: str | None = None
    detail: str | None = None
    #: what the test saw (error chains, TLS versions), for the report
    notes: list[str] = field(default_factory=list)
    #: the capabilities the test needs (its ``requires``/``needs`` mark), so a report can
    #: tell which tests establish a feature
    requires: list[str] = field(default_factory=list)


def crash_message(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip().splitlines()[0][:300]
    lines = str(report.longrepr or "").strip().splitlines()
    return (lines[-1] if lines else "")[:300]


def record_outcome(record: Record, report: pytest.TestReport) -> None:
    """Keep what this phase of the test says about its outcome."""
    xfail = getattr(report, "wasxfail", None)
    if report.when == "setup" and report.failed:
        record.outcome, record.detail = "error", crash_message(report)
    elif report.when == "setup" and report.skipped:
        record.outcome, record.detail = (
            ("xfailed", xfail) if xfail is not None else ("skipped", crash_message(report))
        )
    elif report.when == "call":
        if report.passed:
            record.outcome, record.detail = ("xpassed", xfail) if xfail is not None else ("passed", None)
        elif report.failed:
            record.outcome, record.detail = "failed", crash_message(report)
        else:
            record.outcome, record.detail = (
                ("xfailed", xfail) if xfail is not None else ("skipped", crash_message(report))
            )
    elif report.when == "teardown" and report.failed and record.outcome in (None, "passed", "xfailed"):
        record.outcome, record.detail = "error", "teardown: " + crash_message(report)


def count_outcomes(records: Iterable[Record]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for r in records:
        if r.outcome is not None:
            counts[r.outcome] += 1
    return counts


# --------------------------------------------------------------- the tables --

MARKDOWN_HEAD = ["| driver | flavour | " + " | ".join(OUTCOMES) + " |", "|---|---|" + "---|" * len(OUTCOMES)]
TERMINAL_HEAD = f"{'driver':<12} {'flavour':<8}" + "".join(f"{o:>9}" for o in OUTCOMES)


def markdown_row(driver_type: str, flavor: str, counts: dict[str, int]) -> str:
    return f"| {driver_type} | {flavor} | " + " | ".join(str(counts[o]) for o in OUTCOMES) + " |"


def terminal_row(driver_type: str, flavor: str, counts: dict[str, int]) -> str:
    return f"{driver_type:<12} {flavor:<8}" + "".join(f"{counts[o]:>9}" for o in OUTCOMES)
