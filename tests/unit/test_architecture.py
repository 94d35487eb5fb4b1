"""The one dependency rule, enforced by walking every import in the source tree.

gui -> (sync, forms, storage, exporting); sync -> storage; sync/server -> sync but never storage;
the server's ``publish-form`` command (sync/server/cli.py) and the hub console (sync/server/console/:
labels, exports) alone in sync/ use forms/; the client side of sync never does;
forms imports nothing of ours; storage imports nothing of sync/, forms/, exporting/ or gui/.
distributions -> (forms, storage), and nothing but gui/ above it.
exporting -> (forms, storage, resources) is the one place outside gui/ where storage and forms
meet (the ``export`` command); nothing below it imports it.
Only gui/ (and its tests) may import Qt.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = {"rules", "storage", "forms", "exporting", "sync", "gui", "distributions", "resources", "main"}
QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def python_files(*parts: str):
    base = ROOT.joinpath(*parts)
    if base.is_file():
        yield base
    else:
        yield from (p for p in base.rglob("*.py") if ".venv" not in p.parts)


def offenders(files, forbidden: set[str]) -> list[str]:
    bad = []
    for path in files:
        for name in imports_of(path):
            if name.split(".")[0] in forbidden or name in forbidden:
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


def test_qt_stays_inside_gui():
    files = [
        p for p in python_files(".")
        if not {"gui"} & set(p.relative_to(ROOT).parts[:2]) and "build" not in p.relative_to(ROOT).parts[:1]
    ]
    assert offenders(files, QT) == []


def test_storage_imports_nothing_of_sync_forms_or_gui():
    assert offenders(python_files("storage"), {"sync", "forms", "exporting", "gui", "distributions"}) == []


def test_exporting_sits_above_storage_and_forms_only():
    assert offenders(python_files("exporting"), {"sync", "gui", "distributions", "main"}) == []
    assert offenders(python_files("sync"), {"exporting"}) == []


def test_the_shared_rules_import_nothing_of_ours_and_nothing_outside_the_standard_library():
    # storage, sync and the server all import rules/: it must stay below every one of them.
    files = list(python_files("rules"))
    assert files and offenders(files, OURS - {"rules"}) == []
    import sys

    outside = {n.split(".")[0] for p in files for n in imports_of(p)} - set(sys.stdlib_module_names) - {"__future__", "rules"}
    assert outside == set()


def test_forms_imports_nothing_of_ours():
    assert offenders(python_files("forms"), OURS - {"forms"}) == []


def test_sync_never_imports_gui_and_server_never_imports_storage():
    assert offenders(python_files("sync"), {"gui", "distributions"}) == []
    if (ROOT / "sync" / "server").exists():
        assert offenders(python_files("sync", "server"), {"storage", "gui"}) == []


def test_only_the_publish_command_the_console_and_the_analyst_api_in_sync_use_the_form_engine():
    console, api = ROOT / "sync" / "server" / "console", ROOT / "sync" / "server" / "api"
    files = [p for p in python_files("sync")
             if p != ROOT / "sync" / "server" / "cli.py" and console not in p.parents and api not in p.parents]
    assert offenders(files, {"forms"}) == []


def test_distributions_sits_above_forms_and_storage_only():
    # The one exception: the hub's round commands (publish, withdraw, report --data) open the
    # hub's data folder, as the server's publish command is the one place sync uses forms.
    files = [p for p in python_files("distributions") if p != ROOT / "distributions" / "desk_cli.py"]
    assert offenders(files, {"sync", "gui", "exporting", "main"}) == []
    assert offenders([ROOT / "distributions" / "desk_cli.py"], {"gui", "exporting", "main"}) == []
    assert offenders(python_files("storage"), {"distributions"}) == []
    assert offenders(python_files("forms"), {"distributions"}) == []


def test_the_walker_sees_imports(tmp_path):
    # Control: the rules above must be able to fail.
    sample = tmp_path / "bad.py"
    sample.write_text("import os\nfrom PySide6.QtCore import QObject\nimport sync.client\n")
    assert imports_of(sample) == {"os", "PySide6.QtCore", "sync.client"}
    hits = [name for name in imports_of(sample) if name.split(".")[0] in QT | {"sync"}]
    assert sorted(hits) == ["PySide6.QtCore", "sync.client"]
