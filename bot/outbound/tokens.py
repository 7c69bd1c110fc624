"""Access tokens cached per platform and shared by every sender of that platform.

A token is refreshed `margin` seconds before it expires; concurrent callers wait on one
fetch (single flight). `invalidate(token)` drops a token the platform rejected (WeCom
40014/42001/41001, DingTalk 401) — only if it is still the cached one, so a burst of
rejections causes one refetch, not many.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from handlers.errors import TokenInvalid

Fetch = Callable[[], Awaitable[tuple[str, float]]]  # -> (token, expires_in_seconds)


T = TypeVar("T")


class TokenCache:
    def __init__(self, fetch: Fetch, *, margin: float = 300.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._margin, self._now = fetch, margin, monotonic
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0  # for tests and diagnostics

    async def get(self) -> str:
        """A valid token, fetched if missing or about to expire."""
        if self._token and self._now() < self._expires_at:
            return self._token
        async with self._lock:
            if self._token and self._now() < self._expires_at:
                return self._token
            token, expires_in = await self._fetch()
            self.fetches += 1
            self._token = token
            self._expires_at = self._now() + max(expires_in - self._margin, expires_in / 2)
            return token

    def invalidate(self, token: str) -> None:
        """Forget `token` if it is still the cached one."""
        if self._token == token:
            self._token, self._expires_at = None, 0.0

    async def call(self, request: Callable[[str], Awaitable[T]]) -> T:
        """Run `request(token)`; when the platform rejects the token (TokenInvalid), drop it
        and try exactly once more with a fresh one."""
        token = await self.get()
        try:
            return await request(token)
        except TokenInvalid:
            self.invalidate(token)
            return await request(await self.get())
