"""Integration tier: a real uvicorn server on 127.0.0.1, port 0, on SQLite and on PostgreSQL.

PostgreSQL comes from FIELDBOOK_TEST_PG, a URL of a role that may create databases;
each test gets a database of its own. `.ci/run` installs and starts PostgreSQL and
sets FIELDBOOK_REQUIRE_PG=1, so there a missing server fails instead of skipping.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest

from sync_helpers import LiveServer, make_hub


def _pg_database():
    url = os.environ.get("FIELDBOOK_TEST_PG")
    if not url:
        if os.environ.get("FIELDBOOK_REQUIRE_PG"):
            pytest.fail("FIELDBOOK_REQUIRE_PG is set but FIELDBOOK_TEST_PG is not: PostgreSQL tests cannot run")
        pytest.skip("PostgreSQL tests need FIELDBOOK_TEST_PG (set by .ci/run)")
    import psycopg

    name = f"fbtest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base, _, _ = url.rpartition("/")
    return url, name, f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    if request.param == "sqlite":
        yield None
        return
    admin_url, name, url = _pg_database()
    yield url
    _drop_database(admin_url, name)


def _drop_database(admin_url, name, attempts=20):
    """Drop a test database, waiting out the server's own processes.

    WITH (FORCE) ends the test's leftover connections, but PostgreSQL refuses to
    end an autovacuum worker for a role that is not a member of pg_signal_backend
    (`.ci/run` grants it). A worker that started on the test's writes ends in
    moments, so the drop is retried rather than failing the test that passed.
    """
    import psycopg

    for attempt in range(attempts):
        try:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture
def live(tmp_path, db_url):
    hub = make_hub(tmp_path / "hub", db_url)
    with LiveServer(hub) as server:
        yield server
    hub.close()


@pytest.fixture
def live_sqlite(tmp_path):
    """A live server on SQLite only, for command-line checks that do not depend on the database."""
    hub = make_hub(tmp_path / "hub")
    with LiveServer(hub) as server:
        yield server, hub
    hub.close()
