"""The part of a DingTalk robot message shared by HTTP callback and Stream mode: turn the
validated payload into an IncomingMessage, handle it within the budget, and queue the replies
to the message's sessionWebhook (the outbox falls back to the OpenAPI once it expired)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.dingtalk.config import section
from bot.dingtalk.media import media_of
from bot.dingtalk.payload import RobotMessage, webhook_allowed
from bot.transcript import from_voice
from handlers.inbound_text import clean, clean_id
from handlers.texts.channel import NOT_TEXT
from handlers.types import IncomingMessage, Reply, TextReply
from storage.notice import Address, DingTalkSession, PlatformAddress

if TYPE_CHECKING:
    from bot.dingtalk.config import DingTalkConfig
    from bot.inbox import Inbox

log = logging.getLogger("minqing.dingtalk")

# "@民情通 " / "@张三\u2005": an @-mention standing at the start or after white space, up to
# the next white space (DingTalk puts U+2005 after a mention).
_MENTION = re.compile(r"(?:^|(?<=\s))@[^\s@]{1,40}(?:\s+|$)")


def strip_mentions(text: str) -> str:
    """`text` without 「@name」 mentions (the robot's and others'), which DingTalk leaves in group messages."""
    return _MENTION.sub("", text)


def message_text(m: RobotMessage) -> tuple[str | None, bool]:
    """(text, came from voice) of a text, richText or audio message; (None, False) for
    pictures, files and anything else without words. Mentions are removed wherever they stand."""
    if m.msgtype == "text" and m.text is not None:
        return strip_mentions(clean(m.text.content)).strip(), False
    if m.msgtype == "richText" and m.content is not None and m.content.richText is not None:
        text = "".join(p.text for p in m.content.richText if p.text)
        return strip_mentions(clean(text)).strip() or None, False
    if m.msgtype == "audio" and m.content is not None and (m.content.recognition or "").strip():
        return clean(m.content.recognition or "").strip(), True
    return None, False


def to_incoming(m: RobotMessage, text: str, received_at) -> IncomingMessage | None:
    """IncomingMessage from a robot payload, or None when it is not addressed usably."""
    user, msg_id = clean_id(m.sender or ""), clean_id(m.msgId)
    chat_id = clean_id(m.conversationId or "") if m.is_group else None
    if user is None or msg_id is None or (m.is_group and chat_id is None):
        return None
    return IncomingMessage(
        channel="dingtalk",
        msg_id=msg_id,
        user_id=user,
        text=text,
        received_at=received_at,
        chat_id=chat_id,
        is_group=m.is_group,
        chat_name=clean(m.conversationTitle or "") or None if m.is_group else None,
    )


def session_ok(m: RobotMessage, cfg: DingTalkConfig) -> bool:
    """False when the message names a sessionWebhook outside the platform's hosts."""
    return not m.sessionWebhook or webhook_allowed(m.sessionWebhook, cfg.api_base, cfg.session_hosts)


def reply_target(m: RobotMessage, msg: IncomingMessage) -> Address:
    """Where replies to this message go: its sessionWebhook (checked with `session_ok`
    before), else the group or the person through the OpenAPI."""
    if m.sessionWebhook:
        return DingTalkSession(m.sessionWebhook, m.sessionWebhookExpiredTime, msg.user_id, msg.chat_id)
    if msg.chat_id:
        return PlatformAddress("dingtalk", "group", msg.chat_id)
    return PlatformAddress("dingtalk", "user", msg.user_id)


@dataclass(frozen=True)
class Prepared:
    """A validated message ready to handle: its IncomingMessage, text (None: not words) and
    whether the text is a voice transcript."""

    message: RobotMessage
    msg: IncomingMessage
    text: str | None
    voice: bool


def prepare(services: Inbox, m: RobotMessage) -> Prepared | None:
    """The message ready to handle, or None (logged once) when it is unusable: no usable
    sender, msgId or conversationId, or a sessionWebhook on a foreign host. Stores nothing."""
    if not session_ok(m, section(services.cfg)):
        log.warning("dingtalk %s message refused: sessionWebhook outside the platform's hosts", m.msgtype)
        return None
    text, voice = message_text(m)
    media = media_of(m)  # pictures and files (bot/dingtalk/media.py); text is then their caption
    msg = to_incoming(m, text or "", services.clock.now())
    if msg is None:
        log.warning("dingtalk %s message without usable sender, msgId or conversationId ignored", m.msgtype)
        return None
    if media:
        return Prepared(m, replace(msg, media=media), text or "", voice)
    return Prepared(m, msg, text, voice)


async def handle(services: Inbox, p: Prepared) -> None:
    """Handle a prepared message and queue its replies (or the text-only answer)."""
    msg = p.msg
    to = reply_target(p.message, msg)
    if p.text is None:
        log.info("dingtalk %s message answered: text only", p.message.msgtype)
        await services.enqueue_replies(msg, [TextReply(NOT_TEXT)], to=to)
        return

    async def deliver(replies: list[Reply]) -> None:
        await services.enqueue_replies(msg, from_voice(replies) if p.voice else replies, to=to)

    replies = await services.handle_in_budget(msg, deliver)
    if replies is not None:
        await deliver(replies)
    else:
        log.info("dingtalk %s answered late; reply queued when done", msg.dedupe_key)


async def receive(services: Inbox, m: RobotMessage) -> bool:
    """Prepare and handle one verified, validated message; False when unusable (nothing stored)."""
    p = prepare(services, m)
    if p is None:
        return False
    await handle(services, p)
    return True
