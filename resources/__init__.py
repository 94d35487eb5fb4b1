"""Built-in forms, translations and icons, and the one helper that finds them.

Frozen (a packaged build) the files live under ``sys._MEIPASS``; from source,
beside this file. Every resource is resolved through :func:`resource_path`.

The app's name, version and icon are set in one place, ``pyproject.toml``
(``[project] version`` and ``[tool.fieldbook]``). A packaged build has no
pyproject.toml, so ``build.spec`` copies them into ``resources/app.json`` with
:func:`write_app_file`; :func:`app_info` reads whichever applies.
"""
from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

APP_FILE = "app.json"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def resource_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource, e.g. ``resource_path("forms", "household.xlsx")``."""
    return resource_root().joinpath(*parts)


def app_info_from_pyproject(path: Path = PYPROJECT) -> dict[str, str]:
    """``{"name", "display_name", "version", "icon"}`` as pyproject.toml sets them.

    ``icon`` is the icon's base name under resources/icons/ (``.png`` and ``.ico`` exist).
    """
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    project = data["project"]
    ours = data.get("tool", {}).get("fieldbook", {})
    return {
        "name": project["name"],
        "display_name": ours.get("display-name", project["name"]),
        "version": project["version"],
        "icon": ours.get("icon", project["name"]),
    }


def write_app_file(dest: Path, pyproject: Path = PYPROJECT) -> Path:
    """Write the packaged copy of :func:`app_info_from_pyproject` (used by build.spec)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(app_info_from_pyproject(pyproject), indent=1) + "\n", encoding="utf-8")
    return dest


def app_info() -> dict[str, str]:
    """The app's name, display name, version and icon, frozen or from source."""
    if getattr(sys, "_MEIPASS", None):
        return json.loads(resource_path(APP_FILE).read_text(encoding="utf-8"))
    if PYPROJECT.exists():  # a source checkout (editable or not): pyproject.toml is the truth
        return app_info_from_pyproject(PYPROJECT)
    # Installed as a wheel, without the checkout: the metadata the wheel was built with.
    from importlib import metadata

    return {"name": "fieldbook", "display_name": "Fieldbook", "version": metadata.version("fieldbook"),
            "icon": "fieldbook"}


def icon_path(suffix: str = ".png") -> Path:
    """The app icon (``.png`` for the window, ``.ico`` for Windows)."""
    return resource_path("icons", app_info()["icon"] + suffix)
