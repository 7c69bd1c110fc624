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
