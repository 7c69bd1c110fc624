"""The console's pages and actions. Every page loads the viewer first and reads through their
scope; actions are chat commands sent through the same dispatcher as chat, as that cadre."""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import logging
import re
import secrets
from datetime import date
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.export import build_tables, write_xlsx
from bot.platform import Platform, platforms
from bot.web import dashboard
from bot.web.auth import SignInLimiter, Viewer, check_csrf, form_text, load_viewer, start_session
from bot.web.files import item_trail, visit_trails
from bot.web.settings import WebSettings
from handlers.console_access import may_use_console
from handlers.periods import as_datetime
from handlers.policy import RATINGS
from handlers.texts.replies import EVENT_NAMES, STATUS_NAMES
from handlers.types import IncomingMessage
from storage import console_links
from storage.items import item_in_scope
from storage.ledger import STATUS_FILTERS, LedgerFilter, item_history, item_page, item_with_unit, visit_page
from storage.roster import active_cadre_names, cadre_by_platform_id, cadre_names, unit_names

log = logging.getLogger("minqing.web")

LIST_TITLES = {"problems": "问题清单", "tasks": "任务清单", "effects": "效果清单"}
STATUS_LABELS = {
    "open": "未办结",
    "overdue": "逾期",
    "resolved": "已办结",
    "new": "待签收",
    "in_progress": "办理中",
    "reopened": "重办中",
    "closed": "已销号",
}
_MONTH = re.compile(r"^\d{4}-\d{2}$")


