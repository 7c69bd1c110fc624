"""The console channel: the very same dispatcher, from a terminal.

    /as USERID          speak as another cadre (WeCom or DingTalk account from the roster)
    /now 2026-12-01T09:00   move the clock (time keeps flowing from there); /now alone resets
    /quit               leave
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TextIO

from handlers.clock import OffsetClock
from handlers.dispatch import Dispatcher
from handlers.inbound_text import clean
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


async def run_console(session: ConsoleSession, read_line: Callable[[], str] | None = None) -> bool:
    """Read lines without blocking the event loop (server and scheduler keep going).
    True when the user typed /quit, False at end of input (stdin closed: Ctrl-D, a pipe).

    Lines are read on a daemon thread, so Ctrl-C and SIGTERM never wait for a line
    that will not come (the default executor would hold shutdown until Enter)."""
    read = read_line or _stdin_line
    loop = asyncio.get_running_loop()
    session.say(BANNER.format(user=session.user))
    while True:
        session.out.write(f"{session.user}> ")
        session.out.flush()
        line = await _read_in_thread(loop, read)
        if line == "":  # EOF
            return False
        if not await session.feed(clean(line)):
            return True


class _StdinLines:
    """Lines of stdin read with os.read (no lock of sys.stdin is held while waiting, so the
    interpreter can exit while a line is awaited); bytes that are not UTF-8 (a paste cut
    mid-character) become U+FFFD. "" at end of input."""

    def __init__(self) -> None:
        self.buf = b""

    def __call__(self) -> str:
        while b"\n" not in self.buf:
            chunk = os.read(sys.stdin.fileno(), 65536)
            if not chunk:
                line, self.buf = self.buf, b""
                return line.decode("utf-8", "replace")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("utf-8", "replace") + "\n"


_stdin_line = _StdinLines()


def _read_in_thread(loop: asyncio.AbstractEventLoop, read: Callable[[], str]) -> asyncio.Future[str]:
    fut: asyncio.Future[str] = loop.create_future()

    def work() -> None:
        try:
            line = read()
        except (OSError, ValueError, UnicodeDecodeError):  # stdin closed or undecodable: end of input
            line = ""
        except StopIteration:  # an iterator-backed reader ran out
            line = ""
        try:
            loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(line))
        except RuntimeError:  # the loop closed while we waited for input
            pass

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return fut
