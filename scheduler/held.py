"""Decide at delivery: a scheduler reminder is re-checked and rendered again just before it
is sent (first attempt and every retry).

An outbox row queued by a job carries `subject` (job, person or item keys, period, part).
`Held.check` evaluates the same predicate that created the row at the delivery time and
returns either the text to send now or the reason it no longer applies (the row is then
marked `obsolete`, never sent). It also tells when a reminder may go out: never on a
non-working day or in quiet hours — a held row is released at its job's configured time on
the next allowed day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TypeVar

from handlers.policy import Policy
from scheduler import calm, coverage, deadlines, digest, duties, monthly
from scheduler.settings import SchedulerSettings
from storage import sweeps
from storage.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    """`body` to send now, or `reason` (obsolete). `release` are reminder claims to forget
    (dropped for a passing reason such as leave, so a later run may send them again)."""

    body: str | None
    reason: str | None = None
    release: list[str] = field(default_factory=list)


def job_time(job: str, settings: SchedulerSettings) -> time | None:
    """The configured time of `job`: when its held messages are released."""
    return {
        duties.JOB_NAME: settings.reminder_time,
        deadlines.JOB_NAME: settings.deadline_time,
        digest.JOB_NAME: settings.digest_time,
        monthly.JOB_NAME: settings.monthly_time,
        coverage.JOB_NAME: settings.deadline_time,
    }.get(job)


def _pick(bodies: list[str], subject: dict) -> str | None:
    """This row's share of the bodies rendered now: its part, and the last queued part also
    carries any extra parts, so nothing is lost or doubled when the count changed."""
    part, parts = int(subject.get("part", 1)), int(subject.get("parts", 1))
    if part > len(bodies):
        return None
    if part == parts:
        return "\n\n".join(bodies[part - 1 :])
    return bodies[part - 1]


class Held:
    """The delivery-time check for one organisation's scheduler settings."""

    def __init__(self, db: Database, settings: SchedulerSettings, policy: Policy | None = None) -> None:
        self.db, self.settings, self.policy = db, settings, policy or Policy()
        # shared work for rows delivered in the same minute (one digest computation for all
        # groups, one report for all leaders), however many rows the worker checks at once
        self._memo: dict[tuple, asyncio.Future] = {}

    async def _shared(self, key: tuple, make: Callable[[], Awaitable[T]]) -> T:
        fut = self._memo.get(key)
        if fut is None or (fut.done() and fut.exception() is not None):
            if len(self._memo) > 16:
                self._memo.clear()
            fut = self._memo[key] = asyncio.ensure_future(make())
        return await asyncio.shield(fut)

    async def _digest_data(self, now: datetime, span: tuple) -> dict:
        async def make() -> dict:
            async with self.db.session() as s:
                return await digest.digest_data(s, now, span, self.policy)

        return await self._shared(("digest", span, now.replace(second=0, microsecond=0)), make)

    async def _report(self, now: datetime, month: str) -> list[str]:
        async def make() -> list[str]:
            start = date.fromisoformat(month + "-01")
            _, end = duties.month_bounds(start)
            async with self.db.session() as s:
                return await monthly.report_bodies(s, start, end, now.date(), self.settings, self.policy)

        return await self._shared(("monthly", month, now.replace(second=0, microsecond=0)), make)

    def release_at(self, subject: dict, at: datetime) -> datetime | None:
        """None when a row about `subject` may go out at `at`; else when it may."""
        return calm.release_at(at, self.settings, job_time(subject.get("job", ""), self.settings))

    async def check(self, subject: dict, now: datetime) -> Verdict:
        """Is the reminder still due at `now`, and what does it say now?"""
        job = subject.get("job")
        s = self.settings
        async with self.db.session() as session:
            if job == deadlines.JOB_NAME:
                keys = subject["keys"]
                rows = await sweeps.items_by_ids(session, sorted({int(k.rsplit("#", 1)[1]) for k in keys}))
                ctx = await deadlines.load_ctx(session, now, s, self.policy, rows)
                bodies, dropped = deadlines.render_held(ctx, subject)
                release = [k for k, why in dropped.items() if why in deadlines.PASSING]
                reason = "; ".join(sorted({f"{k}: {why}" for k, why in dropped.items()})) or None
            elif job == duties.JOB_NAME:
                bodies, reason = await duties.render_held(session, now, s, subject)
                release = [f"duty:{subject['person']}:{subject['period']}"] if reason == "cadre on leave" else []
            elif job == digest.JOB_NAME:
                bodies, reason = await digest.render_held(
                    session, now, s, self.policy, subject, lambda span: self._digest_data(now, span)
                )
                release = []
            elif job == monthly.JOB_NAME:
                bodies, reason = await monthly.render_held(
                    session, now, s, self.policy, subject, lambda month: self._report(now, month)
                )
                release = [f"monthly:{subject['leader']}:{subject['month']}"] if reason == "leader on leave" else []
            elif job == coverage.JOB_NAME:
                bodies, reason = coverage.render_held(now, s, subject)
                release = []
            else:
                return Verdict(None, f"unknown job {job!r}")
        body = _pick(bodies, subject) if bodies else None
        if body is None:
            return Verdict(None, reason or "nothing left to say in this part", release)
        return Verdict(body, None, release)
