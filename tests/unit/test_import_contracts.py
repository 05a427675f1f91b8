"""The import contracts (``[tool.importlinter]`` in pyproject.toml) hold for the ODM,
and ``lint-imports`` fails when a module imports upward.

Each planting test copies the package to a temporary directory, adds one import
that breaks a layer, and runs ``lint-imports`` with the project's own config
against the copy, so the check is shown to fail for the right reason.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter comes with the dev extra")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
PACKAGE = ROOT / "src" / "coodie"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: the contracts that guard the ODM's own layers (ids in pyproject.toml)
ODM_CONTRACTS = ("odm-layers", "no-io-in-model-or-cql", "upstream-paths-for-users", "bottom", "no-cycles")


def lint_imports(src: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-cache", str(CONFIG)]
    for contract in contracts:
        args += ["--contract", contract]
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(args, cwd=src, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def copy(tmp_path):
    """A copy of the package's Python sources, importable from ``copy``."""
    shutil.copytree(PACKAGE, tmp_path / "coodie", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    return tmp_path


def plant(src: Path, module: str, line: str) -> None:
    path = src.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_odm_keeps_its_contracts():
    result = lint_imports(PACKAGE.parent, *ODM_CONTRACTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(ODM_CONTRACTS)} kept, 0 broken" in result.stdout


def test_an_unchanged_copy_keeps_the_layers(copy):
    result = lint_imports(copy, "odm-layers")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "imported"),
    [
        ("coodie.model.fields", "import coodie.sync", "coodie.sync"),
        ("coodie.model.types", "from coodie.cql import builder", "coodie.cql.builder"),
        ("coodie.cql.builder", "from coodie.operations import plan", "coodie.operations.plan"),
        ("coodie.operations.plan", "import coodie.aio.query", "coodie.aio.query"),
    ],
)
def test_an_upward_import_breaks_the_layers(copy, module, line, imported):
    plant(copy, module, line)
    result = lint_imports(copy, "odm-layers")
    assert result.returncode != 0
    assert "The ODM imports downward only" in result.stdout
    assert "BROKEN" in result.stdout
    assert f"{module} -> {imported}" in result.stdout


def test_a_driver_import_breaks_the_no_io_rule(copy):
    plant(copy, "coodie.cql.builder", "from coodie.drivers import base")
    result = lint_imports(copy, "no-io-in-model-or-cql")
    assert result.returncode != 0
    assert "coodie.cql.builder -> coodie.drivers.base" in result.stdout


def test_a_circle_between_model_modules_breaks_the_no_cycles_rule(copy):
    plant(copy, "coodie.model.fields", "from coodie.model import schema")
    result = lint_imports(copy, "no-cycles")
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
