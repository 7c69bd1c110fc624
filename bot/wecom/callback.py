"""WeCom callback routes: GET (URL verification) and POST (messages).

verify → decrypt → parse → handle (dedupe inside the dispatcher) → answer. The answer is an
encrypted passive reply when the handler finishes within `server.reply_budget_ms`;
otherwise an empty 200 at once, and the reply goes out through the outbox to the person.
Refused requests are logged without payload and never reach the dispatcher.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.errors import BadRequest, SignatureError
from bot.outbound import split
from bot.outbound.render import joined_text
from bot.outbound.texts import NOT_TEXT
from bot.wecom.crypto import WeComCrypto
from handlers.types import IncomingMessage, Reply

if TYPE_CHECKING:
    from bot.server import Services

log = logging.getLogger("minqing.wecom")


class WeComCallback:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.cfg = services.cfg.wecom
        self.crypto = WeComCrypto(self.cfg) if self.cfg.enabled else None

    def _params(self, request: web.Request, *extra: str) -> list[str]:
        if self.crypto is None:
            raise web.HTTPNotFound()
        names = ("msg_signature", "timestamp", "nonce", *extra)
        values = [request.query.get(n, "") for n in names]
        if not all(values):
            log.warning("wecom callback refused: missing query parameters from %s", request.remote)
            raise web.HTTPBadRequest(text="missing parameters")
        return values

    async def get(self, request: web.Request) -> web.Response:
        """URL verification: answer the decrypted echostr as plain text."""
        sig, ts, nonce, echostr = self._params(request, "echostr")
        assert self.crypto is not None
        try:
            plain = self.crypto.verify_url(sig, ts, nonce, echostr)
        except SignatureError:
            log.warning("wecom URL verification refused: bad signature from %s", request.remote)
            raise web.HTTPForbidden(text="forbidden") from None
        except BadRequest:
            log.warning("wecom URL verification refused: undecryptable echostr from %s", request.remote)
            raise web.HTTPBadRequest(text="bad request") from None
        return web.Response(text=plain, content_type="text/plain")

    async def post(self, request: web.Request) -> web.Response:
        """A message or event from WeCom."""
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

        user = str(message.source or "")
        agent = str(message.agent or self.cfg.agent_id or "")
        if message.type == "event" or not user:
            return web.Response(text="")  # events need no answer; WeCom accepts an empty body
        if message.type != "text":
            return self._passive(user, agent, NOT_TEXT, nonce, ts)

        msg = IncomingMessage(
            channel="wecom", msg_id=f"{agent}:{message.id}", user_id=user,
            text=(message.content or "").strip(), received_at=self.s.clock.now(),
        )

        async def late(replies: list[Reply]) -> None:
            await self.s.enqueue_replies(msg, replies, channel="wecom", target_kind="user", target=user)

        replies = await self.s.handle_in_budget(msg, late)
        if replies is None:
            log.info("wecom %s answered late; reply queued", msg.dedupe_key)
            return web.Response(text="")
        text = joined_text(replies)
        if not text:
            return web.Response(text="")
        spans = split.split_spans(text, split.WECOM_TEXT_BYTES)
        if len(spans) > 1:  # a passive reply is one message: the rest goes through the API
            rest = text[spans[1][0]:]
            await self.s.enqueue_text(msg, rest, channel="wecom", target_kind="user", target=user, tag="rest")
        a, b = spans[0]
        return self._passive(user, agent, text[a:b], nonce, ts)

    def _passive(self, user: str, agent: str, text: str, nonce: str, ts: str) -> web.Response:
        assert self.crypto is not None
        xml = self.crypto.encrypt_reply(to_user=user, text=text, nonce=nonce, agent_id=agent, timestamp=ts)
        return web.Response(text=xml, content_type="application/xml")
