"""The console channel: the very same dispatcher, from a terminal.

    /as WHO             speak as another cadre: a WeCom or DingTalk account from the roster, or a
                        name that only one active cadre has (an unknown one is refused)
    /now 2026-12-07T09:00   move the clock (time keeps flowing from there); also 「/now 下周一 9:00」;
                        /now alone resets. Moving forward runs the scheduled jobs that fell due
                        in between, as a preview printed here (nothing queued, nothing claimed).
    /group [NAME]       speak in a group chat NAME (default 演示群): group replies are masked and
                        group-only or private-only commands (绑定, 后台, 导出台账) behave as there
    /private            back to the private chat
    /quit               leave

Notices a console message causes (转办, 退回, 延期 …) are queued for the console channel only
(handlers/dispatch.py), so practising on a real database never reaches a platform.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import TextIO

from bot.platform import platforms
from handlers.clock import OffsetClock
from handlers.dispatch import Dispatcher
from handlers.inbound_text import clean
from handlers.nlu.dates import FUTURE, ImpossibleDate, parse_date
from handlers.types import IncomingMessage, TextReply
from storage.roster import accounts, cadre_by_platform_id, find_cadre_by_name

# (clock before, clock after) → preview lines of the jobs that fell due in between
JobsPreview = Callable[[datetime, datetime], Awaitable[list[str]]]

BANNER = (
    "民情通 控制台 — 以 {user} 的身份发言。/as 用户 切换身份，/now 时间 调整时钟，"
    "/group 群名 在群里发言，/private 回到私聊，/quit 退出。"
)
DEFAULT_GROUP = "演示群"


class ConsoleSession:
    """State of one terminal conversation (identity, clock); `feed` handles one line."""

    def __init__(
        self, dispatcher: Dispatcher, clock: OffsetClock, user: str, out: TextIO, jobs: JobsPreview | None = None
    ) -> None:
        self.dispatcher, self.clock, self.user, self.out = dispatcher, clock, user, out
        self.jobs = jobs
        self.group: str | None = None  # the group chat spoken in (None: a private chat)
        self._ids = itertools.count(1)
        self._session = datetime.now().strftime("%Y%m%d%H%M%S%f")

    async def _account(self, who: str) -> str | None:
        """The platform account to speak as: `who` itself when it is an active cadre's account,
        else the account of the one active cadre named `who`; None when neither."""
        async with self.dispatcher.db.session() as s:
            if await cadre_by_platform_id(s, "console", who) is not None:
                return who
            named = await find_cadre_by_name(s, who)
            if len(named) != 1:
                return None
            ids = await accounts(s, named[0].id)
        return next((ids[name] for name in platforms() if name in ids), None)  # WeCom first, then DingTalk, …

    def say(self, text: str) -> None:
        """Write one reply (or notice) to the console's output, newline-terminated and flushed."""
        self.out.write(text + "\n")
        self.out.flush()

    async def feed(self, line: str) -> bool:
        """Handle one typed line; False when the user wants to leave."""
        line = line.rstrip("\n")
        if line.strip() in ("/quit", "/exit", "/q"):
            return False
        if line.startswith("/as"):
            who = line[3:].strip()
            if who:
                account = await self._account(who)
                if account is None:
                    self.say(f"（名单里没有「{who}」：请用名单里的企业微信/钉钉账号，或只有一人叫这个名字的姓名）")
                    return True
                self.user = account
            self.say(f"（现在以 {self.user} 的身份发言）")
            return True
        if line.strip() == "/private":
            self.group = None
            self.say("（现在是私聊）")
            return True
        if line.startswith("/group"):
            self.group = line[6:].strip() or DEFAULT_GROUP
            self.say(f"（现在在群「{self.group}」里发言：群里的回复会隐去姓名、电话；/private 回到私聊）")
            return True
        if line.startswith("/now"):
            before = self.clock.now()
            if self._set_clock(line[4:].strip()) and self.jobs is not None and self.clock.now() > before:
                for text in await self.jobs(before, self.clock.now()):
                    self.say(text)
            return True
        if not line.strip():
            return True
        msg = IncomingMessage(
            channel="console",
            msg_id=f"{self._session}-{next(self._ids)}",
            user_id=self.user,
            text=line,
            received_at=self.clock.now(),
            chat_id=self.group,
            is_group=self.group is not None,
        )
        for reply in await self.dispatcher.handle(msg):
            self.say(reply.text if isinstance(reply, TextReply) else getattr(reply, "text", str(reply)))
        return True

    def _set_clock(self, arg: str) -> bool:
        """Move the clock; False (and a hint) when `arg` is not a time."""
        if not arg:
            self.clock.offset = timedelta()
            self.say(f"（时钟已恢复：{self.clock.now():%Y-%m-%d %H:%M}）")
            return True
        at = clock_time(arg, self.clock.now())
        if at is None:
            self.say("（时间格式：/now 2026-12-07T09:00 或 /now 下周一 9:00）")
            return False
        self.clock.set(at)
        self.say(f"（时钟已调到 {self.clock.now():%Y-%m-%d %H:%M}）")
        return True


