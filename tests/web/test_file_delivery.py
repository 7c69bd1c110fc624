"""「导出台账」 end to end: the chat queues a `file` message, the outbox worker builds the scoped
xlsx and sends it — WeCom: media/upload + message/send msgtype file; DingTalk: media/upload +
the robot's sampleFile — against a loopback fake of both platforms."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime

import pytest
from aiohttp import web
from openpyxl import load_workbook

from bot.config import Config, DingTalkConfig, OutboxConfig, WeComConfig
from bot.server import create_app
from tests.handlers.chat import say
from tests.web.conftest import seed


class FakeMedia:
    def __init__(self) -> None:
        self.uploads: list[tuple[str, dict, str, bytes]] = []
        self.sent: list[tuple[str, dict]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self.wecom_token)
        app.router.add_post("/v1.0/oauth2/accessToken", self.ding_token)
        app.router.add_post("/cgi-bin/media/upload", self.upload)
        app.router.add_post("/media/upload", self.upload)
        app.router.add_post("/cgi-bin/message/send", self.send)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self.send)
        return app

    async def wecom_token(self, request: web.Request) -> web.Response:
        return web.json_response({"errcode": 0, "access_token": "wt", "expires_in": 7200})

    async def ding_token(self, request: web.Request) -> web.Response:
        return web.json_response({"accessToken": "dt", "expireIn": 7200})

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
    wecom = WeComConfig(corp_id="corp", agent_id="1000002", secret="s", token="t",
                        encoding_aes_key="a" * 43, api_base=base) if which == "wecom" else WeComConfig()
    ding = DingTalkConfig(mode="http", app_key="k", app_secret="s", robot_code="robot1",
                          api_base=base) if which == "dingtalk" else DingTalkConfig(mode="off")
    return Config(data_dir=tmp_path, wecom=wecom, dingtalk=ding, outbox=OutboxConfig(max_attempts=2))


def sheet_ids(content: bytes) -> list[int]:
    wb = load_workbook(io.BytesIO(content))
    return [r[0] for r in list(wb["问题清单"].values)[1:]]


@pytest.mark.parametrize("which", ["wecom", "dingtalk"])
async def test_the_ledger_arrives_as_a_file(which, fake, tmp_path, db, dispatcher, clock, aiohttp_client,
                                            monkeypatch):
    monkeypatch.setenv("MINQING_WEB_SECRET_KEY", "x" * 43 + "=")
    await seed(dispatcher, clock)
    clock.set(datetime(2026, 11, 20, 9, 0))
    app = create_app(platform_cfg(tmp_path, fake.base, which), db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)  # starts the outbound machinery (HTTP session, senders)
    from bot.server import SERVICES

    services = client.app[SERVICES]
    assert await say(dispatcher, "liu", "导出本月台账") == (
        "正在生成2026年11月台账（后勤处，手机号和证件号已隐去），稍后以文件发给您。")
    while await services.worker.run_once():
        pass
    assert len(fake.uploads) == 1
    path, query, filename, content = fake.uploads[0]
    assert filename == "台账-2026-11.xlsx"
    assert sheet_ids(content) == [3]  # 刘处长 (后勤处) gets only his unit's item
    sent_path, body = fake.sent[-1]
    if which == "wecom":
        assert (path, query["type"]) == ("/cgi-bin/media/upload", "file")
        assert sent_path == "/cgi-bin/message/send"
        assert body == {"touser": "liu", "agentid": 1000002, "msgtype": "file", "file": {"media_id": "m1"}}
    else:
        assert path == "/media/upload"
        assert sent_path == "/v1.0/robot/oToMessages/batchSend"
        assert body["msgKey"] == "sampleFile" and body["userIds"] == ["ding_liu"]
        assert json.loads(body["msgParam"]) == {"mediaId": "m1", "fileName": "台账-2026-11.xlsx",
                                                "fileType": "xlsx"}


async def test_leader_gets_everything_and_unmasked_only_when_asked(fake, tmp_path, db, dispatcher, clock,
                                                                   aiohttp_client, monkeypatch, caplog):
    monkeypatch.setenv("MINQING_WEB_SECRET_KEY", "x" * 43 + "=")
    await seed(dispatcher, clock)
    cfg = dataclasses.replace(platform_cfg(tmp_path, fake.base, "wecom"))
    client = await aiohttp_client(create_app(cfg, db, dispatcher, clock, start_worker=False))
    from bot.server import SERVICES

    services = client.app[SERVICES]
    assert await say(dispatcher, "wang", "导出完整台账") == (
        "正在生成2026年11月台账（全部单位，未隐去手机号和证件号，请妥善保管），稍后以文件发给您。")
    assert "unmasked ledger export requested by cadre:1 for 2026-11" in caplog.text
    while await services.worker.run_once():
        pass
    content = fake.uploads[0][3]
    assert sheet_ids(content) == [1, 2, 3]
    visit = list(load_workbook(io.BytesIO(content))["走访台账"].values)[1]
    assert "13812345678" in visit[-1]
