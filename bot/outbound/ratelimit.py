"""Sliding-window rate limits, so the platform never silently drops a message.

WeCom drops the 31st message per minute to one person without an error, and a group robot
webhook allows 20 per minute; DingTalk blocks a custom robot for 10 minutes after 20/min.
The outbox worker asks `delay(key)` before each send and reschedules the row instead of
sending when the answer is positive. Time comes from the injected clock.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from handlers.clock import Clock

PER_PERSON_WECOM = ((30, 60.0), (1000, 3600.0))
PER_WEBHOOK = ((20, 60.0),)
PER_GROUP_API = ((20, 60.0),)


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
