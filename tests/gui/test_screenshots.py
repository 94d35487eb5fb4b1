"""`gui --screenshots` renders every main screen: the README and the packaged build rely on it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_screen_renders_in_both_languages(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home")}
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "gui", "--screenshots", str(out)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    names = {p.name for p in out.glob("*.png")}
    for screen in ("home", "records", "record-view", "record-photo", "photo-view", "camera", "camera-still", "registry-search", "registry-review", "registration-form", "registration-likely-duplicate", "sync-usb-conflicts", "settings",
                   "unlock", "wizard"):
        assert {f"en-{screen}.png", f"uk-{screen}.png"} <= names, sorted(names)
    assert all((out / n).stat().st_size > 5_000 for n in names)