def clock_time(arg: str, now: datetime) -> datetime | None:
    """An ISO time, or a date as people write it (handlers/nlu/dates.py) with an optional
    「9:00」; a bare date means 09:00. None when unreadable."""
    try:
        return datetime.fromisoformat(arg).replace(tzinfo=None)
    except ValueError:
        pass
    m = re.fullmatch(r"(.+?)\s*(?:(\d{1,2})[:：点](\d{2})?)?", arg.strip())
    if not m:
        return None
    try:
        d = parse_date(m.group(1), now.date(), FUTURE)
    except ImpossibleDate:
        return None
    if d is None:
        return None
    hour, minute = int(m.group(2) or 9), int(m.group(3) or 0)
    if hour > 23 or minute > 59:
        return None
    return datetime.combine(d, time(hour, minute))


def jobs_preview(app) -> JobsPreview:
    """The console's view of the scheduler: when `/now` moves the clock forward, every job whose
    scheduled time fell in between runs once (its latest missed slot) as a dry run, and what it
    would send is printed as 「[→ 姓名] …」. Nothing is queued or claimed, so the real scheduler
    still sends it on time."""
    from scheduler import jobs
    from scheduler.delivery import OutboxSender
    from scheduler.ops import settings_from

    settings = settings_from(app.cfg)

    async def preview(before: datetime, after: datetime) -> list[str]:
        if not settings.enabled:
            return []
        lines: list[str] = []
        for spec in jobs.JOBS.values():
            trigger, due = spec.trigger(settings), None
            nxt = trigger.get_next_fire_time(None, before.replace(tzinfo=settings.tz) + timedelta(seconds=1))
            while nxt is not None and nxt.replace(tzinfo=None) <= after:
                due = nxt.replace(tzinfo=None)
                nxt = trigger.get_next_fire_time(None, nxt + timedelta(seconds=1))
            if due is None:
                continue
            messages = await spec.body(due, app.db, OutboxSender(), settings, app.cfg.policy, dry_run=True)
            async with app.db.session() as s:
                for msg in messages:
                    lines.append(f"[→ {await _recipient(s, msg)}] {msg.body}")
        if not lines:
            lines.append("（这段时间没有到点的提醒）")
        return lines

    return preview


async def _recipient(s, msg) -> str:
    from storage.notice import CadreAddress, GroupAddress, columns
    from storage.roster import cadre_name, get_group

    if isinstance(msg.to, CadreAddress):
        return await cadre_name(s, msg.to.cadre_id) or str(msg.to.cadre_id)
    if isinstance(msg.to, GroupAddress):
        g = await get_group(s, msg.to.binding_id)
        return f"群 {g.chat_id}" if g is not None else f"群 {msg.to.binding_id}"
    _channel, kind, target = columns(msg.to)
    return f"{kind}:{target}"


async def run_console(
    session: ConsoleSession, read_line: Callable[[], str] | None = None, echo: bool | None = None
) -> bool:
    """Read lines without blocking the event loop (server and scheduler keep going).
    True when the user typed /quit, False at end of input (stdin closed: Ctrl-D, a pipe).

    Lines are read on a daemon thread, so Ctrl-C and SIGTERM never wait for a line
    that will not come (the default executor would hold shutdown until Enter). With `echo`
    (default: stdin is not a terminal, e.g. a script piped in) each line read is printed after
    the prompt, so a transcript shows what was typed as well as the replies."""
    read = read_line or _stdin_line
    if echo is None:
        echo = read_line is None and not sys.stdin.isatty()
    loop = asyncio.get_running_loop()
    session.say(BANNER.format(user=session.user))
    while True:
        session.out.write(f"{session.user}@{session.group}> " if session.group else f"{session.user}> ")
        session.out.flush()
        line = await _read_in_thread(loop, read)
        if line == "":  # EOF
            return False
        if echo:
            session.out.write(line if line.endswith("\n") else line + "\n")
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

        def deliver() -> None:
            if not fut.done():
                fut.set_result(line)

        try:
            loop.call_soon_threadsafe(deliver)
        except RuntimeError:  # the loop closed while we waited for input
            pass

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return fut
