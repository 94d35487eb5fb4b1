"""Integration tier: a real uvicorn server on 127.0.0.1, port 0, on SQLite and on PostgreSQL.

PostgreSQL comes from FIELDBOOK_TEST_PG, a URL of a role that may create databases;
each test gets a database of its own. `.ci/run` installs and starts PostgreSQL and
sets FIELDBOOK_REQUIRE_PG=1, so there a missing server fails instead of skipping.
"""
from __future__ import annotations

import os
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
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
