"""The console channel: same dispatcher, /as to switch identity, /now to move the clock."""

from __future__ import annotations

import io
from datetime import datetime

from bot.console import ConsoleSession, run_console
from handlers.clock import FixedClock, OffsetClock


async def test_console_session(dispatcher):
    clock = OffsetClock(FixedClock(datetime(2026, 11, 18, 10, 0)))
    dispatcher.clock = clock
    out = io.StringIO()
    console = ConsoleSession(dispatcher, clock, "zhang", out)
    lines = iter(["今天去梅园3栋走访，同学反映热水不稳定\n", "/as li\n", "签收 #1\n",
                  "/now 2026-12-01T09:00\n", "/now yesterday\n", "逾期\n", "/quit\n", "never read\n"])
    await run_console(console, lambda: next(lines))
    text = out.getvalue()
    assert "已记录走访：11月18日" in text
    assert "（现在以 li 的身份发言）" in text and "已签收 #1" in text
    assert "（时钟已调到 2026-12-01 09:00）" in text and "时间格式" in text
    assert "共 1 项" in text and "【逾期】" in text
