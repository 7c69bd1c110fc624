"""run_server: serves on the configured port beside extra tasks and stops when one ends."""

from __future__ import annotations

import dataclasses
import socket

import aiohttp

from bot.config import ServerConfig
from bot.server import run_server
from tests.bot.fakes import FakeDispatcher, make_cfg


async def test_run_server_serves_until_extra_task_ends(db, clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = dataclasses.replace(make_cfg(ding_mode="off"), server=ServerConfig(host="127.0.0.1", port=port))
    seen = {}

    async def console():
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as r:
            seen["status"] = r.status

    await run_server(cfg, db, FakeDispatcher(db), clock, extra_tasks=[console()])
    assert seen == {"status": 200}
