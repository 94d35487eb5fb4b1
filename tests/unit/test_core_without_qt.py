"""The core works without Qt: every module outside gui/ imports with Qt blocked.

The contract "qt" (pyproject.toml) reads the source; this imports it, so an import that only
happens at run time (a plugin, ``importlib``) is caught too. .ci/run also runs tests/unit in a
venv where PySide6 is not installed at all.
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = [p for p in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["root_packages"]
        if p != "gui"]

PROBE = r'''
import importlib, importlib.abc, pkgutil, sys

QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")
importing = []

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in QT:
            raise ImportError(f"{importing[-1] if importing else '?'} imports {name}: Qt belongs in gui/ only")
        return None

sys.meta_path.insert(0, NoQt())
names = []
for package in sys.argv[1:]:
    module = importlib.import_module(package)
    names.append(package)
    names += [m.name for m in pkgutil.walk_packages(module.__path__, package + ".")]
for name in names:
    importing.append(name)
    importlib.import_module(name)
assert not [m for m in sys.modules if m.split(".")[0] in QT]
print(len(names))
'''


def core_imports(*packages: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *packages], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_every_core_module_imports_with_qt_blocked():
    done = core_imports(*CORE)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 50  # it walked the packages, not just their __init__


def test_the_block_notices_qt():
    # Control: gui/ imports Qt, and the probe says which module did.
    done = core_imports("gui")
    assert done.returncode != 0 and "Qt belongs in gui/ only" in done.stderr
