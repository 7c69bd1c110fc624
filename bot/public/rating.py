"""The 回访链接 page: the person who raised a problem rates its result themselves.

The rating goes through handlers.lifecycle.rate — the same path as 「回访 #12 …」 — with source
群众 and the cadre who made the link as the actor; 不满意 reopens the item (重办) and notifies
the owner and the unit's heads. The form carries a double-submit CSRF token (cookie + field).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, cast

from aiohttp import web

from bot.public.render import page, qr_png
from bot.web.auth import SignInLimiter, form_text
from handlers.context import Ctx
from handlers.lifecycle import rate
from handlers.policy import RATINGS
from handlers.privacy import mask
from handlers.types import IncomingMessage
from storage import outbox, rating_links
from storage.items import ItemRecord, get_item
from storage.notice import CadreAddress
from storage.roster import get_cadre

if TYPE_CHECKING:
    from handlers.nlu import Parser

if TYPE_CHECKING:
    from bot.inbox import Inbox

log = logging.getLogger("minqing.public")

CSRF_COOKIE = "mq_rate"
MAX_COMMENT = 500
GONE = "这个回访链接已失效（已评价过、已过期或问题已重新办理）。如需评价，请联系为您办理的老师重新获取链接。"
THANKS = {
    "满意": "感谢您的评价！",
    "基本满意": "感谢您的评价！我们会继续改进。",
    "不满意": "感谢您的反馈，这个问题已退回重新办理，负责的老师会尽快联系您。",
}


class _Gone(Exception):
    """The link cannot be used (any more): the page says so and the transaction rolls back."""


class RatingPages:
    def __init__(self, services: Inbox) -> None:
        self.services = services
        self.limiter = SignInLimiter(services.clock, int(services.cfg.public.get("rate_per_minute", 10)))

    def _url(self, token: str) -> str:
        return f"{self.services.cfg.policy.console_url.rstrip('/')}/r/{token}"

    def _limit(self, request: web.Request) -> None:
        if not self.limiter.allow(request.remote or "-"):
            raise web.HTTPTooManyRequests(text="访问太频繁，请稍后再试。")

    async def _item(self, token: str) -> ItemRecord | None:
        async with self.services.db.session() as s:
            link = await rating_links.find(s, token, self.services.clock.now())
            item = await get_item(s, link.item_id) if link is not None else None
            return item if item is not None and item.status == "resolved" else None

    async def show(self, request: web.Request) -> web.Response:
        """The problem, its result and the rating form — or a 410 page for a dead link."""
        self._limit(request)
        token = request.match_info["token"]
        item = await self._item(token)
        if item is None:
            return page("message.html", status=410, title="链接已失效", text=GONE)
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(18)
        response = page(
            "rate.html",
            item_id=item.id,
            category=item.category,
            problem=mask(item.text),
            result=mask(item.result or ""),
            ratings=RATINGS,
            csrf=csrf,
            max_comment=MAX_COMMENT,
        )
        response.set_cookie(
            CSRF_COOKIE,
            csrf,
            path="/r/",
            httponly=True,
            samesite="Lax",
            secure=bool(self.services.cfg.web.get("cookie_secure", False)),
        )
        return response

    async def rate(self, request: web.Request) -> web.Response:
        """Record the rating once: 400 for a bad form, 403 without the CSRF pair, 410 for a dead link."""
        self._limit(request)
        token = request.match_info["token"]
        form = await request.post()
        cookie, field = request.cookies.get(CSRF_COOKIE), form_text(form.get("csrf"))
        if not cookie or not field or not hmac.compare_digest(cookie, field):
            raise web.HTTPForbidden(text="表单已过期，请重新打开链接后再评价。")
        rating = form_text(form.get("rating"))
        comment = (form_text(form.get("comment")) or "").strip()[:MAX_COMMENT] or None
        if rating not in RATINGS:
            return page("message.html", status=400, title="请选择评价", text="请选择满意、基本满意或不满意后再提交。")
        now = self.services.clock.now()
        try:
            item_id = await self._record(token, rating, comment, now)
        except _Gone:  # rolled back: the link stays unused
            return page("message.html", status=410, title="链接已失效", text=GONE)
        log.info("public rating on item:%s: %s", item_id, rating)
        self.services.wake_outbox()
        return page("message.html", title="评价已提交", text=THANKS[rating])

    async def _record(self, token: str, rating: str, comment: str | None, now: datetime) -> int:
        """Redeem the link and record the rating in one transaction; the item's number. _Gone (and
        nothing written) for a dead link, an item no longer waiting for its 回访, or a link whose
        maker has left the roster."""
        async with self.services.db.write() as s:
            link = await rating_links.redeem(s, token, now)
            item = await get_item(s, link.item_id) if link is not None else None
            if link is None or item is None or item.status != "resolved":
                raise _Gone
            actor = await get_cadre(s, link.cadre_id)
            if actor is None:
                raise _Gone
            msg = IncomingMessage(
                channel="public", msg_id=link.token_hash[:16], user_id="public", text="", received_at=now
            )
            ctx = Ctx(
                session=s, msg=msg, cadre=actor, now=now, policy=self.services.cfg.policy, parser=cast("Parser", None)
            )  # a rating never parses text
            await rate(ctx, item, rating, comment, source="群众")
            await outbox.enqueue(
                s,
                [
                    replace(n, dedupe_key=f"rate:{link.token_hash[:16]}:{n.to.cadre_id}")
                    for n in ctx.outgoing
                    if isinstance(n.to, CadreAddress)
                ],
                now,
            )
            return item.id

    async def qr(self, request: web.Request) -> web.Response:
        """The link as a QR code PNG (only for a live link)."""
        self._limit(request)
        token = request.match_info["token"]
        if await self._item(token) is None:
            raise web.HTTPGone(text=GONE)
        return web.Response(
            body=qr_png(self._url(token)),
            content_type="image/png",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )
