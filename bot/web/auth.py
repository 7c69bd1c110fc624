"""Who is looking: sign-in by a one-time chat link, the encrypted session cookie, CSRF tokens,
the sign-in rate limit and the viewer's scope (the chat's rules: leaders and administrators see
everything, unit heads their unit, cadres their own items and visits)."""

from __future__ import annotations

import hmac
import logging
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from aiohttp_session import get_session

from bot.platform import platforms
from handlers.clock import Clock
from handlers.console_access import may_use_console, sees_everything
from handlers.policy import ROLE_LEADER, ROLE_UNIT_HEAD
from storage.items import Scope
from storage.models import Item
from storage.roster import accounts, get_cadre

log = logging.getLogger("minqing.web")


@dataclass(frozen=True)
class Viewer:
    cadre_id: int
    name: str
    unit_id: int
    unit_name: str
    roles: tuple[str, ...]
    platform_id: str | None  # the id the chat knows the cadre by (for actions)
    csrf: str

    @property
    def everything(self) -> bool:
        """True for leaders and administrators: no scope limit."""
        return sees_everything(self.roles)

    @property
    def is_leader(self) -> bool:
        """True when the viewer has the leader role."""
        return ROLE_LEADER in self.roles

    @property
    def is_unit_head(self) -> bool:
        """True when the viewer has the unit-head role."""
        return ROLE_UNIT_HEAD in self.roles

    @property
    def scope(self) -> Scope:
        """What the viewer may read: everything, their unit (unit head), or what they own or reported."""
        if self.everything:
            return Scope(self.cadre_id, everything=True)
        if self.is_unit_head:
            return Scope(self.cadre_id, unit_id=self.unit_id)
        return Scope(self.cadre_id)

    def may_see(self, item: Item) -> bool:
        """True when `item` is within the viewer's scope (same rule as `scope`, for one loaded item)."""
        return (
            self.everything
            or item.owner_id == self.cadre_id
            or item.reporter_id == self.cadre_id
            or (self.is_unit_head and item.unit_id == self.unit_id)
        )

    def unit_filter(self, asked: int | None) -> int | None:
        """The unit a dashboard or list shows: a unit head always their own."""
        if self.everything:
            return asked
        return self.unit_id if self.is_unit_head else asked


class SignInLimiter:
    """At most `per_minute` sign-in attempts per client address in any 60 s (injected clock)."""

    def __init__(self, clock: Clock, per_minute: int) -> None:
        self.clock, self.per_minute = clock, per_minute
        self._seen: dict[str, deque[datetime]] = {}

    def allow(self, address: str) -> bool:
        """Count one attempt from `address`; False (do not try) when it made `per_minute` already in the last 60 s."""
        now = self.clock.now()
        q = self._seen.setdefault(address, deque())
        while q and (now - q[0]).total_seconds() >= 60:
            q.popleft()
        if len(q) >= self.per_minute:
            return False
        q.append(now)
        if len(self._seen) > 10_000:  # forget idle addresses
            for k in [k for k, v in self._seen.items() if not v]:
                del self._seen[k]
        return True


async def start_session(request: web.Request, cadre_id: int, now: datetime, hours: int) -> None:
    """Sign `cadre_id` in: a fresh session (the old one invalidated) valid `hours` hours from `now`, with a new
    CSRF token. Sets the session cookie on the response.
    """
    session = await get_session(request)
    session.invalidate()
    session = await get_session(request)
    session["cid"] = cadre_id
    session["exp"] = (now + timedelta(hours=hours)).isoformat()
    session["csrf"] = secrets.token_urlsafe(24)


async def load_viewer(request: web.Request, db, clock: Clock) -> Viewer | None:
    """The signed-in cadre, or None (no session, expired, or no longer allowed)."""
    session = await get_session(request)
    cid, exp = session.get("cid"), session.get("exp")
    if not isinstance(cid, int) or not isinstance(exp, str):
        return None
    if datetime.fromisoformat(exp) <= clock.now():
        session.invalidate()
        return None
    async with db.session() as s:
        cadre = await get_cadre(s, cid)
        if cadre is None or not cadre.active or not may_use_console(cadre.roles):
            session.invalidate()
            return None
        ids = await accounts(s, cadre.id)
        return Viewer(
            cadre.id,
            cadre.name,
            cadre.unit_id,
            cadre.unit.name,
            tuple(cadre.roles or ()),
            next((ids[name] for name in platforms() if name in ids), None),  # WeCom first, then DingTalk, …
            session.get("csrf") or "",
        )


def form_text(value: object) -> str | None:
    """A form field's text (None for a missing field or an uploaded file)."""
    return value if isinstance(value, str) else None


def check_csrf(viewer: Viewer, form_token: str | None) -> None:
    """Raise 403 unless the form carries the session's CSRF token."""
    if not viewer.csrf or not form_token or not hmac.compare_digest(viewer.csrf, str(form_token)):
        raise web.HTTPForbidden(text="表单已过期，请刷新页面后重试。")
