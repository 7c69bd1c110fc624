"""DingTalk robot HTTP callback: verify headers `timestamp` (±1 h) and `sign`, then receive.

sign = base64(HMAC-SHA256(key=appSecret, msg=timestamp + "\\n" + appSecret)). A bad or stale
signature is answered 403 and stores nothing; a malformed body 400.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.dingtalk.inbound import receive
from bot.errors import SignatureError
from bot.outbound.dingtalk import sign

if TYPE_CHECKING:
    from bot.server import Services

log = logging.getLogger("minqing.dingtalk")

MAX_SKEW_MS = 3600 * 1000


def verify(app_secret: str, timestamp: str, signature: str, now_ms: int) -> None:
    """Raise SignatureError unless `signature` matches and `timestamp` is within ±1 hour."""
    if not timestamp.isdigit() or not signature:
        raise SignatureError("missing timestamp or sign")
    if abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        raise SignatureError("timestamp outside ±1 hour")
    if not hmac.compare_digest(sign(app_secret, timestamp), signature):
        raise SignatureError("bad sign")


class DingTalkCallback:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.cfg = services.cfg.dingtalk

    async def post(self, request: web.Request) -> web.Response:
        """One robot message pushed by DingTalk."""
        if not self.cfg.enabled or self.cfg.mode != "http":
            raise web.HTTPNotFound()
        now_ms = self.s.epoch_ms(self.s.clock.now())
        try:
            verify(self.cfg.app_secret, request.headers.get("timestamp", ""),
                   request.headers.get("sign", ""), now_ms)
        except SignatureError as exc:
            log.warning("dingtalk callback refused (%s) from %s", exc, request.remote)
            raise web.HTTPForbidden(text="forbidden") from None
        try:
            data = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            log.warning("dingtalk callback refused (malformed JSON) from %s", request.remote)
            raise web.HTTPBadRequest(text="bad request")
        if not await receive(self.s, data):
            raise web.HTTPBadRequest(text="bad request")
        return web.json_response({})
