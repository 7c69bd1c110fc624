"""The web console under /console: server-rendered pages (aiohttp-jinja2), ECharts served from
the package (works on an intranet), sign-in by a one-time chat link, an encrypted session cookie
(aiohttp-session + Fernet), CSRF tokens on every form and a strict Content-Security-Policy.

    GET  /console/login?t=…      the one-time link from 「后台」 (a button, then POST)
    GET  /console/<platform>     opening the console inside a platform's app, back to …/callback
                                 (/console/wecom: WeCom 网页授权; /console/dingtalk: DingTalk 免登;
                                 bot/<platform>/platform.py sign_in_url)
    GET  /console/               dashboard (?month=YYYY-MM&unit=ID)
    GET  /console/items          the three lists (?list=problems|tasks|effects and filters)
    GET  /console/items/{n}      one item with its history and actions
    POST /console/items/{n}      an action (a chat command through the dispatcher)
    GET  /console/visits         the visit ledger
    GET  /console/export.xlsx    the 台账 for the current filter
    GET  /console/report         the monthly report, printable
    GET  /console/files/{sha}    an attachment (留痕) in the viewer's scope; …/thumb its thumbnail
"""

from __future__ import annotations

import functools
import hashlib
import time
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.platform import platforms
from bot.web.files import SHA_PATTERN, Files
from bot.web.settings import WebSettings, web_settings
from bot.web.views import Console
from handlers.privacy import mask_numbers

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


@web.middleware
async def security_headers(request: web.Request, handler):
    """Security headers on every answer, and Server-Timing: the handler's wall time and the
    server process's CPU time meanwhile (bench/bench_console.py reads both)."""
    t0 = (time.perf_counter(), time.process_time())
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _headers(exc, t0)
        raise
    _headers(response, t0)
    return response


def _headers(response: web.StreamResponse, t0: tuple[float, float]) -> None:
    wall, cpu = time.perf_counter() - t0[0], time.process_time() - t0[1]
    response.headers["Server-Timing"] = f"app;dur={wall * 1000:.1f}, cpu;dur={cpu * 1000:.1f}"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def create_console(services, settings: WebSettings | None = None) -> web.Application:
    """The console as a sub-application (mount with app.add_subapp("/console", …))."""
    settings = settings or web_settings(services.cfg)
    dispatcher = services.dispatcher
    parser = getattr(dispatcher, "parser", None) or getattr(getattr(dispatcher, "local", None), "parser", None)
    profile = services.cfg.policy.profile
    categories = tuple(parser.categories(profile)) if parser is not None else ()
    app = web.Application(middlewares=[security_headers])
    setup_session(
        app,
        EncryptedCookieStorage(
            Fernet(settings.secret_key),
            cookie_name="minqing_console",
            max_age=settings.session_hours * 3600,
            httponly=True,
            samesite="Strict",
            secure=settings.cookie_secure,
            path="/console",
        ),
    )
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    env.filters["pct"] = _pct
    env.filters["masked"] = mask_numbers
    versions = {f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:10] for f in (HERE / "static").iterdir()}
    env.globals["static"] = lambda name: f"/console/static/{name}?v={versions.get(name, '')}"
    console = Console(services, settings, categories)
    r = app.router
    r.add_get("/login", console.login_page)
    r.add_post("/login", console.login)
    r.add_post("/logout", console.logout)
    for name in platforms():  # opening the console inside each platform's app (bot/<name>/platform.py)
        r.add_get(f"/{name}", functools.partial(console.platform_start, name=name))
        r.add_get(f"/{name}/callback", functools.partial(console.platform_callback, name=name))
    r.add_get("/signed-out", console.signed_out)
    r.add_get("/", console.dashboard)
    r.add_get("/items", console.items)
    r.add_get("/items/{item_id:\\d{1,9}}", console.item)
    r.add_post("/items/{item_id:\\d{1,9}}", console.act)
    r.add_get("/visits", console.visits)
    r.add_get("/export.xlsx", console.export)
    r.add_get("/report", console.report)
    files = Files(console)
    r.add_get(f"/files/{SHA_PATTERN}", files.original)
    r.add_get(f"/files/{SHA_PATTERN}/thumb", files.thumb)
    r.add_static("/static", HERE / "static")
    return app
