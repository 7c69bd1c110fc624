"""Stream mode against a loopback fake gateway speaking the DingTalk stream protocol:
connections/open → websocket → CALLBACK frames → acks; dedupe by msgId."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from bot.server import SERVICES, create_app
from storage.models import InboundMessage
from tests.bot.fakes import FakeDispatcher, make_cfg


def frame(stream_id: str, data: dict) -> dict:
    return {
        "specVersion": "1.0",
        "type": "CALLBACK",
        "headers": {
            "appId": "app",
            "connectionId": "c1",
            "contentType": "application/json",
            "messageId": stream_id,
            "time": "1716170400000",
            "topic": "/v1.0/im/bot/messages/get",
        },
        "data": json.dumps(data, ensure_ascii=False),
    }


async def test_stream_mode_receives_acks_and_dedupes(aiohttp_client, db, clock, platform):
    robot = {
        "msgtype": "text",
        "text": {"content": " 回访了张阿姨，对维修结果满意"},
        "msgId": "msgS1",
        "conversationType": "1",
        "conversationId": "cidS",
        "senderStaffId": "staff7",
        "senderId": "$:x",
        "sessionWebhook": f"{platform.base}/robot/sendBySession?session=z",
        "sessionWebhookExpiredTime": 4102444800000,
    }
    platform.frames = [frame("s-1", robot), frame("s-2", robot)]  # the gateway redelivers the message
    platform.expect_acks = 2
    dispatcher = FakeDispatcher(db)
    app = create_app(make_cfg(platform.base, ding_mode="stream"), db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)
    await asyncio.wait_for(platform.acked.wait(), 10)

    opened = [b for p, _, b in platform.calls if p == "/v1.0/gateway/connections/open"]
    assert opened[0]["clientId"] == "dingkey"
    assert opened[0]["subscriptions"] == [{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}]
    assert sorted(a["headers"]["messageId"] for a in platform.acks) == ["s-1", "s-2"]
    assert {a["code"] for a in platform.acks} == {200}
    assert [m.text for m in dispatcher.processed] == ["回访了张阿姨，对维修结果满意"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(InboundMessage)) == 1
    services = app[SERVICES]
    await services.drain()
    while await services.worker.run_once():
        pass
    assert platform.sent("/robot/sendBySession") == [
        {"msgtype": "text", "text": {"content": "收到：回访了张阿姨，对维修结果满意"}}
    ]
    await client.close()  # before the fake gateway stops: it would wait for this socket


async def test_stream_frames_of_the_wrong_shape_or_foreign_webhook_are_acked_and_store_nothing(
    aiohttp_client, db, clock, platform
):
    good = {
        "msgtype": "text",
        "text": {"content": "走访二食堂"},
        "msgId": "ok1",
        "conversationType": "1",
        "senderStaffId": "staff7",
        "sessionWebhook": f"{platform.base}/robot/sendBySession?session=z",
    }
    platform.frames = [
        frame("b-1", {**good, "msgId": "b1", "text": {"content": ["a"]}}),  # text as a list
        frame("b-2", {**good, "msgId": "b2", "conversationType": "2", "conversationId": {"x": 1}}),
        frame("b-3", {**good, "msgId": "b3", "sessionWebhook": "http://127.0.0.1:1/admin"}),  # foreign host
        frame("b-4", {**good, "msgId": {"x": 1}}),
        frame("g-1", good),
    ]
    platform.expect_acks = 5
    dispatcher = FakeDispatcher(db)
    app = create_app(make_cfg(platform.base, ding_mode="stream"), db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)
    await asyncio.wait_for(platform.acked.wait(), 10)
    assert {a["headers"]["messageId"]: a["code"] for a in platform.acks} == {
        "b-1": 200,
        "b-2": 200,
        "b-3": 200,
        "b-4": 200,
        "g-1": 200,
    }  # acked: redelivery cannot help
    await app[SERVICES].drain()
    assert [m.msg_id for m in dispatcher.processed] == ["ok1"]
    async with db.session() as s:
        assert await s.scalar(select(func.count()).select_from(InboundMessage)) == 1
    await client.close()
