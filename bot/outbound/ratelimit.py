"""Sliding-window rate limits, so the platform never silently drops a message.

Each platform's `rate(route)` names the key and limits (WeCom drops the 31st message per minute
to one person without an error: bot/wecom/limits.py); a group robot webhook allows 20 per minute
on both platforms (DingTalk blocks a custom robot for 10 minutes after 20/min).
The outbox worker calls `take(key, limits)` before each send and reschedules the row instead
of sending when the answer is positive. Time comes from the injected clock; the server gives
both limiters a `WallClock` (with sub-second precision: a clock cut to whole seconds would let
the 31st message through up to a second early).

`RateLimiter` counts in this process (one instance on SQLite); `SharedRateLimiter` counts in
the database (storage/ratelimits.py), so several instances on one PostgreSQL database
together never exceed a platform's limit.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.clock import Clock
from storage import ratelimits
from storage.db import Database

PER_WEBHOOK = ((20, 60.0),)
PER_GROUP_API = ((20, 60.0),)

Limits = tuple[tuple[int, float], ...]


class WallClock:
    """The machine's time in the organisation's zone, naive, with microseconds."""

    def __init__(self, tz: str = "Asia/Shanghai") -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        """Current naive local time in `tz` (microseconds kept, for rate windows)."""
        return datetime.now(self.tz).replace(tzinfo=None)


class RateLimiter:
    """Counts sends per key in sliding windows: `limits` is ((max_count, window_seconds), …)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._sent: dict[str, deque[datetime]] = {}

    def delay(self, key: str, limits: tuple[tuple[int, float], ...]) -> float:
        """Seconds to wait before one more send to `key` is allowed (0.0: send now).
        Does not record anything; call `record(key)` after a send."""
        now = self.clock.now()
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        longest = max(w for _, w in limits)
        while sent and (now - sent[0]).total_seconds() >= longest:
            sent.popleft()
        wait = 0.0
        for count, window in limits:
            recent = [t for t in sent if (now - t).total_seconds() < window]
            if len(recent) >= count:
                oldest = recent[-count]
                wait = max(wait, window - (now - oldest).total_seconds())
        return wait

    def record(self, key: str) -> None:
        """Note one send to `key` now."""
        self._sent.setdefault(key, deque()).append(self.clock.now())

    def acquire(self, key: str, limits: tuple[tuple[int, float], ...]) -> float:
        """Take one send slot for `key` now and return 0.0, or return the seconds to wait
        (taking nothing). No await in between, so concurrent senders never both pass."""
        wait = self.delay(key, limits)
        if wait <= 0:
            self.record(key)
        return wait

    async def take(self, key: str, limits: Limits) -> float:
        """`acquire` behind the same awaitable interface as `SharedRateLimiter.take`."""
        return self.acquire(key, limits)


class SharedRateLimiter:
    """Sliding windows counted in the database: every instance on it shares the same counts."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def take(self, key: str, limits: Limits) -> float:
        """Take one send slot for `key` now and return 0.0, or return the seconds to wait
        (taking nothing). Raises StorageError when the database is unreachable."""
        async with self.db.write() as s:
            return await ratelimits.take(s, key, limits, self.clock.now())


def limiter_for(db: Database, clock: Clock) -> RateLimiter | SharedRateLimiter:
    """Shared counts on PostgreSQL (several instances possible), in-process counts on SQLite."""
    return RateLimiter(clock) if db.is_sqlite else SharedRateLimiter(db, clock)
