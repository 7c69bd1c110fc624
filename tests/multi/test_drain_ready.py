"""SIGTERM's drain: a send in flight when the worker is stopped finishes and is marked sent (not
cancelled into a row stuck in "sending"); /readyz, /metrics and the JSON log line."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from sqlalchemy import select

from bot.config import Config
from bot.logjson import JsonFormatter
from bot.outbound.console import ConsoleDelivery
from bot.outbound.delivery import Delivery
from bot.outbound.worker import OutboxWorker
from bot.server import create_app
from handlers.clock import FixedClock
from storage import migrate
from storage import outbox as q
from storage.db import Database
from storage.models import Outbox
from storage.notice import ConsoleAddress, Notice

NOW = datetime(2026, 11, 18, 10, 0)


class GatedConsole(ConsoleDelivery):
    def __init__(self) -> None:
        super().__init__()
        self.started, self.gate, self.sent = asyncio.Event(), asyncio.Event(), []

    async def send(self, name: str, text: str) -> None:
        self.started.set()
        await self.gate.wait()
        self.sent.append((name, text))


async def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path}/d.db")
    await migrate.upgrade(db)
    return db


async def test_stop_lets_the_send_in_flight_finish_and_be_marked(tmp_path):
    db = await _db(tmp_path)
    async with db.write() as s:
        await q.enqueue(s, Notice(ConsoleAddress("zhang"), "最后一条"), NOW)
    console = GatedConsole()
    worker = OutboxWorker(db, Config(), Delivery(senders={}, console=console), FixedClock(NOW))
    task = asyncio.create_task(worker.run_forever())
    await console.started.wait()
    worker.stop()  # what the server does on SIGTERM
    console.gate.set()
    await asyncio.wait_for(task, 5)  # returns by itself, not cancelled
    assert console.sent == [("zhang", "最后一条")]
    async with db.session() as s:
        assert (await s.scalar(select(Outbox.status))) == "sent"
    await db.dispose()


async def test_readyz_metrics_on_sqlite(tmp_path, aiohttp_client):
    db = await _db(tmp_path)
    async with db.write() as s:
        await q.enqueue(s, Notice(ConsoleAddress("zhang"), "待发"), NOW)
    cfg = Config(database_url=db.url, data_dir=tmp_path)
    client = await aiohttp_client(create_app(cfg, db, dispatcher=None, clock=FixedClock(NOW), start_worker=False))
    resp = await client.get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {
        "status": "ready",
        "database": "ok",
        "schema": migrate.head_revision(),
        "head": migrate.head_revision(),
        "scheduler": {"this_instance": "off", "leader": None},
    }
    text = await (await client.get("/metrics")).text()
    assert "minqing_outbox_depth 1.0" in text and "minqing_scheduler_lease_held 0.0" in text
    await migrate.downgrade(db, "0012")  # schema behind the code: not ready
    resp = await client.get("/readyz")
    assert resp.status == 503 and (await resp.json())["schema"] == "0012"
    await db.dispose()


def test_json_log_lines_carry_no_exception_text():
    try:
        raise ValueError("SQL parameters: 张三 13800000000")
    except ValueError:
        import sys

        record = logging.LogRecord("minqing.outbox", logging.ERROR, __file__, 1, "row %s failed", (7,), sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert {k: line[k] for k in ("level", "logger", "message", "exc_type")} == {
        "level": "ERROR",
        "logger": "minqing.outbox",
        "message": "row 7 failed",
        "exc_type": "ValueError",
    }
    assert "张三" not in json.dumps(line, ensure_ascii=False)
