"""Translation: every user-facing string goes through :func:`tr`.

All strings share one context, ``Fieldbook``. ``python -m gui.i18n`` collects every
``tr("...")`` literal in gui/ into resources/i18n/fieldbook_uk.ts (keeping the
translations already there) and compiles the .qm next to it; tests fail when a
string has no Ukrainian translation or the .qm is stale.
"""
from __future__ import annotations

import ast
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from resources import resource_path

CONTEXT = "Fieldbook"
LANGUAGES = ("en", "uk")
GUI_DIR = Path(__file__).resolve().parent


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def ts_path(lang: str = "uk") -> Path:
    return resource_path("i18n", f"fieldbook_{lang}.ts")


def qm_path(lang: str = "uk") -> Path:
    return resource_path("i18n", f"fieldbook_{lang}.qm")


def system_language() -> str:
    """The interface language the system asks for, when we have it (else English)."""
    return "uk" if QLocale.system().language() == QLocale.Language.Ukrainian else "en"


class LiveTexts:
    """A screen's texts, set again when the interface language changes while it is shown.

    ``texts(lambda: label.setText(tr("...")))`` sets the text now and keeps the setter;
    ``texts.again()`` runs every setter under the translator installed since. The tr()
    stays literal at the call site, so ``python -m gui.i18n`` still collects it."""

    def __init__(self) -> None:
        self._setters: list[Callable[[], object]] = []

    def __call__(self, setter: Callable[[], object]) -> None:
        self._setters.append(setter)
        setter()

    def again(self) -> None:
        for setter in self._setters:
            setter()


_installed: list[QTranslator] = []


def install(app: QCoreApplication, lang: str) -> None:
    """Switch the interface language (English needs no translator)."""
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    QLocale.setDefault(QLocale(QLocale.Language.Ukrainian if lang == "uk" else QLocale.Language.English))
    if lang == "en":
        return
    ours = QTranslator(app)
    if ours.load(str(qm_path(lang))):
        app.installTranslator(ours)
        _installed.append(ours)
    base = QTranslator(app)  # Qt's own buttons (OK, Cancel) and dialogs
    if base.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(base)
        _installed.append(base)


# -- maintenance: collect strings, update the .ts, compile ---------------------------------
def source_strings(root: Path = GUI_DIR) -> list[str]:
    """Every literal passed to tr() in gui/, in first-seen order."""
    seen: dict[str, None] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                seen.setdefault(node.args[0].value, None)
    return list(seen)


def read_ts(path: Path) -> dict[str, str]:
    """source -> translation (empty when unfinished)."""
    if not path.exists():
        return {}
    out = {}
    for message in ET.parse(path).getroot().iter("message"):
        source = message.findtext("source") or ""
        tnode = message.find("translation")
        unfinished = tnode is None or tnode.get("type") in ("unfinished", "obsolete")
        out[source] = "" if unfinished else (tnode.text or "")
    return out


def write_ts(path: Path, translations: dict[str, str], lang: str = "uk") -> None:
    root = ET.Element("TS", version="2.1", language="uk_UA" if lang == "uk" else lang)
    ctx = ET.SubElement(root, "context")
    ET.SubElement(ctx, "name").text = CONTEXT
    for source, text in translations.items():
        msg = ET.SubElement(ctx, "message")
        ET.SubElement(msg, "source").text = source
        t = ET.SubElement(msg, "translation")
        if text:
            t.text = text
        else:
            t.set("type", "unfinished")
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = ET.tostring(root, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8")


def lrelease() -> Path:
    """The release tool that ships with PySide6, beside this interpreter."""
    return Path(sys.executable).with_name("pyside6-lrelease")


def compile_ts(lang: str = "uk") -> None:
    subprocess.run([str(lrelease()), "-silent", str(ts_path(lang)), "-qm", str(qm_path(lang))], check=True)


def update(lang: str = "uk", extra: dict[str, str] | None = None) -> list[str]:
    """Bring the .ts in step with the code; returns the strings still untranslated."""
    old = read_ts(ts_path(lang))
    old.update(extra or {})
    merged = {s: old.get(s, "") for s in source_strings()}
    write_ts(ts_path(lang), merged, lang)
    compile_ts(lang)
    return [s for s, t in merged.items() if not t]


if __name__ == "__main__":
    missing = update()
    for s in missing:
        print(f"untranslated: {s}")
    sys.exit(1 if missing else 0)
