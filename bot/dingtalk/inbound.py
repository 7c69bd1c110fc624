"""The part of a DingTalk robot message shared by HTTP callback and Stream mode: turn the
JSON payload into an IncomingMessage, handle it within the budget, and queue the replies to
the message's sessionWebhook (the outbox falls back to the OpenAPI once it expired)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.outbound.routes import session_target
from bot.outbound.texts import NOT_TEXT
from handlers.types import IncomingMessage, Reply, TextReply

if TYPE_CHECKING:
    from bot.server import Services

log = logging.getLogger("minqing.dingtalk")


def message_text(data: dict[str, Any]) -> str | None:
    """The text of a text or richText message (None for pictures, files, audio…). In groups
    only @-mentions reach the robot and DingTalk leaves a leading space: stripped."""
    kind = data.get("msgtype")
    if kind == "text":
        text = (data.get("text") or {}).get("content")
        return text.strip() if isinstance(text, str) else None
    if kind == "richText":
        parts = ((data.get("content") or {}).get("richText")) or []
        text = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
        return text.strip() or None
    return None


def to_incoming(data: dict[str, Any], received_at) -> IncomingMessage | None:
    """IncomingMessage from a robot payload, or None when it is not addressed usably."""
    user = data.get("senderStaffId") or data.get("senderId")
    msg_id = data.get("msgId")
    if not isinstance(user, str) or not user or not isinstance(msg_id, str) or not msg_id:
        return None
    is_group = str(data.get("conversationType")) == "2"
    chat_id = data.get("conversationId") if is_group else None
    return IncomingMessage(
        channel="dingtalk", msg_id=msg_id, user_id=user, text=message_text(data) or "",
        received_at=received_at, chat_id=chat_id, is_group=is_group,
        chat_name=data.get("conversationTitle") if is_group else None,
    )


def reply_target(data: dict[str, Any], msg: IncomingMessage) -> tuple[str, str, str]:
    """(channel, target_kind, target) for replies to this message."""
    url = data.get("sessionWebhook")
    if isinstance(url, str) and url:
        expires = data.get("sessionWebhookExpiredTime")
        expires_ms = int(expires) if str(expires or "").isdigit() else None
        return "dingtalk", "session", session_target(url, expires_ms, msg.user_id, msg.chat_id)
    if msg.chat_id:
        return "dingtalk", "group", msg.chat_id
    return "dingtalk", "user", msg.user_id


async def receive(services: Services, data: dict[str, Any]) -> bool:
    """Handle one verified robot payload. False when it was unusable (nothing stored)."""
    msg = to_incoming(data, services.clock.now())
    if msg is None:
        log.warning("dingtalk payload without sender or msgId ignored")
        return False
    channel, kind, target = reply_target(data, msg)
    if message_text(data) is None:
        await services.enqueue_replies(msg, [TextReply(NOT_TEXT)], channel=channel, target_kind=kind,
                                       target=target)
        return True

    async def deliver(replies: list[Reply]) -> None:
        await services.enqueue_replies(msg, replies, channel=channel, target_kind=kind, target=target)

    replies = await services.handle_in_budget(msg, deliver)
    if replies is not None:
        await deliver(replies)
    else:
        log.info("dingtalk %s answered late; reply queued when done", msg.dedupe_key)
    return True
