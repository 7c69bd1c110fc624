"""The aiohttp server: routes, app state, outbound machinery and background tasks.

    GET  /healthz           liveness
    GET  /readyz            readiness: database reachable, schema at head, scheduler lease
    GET  /metrics           Prometheus metrics (bot/metrics.py)
    …                       each platform's callback routes (bot/<platform>/platform.py
                            add_routes: /wecom/callback, /dingtalk/callback, …)

`create_app` builds the application; `run_server` serves it until cancelled, beside the
console channel and the scheduler in the same event loop. Platforms come from
bot.platform.platforms(): each gets its sender, its routes and its background tasks here,
and nothing in this module names one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterable
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot import metrics
from bot.config import Config
from bot.export import ledger_file
from bot.inbox import Late
from bot.media.worker import AttachmentWorker
from bot.outbound.console import ConsoleDelivery
from bot.outbound.delivery import Delivery
from bot.outbound.http import HttpClient
from bot.outbound.ratelimit import WallClock, limiter_for
from bot.outbound.render import render
from bot.outbound.worker import OutboxWorker
from bot.platform import Sender, platforms
from handlers.clock import Clock
from handlers.texts.channel import NOT_HANDLED
from handlers.types import IncomingMessage, Reply, TextReply
from storage.db import Database
from storage.notice import Address, Notice
from storage.outbox import enqueue

log = logging.getLogger("minqing.server")

DRAIN_TIMEOUT_S = 10.0


class Dispatcher(Protocol):
    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        """The replies to `msg` ([] when none); processed once per dedupe key; storage down → UNAVAILABLE reply."""
        ...


class Services:
    """Everything a route needs, created once per app. Outbound parts (HTTP session, token
    caches, senders, the outbox worker) exist between app start-up and clean-up. Channels see
    it through the narrow `bot.inbox.Inbox` interface."""

    def __init__(
        self,
        cfg: Config,
        db: Database,
        dispatcher: Dispatcher,
        clock: Clock,
        *,
        console: ConsoleDelivery | None = None,
        start_worker: bool = True,
    ) -> None:
        self.cfg, self.db, self.dispatcher, self.clock = cfg, db, dispatcher, clock
        self.tz = ZoneInfo(cfg.timezone)
        self.console = console or ConsoleDelivery(files_dir=cfg.data_dir / "console-files")
        self.start_worker = start_worker
        self.tasks: set[asyncio.Task] = set()
        self.limiter = limiter_for(db, WallClock(cfg.timezone))
        # senders exist from the start, even without app credentials (group robot webhooks need
        # none; routes only address users and app chats on platforms that can send); their HTTP
        # session opens when the server starts (outbound_ctx)
        self.http = HttpClient()
        self.senders: dict[str, Sender] = {
            name: p.sender(cfg.platforms[name], self.http) for name, p in platforms().items()
        }
        self.delivery = Delivery(
            senders=self.senders,
            console=self.console,
            timezone=cfg.timezone,
            files=functools.partial(ledger_file, db),
        )  # 「导出台账」's xlsx
        self.worker = OutboxWorker(db, cfg, self.delivery, clock, self.limiter)
        self.media = AttachmentWorker(
            db,
            cfg,
            clock,
            on_notice=self.worker.kick,  # picture downloads
            senders=self.senders,
        )

    # -- background tasks ----------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` as a tracked task (drained on shutdown; errors are logged)."""
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # the type only: exception texts (e.g. SQL parameters) may carry message bodies
            log.error("background task failed: %s", type(task.exception()).__name__)

    async def drain(self, limit_s: float = DRAIN_TIMEOUT_S) -> None:
        """Wait for tracked tasks (including tasks they start), cancel what is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while self.tasks and loop.time() < deadline:
            await asyncio.wait(set(self.tasks), timeout=deadline - loop.time())
        for t in list(self.tasks):
            t.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- handling within the platform's deadline -----------------------------------------

    async def _safe_handle(self, msg: IncomingMessage) -> list[Reply]:
        started = asyncio.get_running_loop().time()
        try:
            replies = list(await self.dispatcher.handle(msg))
            outcome = "answered"
            if msg.media:
                self.media.kick()
        except Exception as exc:
            log.error("handler failed for %s: %s", msg.dedupe_key, type(exc).__name__)
            replies, outcome = [TextReply(NOT_HANDLED)], "error"
        elapsed = asyncio.get_running_loop().time() - started
        metrics.HANDLING.labels(msg.channel).observe(elapsed)
        late = outcome == "answered" and elapsed * 1000 > self.cfg.server.reply_budget_ms
        metrics.MESSAGES.labels(msg.channel, "late" if late else outcome).inc()
        return replies

    async def handle_in_budget(self, msg: IncomingMessage, late: Late) -> list[Reply] | None:
        """The handler's replies if it finishes within `server.reply_budget_ms`; else None,
        and `late(replies)` runs when it does finish (as a tracked task)."""
        task = self.spawn(self._safe_handle(msg))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.cfg.server.reply_budget_ms / 1000)
        except asyncio.CancelledError:  # the platform hung up: still deliver the answer
            self.spawn(self._finish_late(task, late))
            raise
        if task in done:
            return task.result()
        self.spawn(self._finish_late(task, late))
        return None

    async def _finish_late(self, task: asyncio.Task, late: Late) -> None:
        await late(await task)

    # -- queuing replies -----------------------------------------------------------------

    async def enqueue_replies(self, msg: IncomingMessage, replies: Iterable[Reply], *, to: Address) -> None:
        """Queue replies to `msg` for `to` in the outbox (idempotent per message: dedupe keys
        reply:<message key>:<n>) and wake the worker."""
        notices = [
            Notice(to, text, f"reply:{msg.dedupe_key}:{i}", kind=kind) for i, (kind, text) in enumerate(render(replies))
        ]
        if notices:
            await self._enqueue(notices)

    async def enqueue_text(self, msg: IncomingMessage, text: str, *, to: Address, tag: str) -> None:
        """Queue one text tied to `msg` (e.g. the rest of a long passive reply; dedupe key
        <tag>:<message key>)."""
        await self._enqueue([Notice(to, text, f"{tag}:{msg.dedupe_key}")])

    async def _enqueue(self, notices: list[Notice]) -> None:
        async with self.db.write() as s:
            await enqueue(s, notices, self.clock.now())
        self.wake_outbox()

    def wake_outbox(self) -> None:
        """Tell the outbox worker that rows were queued (it otherwise polls)."""
        self.worker.kick()

    def epoch_ms(self, now: datetime) -> int:
        """`now` (naive local time in the organisation's zone) as epoch milliseconds."""
        return int(now.replace(tzinfo=self.tz).timestamp() * 1000)

    # -- life cycle (aiohttp cleanup_ctx) ------------------------------------------------

    async def outbound_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """HTTP session, token caches, senders and the outbox worker task."""
        await self.http.start()
        tasks = (
            [asyncio.create_task(self.worker.run_forever()), asyncio.create_task(self.media.run_forever())]
            if self.start_worker
            else []
        )
        try:
            yield
        finally:
            worker_task, media_task = (tasks[0], tasks[1]) if tasks else (None, None)
            if worker_task is not None:  # SIGTERM: sends in flight finish and are marked first
                self.worker.stop()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(worker_task, DRAIN_TIMEOUT_S)
            if media_task is not None:
                media_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await media_task
            await self.http.close()

    async def platforms_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """Each platform's background tasks (e.g. the DingTalk Stream client), cancelled on shutdown."""
        tasks = [
            asyncio.create_task(coro)
            for name, p in platforms().items()
            for coro in p.background(self, self.http, self.cfg.platforms[name])
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def tasks_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """Drain handler tasks first on shutdown, while the outbox and HTTP session live."""
        yield
        await self.drain()


SERVICES = web.AppKey("services", Services)


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz, anyone: 200 {"status": "ok"} while the process serves (liveness; no database call)."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz, anyone: 200 {"status": "ready", …report} when the database answers and the schema is at
    head, else 503 {"status": "not ready", …} (see bot.metrics.readiness).
    """
    ready, report = await metrics.readiness(request.app[SERVICES].db)
    return web.json_response({"status": "ready" if ready else "not ready", **report}, status=200 if ready else 503)


async def metrics_page(request: web.Request) -> web.Response:
    """GET /metrics, anyone who can reach the port: Prometheus text format (200), database gauges refreshed."""
    body = await metrics.scrape(request.app[SERVICES].db)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE})


def create_app(
    cfg: Config,
    db: Database,
    dispatcher: Dispatcher,
    clock: Clock,
    *,
    console: ConsoleDelivery | None = None,
    start_worker: bool = True,
) -> web.Application:
    """The aiohttp application. `start_worker=False` leaves the outbox and download loops to
    the caller (tests call `app[SERVICES].worker.run_once()`, `app[SERVICES].media.run_once()`)."""
    app = web.Application(client_max_size=cfg.server.max_body_bytes)
    services = Services(cfg, db, dispatcher, clock, console=console, start_worker=start_worker)
    app[SERVICES] = services
    app.cleanup_ctx.append(services.outbound_ctx)
    app.cleanup_ctx.append(services.platforms_ctx)
    app.cleanup_ctx.append(services.tasks_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    for name, platform in platforms().items():
        platform.add_routes(app, services, cfg.platforms[name])
    from bot.web import create_console  # the web console (bot/web), same services

    app.router.add_get("/console", _to_console)  # before the sub-app, which would answer 404
    app.add_subapp("/console", create_console(services))
    from bot.public import public_routes  # the people's pages (bot/public): 回访链接, 公示

    app.add_routes(public_routes(services))
    return app


class SafeAccessLogger(AbstractAccessLogger):
    """Access log without query strings (signatures, echostr) or bodies."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """One access line: address, method, path (no query string), status, duration in ms."""
        self.logger.info(
            "%s %s %s %s %.1fms", request.remote, request.method, request.path, response.status, time * 1000
        )


async def run_server(
    cfg: Config, db: Database, dispatcher: Dispatcher, clock: Clock, *, extra_tasks: Iterable[Awaitable[Any]] = ()
) -> None:
    """Serve on cfg.server.host:port until cancelled (or until one of `extra_tasks` ends,
    e.g. the console channel on /quit; its exception, if any, propagates)."""
    app = create_app(cfg, db, dispatcher, clock)
    runner = web.AppRunner(app, access_log_class=SafeAccessLogger, handle_signals=False)
    await runner.setup()
    extras: list[asyncio.Future] = []
    try:
        site = web.TCPSite(runner, cfg.server.host, cfg.server.port)
        await site.start()
        log.info("listening on http://%s:%s", cfg.server.host, cfg.server.port)
        extras = [asyncio.ensure_future(t) for t in extra_tasks]
        forever = asyncio.get_running_loop().create_future()
        done, _ = await asyncio.wait([forever, *extras], return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            t.result()
    finally:
        for t in extras:
            t.cancel()
        await asyncio.gather(*extras, return_exceptions=True)
        await runner.cleanup()


async def _to_console(request: web.Request) -> web.Response:
    """GET /console (no slash): 301 to /console/, the console's home."""
    raise web.HTTPMovedPermanently("/console/")
