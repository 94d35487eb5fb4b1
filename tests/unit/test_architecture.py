"""The one dependency rule: the import-linter contracts in pyproject.toml hold, and can fail.

The contracts (listed and explained in docs/architecture.md) read every import, relative ones
and those inside functions included. .ci/run also runs ``lint-imports`` on its own. Here the
contracts run on the source tree, then on copies of it with one bad import each, to prove each
contract notices what it forbids. One rule import-linter cannot say is checked by hand below:
rules/ uses nothing outside the standard library.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LINTER = PYPROJECT["tool"]["importlinter"]
CONTRACTS = {c["id"]: c["name"] for c in LINTER["contracts"]}


def lint(tree: Path) -> subprocess.CompletedProcess:
    # A fresh interpreter whose path starts at ``tree``, so that it analyses that tree's packages.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_the_contracts_hold():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


def test_every_package_of_ours_is_under_the_contracts():
    # A new top-level package must be placed among the layers, or it would escape every arrow.
    shipped = {name.rstrip("*") for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert shipped == set(LINTER["root_packages"])
    layered = {part.strip() for layer in LINTER["contracts"][0]["layers"] for part in layer.split("|")}
    assert LINTER["contracts"][0]["id"] == "layers" and layered == shipped


def test_the_map_names_every_contract():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert [cid for cid in CONTRACTS if f"`{cid}`" not in page] == []


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / "pyproject.toml", base)
    for package in LINTER["root_packages"]:
        shutil.copytree(ROOT / package, base / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return base


# (file, line appended, the contract that must break). Relative imports and imports inside
# functions are among them: an import the old walker could not see.
BAD_IMPORTS = [
    ("sync/cli.py", "def _f():\n    from .server import hub\n", "sync-client"),
    ("gui/__init__.py", "def _f():\n    from sync.server import hub\n", "gui-server"),
    ("storage/__init__.py", "from PySide6.QtCore import QObject\n", "qt"),
    ("rules/__init__.py", "def _f():\n    import PySide6\n", "qt"),
    ("sync/server/__init__.py", "from storage import Store\n", "server"),
    ("sync/client.py", "import forms\n", "sync-forms"),
    ("forms/__init__.py", "from rules import limits\n", "forms"),
    ("rules/__init__.py", "import storage\n", "rules"),
    ("storage/__init__.py", "def _f():\n    from sync import protocol\n", "layers"),
    ("distributions/__init__.py", "import exporting\n", "layers"),
    ("sync/server/__init__.py", "from .. import protocol\nimport distributions\n", "layers"),
    ("exporting/cli.py", "from selftest import cli\n", "layers"),
    ("distributions/__init__.py", "def _f():\n    import main\n", "main"),
    ("gui/__init__.py", "def _f():\n    from bench import gui_probes\n", "bench"),
]


@pytest.mark.parametrize("path, line, contract", BAD_IMPORTS, ids=[f"{c}:{p}" for p, _, c in BAD_IMPORTS])
def test_a_bad_import_breaks_its_contract(source_copy, path, line, contract):
    target = source_copy / path
    original = target.read_text(encoding="utf-8")
    target.write_text(original + "\n\n" + line, encoding="utf-8")
    try:
        done = lint(source_copy)
    finally:
        target.write_text(original, encoding="utf-8")
    assert done.returncode != 0, done.stdout
    broken = [cid for cid, name in CONTRACTS.items() if f"{name} BROKEN" in " ".join(done.stdout.split())]
    assert contract in broken, done.stdout


def test_the_copy_is_clean_before_the_bad_imports(source_copy):
    # Control for the test above: the copy itself keeps every contract.
    assert lint(source_copy).returncode == 0


def _imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_shared_rules_use_nothing_outside_the_standard_library():
    # storage, sync, the server and distributions all import rules/: it must install nowhere
    # else. (The contract "rules" forbids our own packages; this forbids third-party ones.)
    files = list((ROOT / "rules").rglob("*.py"))
    outside = {n.split(".")[0] for p in files for n in _imports_of(p)} - set(sys.stdlib_module_names) - {"__future__"}
    assert files and outside == set()
