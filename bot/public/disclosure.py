"""公示 pages: a month's 效果清单 and open 问题清单, per unit or for the whole organisation.

    GET /public/{unit_id}/{YYYY-MM}      /public/all/{YYYY-MM}      (printable)
    GET /public/{unit_id}/{YYYY-MM}.png  the page's address as a QR code (for the 公示栏)

[public] disclosure: "off" (404), "intranet" (only from the [public] intranet networks) or
"public". Shown: category, masked problem text, unit, status, result, satisfaction (the latest
回访); never reporters' or residents' names, phones or IDs; the owner's name only with
[public] show_cadres = true. Items kept off by 「不公示 #12 原因」 are left out.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.public.render import page, qr_png
from handlers.privacy import mask
from handlers.texts.replies import STATUS_NAMES
from storage.disclosure import month_rows
from storage.roster import get_unit

if TYPE_CHECKING:
    from bot.inbox import Inbox

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class DisclosurePages:
    def __init__(self, services: Inbox) -> None:
        self.services = services
        self.public = services.cfg.public

    def _allowed(self, request: web.Request) -> None:
        mode = self.public.get("disclosure", "off")
        if mode == "public":
            return
        if mode == "intranet":
            try:
                address = ipaddress.ip_address(request.remote or "")
            except ValueError:
                address = None
            if address is not None and any(address in n for n in self.public.get("intranet", ())):
                return
        raise web.HTTPNotFound()

    async def _what(self, request: web.Request) -> tuple[int | None, str, datetime, datetime, str]:
        """(unit id or None, unit name, since, until, "YYYY-MM"); 404 for an unknown unit or month."""
        m = MONTH.match(request.match_info["month"])
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise web.HTTPNotFound()
        year, month = int(m.group(1)), int(m.group(2))
        since = datetime(year, month, 1)
        until = datetime(year + month // 12, month % 12 + 1, 1)
        unit = request.match_info["unit"]
        if unit == "all":
            return None, "全校（全部单位）", since, until, m.group(0)
        if not unit.isdigit():
            raise web.HTTPNotFound()
        async with self.services.db.session() as s:
            row = await get_unit(s, int(unit))
        if row is None:
            raise web.HTTPNotFound()
        return row.id, row.name, since, until, m.group(0)

    def _url(self, request: web.Request) -> str:
        return f"{self.services.cfg.policy.console_url.rstrip('/')}{request.path.removesuffix('.png')}"

    async def show(self, request: web.Request) -> web.Response:
        """GET /public/{unit_id|all}/{YYYY-MM}: the month's 公示 page (200, HTML), names and phones masked;
        cadre names only when `public.show_cadres`. Anyone when `public.disclosure` is "public", addresses in
        `public.intranet` when "intranet"; 404 otherwise, and for an unknown unit or month.
        """
        self._allowed(request)
        unit_id, unit_name, since, until, month = await self._what(request)
        async with self.services.db.session() as s:
            effects, open_ = await month_rows(s, unit_id, since, until)
        cadres = bool(self.public.get("show_cadres", False))

        def shown(r):
            return {
                "id": r.item_id,
                "category": r.category,
                "text": mask(r.text),
                "unit": r.unit,
                "status": STATUS_NAMES.get(r.status, r.status),
                "result": mask(r.result or ""),
                "rating": r.rating or "",
                "owner": r.owner if cadres else "",
            }

        return page(
            "disclosure.html",
            title=f"{unit_name} {since.year}年{since.month}月 为民办实事公示",
            effects=[shown(r) for r in effects],
            open=[shown(r) for r in open_],
            cadres=cadres,
            qr=f"{request.path}.png",
            url=self._url(request),
            month=month,
        )

    async def qr(self, request: web.Request) -> web.Response:
        """GET /public/{unit_id|all}/{YYYY-MM}.png: the page's address as a QR code (200, image/png), for the
        公示栏. Same access and 404s as `show`.
        """
        self._allowed(request)
        await self._what(request)
        return web.Response(body=qr_png(self._url(request)), content_type="image/png")
