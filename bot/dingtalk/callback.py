"""DingTalk robot HTTP callback: verify headers `timestamp` (±1 h) and `sign`, then receive.

sign = base64(HMAC-SHA256(key=appSecret, msg=timestamp + "\\n" + appSecret)). A bad or stale
signature is answered 403 and stores nothing; a malformed body 400. A (timestamp, sign) pair
is bound to the first body that used it: the same body again (a platform retry) is answered
as before, any other body under that pair is a replay (403). Replies go only to a
sessionWebhook on the platform's hosts (`dingtalk.session_hosts`, and the api_base host).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import TYPE_CHECKING

from aiohttp import web

from bot.dingtalk.inbound import handle, prepare
from bot.dingtalk.payload import decode
from bot.dingtalk.sender import sign
from handlers.errors import BadRequest, SignatureError
from storage.inbound import bind_sign

if TYPE_CHECKING:
    from bot.dingtalk.config import DingTalkConfig
    from bot.inbox import Inbox

log = logging.getLogger("minqing.dingtalk")

MAX_SKEW_MS = 3600 * 1000


_TIMESTAMP = re.compile(r"[0-9]{10,14}")  # epoch milliseconds, ASCII digits only
_SIGN = re.compile(r"[A-Za-z0-9+/=]{20,100}")


def verify(app_secret: str, timestamp: str, signature: str, now_ms: int) -> None:
    """Raise SignatureError unless `signature` matches and `timestamp` is within ±1 hour."""
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGN.fullmatch(signature):
        raise SignatureError("missing or malformed timestamp or sign")
    if abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        raise SignatureError("timestamp outside ±1 hour")
    if not hmac.compare_digest(sign(app_secret, timestamp), signature):
        raise SignatureError("bad sign")


class DingTalkCallback:
    """POST /dingtalk/callback (404 unless DingTalk is enabled in "http" mode)."""

    def __init__(self, services: Inbox, cfg: DingTalkConfig) -> None:
        self.s = services
        self.cfg = cfg

    async def post(self, request: web.Request) -> web.Response:
        """One robot message pushed by DingTalk: sign, then body schema, then the binding of
        the (timestamp, sign) pair to this body, then handling."""
        if not self.cfg.enabled or self.cfg.mode != "http":
            raise web.HTTPNotFound()
        now = self.s.clock.now()
        timestamp, signature = request.headers.get("timestamp", ""), request.headers.get("sign", "")
        try:
            verify(self.cfg.app_secret, timestamp, signature, self.s.epoch_ms(now))
        except SignatureError as exc:
            log.warning("dingtalk callback refused (%s) from %s", exc, request.remote)
            raise web.HTTPForbidden(text="forbidden") from None
        body = await request.read()
        try:
            message = decode(body)
        except BadRequest as exc:
            log.warning("dingtalk callback refused (%s) from %s", exc, request.remote)
            raise web.HTTPBadRequest(text="bad request") from None
        prepared = prepare(self.s, message)
        if prepared is None:
            raise web.HTTPBadRequest(text="bad request")
        async with self.s.db.write() as s:
            first = await bind_sign(s, f"{timestamp}:{signature}", hashlib.sha256(body).hexdigest(), now)
        if not first:
            log.warning("dingtalk callback refused (sign already used for another body) from %s", request.remote)
            raise web.HTTPForbidden(text="forbidden")
        await handle(self.s, prepared)
        return web.json_response({})
