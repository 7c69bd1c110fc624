"""What a channel may use of the server: the narrow `Inbox` interface.

Channels (bot/wecom, bot/dingtalk, the people's pages in bot/public) receive an Inbox, not
the whole server: they verify and parse a request, hand the message to `handle_in_budget`,
and queue what could not be answered passively. `bot.server.Services` implements it; a test
or a new platform package can implement it with anything that has these members. Nothing here
imports bot.server, so a channel never depends on the module that mounts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import datetime
from typing import Any, Protocol

from bot.config import Config
from handlers.clock import Clock
from handlers.types import IncomingMessage, Reply
from storage.db import Database
from storage.notice import Address

Late = Callable[[list[Reply]], Awaitable[None]]  # gets the replies of a message answered late


class Inbox(Protocol):
    """The server as a channel sees it.

    cfg, db, clock: the configuration, the database and the app's clock (console `/now`).
    """

    cfg: Config
    db: Database
    clock: Clock

    async def handle_in_budget(self, msg: IncomingMessage, late: Late) -> list[Reply] | None:
        """The handler's replies if it finishes within `server.reply_budget_ms`; else None,
        and `late(replies)` runs when it does finish."""
        ...

    async def enqueue_replies(self, msg: IncomingMessage, replies: Iterable[Reply], *, to: Address) -> None:
        """Queue replies to `msg` for `to` in the outbox (idempotent per message)."""
        ...

    async def enqueue_text(self, msg: IncomingMessage, text: str, *, to: Address, tag: str) -> None:
        """Queue one text tied to `msg` (e.g. the rest of a long passive reply)."""
        ...

    def wake_outbox(self) -> None:
        """Tell the outbox worker that rows were queued in a transaction of the caller's."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` as a tracked background task (drained on shutdown)."""
        ...

    def epoch_ms(self, now: datetime) -> int:
        """`now` (naive local time) as epoch milliseconds, for platform timestamps."""
        ...
