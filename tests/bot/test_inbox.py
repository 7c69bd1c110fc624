"""Channels need only the narrow `bot.inbox.Inbox`, not the server: the DingTalk robot
channel runs against a small fake and addresses its replies with typed addresses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.dingtalk.inbound import receive
from bot.dingtalk.payload import convert
from bot.inbox import Late
from handlers.clock import FixedClock
from handlers.types import IncomingMessage, Reply, TextReply
from storage.notice import Address, DingTalkSession, PlatformAddress
from tests.bot.fakes import make_cfg

NOW = datetime(2026, 11, 18, 10, 0)
HOOK = "https://oapi.dingtalk.com/robot/sendBySession?session=s1"


class FakeInbox:
    """An Inbox with nothing behind it: answers every message with its text, keeps what is queued."""

    def __init__(self) -> None:
        self.cfg = make_cfg("https://oapi.dingtalk.com")
        self.db: Any = None  # the channel must not reach the database for a plain message
        self.clock = FixedClock(NOW)
        self.queued: list[tuple[IncomingMessage, list[Reply], Address]] = []

    async def handle_in_budget(self, msg: IncomingMessage, late: Late) -> list[Reply] | None:
        return [TextReply(f"收到：{msg.text}")]

    async def enqueue_replies(self, msg: IncomingMessage, replies, *, to: Address) -> None:
        self.queued.append((msg, list(replies), to))

    async def enqueue_text(self, msg: IncomingMessage, text: str, *, to: Address, tag: str) -> None:
        raise AssertionError("DingTalk replies are never split into a passive part and a rest")

    def wake_outbox(self) -> None: ...

    def spawn(self, coro):
        raise AssertionError("not needed for an answer within the budget")

    def epoch_ms(self, now: datetime) -> int:
        return 0


def _message(**extra) -> dict:
    return {
        "msgtype": "text",
        "msgId": "m1",
        "senderStaffId": "s1",
        "conversationType": "1",
        "text": {"content": "走访3号楼"},
        **extra,
    }


async def test_a_reply_goes_to_the_session_webhook_while_it_is_known():
    inbox = FakeInbox()
    assert await receive(inbox, convert(_message(sessionWebhook=HOOK, sessionWebhookExpiredTime=1763434800000)))
    ((msg, replies, to),) = inbox.queued
    assert (msg.user_id, msg.text) == ("s1", "走访3号楼")
    assert replies == [TextReply("收到：走访3号楼")]
    assert to == DingTalkSession(HOOK, 1763434800000, "s1", None)


async def test_without_a_session_webhook_a_group_message_is_answered_in_the_group():
    inbox = FakeInbox()
    await receive(inbox, convert(_message(conversationType="2", conversationId="cid1")))
    assert [to for _, _, to in inbox.queued] == [PlatformAddress("dingtalk", "group", "cid1")]
