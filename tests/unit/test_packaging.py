"""The packaging recipe stays in step with the code it packs (the build itself runs in packaging/build.sh)."""
from __future__ import annotations

import ast
import json
import sys
import tomllib
from pathlib import Path

import main
import resources

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "build.spec"


def _spec_list(name: str) -> list[str]:
    """A literal list assigned at the top of build.spec."""
    for node in ast.parse(SPEC.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"build.spec assigns no {name}")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_hidden_imports_cover_every_cli_module():
    # main.py imports these by name; a packaged build without one loses its commands.
    missing = set(main.CLI_MODULES) - set(_spec_list("HIDDEN_IMPORTS"))
    assert missing == set()


def test_the_spec_takes_name_version_and_icon_from_pyproject():
    spec = SPEC.read_text(encoding="utf-8")
    assert "app_info_from_pyproject(" in spec and "write_app_file(" in spec
    project = _pyproject()
    info = resources.app_info_from_pyproject(ROOT / "pyproject.toml")
    assert info["name"] == project["project"]["name"]
    assert info["version"] == project["project"]["version"]
    assert info["display_name"] == project["tool"]["fieldbook"]["display-name"]
    for suffix in (".png", ".ico"):
        assert (ROOT / "resources" / "icons" / (info["icon"] + suffix)).is_file()


def test_a_frozen_build_reports_the_version_written_by_the_spec(tmp_path, monkeypatch, capsys):
    # What build.spec writes is what the frozen app reads (sys._MEIPASS is the bundle's root).
    resources.write_app_file(tmp_path / "resources" / resources.APP_FILE, ROOT / "pyproject.toml")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    version = _pyproject()["project"]["version"]
    assert resources.app_info()["version"] == version
    assert json.loads((tmp_path / "resources" / "app.json").read_text(encoding="utf-8"))["version"] == version
    try:
        main.main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"Fieldbook {version}"


def test_qt_modules_the_gui_uses_are_not_excluded():
    used = set()
    for path in (ROOT / "gui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("PySide6."):
                used.add(node.module.split(".")[1])
    spec = SPEC.read_text(encoding="utf-8")
    qt_used = ast.literal_eval(spec.split("QT_USED = ", 1)[1].splitlines()[0])
    # QtTest is for bench/gui_probes.py only: benchmark code lives in bench/, outside the app.
    assert used <= qt_used