class Console:
    """Route handlers; `services` is bot.server.Services (db, dispatcher, clock, cfg)."""

    def __init__(self, services, settings: WebSettings, categories: tuple[str, ...]) -> None:
        self.services, self.settings, self.categories = services, settings, categories
        self.limiter = SignInLimiter(services.clock, settings.signin_per_minute)
        from scheduler.settings import parse_settings

        self.duty_settings = parse_settings(
            services.cfg.scheduler, timezone=services.cfg.timezone, group_limits=services.cfg.group_limits
        )
        self.months = dashboard.MonthCache(self._month_data, services.spawn)

    async def _month_data(self, start: date, end: date) -> dashboard.MonthData:
        async with self.db.session() as s:
            return await dashboard.month_data(
                s, start, end, self.services.clock.now(), self.services.cfg.policy, self.duty_settings
            )

    async def picture(self, viewer: Viewer, f: LedgerFilter, start: date) -> dashboard.Picture:
        """The month narrowed to what the viewer may see (and the unit asked for)."""
        data = await self.months.get(start, self.today)
        units = {f.unit_id} if f.unit_id is not None else (None if viewer.everything else {viewer.unit_id})
        pic = dashboard.narrow(data, units)
        async with self.db.session() as s:
            return await dashboard.with_overdue(s, pic, f, self.today)

    @property
    def db(self):
        """The Database of the running server."""
        return self.services.db

    @property
    def today(self) -> date:
        """Today's local date from the injected clock."""
        return self.services.clock.now().date()

    async def viewer(self, request: web.Request) -> Viewer:
        """The signed-in Viewer; raises HTTPFound to /console/signed-out when not signed in or expired."""
        v = await load_viewer(request, self.db, self.services.clock)
        if v is None:
            raise web.HTTPFound("/console/signed-out")
        return v

    # -- sign-in -----------------------------------------------------------------------

    async def login_page(self, request: web.Request) -> web.Response:
        """GET: a button, so link previews in chat apps cannot use the one-time link up."""
        if not self.limiter.allow(request.remote or "-"):
            raise web.HTTPTooManyRequests(text="尝试过于频繁，请稍后再试。")
        token = request.query.get("t", "")
        return aiohttp_jinja2.render_template("login.html", request, {"token": token, "viewer": None})

    async def login(self, request: web.Request) -> web.Response:
        """POST /console/login (form field `t`, the one-time 「后台」 link token), anyone: signs in and redirects
        (302) to /console/. 403 page 「链接无效」 for a used or expired token; 429 past the sign-in rate limit.
        """
        if not self.limiter.allow(request.remote or "-"):
            raise web.HTTPTooManyRequests(text="尝试过于频繁，请稍后再试。")
        form = await request.post()
        now = self.services.clock.now()
        async with self.db.write() as s:
            cadre_id = await console_links.redeem(s, str(form.get("t", "")), now)
        if cadre_id is None:
            log.info("console sign-in refused from %s", request.remote)
            return aiohttp_jinja2.render_template(
                "message.html",
                request,
                {
                    "viewer": None,
                    "title": "链接无效",
                    "text": "链接已失效（10分钟内有效，只能使用一次）。请在对话中重新发送「后台」获取新链接。",
                },
                status=403,
            )
        await start_session(request, cadre_id, now, self.settings.session_hours)
        log.info("console sign-in cadre:%s", cadre_id)
        raise web.HTTPFound("/console/")

    def _sign_in(self, name: str, state: str) -> tuple[Platform, str | None]:
        """(platform, its sign-in URL for `state`, None when it has none or is not configured)."""
        platform = platforms()[name]
        back = f"{self.settings.base_url}/console/{name}/callback"
        return platform, platform.sign_in_url(self.services.cfg.platforms[name], state, back)

    async def platform_start(self, request: web.Request, name: str) -> web.Response:
        """GET /console/<platform>, inside the platform's app (WeCom 网页授权 from the app's menu,
        DingTalk 免登 from the micro-app's home page): 302 to the platform's sign-in, which comes
        back with a code. 404 when the platform has none or is not configured; 429."""
        state = secrets.token_urlsafe(16)
        platform, url = self._sign_in(name, state)
        if url is None:
            raise web.HTTPNotFound(text=f"未配置{platform.title}。请在对话中发送「后台」获取登录链接。")
        if not self.limiter.allow(request.remote or "-"):
            raise web.HTTPTooManyRequests(text="尝试过于频繁，请稍后再试。")
        (await get_session(request))["oauth_state"] = state
        raise web.HTTPFound(url)

    async def platform_callback(self, request: web.Request, name: str) -> web.Response:
        """GET /console/<platform>/callback?code&state (DingTalk: authCode), from the platform's sign-in: signs a
        console user in (302 to /console/). 404 when the platform is not configured; 403 for a stale state, or a
        page for cadres without console rights; 429.
        """
        platform, url = self._sign_in(name, "")
        if url is None:
            raise web.HTTPNotFound(text=f"未配置{platform.title}。")
        sender = self.services.senders[name]

        async def who(code: str) -> str | None:
            return await platform.sign_in_user(sender, code)

        return await self._oauth_finish(request, platform.sign_in_code(request.query), name, who)

    async def _oauth_finish(self, request: web.Request, code: str, channel: str, who) -> web.Response:
        """Check the state bound to the session, ask the platform who the code belongs to, sign in."""
        if not self.limiter.allow(request.remote or "-"):
            raise web.HTTPTooManyRequests(text="尝试过于频繁，请稍后再试。")
        session = await get_session(request)
        state = session.pop("oauth_state", None)
        if not state or not code or not hmac.compare_digest(state, request.query.get("state", "")):
            raise web.HTTPForbidden(text="登录已过期，请重新打开。")
        userid = await who(code)
        async with self.db.session() as s:
            cadre = await cadre_by_platform_id(s, channel, userid) if userid else None
            allowed = cadre is not None and may_use_console(cadre.roles)
            cadre_id = cadre.id if cadre is not None else None
        if not allowed:
            log.info("console %s sign-in refused", channel)
            return aiohttp_jinja2.render_template(
                "message.html",
                request,
                {"viewer": None, "title": "无权使用后台", "text": "后台供领导、单位负责人和管理员使用。"},
                status=403,
            )
        assert cadre_id is not None  # allowed implies a cadre
        await start_session(request, cadre_id, self.services.clock.now(), self.settings.session_hours)
        log.info("console sign-in cadre:%s (%s)", cadre_id, channel)
        raise web.HTTPFound("/console/")

    async def logout(self, request: web.Request) -> web.Response:
        """POST /console/logout with the CSRF token, signed-in viewers: ends the session, 302 to /console/signed-out.
        403 without a valid CSRF token.
        """
        viewer = await self.viewer(request)
        check_csrf(viewer, form_text((await request.post()).get("csrf")))
        (await get_session(request)).invalidate()
        raise web.HTTPFound("/console/signed-out")

    async def signed_out(self, request: web.Request) -> web.Response:
        """GET /console/signed-out, anyone: 200 page telling how to sign in (「后台」 in a private chat)."""
        return aiohttp_jinja2.render_template(
            "message.html",
            request,
            {
                "viewer": None,
                "title": "未登录",
                "text": "请在企业微信或钉钉中私聊民情通发送「后台」，点击收到的链接登录"
                "（领导、单位负责人、管理员可用）。",
            },
        )

    # -- filters -----------------------------------------------------------------------

    def _filter(self, viewer: Viewer, q) -> tuple[LedgerFilter, dict]:
        """LedgerFilter from the query string (ids and codes only), always within the scope."""

        def num(k: str) -> int | None:
            v = q.get(k, "")
            return int(v) if v.isdigit() else None

        month = q.get("month", "")
        month = month if _MONTH.match(month) else ""
        since = until = None
        if month:
            start, end = dashboard.month_range(month, self.today)
            since, until = as_datetime(start), as_datetime(end)
        status = q.get("status", "")
        status = status if status in STATUS_FILTERS else ""
        category = q.get("category", "")
        category = category if category in self.categories else ""
        track = q.get("track", "")
        track = track if track in ("即办", "包保") else ""
        f = LedgerFilter(
            since=since,
            until=until,
            unit_id=viewer.unit_filter(num("unit")),
            category=category or None,
            status=status or None,
            owner_id=num("owner"),
            track=track or None,
            overdue=q.get("overdue") == "1",
            scope=viewer.scope,
        )
        shown = {
            "month": month,
            "unit": f.unit_id or "",
            "category": category,
            "status": status,
            "owner": f.owner_id or "",
            "track": track,
            "overdue": "1" if f.overdue else "",
        }
        return f, shown

    async def _choices(self, viewer: Viewer, unit_id: int | None = None) -> dict:
        """Units, categories, statuses and — once a unit is chosen — that unit's cadres."""
        async with self.db.session() as s:
            units = await unit_names(s)
            cadres = await active_cadre_names(s, unit_id) if unit_id is not None else []
        if not viewer.everything:
            units = [u for u in units if u.id == viewer.unit_id]
        return {"units": units, "cadres": cadres, "categories": self.categories, "statuses": STATUS_LABELS}

    # -- pages -------------------------------------------------------------------------

    async def dashboard(self, request: web.Request) -> web.Response:
        """GET /console/?month&unit…, signed-in viewers: 200 dashboard of the month (figures, charts, rates) within
        the viewer's scope; 302 to /console/signed-out when not signed in.
        """
        viewer = await self.viewer(request)
        f, shown = self._filter(viewer, request.query)
        start, _ = dashboard.month_range(shown["month"], self.today)
        shown["month"] = f"{start:%Y-%m}"
        pic = await self.picture(viewer, f, start)
        charts = {
            "units": [r.name for r in pic.units],
            "visits": [r.visits for r in pic.units],
            "duty": [None if r.duty_rate is None else round(r.duty_rate * 100, 1) for r in pic.units],
            "categories": [c for c, _ in pic.categories],
            "cat_new": [c.new for _, c in pic.categories],
            "cat_open": [c.open for _, c in pic.categories],
            "cat_overdue": [c.overdue for _, c in pic.categories],
            "cat_resolved": [c.resolved for _, c in pic.categories],
            "weeks": [w[0] for w in pic.weeks],
            "week_new": [w[1] for w in pic.weeks],
            "week_resolved": [w[2] for w in pic.weeks],
        }
        weight = self.services.cfg.policy.satisfaction_weights.get("基本满意", 0.9)
        rates = [
            (name, getattr(pic.total.metrics, attr), text.replace("0.9", f"{weight:g}"))
            for name, attr, text in dashboard.RATE_DEFINITIONS
        ]
        ctx = {
            "viewer": viewer,
            "pic": pic,
            "shown": shown,
            "rates": rates,
            "today": self.today,
            "charts": json.dumps(charts, ensure_ascii=False),
            **await self._choices(viewer, f.unit_id),
        }
        return aiohttp_jinja2.render_template("dashboard.html", request, ctx)

    async def items(self, request: web.Request) -> web.Response:
        """GET /console/items?list=problems|tasks|effects&sort&desc&page…, signed-in viewers: 200 one page of the list
        within the viewer's scope (unknown list → problems); 302 to /console/signed-out when not signed in.
        """
        viewer = await self.viewer(request)
        which = request.query.get("list", "problems")
        which = which if which in LIST_TITLES else "problems"
        f, shown = self._filter(viewer, request.query)
        sort = request.query.get("sort", "id")
        desc = request.query.get("desc", "1") == "1"
        page = int(request.query.get("page", "1")) if request.query.get("page", "1").isdigit() else 1
        async with self.db.session() as s:
            result = await item_page(
                s, f, self.today, which=which, sort=sort, desc=desc, page=page, per_page=self.settings.page_size
            )
        ctx = {
            "viewer": viewer,
            "which": which,
            "title": LIST_TITLES[which],
            "page": result,
            "shown": shown,
            "sort": sort,
            "desc": desc,
            "today": self.today,
            "status_names": STATUS_NAMES,
            "query": _query(request, drop=("page",)),
            "export_query": _query(request, drop=("page", "sort", "desc")),
            **await self._choices(viewer, f.unit_id),
        }
        return aiohttp_jinja2.render_template("items.html", request, ctx)

    async def visits(self, request: web.Request) -> web.Response:
        """GET /console/visits?sort&desc&page…, signed-in viewers: 200 one page of visits with their pictures, within
        the viewer's scope; 302 to /console/signed-out when not signed in.
        """
        viewer = await self.viewer(request)
        f, shown = self._filter(viewer, request.query)
        sort = request.query.get("sort", "date")
        desc = request.query.get("desc", "1") == "1"
        page = int(request.query.get("page", "1")) if request.query.get("page", "1").isdigit() else 1
        async with self.db.session() as s:
            result = await visit_page(s, f, sort=sort, desc=desc, page=page, per_page=self.settings.page_size)
            trails = await visit_trails(s, [row[0].id for row in result.rows])
        ctx = {
            "viewer": viewer,
            "page": result,
            "shown": shown,
            "sort": sort,
            "desc": desc,
            "trails": trails,
            "query": _query(request, drop=("page",)),
            **await self._choices(viewer, f.unit_id),
        }
        return aiohttp_jinja2.render_template("visits.html", request, ctx)

    async def item(self, request: web.Request) -> web.Response:
        """GET /console/items/{id}, signed-in viewers: 200 the item, its history, attachments and action forms.
        404 「没有这个问题，或您无权查看。」 when it does not exist or lies outside the viewer's scope.
        """
        viewer = await self.viewer(request)
        item_id = int(request.match_info["item_id"])
        async with self.db.session() as s:
            row = await item_with_unit(s, viewer.scope, item_id)
            if row is None:
                raise web.HTTPNotFound(text="没有这个问题，或您无权查看。")
            item, unit_name = row
            names = await cadre_names(s, (item.owner_id, item.reporter_id))
            history = await item_history(s, item.id)
            trail = await item_trail(s, item.id)
            units = await unit_names(s)
        session = await get_session(request)
        flash = session.pop("flash", None)
        decisions = [e for e, _ in history if e.kind in ("ext_request", "ext_approved", "ext_refused")]
        pending = decisions[-1] if decisions and decisions[-1].kind == "ext_request" else None
        ctx = {
            "viewer": viewer,
            "item": item,
            "unit_name": unit_name,
            "owner": names.get(item.owner_id),
            "reporter": names.get(item.reporter_id),
            "history": history,
            "event_names": EVENT_NAMES,
            "status_names": STATUS_NAMES,
            "today": self.today,
            "units": units,
            "categories": self.categories,
            "ratings": RATINGS,
            "flash": flash,
            "nonce": secrets.token_urlsafe(12),
            "trail": trail,
            "pending_extension": (pending.data or {}).get("to") if pending else None,
        }
        return aiohttp_jinja2.render_template("item.html", request, ctx)

    async def act(self, request: web.Request) -> web.Response:
        """An action on an item as a chat command through the dispatcher, as the viewer."""
        viewer = await self.viewer(request)
        form = await request.post()
        check_csrf(viewer, form_text(form.get("csrf")))
        item_id = int(request.match_info["item_id"])
        async with self.db.session() as s:
            item = await item_in_scope(s, viewer.scope, item_id)
        if item is None:
            raise web.HTTPNotFound(text="没有这个问题，或您无权查看。")
        text = command_text(item_id, form)
        session = await get_session(request)
        if text is None:
            session["flash"] = "请填写完整后再提交。"
        elif viewer.platform_id is None:
            session["flash"] = "您的账号没有绑定企业微信或钉钉，无法在后台办理。"
        else:
            nonce = re.sub(r"[^A-Za-z0-9_-]", "", str(form.get("nonce", "")))[:24] or secrets.token_urlsafe(12)
            msg = IncomingMessage(
                channel="web",
                msg_id=nonce,
                user_id=viewer.platform_id,
                text=text,
                received_at=self.services.clock.now(),
            )
            replies = await self.services.dispatcher.handle(msg)
            self.months.clear()  # the dashboard shows the change at once
            self.services.worker.kick()
            session["flash"] = "\n".join(r.text for r in replies if hasattr(r, "text"))
        raise web.HTTPFound(f"/console/items/{item_id}")

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The 台账 xlsx for the current filter (numbers masked unless a leader asks otherwise)."""
        viewer = await self.viewer(request)
        f, shown = self._filter(viewer, request.query)
        unmasked = request.query.get("unmasked") == "1" and viewer.is_leader
        if unmasked:
            log.warning("unmasked ledger export by cadre:%s from the console", viewer.cadre_id)
        tables = await build_tables(self.db, f, self.today, unmasked=unmasked)
        buf = io.BytesIO()
        await asyncio.to_thread(write_xlsx, tables, buf)  # CPU-bound: off the event loop
        body = buf.getvalue()
        name = f"台账-{shown['month'] or '全部'}.xlsx"
        return web.Response(
            body=body,
            headers={
                "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "Content-Disposition": "attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''" + _quote(name),
            },
        )

    async def report(self, request: web.Request) -> web.Response:
        """The monthly report as a printable page."""
        viewer = await self.viewer(request)
        f, shown = self._filter(viewer, request.query)
        start, _ = dashboard.month_range(shown["month"], self.today)
        pic = await self.picture(viewer, f, start)
        rates = [(name, getattr(pic.total.metrics, attr), text) for name, attr, text in dashboard.RATE_DEFINITIONS]
        return aiohttp_jinja2.render_template(
            "report.html",
            request,
            {"viewer": viewer, "pic": pic, "rates": rates, "today": self.today, "month": f"{start:%Y-%m}"},
        )


def command_text(item_id: int, form) -> str | None:
    """The chat command a console form stands for, or None when a required field is empty."""

    def field(k: str) -> str:
        return " ".join(str(form.get(k, "")).split())[:500]

    action = field("action")
    ref = f"#{item_id}"
    if action == "accept":
        return f"签收 {ref}"
    if action == "take":
        return f"包保 {ref}"
    if action == "progress" and field("note"):
        return f"进展 {ref} {field('note')}"
    if action == "resolve" and field("note"):
        return f"办结 {ref} {field('note')}"
    if action == "transfer" and field("unit"):
        return f"转办 {ref} {field('unit')}" + (f" {field('person')}" if field("person") else "")
    if action == "followup" and field("rating") in RATINGS:
        return f"回访 {ref} {field('rating')}" + (f" {field('note')}" if field("note") else "")
    if action == "category" and field("category"):
        return f"改 {ref} 分类 {field('category')}"
    if action == "approve":
        return f"同意延期 {ref}"
    if action == "deny":
        return f"不同意延期 {ref} {field('note')}".rstrip()
    return None


def _query(request: web.Request, drop: tuple[str, ...]) -> str:
    return urlencode([(k, v) for k, v in request.query.items() if k not in drop and v])


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
