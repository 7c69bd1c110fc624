"""DingTalk: sign vector, HTTP callback verification, replay, session webhook and fallback."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.dingtalk.callback import verify
from bot.dingtalk.sender import sign, signed_webhook_url
from bot.server import SERVICES, create_app
from handlers.errors import SignatureError
from storage.models import InboundMessage, Outbox
from tests.bot.fakes import DING_SECRET, FakeDispatcher, make_cfg

TZ = ZoneInfo("Asia/Shanghai")


def epoch_ms(dt: datetime) -> int:
    return int(dt.replace(tzinfo=TZ).timestamp() * 1000)


def test_sign_vector(vectors):
    v = vectors["dingtalk_sign"]
    assert sign(v["app_secret"], v["timestamp"]) == v["sign"]
    # the same value appears in DingTalk's documentation sample and independent client tests
    assert sign("this is secret", "1577262236757") == "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM="


def test_verify_window_and_tampering():
    ts = 1_716_170_400_000
    good = sign(DING_SECRET, str(ts))
    verify(DING_SECRET, str(ts), good, ts + 3_599_000)
    for args in [
        (str(ts), good, ts + 3_601_000),
        (str(ts), good, ts - 3_601_000),
        (str(ts + 1), good, ts),
        (str(ts), good[:-2] + "A=", ts),
        ("", good, ts),
        ("abc", good, ts),
    ]:
        with pytest.raises(SignatureError):
            verify(DING_SECRET, *args)


def test_signed_webhook_url_encodes_plus():
    url = signed_webhook_url("https://oapi.dingtalk.com/robot/send?access_token=abc", "this is secret", 1577262236757)
    q = urlsplit(url).query
    assert "sign=hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D" in q
    assert parse_qs(q)["access_token"] == ["abc"]


def payload(platform, clock, *, msg_id="msgA", group=False, text=" 走访二食堂，学生反映窗口排队时间长", expires=None):
    d = {
        "msgtype": "text",
        "text": {"content": text},
        "msgId": msg_id,
        "createAt": epoch_ms(clock.now()),
        "conversationType": "2" if group else "1",
        "conversationId": "cidGROUP==" if group else "cidSINGLE",
        "senderId": "$:LWCP:abc",
        "senderStaffId": "staff001",
        "senderNick": "李老师",
        "chatbotUserId": "$:bot",
        "robotCode": "robot1",
        "isInAtList": True,
        "sessionWebhook": f"{platform.base}/robot/sendBySession?session=s1",
        "sessionWebhookExpiredTime": expires if expires is not None else epoch_ms(clock.now()) + 90 * 60_000,
    }
    if group:
        d["conversationTitle"] = "计算机学院工作群"
    return d


@pytest.fixture
async def ding(aiohttp_client, db, clock, platform):
    dispatcher = FakeDispatcher(db)
    app = create_app(make_cfg(platform.base), db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)

    async def post(data, *, ts=None, secret=DING_SECRET, raw=None):
        ts = str(ts if ts is not None else epoch_ms(clock.now()))
        return await client.post(
            "/dingtalk/callback",
            data=raw if raw is not None else json.dumps(data),
            headers={"timestamp": ts, "sign": sign(secret, ts), "Content-Type": "application/json"},
        )

    return post, dispatcher, app[SERVICES]


async def rows(db, model):
    async with db.session() as s:
        return list(await s.scalars(select(model)))


async def test_callback_handles_and_replies_via_session_webhook(ding, db, platform, clock):
    post, dispatcher, services = ding
    resp = await post(payload(platform, clock, group=True))
    assert resp.status == 200
    [msg] = dispatcher.processed
    assert msg.text == "走访二食堂，学生反映窗口排队时间长"  # leading space of an @-mention stripped
    assert (msg.chat_id, msg.user_id, msg.is_group, msg.chat_name) == (
        "cidGROUP==",
        "staff001",
        True,
        "计算机学院工作群",
    )
    assert await services.worker.run_once() == 1
    [sent] = platform.sent("/robot/sendBySession")
    assert sent == {"msgtype": "text", "text": {"content": "收到：走访二食堂，学生反映窗口排队时间长"}}


async def test_refused_callbacks_store_nothing(ding, db, platform, clock):
    post, dispatcher, _ = ding
    now = epoch_ms(clock.now())
    assert (await post(payload(platform, clock), secret="wrong")).status == 403
    assert (await post(payload(platform, clock), ts=now - 2 * 3600_000)).status == 403
    assert (await post(None, raw="{not json")).status == 400
    assert (await post(None, raw="[1, 2]")).status == 400
    assert (await post({"msgtype": "text", "text": {"content": "x"}})).status == 400  # no sender/msgId
    assert dispatcher.calls == 0
    assert await rows(db, InboundMessage) == [] and await rows(db, Outbox) == []


async def test_replay_processed_once_and_replied_once(ding, db, platform, clock):
    post, dispatcher, services = ding
    for _ in range(3):
        assert (await post(payload(platform, clock))).status == 200
    assert len(dispatcher.processed) == 1
    assert len(await rows(db, InboundMessage)) == 1
    while await services.worker.run_once():
        pass
    assert len(platform.sent("/robot/sendBySession")) == 1


async def test_expired_session_webhook_falls_back_to_openapi(ding, db, platform, clock):
    post, _, services = ding
    expired = epoch_ms(clock.now()) - 1000
    await post(payload(platform, clock, msg_id="m1", expires=expired))
    await post(payload(platform, clock, msg_id="m2", group=True, expires=expired), ts=expired)  # own sign
    while await services.worker.run_once():
        pass
    assert platform.sent("/robot/sendBySession") == []
    [one] = platform.sent("/v1.0/robot/oToMessages/batchSend")
    assert one["userIds"] == ["staff001"] and one["robotCode"] == "robot1" and one["msgKey"] == "sampleText"
    assert json.loads(one["msgParam"]) == {"content": "收到：走访二食堂，学生反映窗口排队时间长"}
    [grp] = platform.sent("/v1.0/robot/groupMessages/send")
    assert grp["openConversationId"] == "cidGROUP=="


async def test_non_text_message_gets_friendly_reply(ding, db, platform, clock):
    post, dispatcher, services = ding
    d = payload(platform, clock)
    d.update(msgtype="video", content={"downloadCode": "x"})  # pictures and files: test_attachments*
    del d["text"]
    assert (await post(d)).status == 200
    assert dispatcher.calls == 0
    await services.worker.run_once()
    [sent] = platform.sent("/robot/sendBySession")
    assert "请发送文字" in sent["text"]["content"]


async def test_http_route_absent_in_stream_mode(aiohttp_client, db, clock):
    app = create_app(make_cfg(ding_mode="off"), db, FakeDispatcher(db), clock, start_worker=False)
    client = await aiohttp_client(app)
    assert (await client.post("/dingtalk/callback", data="{}")).status == 404
