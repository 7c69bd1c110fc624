"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when MINQING_TEST_DATABASE_URL
is set), the real parser (built once), a fixed clock, a dispatcher and the demo roster."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from handlers.clock import FixedClock
from handlers.dispatch import Dispatcher
from handlers.policy import Policy
from storage import migrate
from storage.db import Database

ROSTER = Path(__file__).parents[1] / "bot" / "demo" / "roster.csv"
# learned NLU models are trained once per checkout and shared by every test and worker process,
# in a cache of their own (never evicting the models `make run` trained with the school's corrections)
os.environ.setdefault("MINQING_NLU_CACHE", str(Path(__file__).parents[1] / "data" / "test-cache"))
PG_URL = os.environ.get("MINQING_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def parser(tmp_path_factory):
    from handlers.nlu import Parser

    return Parser.load(cache_dir=tmp_path_factory.mktemp("jieba"))


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
async def db(request, tmp_path):
    """A freshly migrated database; on PostgreSQL the schema is dropped and rebuilt."""
    if request.param == "postgresql":
        database = Database(PG_URL)
        await migrate.downgrade(database, "base")
    else:
        database = Database(f"sqlite:///{tmp_path}/test.db")
    await migrate.upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 18, 10, 0))  # a Wednesday


@pytest.fixture
def policy():
    return Policy()


@pytest.fixture
async def roster(db):
    from bot.roster_import import import_roster

    report = await import_roster(db, ROSTER)
    assert not report.errors
    return report


@pytest.fixture
async def dispatcher(db, parser, policy, clock, roster):
    from handlers.privacy import mask

    return Dispatcher(db, parser, policy, clock, mask=mask)


@pytest.fixture
async def app(tmp_path):
    """The whole app as `minqing serve` builds it (SQLite in tmp_path, demo roster, fixed clock)."""
    from bot.app import build_app
    from bot.config import Config
    from bot.dingtalk.config import DingTalkConfig
    from bot.roster_import import import_roster

    cfg = Config(
        database_url=f"sqlite:///{tmp_path}/app.db",
        data_dir=tmp_path,
        platforms={"dingtalk": DingTalkConfig(mode="off")},
    )
    app = build_app(cfg, FixedClock(datetime(2026, 11, 18, 10, 0)))
    await migrate.upgrade(app.db)
    assert not (await import_roster(app.db, ROSTER)).errors
    yield app
    await app.db.dispose()
