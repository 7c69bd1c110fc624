"""kill -9 of `minqing serve` under load on PostgreSQL: every message it answered with a reply is
stored, and none is stored twice (the unique inbound key). Skipped only without PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storage.models import InboundMessage
from tests.bot.fakes import encrypted_post, text_xml
from tests.cli.test_serve_process import free_port
from tests.multi.conftest import PG_URL
from tests.multi.test_two_instances import ROSTER, _db, _reset, get, start, wait_for

pytestmark = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL (MINQING_TEST_DATABASE_URL unset)")

USERS = ["wang", "li", "zhang", "zhao", "liu", "chen", "sun"]
MESSAGES = 400


def test_kill_9_under_load_loses_no_answered_message_and_doubles_none(tmp_path):
    asyncio.run(_reset())
    port = free_port()
    proc, _log = start(tmp_path, "k", port, "http://127.0.0.1:9")

    async def roster(db):
        from bot.roster_import import import_roster
        from storage import migrate

        await migrate.upgrade(db)
        await import_roster(db, ROSTER)

    asyncio.run(_db(roster))
    try:
        wait_for("ready", lambda: get(port, "/readyz")[0] == 200, [proc])
        answered: list[str] = []
        lock = threading.Lock()

        def post(i: int) -> None:
            user = USERS[i % len(USERS)]
            path, body = encrypted_post(
                text_xml(f"今天走访了{i}号宿舍，热水器坏了", 900_000 + i, user=user),
                nonce=str(1000 + i),
                ts=str(int(time.time())),
            )
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    if r.status == 200 and r.read():  # a reply given: the platform will not resend it
                        with lock:
                            answered.append(str(900_000 + i))
            except OSError:
                pass  # killed mid-request: unanswered, the platform would retry it

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(post, i) for i in range(MESSAGES)]
            wait_for("a quarter answered", lambda: len(answered) >= MESSAGES // 4, [proc])
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            for f in futures:
                f.result()

        async def stored(db):
            async with db.session() as s:
                keys = list(await s.scalars(select(InboundMessage.dedupe_key)))
                return keys, await s.scalar(select(func.count(func.distinct(InboundMessage.dedupe_key))))

        keys, distinct = asyncio.run(_db(stored))
        assert MESSAGES // 4 <= len(answered) < MESSAGES  # killed under load, not after it
        assert len(keys) == distinct  # none twice
        stored_ids = {k.rsplit(":", 1)[-1] for k in keys}  # wecom:-:user:agent:MsgId
        assert [i for i in answered if i not in stored_ids] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
