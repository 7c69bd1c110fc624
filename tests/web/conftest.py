"""Fixtures for the web console: the real aiohttp app (chat dispatcher, demo roster, fixed
clock) served in-process, and a helper that signs a cadre in through a chat-issued link."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.config import Config, OutboxConfig
from bot.dingtalk.config import DingTalkConfig
from bot.server import create_app
from bot.wecom.config import WeComConfig
from tests.handlers.chat import say

LINK = re.compile(r"(/console/login\?t=[A-Za-z0-9_-]+)")


@pytest.fixture
def web_cfg(tmp_path):
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
    assert m, f"no CSRF token on the page: {html[:300]!r}"
    return m.group(1)


class FakeMedia:
    """Loopback fake of the WeCom and DingTalk calls the console and file messages make."""

    def __init__(self) -> None:
        self.uploads: list[tuple[str, dict, str, bytes]] = []
        self.sent: list[tuple[str, dict]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self.wecom_token)
        app.router.add_post("/v1.0/oauth2/accessToken", self.ding_token)
        app.router.add_get("/cgi-bin/auth/getuserinfo", self.userinfo)
        app.router.add_post("/v1.0/oauth2/userAccessToken", self.ding_user_token)
        app.router.add_get("/v1.0/contact/users/me", self.ding_me)
        app.router.add_post("/topapi/user/getbyunionid", self.ding_by_union)
        app.router.add_post("/cgi-bin/media/upload", self.upload)
        app.router.add_post("/media/upload", self.upload)
        app.router.add_post("/cgi-bin/message/send", self.send)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self.send)
        return app

    async def wecom_token(self, request: web.Request) -> web.Response:
        return web.json_response({"errcode": 0, "access_token": "wt", "expires_in": 7200})

    async def ding_token(self, request: web.Request) -> web.Response:
        return web.json_response({"accessToken": "dt", "expireIn": 7200})

    async def userinfo(self, request: web.Request) -> web.Response:
        """网页授权: code "c-<userid>" belongs to <userid>; anything else is a 40029 invalid code."""
        code = request.query.get("code", "")
        if request.query.get("access_token") != "wt" or not code.startswith("c-"):
            return web.json_response({"errcode": 40029, "errmsg": "invalid code"})
        return web.json_response({"errcode": 0, "userid": code[2:]})

    async def ding_user_token(self, request: web.Request) -> web.Response:
        """免登: authCode "c-<userid>" gives a user token "u-<userid>"; others are refused."""
        body = await request.json()
        if body.get("clientId") != "k" or not str(body.get("code", "")).startswith("c-"):
            return web.json_response({"code": "invalidCode", "message": "bad code"}, status=400)
        return web.json_response({"accessToken": "u-" + body["code"][2:], "expireIn": 7200})

    async def ding_me(self, request: web.Request) -> web.Response:
        token = request.headers.get("x-acs-dingtalk-access-token", "")
        return web.json_response({"nick": "x", "unionId": "union-" + token[2:]})

    async def ding_by_union(self, request: web.Request) -> web.Response:
        if request.query.get("access_token") != "dt":
            return web.json_response({"errcode": 88, "errmsg": "token"})
        union = (await request.json())["unionid"]
        return web.json_response({"errcode": 0, "result": {"contact_type": 0, "userid": union.removeprefix("union-")}})

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        media = form["media"]
        self.uploads.append((request.path, dict(request.query), media.filename, media.file.read()))
        return web.json_response({"errcode": 0, "type": "file", "media_id": "m1"})

    async def send(self, request: web.Request) -> web.Response:
        self.sent.append((request.path, await request.json()))
        if request.path.startswith("/v1.0/"):
            return web.json_response({"processQueryKey": "k"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})


@pytest.fixture
async def fake(aiohttp_server):
    f = FakeMedia()
    server = await aiohttp_server(f.app())
    f.base = str(server.make_url("")).rstrip("/")
    return f


def platform_cfg(tmp_path, base: str, which: str) -> Config:
    wecom = (
        WeComConfig(corp_id="corp", agent_id="1000002", secret="s", token="t", encoding_aes_key="a" * 43, api_base=base)
        if which == "wecom"
        else WeComConfig()
    )
    ding = (
        DingTalkConfig(mode="http", app_key="k", app_secret="s", robot_code="robot1", api_base=base)
        if which == "dingtalk"
        else DingTalkConfig(mode="off")
    )
    return Config(data_dir=tmp_path, platforms={"wecom": wecom, "dingtalk": ding}, outbox=OutboxConfig(max_attempts=2))


CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextlib.asynccontextmanager
async def chromium(profile: Path, **options: Any) -> AsyncIterator[Any]:
    """A Playwright browser context in Debian's chromium (headless, fresh profile, zh-CN)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS, locale="zh-CN", **options
        )
        try:
            yield context
        finally:
            await context.close()
