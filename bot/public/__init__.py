"""Pages for the people served — no account, mobile-first, no external assets (WeChat, WeCom
and DingTalk browsers; intranets):

    GET  /r/{token}       the 回访链接 from 「回访链接 #12」: the problem and its result, masked
    POST /r/{token}       the rating (满意 / 基本满意 / 不满意 + optional comment), CSRF-checked
    GET  /r/{token}.png   the link as a QR code (to forward as a picture)
    GET  /public/{unit_id|all}/{YYYY-MM}[.png]   公示 of a month (bot/public/disclosure.py)

Every text shown goes through handlers.privacy.mask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.public.disclosure import DisclosurePages
from bot.public.rating import RatingPages

if TYPE_CHECKING:
    from bot.inbox import Inbox


def public_routes(services: Inbox) -> list[web.RouteDef]:
    """The routes to add to the main application (`app.add_routes(public_routes(services))`)."""
    pages, board = RatingPages(services), DisclosurePages(services)
    return [
        web.get("/r/{token}.png", pages.qr),
        web.get("/r/{token}", pages.show),
        web.post("/r/{token}", pages.rate),
        web.get("/public/{unit}/{month}.png", board.qr),
        web.get("/public/{unit}/{month}", board.show),
    ]
