"""The outbox worker: claim due rows atomically, send, mark sent, or retry with backoff.

Each claim is `UPDATE … SET status='sending' WHERE id=? AND status='pending'`, so two
workers (or two processes) never send one row twice. Failures that may pass (network,
5xx, errcode -1, rate limits, a rejected token) are retried with exponential backoff until
`OutboxConfig.max_attempts`, then the row is marked failed with one log line; permanent
errors fail at once. Our own rate limiter never counts as an attempt: the row just waits.
A long text goes out in chunks; after a partial failure the row keeps only the unsent rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.config import Config
from bot.errors import ChannelError, RateLimited
from bot.outbound.delivery import Delivery
from bot.outbound.ratelimit import RateLimiter
from bot.outbound.routes import resolve
from handlers.clock import Clock
from storage import outbox as q
from storage.db import Database
from storage.models import Outbox

log = logging.getLogger("minqing.outbox")

LEASE = timedelta(minutes=5)


class OutboxWorker:
    def __init__(self, db: Database, cfg: Config, delivery: Delivery, clock: Clock,
                 limiter: RateLimiter | None = None, *, batch: int = 50) -> None:
        self.db, self.cfg, self.delivery, self.clock = db, cfg, delivery, clock
        self.limiter = limiter or RateLimiter(clock)
        self.batch = batch
        self._wake = asyncio.Event()

    def kick(self) -> None:
        """Wake the loop now (something was just queued)."""
        self._wake.set()

    def backoff(self, attempts: int, exc: Exception | None = None) -> float:
        """Seconds before retry number `attempts` + 1."""
        ob = self.cfg.outbox
        delay = min(ob.max_backoff_s, ob.base_backoff_s * 2 ** max(attempts - 1, 0))
        if isinstance(exc, RateLimited):
            delay = max(delay, exc.retry_after)
        return delay

    async def run_once(self) -> int:
        """Claim and process the rows due now; returns how many were claimed."""
        now = self.clock.now()
        async with self.db.write() as s:
            await q.reap_stale(s, now)
            rows = await q.due(s, now, self.batch)
            claimed = [r for r in rows if await q.claim(s, r.id, now + LEASE)]
        if claimed:
            await asyncio.gather(*(self._process(r) for r in claimed))
        return len(claimed)

    async def run_forever(self) -> None:
        """Drain due rows, then sleep until kicked or the poll interval passes."""
        while True:
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # type only: SQL parameters would show message bodies
                log.error("outbox cycle failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.cfg.outbox.poll_interval_s)
            self._wake.clear()

    async def _process(self, row: Outbox) -> None:
        try:
            async with self.db.session() as s:
                route = await resolve(row, s, self.cfg)
        except ChannelError as exc:
            await self._failed(row, row.attempts + 1, exc, None)
            return
        except Exception as exc:
            log.error("outbox row %s: cannot resolve target: %s", row.id, type(exc).__name__)
            await self._retry_or_fail(row, exc, None)
            return
        now = self.clock.now()
        route = self.delivery.effective(route, now)
        spans = self.delivery.spans(route, row.msg_type, row.body)
        for i, (a, b) in enumerate(spans):
            rest = row.body[a:] if i else None
            rate = self.delivery.rate(route)
            if rate is not None:
                wait = self.limiter.acquire(*rate)
                if wait > 0:
                    async with self.db.write() as s:
                        await q.reschedule(s, row.id, at=now + timedelta(seconds=wait), body=rest)
                    log.info("outbox row %s paused %.0fs by the %s rate limit", row.id, wait, route.kind)
                    return
            try:
                await self.delivery.send(route, row.msg_type, row.body[a:b], now)
            except Exception as exc:
                if not isinstance(exc, ChannelError):
                    log.error("outbox row %s: unexpected %s while sending", row.id, type(exc).__name__)
                await self._retry_or_fail(row, exc, rest)
                return
        async with self.db.write() as s:
            await q.mark_sent(s, row.id, self.clock.now())

    async def _retry_or_fail(self, row: Outbox, exc: Exception, rest: str | None) -> None:
        attempts = row.attempts + 1
        retryable = not isinstance(exc, ChannelError) or exc.retryable
        if not retryable or attempts >= self.cfg.outbox.max_attempts:
            await self._failed(row, attempts, exc, rest)
            return
        at = self.clock.now() + timedelta(seconds=self.backoff(attempts, exc))
        async with self.db.write() as s:
            await q.reschedule(s, row.id, at=at, attempts=attempts, error=_describe(exc), body=rest)
        log.info("outbox row %s attempt %d failed (%s); retry at %s", row.id, attempts, _describe(exc), at)

    async def _failed(self, row: Outbox, attempts: int, exc: Exception, rest: str | None) -> None:
        async with self.db.write() as s:
            await q.mark_failed(s, row.id, attempts=attempts, error=_describe(exc), body=rest)
        log.warning("outbox row %s failed after %d attempt(s): %s", row.id, attempts, _describe(exc))


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
