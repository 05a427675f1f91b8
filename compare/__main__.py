"""``python -m compare`` — coodie's driver comparison on the local node.

Runs the integration matrix, the benchmarks through coodie's API (and each
driver's raw prepared statements) for every backend, probes production-readiness
facts, and writes ``results/compare/<UTC timestamp>/`` with ``data.json``,
``report.md`` and ``report.html``; ``results/compare/latest`` points at it.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from compare.environment import ROOT
from compare.progress import Progress
from compare.run import ALL_DRIVERS, MODES, Comparison, Settings, publish
from compare.workloads import SPECS

DEFAULT_OUT = ROOT / "results" / "compare"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m compare", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer, shorter rounds (≤ 3 min); also QUICK=1")
    size.add_argument(
        "--full", action="store_true", help="publication-grade: more, longer rounds; also FULL=1"
    )
    parser.add_argument(
        "--drivers", help=f"comma list, in interleaving order (default: {','.join(ALL_DRIVERS)})"
    )
    parser.add_argument("--benchmarks", help=f"comma list (default: all: {','.join(s.name for s in SPECS)})")
    parser.add_argument("--rounds", type=int, help="measured rounds per benchmark and driver")
    parser.add_argument("--duration", type=float, help="seconds per timed run")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per benchmark and driver")
    parser.add_argument(
        "--load-fraction",
        type=float,
        default=0.5,
        help="pace of the 64-in-flight runs, as a share of the rate the driver reached "
        "in the same round's closed loop",
    )
    parser.add_argument(
        "--matrix", choices=("run", "subset", "reuse", "skip"), help="integration matrix source"
    )
    parser.add_argument(
        "--secure", choices=("run", "reuse", "skip"), help="secure-node suite (TLS, auth) source"
    )
    parser.add_argument("--hosts", default="127.0.0.1")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="reports go into OUT/<timestamp>/")
    parser.add_argument("--render", type=Path, metavar="DIR", help="only re-render DIR/data.json's reports")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace, argv: list[str] | None) -> Settings:
    mode_name = (
        "quick"
        if args.quick or os.environ.get("QUICK") == "1"
        else ("full" if args.full or os.environ.get("FULL") == "1" else "default")
    )
    mode = MODES[mode_name]
    drivers = [d.strip() for d in (args.drivers or ",".join(ALL_DRIVERS)).split(",") if d.strip()]
    benchmarks = [
        b.strip() for b in (args.benchmarks or ",".join(s.name for s in SPECS)).split(",") if b.strip()
    ]
    known = {s.name for s in SPECS}
    unknown = [b for b in benchmarks if b not in known]
    if unknown:
        raise SystemExit(f"--benchmarks: unknown {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    bad = [d for d in drivers if d not in ALL_DRIVERS]
    if bad:
        raise SystemExit(f"--drivers: unknown {', '.join(bad)}; known: {', '.join(ALL_DRIVERS)}")
    if not 0 < args.load_fraction <= 1:
        raise SystemExit(f"--load-fraction={args.load_fraction}: must be in (0, 1]")
    return Settings(
        mode=mode_name,
        rounds=args.rounds or mode.rounds,
        duration_s=args.duration or mode.duration_s,
        warmup_s=args.warmup if args.warmup is not None else mode.warmup_s,
        load_fraction=args.load_fraction,
        drivers=drivers,
        benchmarks=benchmarks,
        hosts=[h for h in args.hosts.split(",") if h],
        out_root=args.out,
        matrix=args.matrix or mode.matrix,
        secure=args.secure or mode.secure,
        command="python -m compare " + shlex.join(argv if argv is not None else sys.argv[1:]),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from compare.report import write_reports

    if args.render is not None:
        data = json.loads((args.render / "data.json").read_text())
        write_reports(data, args.render)
        print(f"rendered {args.render / 'report.md'} and report.html")
        return 0
    settings = settings_from(args, argv)
    progress = Progress()
    progress.note(
        f"coodie comparison ({settings.mode}): drivers {', '.join(settings.drivers)}; "
        f"{settings.rounds} rounds × {settings.duration_s} s"
    )
    comparison = Comparison(settings, progress)
    data = comparison.execute()
    folder = publish(data, settings.out_root, write_reports)
    for line in data["problems"]:
        print(f"  ! {line}")
    ran = [d for d, info in data["drivers"].items() if info["status"] == "ok"]
    print(
        f"report: {folder / 'report.md'} (and report.html, data.json); drivers measured: {', '.join(ran) or 'none'}"
    )
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
