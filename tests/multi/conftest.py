"""Several instances on one PostgreSQL database: each "instance" here is its own Database (own
engine and connections), as two `minqing serve` processes would have. Skipped only when no
PostgreSQL is available (MINQING_TEST_DATABASE_URL unset); CI always sets it (.ci/run)."""

from __future__ import annotations

import os

import pytest

from storage import migrate
from storage.db import Database

PG_URL = os.environ.get("MINQING_TEST_DATABASE_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL (MINQING_TEST_DATABASE_URL unset)")


@pytest.fixture
async def pg_pair():
    """Two Database objects on one freshly migrated PostgreSQL database."""
    if not PG_URL:
        pytest.skip("no PostgreSQL (MINQING_TEST_DATABASE_URL unset)")
    a, b = Database(PG_URL), Database(PG_URL)
    await migrate.downgrade(a, "base")
    await migrate.upgrade(a)
    yield a, b
    await a.dispose()
    await b.dispose()
