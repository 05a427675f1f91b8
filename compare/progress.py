"""What the terminal shows while a comparison runs: the step now running, how many
are left and an ETA — a live bar on a terminal, plain lines otherwise (CI logs)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self.total = 0
        self.done = 0
        #: estimated seconds of the steps started so far, for an ETA that knows a warm-up
        #: step is shorter than a measured round
        self.weight_done = 0.0
        self.started = 0.0
        self.estimate = 0.0
        self._bar: Any = None
        self._task: Any = None
        self._last_line = 0.0

    def note(self, line: str) -> None:
        if self._bar is not None:
            self._bar.console.print(line)
        else:
            print(line, file=self.stream, flush=True)

    def start(self, total: int, estimate_s: float) -> None:
        self.total, self.done, self.started, self.estimate = total, 0, time.monotonic(), estimate_s
        self.weight_done = 0.0
        self.note(f"measuring: {total} timed runs, about {_clock(estimate_s)}")
        if self.live:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("starting", total=total)

    def eta(self) -> float:
        """Time left: the estimate of the steps left, scaled by how the estimate fared so far."""
        left = max(self.estimate - self.weight_done, 0.0)
        if self.weight_done <= 0:
            return left
        elapsed = time.monotonic() - self.started
        return left * elapsed / self.weight_done

    def advance(self, label: str, weight: float = 0.0) -> None:
        """Step ``label`` starts now; ``weight`` is its estimated seconds."""
        if self._bar is not None:
            self._bar.update(
                self._task, description=f"{label} (ETA {_clock(self.eta())})", completed=self.done
            )
        elif time.monotonic() - self._last_line > 10 or self.done == 0:
            self._last_line = time.monotonic()
            print(
                f"[{self.done}/{self.total}, ETA {_clock(self.eta())}] {label}", file=self.stream, flush=True
            )
        self.done += 1
        self.weight_done += weight

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=self.total)
            self._bar.stop()
            self._bar = None
        self.note(f"measured in {_clock(time.monotonic() - self.started)}")


def _clock(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
