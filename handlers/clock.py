"""Injected clocks: every "now" in the product comes from one of these."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Naive local time in the organisation's zone."""
        ...


class SystemClock:
    def __init__(self, tz: str = "Asia/Shanghai") -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> datetime:
        """Current naive local time in `tz`, to the second."""
        return datetime.now(self.tz).replace(tzinfo=None, microsecond=0)


class FixedClock:
    """A clock that only moves when told (tests, `/now` in the console)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        """The time last set (naive local)."""
        return self.at

    def set(self, at: datetime) -> None:
        """Jump to `at` (naive local time)."""
        self.at = at

    def advance(self, **kwargs: float) -> None:
        """Move forward by timedelta keyword arguments (`advance(minutes=5)`)."""
        self.at += timedelta(**kwargs)


class OffsetClock:
    """System time shifted by an offset: `/now` in a live console keeps time flowing."""

    def __init__(self, base: Clock, offset: timedelta = timedelta()) -> None:
        self.base, self.offset = base, offset

    def now(self) -> datetime:
        """The base clock's time plus the offset (naive local)."""
        return self.base.now() + self.offset

    def set(self, at: datetime) -> None:
        """Make now() read `at` from here on; time keeps flowing from there."""
        self.offset = at - self.base.now()
