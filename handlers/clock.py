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
        return datetime.now(self.tz).replace(tzinfo=None, microsecond=0)


class FixedClock:
    """A clock that only moves when told (tests, `/now` in the console)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


class OffsetClock:
    """System time shifted by an offset: `/now` in a live console keeps time flowing."""

    def __init__(self, base: Clock, offset: timedelta = timedelta()) -> None:
        self.base, self.offset = base, offset

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def set(self, at: datetime) -> None:
        self.offset = at - self.base.now()
