"""The console channel: the very same dispatcher, from a terminal.

    /as USERID          speak as another cadre (WeCom or DingTalk account from the roster)
    /now 2026-12-01T09:00   move the clock (time keeps flowing from there); /now alone resets
    /quit               leave
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

from handlers.clock import OffsetClock
from handlers.dispatch import Dispatcher
from handlers.types import IncomingMessage, TextReply

BANNER = "民情通 控制台 — 以 {user} 的身份发言。/as 用户 切换身份，/now 时间 调整时钟，/quit 退出。"


class ConsoleSession:
    """State of one terminal conversation (identity, clock); `feed` handles one line."""

    def __init__(self, dispatcher: Dispatcher, clock: OffsetClock, user: str, out: TextIO) -> None:
        self.dispatcher, self.clock, self.user, self.out = dispatcher, clock, user, out
        self._ids = itertools.count(1)
        self._session = datetime.now().strftime("%Y%m%d%H%M%S%f")

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def feed(self, line: str) -> bool:
        """Handle one typed line; False when the user wants to leave."""
        line = line.rstrip("\n")
        if line.strip() in ("/quit", "/exit", "/q"):
            return False
        if line.startswith("/as"):
            user = line[3:].strip()
            if user:
                self.user = user
            self.say(f"（现在以 {self.user} 的身份发言）")
            return True
        if line.startswith("/now"):
            self._set_clock(line[4:].strip())
            return True
        if not line.strip():
            return True
        msg = IncomingMessage(channel="console", msg_id=f"{self._session}-{next(self._ids)}",
                              user_id=self.user, text=line, received_at=self.clock.now())
        for reply in await self.dispatcher.handle(msg):
            self.say(reply.text if isinstance(reply, TextReply) else getattr(reply, "text", str(reply)))
        return True

    def _set_clock(self, arg: str) -> None:
        if not arg:
            self.clock.offset = timedelta()
            self.say(f"（时钟已恢复：{self.clock.now():%Y-%m-%d %H:%M}）")
            return
        try:
            at = datetime.fromisoformat(arg)
        except ValueError:
            self.say("（时间格式：/now 2026-12-01T09:00）")
            return
        self.clock.set(at.replace(tzinfo=None))
        self.say(f"（时钟已调到 {self.clock.now():%Y-%m-%d %H:%M}）")


async def run_console(session: ConsoleSession, read_line: Callable[[], str] | None = None) -> None:
    """Read lines from stdin without blocking the event loop (server and scheduler keep going)."""
    read = read_line or sys.stdin.readline
    loop = asyncio.get_running_loop()
    session.say(BANNER.format(user=session.user))
    while True:
        session.out.write(f"{session.user}> ")
        session.out.flush()
        line = await loop.run_in_executor(None, read)
        if line == "":  # EOF
            break
        if not await session.feed(line):
            break
