"""What a user sees when the database fails: StorageError is all the dispatcher catches (storage
translates every SQLAlchemy and driver error), an unavailable database is answered with
replies.UNAVAILABLE and one log line, and a failing statement inside a handler does not leak."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from sqlalchemy import func, select, text

from handlers import commands
from handlers.dispatch import Dispatcher
from handlers.texts import replies
from storage.db import Database
from storage.errors import StorageError, StorageUnavailable
from storage.models import InboundMessage, Unit
from tests.handlers.chat import say

REPORT = "今天去梅园3栋走访，5名同学反映热水不稳定"


@pytest.fixture
async def gone(tmp_path, parser, policy, clock):
    """A dispatcher whose database file cannot be opened (its path is a directory)."""
    (tmp_path / "gone.db").mkdir()
    before = set(threading.enumerate())
    db = Database(f"sqlite:///{tmp_path}/gone.db")
    yield Dispatcher(db, parser, policy, clock)
    await db.dispose()
    # aiosqlite stops the worker thread of a failed connection asynchronously; let it finish while
    # this test's event loop is still open (it reports back to the loop on its way out)
    for t in set(threading.enumerate()) - before:
        await asyncio.to_thread(t.join, 10)


@pytest.mark.parametrize("message", ["签收 #1", "本月未办结", REPORT])
async def test_an_unavailable_database_is_answered_with_one_log_line(gone, message, caplog):
    with caplog.at_level(logging.ERROR, logger="minqing"):
        assert await say(gone, "zhang", message) == replies.UNAVAILABLE
    assert [r.getMessage().split(" msg=")[0] for r in caplog.records] == ["storage unavailable"]
    assert message not in caplog.text


async def test_a_statement_the_database_refuses_is_answered_as_unavailable(dispatcher, db, monkeypatch, caplog):
    async with db.session() as s:
        taken = await s.scalar(select(Unit.name))

    async def duplicate_unit(ctx, cmd):
        ctx.session.add(Unit(name=taken))  # UNIQUE refuses it when the transaction commits
        return "不会发出"

    monkeypatch.setitem(commands._ACTIONS, "accept", duplicate_unit)
    with caplog.at_level(logging.ERROR, logger="minqing"):
        assert await say(dispatcher, "zhang", "签收 #1") == replies.UNAVAILABLE
    assert [(r.getMessage().split(" msg=")[0], r.getMessage().endswith(": StorageError")) for r in caplog.records] == [
        ("storage unavailable", True)
    ]
    async with db.session() as s:  # rolled back as a whole: the message was not claimed either
        assert await s.scalar(select(func.count()).select_from(InboundMessage)) == 0


async def test_a_crashing_handler_keeps_the_message_as_failed(dispatcher, db, monkeypatch):
    async def crash(ctx, cmd):
        raise RuntimeError("boom")

    monkeypatch.setitem(commands._ACTIONS, "accept", crash)
    assert await say(dispatcher, "zhang", "签收 #1") == replies.FAILED
    async with db.session() as s:
        kept = (await s.scalars(select(InboundMessage))).one()
    assert (kept.status, kept.text, kept.reply) == ("failed", "签收 #1", replies.FAILED)


async def test_database_errors_are_translated_where_storage_calls_the_database(db):
    with pytest.raises(StorageError, match="IntegrityError"):
        async with db.write() as s:
            s.add(Unit(name="一"))
            s.add(Unit(name="一"))
    with pytest.raises(StorageError):  # SQLite: no such table; PostgreSQL: relation does not exist
        async with db.session() as s:
            await s.execute(text("SELECT * FROM no_such_table"))


def test_a_locked_or_unreachable_database_is_unavailable():
    import sqlite3

    from sqlalchemy.exc import IntegrityError, OperationalError

    from storage.errors import as_storage_error

    locked = as_storage_error(OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")))
    refused = as_storage_error(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert isinstance(locked, StorageUnavailable) and str(locked) == "OperationalError: database is locked"
    assert type(refused) is StorageError and str(refused) == "IntegrityError: UNIQUE constraint failed"


async def test_a_statement_built_wrong_is_a_failure_not_an_outage(dispatcher, db, monkeypatch, caplog):
    """A bug in how a query is built (SQLAlchemy ArgumentError) is answered as a failure and logged
    with its traceback; it is never "the database is unavailable", which asks the user to resend."""

    async def built_wrong(session, *args, **kwargs):
        return await session.scalar(select(func.count()).where(InboundMessage.id >= None))

    monkeypatch.setattr("handlers.answers.count_items_split", built_wrong)
    assert await say(dispatcher, "zhang", "本月未办结") == replies.FAILED
    assert any(r.exc_info for r in caplog.records if r.levelno == logging.ERROR)


@pytest.mark.parametrize("question", ["我一共走访了几次", "张老师走访过哪些地方"])
async def test_visit_questions_without_a_period_are_answered(dispatcher, question):
    reply = await say(dispatcher, "zhang", question)
    assert reply not in (replies.UNAVAILABLE, replies.FAILED) and "走访" in reply
