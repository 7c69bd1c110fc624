"""WeCom callback routes: GET (URL verification) and POST (messages).

shape and age of the signed query → verify → decrypt → parse and validate → handle (dedupe
inside the dispatcher) → answer. The answer is an encrypted passive reply when the handler
finishes within `server.reply_budget_ms`; otherwise an empty 200 at once, and the reply goes
out through the outbox to the person. Refused requests (400 malformed, 403 signature or age)
are logged in one line without payload and never reach the dispatcher. Every well-signed
callback we do not use (events, files, mixed…) is answered 200 so WeCom does not retry it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import TYPE_CHECKING

from aiohttp import web

from bot.outbound import split
from bot.outbound.render import joined_text
from bot.transcript import from_voice
from bot.wecom import limits
from bot.wecom.crypto import WeComCrypto
from bot.wecom.media import media_of
from bot.wecom.message import WeComMessage
from handlers.errors import BadRequest, SignatureError
from handlers.inbound_text import clean, clean_id
from handlers.texts.channel import NOT_TEXT
from handlers.types import IncomingMessage, Reply
from storage.notice import PlatformAddress

if TYPE_CHECKING:
    from bot.inbox import Inbox
    from bot.wecom.config import WeComConfig

log = logging.getLogger("minqing.wecom")


_SIGNATURE = re.compile(r"[0-9a-fA-F]{40}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[0-9A-Za-z_\-]{1,64}")
_ECHOSTR = re.compile(r"[A-Za-z0-9+/= ]{1,2000}")


class WeComCallback:
    """GET and POST /wecom/callback (404 unless WeCom callbacks are configured)."""

    def __init__(self, services: Inbox, cfg: WeComConfig) -> None:
        self.s = services
        self.cfg = cfg
        self.crypto = WeComCrypto(self.cfg) if self.cfg.enabled else None

    def _params(self, request: web.Request, *extra: str) -> list[str]:
        """The signed query parameters, each checked for shape, and the timestamp for age."""
        if self.crypto is None:
            raise web.HTTPNotFound()
        names = ("msg_signature", "timestamp", "nonce", *extra)
        values = [request.query.get(n, "") for n in names]
        shapes = (_SIGNATURE, _TIMESTAMP, _NONCE, _ECHOSTR)
        bad = [n for n, v, shape in zip(names, values, shapes, strict=False) if not shape.fullmatch(v)]
        if bad:
            log.warning("wecom callback refused: missing or malformed %s from %s", ",".join(bad), request.remote)
            raise web.HTTPBadRequest(text="bad request")
        age = self.s.epoch_ms(self.s.clock.now()) // 1000 - int(values[1])
        if abs(age) > self.cfg.max_age_s:
            log.warning(
                "wecom callback refused: timestamp %ss away from now (limit %ss) from %s",
                age,
                self.cfg.max_age_s,
                request.remote,
            )
            raise web.HTTPForbidden(text="forbidden")
        return values

    async def get(self, request: web.Request) -> web.Response:
        """URL verification: answer the decrypted echostr as plain text."""
        sig, ts, nonce, echostr = self._params(request, "echostr")
        assert self.crypto is not None
        try:
            plain = self.crypto.verify_url(sig, ts, nonce, echostr)
        except SignatureError:
            hint = (
                (
                    "; echostr contains a space: a proxy probably decoded '+' as a space, pass the query "
                    "string through unchanged"
                )
                if " " in echostr
                else ""
            )
            log.warning("wecom URL verification refused: bad signature from %s%s", request.remote, hint)
            raise web.HTTPForbidden(text="forbidden") from None
        except BadRequest:
            log.warning("wecom URL verification refused: undecryptable echostr from %s", request.remote)
            raise web.HTTPBadRequest(text="bad request") from None
        return web.Response(text=clean(plain), content_type="text/plain")

    async def post(self, request: web.Request) -> web.Response:
        """A message or event from WeCom. Every well-signed callback gets a 200: events and
        message types we do not use are logged by type; unusable messages get a friendly reply."""
        sig, ts, nonce = self._params(request)
        assert self.crypto is not None
        body = await request.read()
        try:
            message = self.crypto.decrypt(body, sig, ts, nonce)
        except SignatureError as exc:
            log.warning("wecom callback refused (%s) from %s", exc, request.remote)
            raise web.HTTPForbidden(text="forbidden") from None
        except BadRequest as exc:
            log.warning("wecom callback refused (%s) from %s", exc, request.remote)
            raise web.HTTPBadRequest(text="bad request") from None

        user = clean_id(message.FromUserName or "")
        agent = message.AgentID or self.cfg.agent_id or ""
        if message.MsgType == "event":
            log.info("wecom event %s not handled", message.Event or "(none)")
            return web.Response(text="")  # WeCom accepts an empty body
        if user is None:
            log.info("wecom %s message without sender ignored", message.MsgType)
            return web.Response(text="")
        voice = message.MsgType == "voice" and bool((message.Recognition or "").strip())
        media = media_of(message)  # pictures, files, locations (bot/wecom/media.py)
        if message.MsgType != "text" and not voice and not media:
            log.info("wecom %s message answered: text only", message.MsgType)
            return self._passive(user, agent, NOT_TEXT, nonce, ts)
        text = "" if media else clean((message.Recognition if voice else message.Content) or "").strip()
        msg = IncomingMessage(
            channel="wecom",
            msg_id=f"{agent}:{message.MsgId or _content_id(message, text)}",
            user_id=user,
            text=text,
            received_at=self.s.clock.now(),
            media=media,
        )

        reply_to = PlatformAddress("wecom", "user", user)

        async def late(replies: list[Reply]) -> None:
            await self.s.enqueue_replies(msg, (from_voice(replies) if voice else replies), to=reply_to)

        replies = await self.s.handle_in_budget(msg, late)
        if replies is None:
            log.info("wecom %s answered late; reply queued", msg.dedupe_key)
            return web.Response(text="")
        text = joined_text(from_voice(replies) if voice else replies)
        if not text:
            return web.Response(text="")
        spans = split.split_spans(text, limits.TEXT_BYTES)
        if len(spans) > 1:  # a passive reply is one message: the rest goes through the API
            rest = text[spans[1][0] :]
            await self.s.enqueue_text(msg, rest, to=reply_to, tag="rest")
        a, b = spans[0]
        return self._passive(user, agent, text[a:b], nonce, ts)

    def _passive(self, user: str, agent: str, text: str, nonce: str, ts: str) -> web.Response:
        assert self.crypto is not None
        xml = self.crypto.encrypt_reply(to_user=user, text=text, nonce=nonce, agent_id=agent, timestamp=ts)
        return web.Response(text=xml, content_type="application/xml")


def _content_id(message: WeComMessage, text: str) -> str:
    """A message id when WeCom sent none: the same message (a retry) gives the same id,
    any other message another one, so an empty MsgId never turns later messages into replays."""
    seed = "\x1f".join((message.FromUserName or "", message.CreateTime or "", message.MsgType, text))
    return "h" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:24]
