"""Fixtures for the web console: the real aiohttp app (chat dispatcher, demo roster, fixed
clock) served in-process, and a helper that signs a cadre in through a chat-issued link."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from bot.config import Config
from bot.server import create_app
from tests.handlers.chat import say

LINK = re.compile(r"(/console/login\?t=[A-Za-z0-9_-]+)")


@pytest.fixture
def web_cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("MINQING_WEB_SECRET_KEY", "x" * 43 + "=")
    return Config(data_dir=tmp_path)


@pytest.fixture
async def client(aiohttp_client, web_cfg, db, dispatcher, clock):
    app = create_app(web_cfg, db, dispatcher, clock, start_worker=False)
    return await aiohttp_client(app)


async def chat_link(dispatcher, user: str) -> str:
    """「后台」 in a one-to-one chat → the path of the one-time link."""
    reply = await say(dispatcher, user, "后台")
    m = LINK.search(reply)
    assert m, reply
    return m.group(1)


async def sign_in(client, dispatcher, user: str):
    path = await chat_link(dispatcher, user)
    page = await client.get(path)
    assert page.status == 200
    token = path.split("t=", 1)[1]
    r = await client.post("/console/login", data={"t": token}, allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/console/"
    return r


async def seed(dispatcher, clock):
    """Three items: #1 (计算机学院, overdue), #2 and #3 from a visit; #3 moved to 后勤处."""
    clock.set(datetime(2026, 11, 2, 9, 0))
    await say(dispatcher, "zhao", "有同学反映二食堂饭菜偏咸")
    clock.set(datetime(2026, 11, 18, 10, 0))
    await say(dispatcher, "zhang", "今天去梅园3栋走访，5名同学反映热水不稳定，晚上宿舍网络很卡，学生电话13812345678")
    await say(dispatcher, "zhang", "转办 #3 后勤处")


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)
