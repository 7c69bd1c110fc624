"""「导出台账」 end to end: the chat queues a `file` message, the outbox worker builds the scoped
xlsx and sends it — WeCom: media/upload + message/send msgtype file; DingTalk: media/upload +
the robot's sampleFile — against a loopback fake of both platforms."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bot.server import create_app
from tests.handlers.chat import say
from tests.web.conftest import platform_cfg, seed


def sheet_ids(content: bytes) -> list[int]:
    wb = load_workbook(io.BytesIO(content))
    return [r[0] for r in list(wb["问题清单"].values)[1:]]


@pytest.mark.parametrize("which", ["wecom", "dingtalk"])
async def test_the_ledger_arrives_as_a_file(which, fake, tmp_path, db, dispatcher, clock, aiohttp_client, monkeypatch):
    await seed(dispatcher, clock)
    clock.set(datetime(2026, 11, 20, 9, 0))
    app = create_app(platform_cfg(tmp_path, fake.base, which), db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)  # starts the outbound machinery (HTTP session, senders)
    from bot.server import SERVICES

    services = client.app[SERVICES]
    user = "liu" if which == "wecom" else "ding_liu"
    assert await say(dispatcher, user, "导出本月台账", channel=which) == (
        "正在生成2026年11月台账（后勤处，手机号和证件号已隐去），稍后以文件发给您。"
    )
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
        assert json.loads(body["msgParam"]) == {"mediaId": "m1", "fileName": "台账-2026-11.xlsx", "fileType": "xlsx"}


async def test_leader_gets_everything_and_unmasked_only_when_asked(
    fake, tmp_path, db, dispatcher, clock, aiohttp_client, monkeypatch, caplog
):
    await seed(dispatcher, clock)
    cfg = dataclasses.replace(platform_cfg(tmp_path, fake.base, "wecom"))
    client = await aiohttp_client(create_app(cfg, db, dispatcher, clock, start_worker=False))
    from bot.server import SERVICES

    services = client.app[SERVICES]
    assert await say(dispatcher, "wang", "导出完整台账", channel="wecom") == (
        "正在生成2026年11月台账（全部单位，未隐去手机号和证件号，请妥善保管），稍后以文件发给您。"
    )
    assert "unmasked ledger export requested by cadre:1 for 2026-11" in caplog.text
    while await services.worker.run_once():
        pass
    content = fake.uploads[0][3]
    assert sheet_ids(content) == [1, 2, 3]
    header, visit = list(load_workbook(io.BytesIO(content))["走访台账"].values)[:2]
    assert "13812345678" in visit[header.index("走访情况")]


def test_the_month_of_an_export_is_read_or_refused():
    from datetime import date

    import pytest

    from handlers.console_access import export_month
    from handlers.errors import UserFacingError

    today = date(2026, 11, 29)
    assert export_month("", today) == "2026-11"
    assert export_month("上月", today) == "2026-10"
    assert export_month("10月", today) == "2026-10"
    assert export_month("12月", today) == "2025-12"  # the latest December
    assert export_month("2026-09", today) == "2026-09"
    for bad in ("2026-13", "下个月", "2027-01"):
        with pytest.raises(UserFacingError):
            export_month(bad, today)
