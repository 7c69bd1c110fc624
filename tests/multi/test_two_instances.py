"""Two `minqing serve` processes on one PostgreSQL database, as a load balancer would run them:
started at the same moment on an empty schema, one scheduler leader (replaced after kill -9),
outbound rows delivered once each by whichever instance claims them, WeCom's 30 messages per
minute per person held by both together, and one WeCom callback posted to both recorded once
and answered by both. Skipped only without PostgreSQL (CI always has it: .ci/run)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from storage import migrate
from storage.db import Database
from storage.models import InboundMessage, Outbox
from tests.bot.fakes import AES_KEY, AGENT, CORP, TOKEN, encrypted_post, text_xml
from tests.cli.test_serve_process import free_port
from tests.multi.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL (MINQING_TEST_DATABASE_URL unset)")

ROOT = Path(__file__).resolve().parents[2]
ROSTER = ROOT / "bot" / "demo" / "roster.csv"
LIMIT_S = 120.0  # bounded waits on a busy 2-core machine (parser loading, lease retry 15 s)


class FakeWeCom(BaseHTTPRequestHandler):
    """gettoken and message/send; every send recorded (thread-safe) and answered ok."""

    sent: ClassVar[list[dict]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, data: dict) -> None:
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer({"errcode": 0, "access_token": "tok", "expires_in": 7200})

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.sent.append(payload)
        self._answer({"errcode": 0, "errmsg": "ok"})


def get(port: int, path: str) -> tuple[int | None, dict | str | None]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            body = r.read().decode()
            return r.status, json.loads(body) if path == "/readyz" else body
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return None, None


def wait_for(what, check, procs=()) -> None:
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                pytest.fail(f"an instance exited with {p.returncode} while waiting for {what}")
        if check():
            return
        time.sleep(0.2)  # poll interval of a bounded wait, not an assertion
    pytest.fail(f"timed out waiting for {what}")


async def _reset() -> None:
    db = Database(PG_URL)
    try:
        await migrate.downgrade(db, "base")  # empty: both instances migrate at start-up
    finally:
        await db.dispose()


async def _db(fn):
    db = Database(PG_URL)
    try:
        return await fn(db)
    finally:
        await db.dispose()


def start(tmp_path: Path, name: str, port: int, api: str) -> tuple[subprocess.Popen, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_") or k == "MINQING_NLU_CACHE"}
    env.update(
        MINQING_SERVER_PORT=str(port),
        MINQING_DATABASE_URL=PG_URL,
        MINQING_DATA_DIR=str(tmp_path / name),
        MINQING_SERVER_WORKERS="1",
        PYTHONPATH=str(ROOT),
        MINQING_WECOM_CORP_ID=CORP,
        MINQING_WECOM_AGENT_ID=AGENT,
        MINQING_WECOM_SECRET="s",
        MINQING_WECOM_TOKEN=TOKEN,
        MINQING_WECOM_ENCODING_AES_KEY=AES_KEY,
        MINQING_WECOM_API_BASE=api,
        MINQING_OUTBOX_POLL_INTERVAL_S="0.2",
        MINQING_DINGTALK_MODE="off",
    )
    log = tmp_path / f"{name}.log"
    with log.open("w") as err:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    return proc, log


def test_two_instances_share_one_database(tmp_path):
    asyncio.run(_reset())
    FakeWeCom.sent = []
    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeWeCom)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{fake.server_address[1]}"
    ports = [free_port(), free_port()]
    procs, logs = zip(*(start(tmp_path, n, p, api) for n, p in zip("ab", ports, strict=True)), strict=True)
    try:
        # started together on an empty database: both migrate (under the lock) and serve
        wait_for("both ready", lambda: all(get(p, "/readyz")[0] == 200 for p in ports), procs)
        wait_for("a scheduler leader", lambda: all(get(p, "/readyz")[1]["scheduler"]["leader"] for p in ports), procs)
        reports = [get(p, "/readyz")[1] for p in ports]
        assert reports[0]["scheduler"]["leader"] == reports[1]["scheduler"]["leader"]
        roles = sorted(r["scheduler"]["this_instance"] for r in reports)
        assert roles == ["leader", "standby"]
        leader = [r["scheduler"]["this_instance"] for r in reports].index("leader")
        assert reports[leader]["scheduler"]["leader"].endswith(f":{procs[leader].pid}")
        assert [log.read_text().count("scheduler started") for log in logs] == [int(i == leader) for i in (0, 1)]

        # the roster, then 40 messages to 40 people and 40 to one person, picked up by both
        async def fill(db):
            from bot.roster_import import import_roster

            await import_roster(db, ROSTER)
            now = datetime.now()
            async with db.write() as s:
                for i in range(40):
                    s.add(
                        Outbox(
                            channel="wecom",
                            target_kind="user",
                            target=f"p{i}",
                            body=f"通知{i}",
                            status="pending",
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                    s.add(
                        Outbox(
                            channel="wecom",
                            target_kind="user",
                            target="zhang",
                            body=f"提醒{i}",
                            status="pending",
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )

        asyncio.run(_db(fill))

        async def states(db):
            async with db.session() as s:
                return dict((await s.execute(select(Outbox.status, func.count()).group_by(Outbox.status))).all())

        wait_for(
            "70 sent, 10 held back by the per-person limit",
            lambda: asyncio.run(_db(states)) == {"sent": 70, "pending": 10},
            procs,
        )
        with FakeWeCom.lock:
            per_person = Counter(b["touser"] for b in FakeWeCom.sent)
            bodies = Counter(b["text"]["content"] for b in FakeWeCom.sent)
        assert per_person == {**{f"p{i}": 1 for i in range(40)}, "zhang": 30}  # none doubled, none lost
        assert max(bodies.values()) == 1
        assert all(b["enable_duplicate_check"] == 1 for b in FakeWeCom.sent)

        # the same WeCom callback at both instances at once: recorded once, answered by both
        path, body = encrypted_post(text_xml("帮助", 4242, user="li"), ts=str(int(time.time())))

        def post(port: int) -> int:
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="POST")
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status if r.read() else 0

        with ThreadPoolExecutor(2) as pool:
            assert list(pool.map(post, ports)) == [200, 200]

        async def inbound(db):
            async with db.session() as s:
                return await s.scalar(select(func.count()).select_from(InboundMessage))

        assert asyncio.run(_db(inbound)) == 1

        # kill -9 the leader: the other instance takes the lease and starts the scheduler
        other = 1 - leader
        procs[leader].send_signal(signal.SIGKILL)
        procs[leader].wait(timeout=30)
        wait_for(
            "the standby to lead",
            lambda: get(ports[other], "/readyz")[1]["scheduler"]["this_instance"] == "leader",
            [procs[other]],
        )
        assert get(ports[other], "/readyz")[1]["scheduler"]["leader"].endswith(f":{procs[other].pid}")
        assert logs[other].read_text().count("scheduler started") == 1
        status, text = get(ports[other], "/metrics")
        assert status == 200 and "minqing_scheduler_lease_held 1.0" in text
        assert "minqing_outbox_depth 10.0" in text

        procs[other].send_signal(signal.SIGTERM)
        assert procs[other].wait(timeout=60) == 0
        assert "Traceback" not in logs[other].read_text()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        fake.shutdown()
        fake.server_close()
