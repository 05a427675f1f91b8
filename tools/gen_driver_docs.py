#!/usr/bin/env python3
"""Generate the capability table of docs/drivers.md from the backends' capability flags.

    python tools/gen_driver_docs.py           # rewrite the generated part of docs/drivers.md
    python tools/gen_driver_docs.py --check   # exit 1 when docs/drivers.md is out of date

Only the text between the BEGIN/END GENERATED markers is written. Every backend
listed in ``coodie.drivers.BACKENDS`` whose module exists is imported, so the
driver packages of all of them must be installed (exit 2 otherwise).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "drivers.md"
BEGIN = "<!-- BEGIN GENERATED: capabilities (tools/gen_driver_docs.py) -->"
END = "<!-- END GENERATED: capabilities -->"

#: what each capability flag means, in the words of the table
DESCRIPTIONS = {
    "paging_state": "Resume paging from a saved paging state",
    "per_statement_timestamp": "Write timestamp per request (`ExecOptions.timestamp`, batch `timestamp=`)",
    "serial_consistency": "Serial consistency per request",
    "request_timeout": "Timeout per request",
    "batches": "Native batches of prepared statements",
    "close": "Closing releases the connections",
    "lz4": "Protocol compression",
    "tls": "TLS",
    "password_auth": "User/password authentication",
    "native_sync": "Blocking API of the driver itself",
    "native_async": "asyncio API of the driver itself",
    "vector": "`vector<float, N>` columns",
    "collections_in_sets": "Sets and map keys of collections/UDTs (`set<frozen<set<int>>>`)",
    "duration_nanoseconds": "`duration` with nanosecond precision",
    "udt_null_fields": "UDT values with null fields",
    "time_nanoseconds": "`time` given as int nanoseconds, full precision",
    "decimal": "`decimal` values",
}


def _src_path() -> None:
    src = str(ROOT / "src")
    if src not in sys.path:
        sys.path.insert(0, src)


def backends() -> list[tuple[str, Any]]:
    """(label, driver class) of every backend, in BACKENDS order; driver types of one class share a column."""
    _src_path()
    from coodie.drivers import BACKENDS
    from coodie.drivers.base import AbstractDriver

    columns: list[tuple[str, Any]] = []
    seen: dict[Any, int] = {}
    for driver_type, (module_name, _extra) in BACKENDS.items():
        if importlib.util.find_spec(module_name) is None:
            continue  # a backend not part of this tree
        module = importlib.import_module(module_name)  # ImportError: its driver package is missing
        cls = next(
            (
                obj
                for obj in vars(module).values()
                if isinstance(obj, type)
                and issubclass(obj, AbstractDriver)
                and driver_type in getattr(obj, "driver_types", ())
            ),
            None,
        )
        if cls is None:
            continue
        if cls in seen:
            label, _ = columns[seen[cls]]
            columns[seen[cls]] = (f"{label} / `{driver_type}`", cls)
            continue
        seen[cls] = len(columns)
        columns.append((f"`{driver_type}`", cls))
    return columns


def code_types(text: str) -> str:
    """Put CQL type expressions such as ``set<frozen<set<int>>>`` in backticks (Markdown reads ``<`` as HTML)."""
    out: list[str] = []
    i = ticks = 0
    while i < len(text):
        ch = text[i]
        if ch == "`":
            ticks += 1
        if ch == "<" and ticks % 2 == 0:
            start = i
            while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
            depth, j = 0, i
            while j < len(text):
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            word = text[start:i]
            out[len(out) - len(word) :] = []
            out.append(f"`{text[start:j]}`")
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def render() -> str:
    _src_path()
    from coodie.drivers.base import Capabilities

    cols = backends()
    names = [f.name for f in fields(Capabilities) if f.name != "gaps"]
    lines = [
        BEGIN,
        "",
        "| Capability | " + " | ".join(label for label, _ in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for name in names:
        cells = ["yes" if getattr(cls.capabilities, name) else "**no**" for _, cls in cols]
        lines.append(f"| {DESCRIPTIONS.get(name, f'`{name}`')} (`{name}`) | " + " | ".join(cells) + " |")
    lines += ["", "Why each **no**:", ""]
    for label, cls in cols:
        caps = cls.capabilities
        missing = [n for n in names if not getattr(caps, n)]
        if not missing:
            lines.append(f"- {label}: no gaps.")
            continue
        lines.append(f"- {label}:")
        lines += [f"  - `{n}`: {code_types(caps.reason(n))}." for n in missing]
    lines += ["", END]
    return "\n".join(lines)


def updated(text: str) -> str:
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{DOC}: the markers {BEGIN!r} and {END!r} are missing")
    return text[:start] + render() + text[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the document is out of date")
    args = parser.parse_args(argv)
    try:
        text = DOC.read_text(encoding="utf-8")
        new = updated(text)
    except ImportError as exc:
        print(f"cannot import every backend ({exc}); install all driver extras to generate", file=sys.stderr)
        return 2
    if args.check:
        if new != text:
            print(
                f"{DOC.relative_to(ROOT)} is out of date: run python tools/gen_driver_docs.py",
                file=sys.stderr,
            )
            return 1
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"updated {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
