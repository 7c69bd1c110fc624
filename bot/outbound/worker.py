"""The outbox worker: claim due rows atomically, send, mark sent, or retry with backoff.

Each claim is `UPDATE … SET status='sending' WHERE id=? AND status='pending'`, so two
workers (or two processes) never send one row twice; on PostgreSQL the due rows are selected
`FOR UPDATE SKIP LOCKED`, so instances sharing the database claim disjoint rows without
waiting on each other. Failures that may pass (network,
5xx, errcode -1, rate limits, a rejected token) are retried with exponential backoff until
`OutboxConfig.max_attempts`, then the row is marked failed with one log line; permanent
errors fail at once. Our own rate limiter never counts as an attempt: the row just waits.
A long text goes out in chunks; after a partial failure the row keeps only the unsent rest.

Scheduler reminders (rows with a `subject`) are decided at delivery (scheduler.held): on a
non-working day or in quiet hours — first attempt or retry — the row waits for its job's
time on the next allowed day; just before sending, the reminder is checked again and
rendered for "now", and a reminder that no longer applies is marked `obsolete`, not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from datetime import timedelta

from bot import metrics
from bot.config import Config
from bot.outbound.delivery import Delivery
from bot.outbound.ratelimit import RateLimiter, SharedRateLimiter
from bot.outbound.routes import resolve
from handlers.clock import Clock
from handlers.errors import ChannelError, RateLimited
from scheduler.held import Held
from storage import outbox as q
from storage import sweeps
from storage.db import Database
from storage.models import Outbox

log = logging.getLogger("minqing.outbox")

LEASE = timedelta(minutes=5)


class OutboxWorker:
    def __init__(
        self,
        db: Database,
        cfg: Config,
        delivery: Delivery,
        clock: Clock,
        limiter: RateLimiter | SharedRateLimiter | None = None,
        *,
        batch: int = 50,
        held: Held | None = None,
    ) -> None:
        self.db, self.cfg, self.delivery, self.clock = db, cfg, delivery, clock
        self.limiter = limiter or RateLimiter(clock)
        self.batch = batch
        if held is None:
            from scheduler.ops import settings_from

            held = Held(db, settings_from(cfg), cfg.policy)
        self.held = held
        self._wake = asyncio.Event()
        self._stopping = False

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

    def stop(self) -> None:
        """Ask `run_forever` to return after the cycle in progress (its sends finish and are
        marked), e.g. on SIGTERM."""
        self._stopping = True
        self._wake.set()

    async def run_forever(self) -> None:
        """Drain due rows, then sleep until kicked or the poll interval passes; return once
        `stop()` was called and the cycle in progress has ended."""
        while not self._stopping:
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # type only: SQL parameters would show message bodies
                log.error("outbox cycle failed: %s", type(exc).__name__)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.cfg.outbox.poll_interval_s)
            self._wake.clear()

    async def _decide(self, row: Outbox) -> str | None:
        """For a scheduler reminder: the text to send now, or None when the row was put back
        (not yet allowed) or marked obsolete. Other rows: their body."""
        subject = row.subject
        if subject is None:
            return row.body
        now = self.clock.now()
        at = self.held.release_at(subject, now)
        if at is not None:
            async with self.db.write() as s:
                await q.reschedule(s, row.id, at=at)
            log.info("outbox row %s held until %s (non-working day or quiet hours)", row.id, at)
            return None
        verdict = await self.held.check(subject, now)
        if verdict.release or verdict.body is None:
            async with self.db.write() as s:
                await sweeps.release_keys(s, verdict.release)
                if verdict.body is None:
                    await q.mark_obsolete(s, row.id, verdict.reason or "no longer applies")
        if verdict.body is None:
            log.info("outbox row %s obsolete: %s", row.id, verdict.reason)
            return None
        # after a partial send the row keeps the unsent rest: send that, not the whole again
        return row.body if subject.get("partial") else verdict.body

    async def _process(self, row: Outbox) -> None:
        try:
            body = await self._decide(row)
        except Exception as exc:  # type only: the error could quote message text
            log.error("outbox row %s: cannot re-check the reminder: %s", row.id, type(exc).__name__)
            await self._retry_or_fail(row, exc, None)
            return
        if body is None:
            return
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
        spans = self.delivery.spans(route, row.msg_type, body)
        for i, (a, b) in enumerate(spans):
            rest = body[a:] if i else None
            rate = self.delivery.rate(route)
            if rate is not None:
                try:
                    wait = await self.limiter.take(*rate)
                except Exception as exc:  # the shared counts are unreachable: try the row later
                    log.error("outbox row %s: rate limit unavailable: %s", row.id, type(exc).__name__)
                    await self._retry_or_fail(row, exc, rest)
                    return
                if wait > 0:
                    async with self.db.write() as s:  # whole seconds: the app clock may drop fractions
                        await q.reschedule(
                            s,
                            row.id,
                            at=now + timedelta(seconds=math.ceil(wait)),
                            body=rest,
                            subject=_partial(row, rest),
                        )
                    metrics.OUTBOX_SENDS.labels("paused").inc()
                    log.info("outbox row %s paused %.0fs by the %s rate limit", row.id, wait, route.kind)
                    return
            try:
                await self.delivery.send(route, row.msg_type, body[a:b], now)
            except Exception as exc:
                if not isinstance(exc, ChannelError):
                    log.error("outbox row %s: unexpected %s while sending", row.id, type(exc).__name__)
                await self._retry_or_fail(row, exc, rest)
                return
        async with self.db.write() as s:
            await q.mark_sent(s, row.id, self.clock.now(), body=body if row.subject is not None else None)
        metrics.OUTBOX_SENDS.labels("sent").inc()
        if row.subject is not None:
            metrics.REMINDERS_SENT.inc()

    async def _retry_or_fail(self, row: Outbox, exc: Exception, rest: str | None) -> None:
        attempts = row.attempts + 1
        retryable = not isinstance(exc, ChannelError) or exc.retryable
        if not retryable or attempts >= self.cfg.outbox.max_attempts:
            await self._failed(row, attempts, exc, rest)
            return
        at = self.clock.now() + timedelta(seconds=self.backoff(attempts, exc))
        if row.subject is not None:  # a retried reminder respects quiet hours and holidays too
            at = self.held.release_at(row.subject, at) or at
        async with self.db.write() as s:
            await q.reschedule(
                s, row.id, at=at, attempts=attempts, error=_describe(exc), body=rest, subject=_partial(row, rest)
            )
        metrics.OUTBOX_SENDS.labels("retry").inc()
        log.info("outbox row %s attempt %d failed (%s); retry at %s", row.id, attempts, _describe(exc), at)

    async def _failed(self, row: Outbox, attempts: int, exc: Exception, rest: str | None) -> None:
        async with self.db.write() as s:
            await q.mark_failed(s, row.id, attempts=attempts, error=_describe(exc), body=rest)
        metrics.OUTBOX_SENDS.labels("failed").inc()
        log.warning("outbox row %s failed after %d attempt(s): %s", row.id, attempts, _describe(exc))


def _partial(row: Outbox, rest: str | None) -> dict | None:
    """A reminder whose first chunks went out keeps only the rest: mark it so."""
    if row.subject is None or rest is None:
        return None
    return {**row.subject, "partial": True}


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
