"""bot.workers: platform messages handled in a worker process, with the in-process dispatcher
taking over whenever no worker answers."""

from __future__ import annotations

import signal
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.workers import DispatcherPool
from handlers.types import IncomingMessage
from storage.models import InboundMessage, Item

VISIT = "今天去梅园3栋走访，5名同学反映热水不稳定，另外晚上宿舍网络很卡"


class CountingLocal:
    """The in-process dispatcher, counting what it is asked to handle."""

    def __init__(self, dispatcher) -> None:
        self.dispatcher, self.handled = dispatcher, 0

    async def handle(self, msg):
        self.handled += 1
        return await self.dispatcher.handle(msg)


def message(msg_id: str, text: str = VISIT, user: str = "zhang") -> IncomingMessage:
    return IncomingMessage(
        channel="wecom", msg_id=msg_id, user_id=user, text=text, received_at=datetime(2026, 11, 18, 10, 0)
    )


async def count(db, model) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


@pytest.fixture
async def pool(app):
    """A pool with one worker process that has announced itself ready (and that is not
    restarted within a test when it exits)."""
    pool = DispatcherPool(CountingLocal(app.dispatcher), app.cfg, app.clock, workers=1, restart_after_s=3600)
    await pool.start()
    assert await pool.wait_ready() == 1
    yield pool
    await pool.close()


async def test_a_worker_handles_messages_and_replays_are_answered_from_the_store(app, pool):
    first = await pool.handle(message("m1"))
    again = await pool.handle(message("m1"))
    other = await pool.handle(message("m2", "图书馆自习座位不够", user="zhao"))
    text = first[0].text
    assert "已记录走访：11月18日（周三）宿舍·梅园3栋" in text and "#1 " in text and "#2 " in text
    assert again == first and "#3 " in other[0].text
    assert pool.local.handled == 0  # all three went to the worker process
    assert await count(app.db, InboundMessage) == 2 and await count(app.db, Item) == 3


async def test_when_the_worker_dies_messages_are_handled_in_process_once(app, pool):
    first = await pool.handle(message("m1"))
    child = pool._children[0]
    child.proc.kill()
    await child.gone.wait()  # the pool notices the worker is gone
    assert pool.ready == 0
    replay = await pool.handle(message("m1"))  # handled here now, from the stored reply
    fresh = await pool.handle(message("m2", "图书馆自习座位不够", user="zhao"))
    assert replay == first and "#3 " in fresh[0].text
    assert pool.local.handled == 2
    assert await count(app.db, InboundMessage) == 2 and await count(app.db, Item) == 3


async def test_without_workers_everything_is_handled_in_process(app):
    local = CountingLocal(app.dispatcher)
    pool = DispatcherPool(local, app.cfg, app.clock, workers=0)
    await pool.start()
    reply = await pool.handle(message("m1"))
    await pool.close()
    assert "#1 " in reply[0].text and local.handled == 1


async def test_a_stuck_worker_does_not_hold_a_message(app):
    local = CountingLocal(app.dispatcher)
    pool = DispatcherPool(local, app.cfg, app.clock, workers=1, answer_limit_s=0.5)
    await pool.start()
    try:
        assert await pool.wait_ready() == 1
        pool._children[0].proc.send_signal(signal.SIGSTOP)  # alive, but answering nothing
        reply = await pool.handle(message("m1"))
        assert "#1 " in reply[0].text and local.handled == 1
        pool._children[0].proc.send_signal(signal.SIGCONT)
    finally:
        await pool.close()
    assert await count(app.db, InboundMessage) == 1 and await count(app.db, Item) == 2


async def test_a_worker_that_exits_is_started_again(app):
    pool = DispatcherPool(CountingLocal(app.dispatcher), app.cfg, app.clock, workers=1, restart_after_s=0)
    await pool.start()
    try:
        assert await pool.wait_ready() == 1
        old = pool._children[0]
        old.proc.kill()
        await old.gone.wait()
        assert await pool.wait_ready() == 1
        assert pool._children[0] is not old
        reply = await pool.handle(message("m1"))
    finally:
        await pool.close()
    assert "#1 " in reply[0].text and pool.local.handled == 0
