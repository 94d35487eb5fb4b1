"""Shared fixtures. Unit tests use the cheap key-derivation settings; everything else is real."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # sync_helpers

from storage import Store, crypto  # noqa: E402

PASSPHRASE = "synthetic passphrase 1"


def pytest_addoption(parser: pytest.Parser) -> None:
    # The core's venv (.ci/run) has no Qt and so no pytest-qt, whose ini option pyproject.toml
    # sets: declared here in its absence, so that warnings-as-errors does not stop that run.
    import importlib.util

    if importlib.util.find_spec("pytestqt") is None:
        parser.addini("qt_default_raising", "pytest-qt's option; pytest-qt is not installed here", type="bool")


@pytest.fixture
def make_store(tmp_path):
    """Create unlocked stores with fast key derivation; closes them at the end."""
    made: list[Store] = []

    def make(name: str = "profile", user: str = "Enumerator One", passphrase: str = PASSPHRASE) -> Store:
        store, recovery = Store.create(tmp_path / name, user=user, passphrase=passphrase, kdf=crypto.fast_kdf_for_tests())
        store.recovery_key = recovery  # handy in tests
        made.append(store)
        return store

    yield make
    for store in made:
        try:
            store.close()
        except Exception:
            pass


@pytest.fixture
def store(make_store) -> Store:
    return make_store()


def run_cli(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``python main.py ARGS`` from the project root, as a user would."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    full_env.pop("FIELDBOOK_PASSPHRASE", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def hub(tmp_path):
    from sync_helpers import make_hub

    h = make_hub(tmp_path / "hub")
    yield h
    h.close()


@pytest.fixture
def laptops(make_store, hub):
    """Enrolled laptops in a team, syncing through an in-process transport to the real hub."""
    from sync.client import SyncClient
    from sync_helpers import HubTransport

    transport = HubTransport(hub)

    def make(name: str, team: str = "team-a") -> SyncClient:
        client = SyncClient(make_store(name), transport=transport)
        client.enroll("http://hub.test", hub.new_enroll_code(team))
        return client

    make.transport = transport
    return make
