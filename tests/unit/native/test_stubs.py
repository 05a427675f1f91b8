"""The typed seam between Python and C: ``src/coodie/_native.pyi`` matches the built
extension name for name (mypy's stubtest), so ``mypy --strict`` checks the session's
calls into C against what the module really has."""

import subprocess
import sys
from pathlib import Path

STUB = Path(__file__).resolve().parents[3] / "src" / "coodie" / "_native.pyi"


def stubtest(cwd: Path, mypy_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}
    if mypy_path is not None:
        env["MYPYPATH"] = str(mypy_path)
    return subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "coodie._native"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_the_stub_matches_the_built_module(tmp_path):
    done = stubtest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def planted(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "stubs"
    (root / "coodie").mkdir(parents=True)
    (root / "coodie" / "__init__.pyi").write_text("")
    (root / "coodie" / "_native.pyi").write_text(text)
    return root


def test_a_module_name_without_a_stub_fails(tmp_path):
    text = "".join(line for line in STUB.read_text().splitlines(True) if "def lz4_compress" not in line)
    done = stubtest(tmp_path, planted(tmp_path, text))
    assert done.returncode != 0 and "lz4_compress is not present in stub" in done.stdout


def test_a_stub_without_a_module_name_fails(tmp_path):
    text = STUB.read_text() + "\ndef no_such_function() -> None: ...\n"
    done = stubtest(tmp_path, planted(tmp_path, text))
    assert done.returncode != 0 and "no_such_function is not present at runtime" in done.stdout
