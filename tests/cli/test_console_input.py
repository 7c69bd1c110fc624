"""What a terminal really sends to the console channel: a paste cut mid-character, control
characters, end of input. The message is stored cleaned and answered; EOF ends only the console."""

from __future__ import annotations

import io
import os
import sys
from datetime import datetime

from sqlalchemy import select

from bot.console import ConsoleSession, _StdinLines, run_console
from handlers.clock import FixedClock, OffsetClock
from storage.models import InboundMessage


async def test_cut_paste_and_control_characters_are_stored_cleaned_and_answered(dispatcher, db):
    clock = OffsetClock(FixedClock(datetime(2026, 11, 18, 10, 0)))
    dispatcher.clock = clock
    out = io.StringIO()
    lines = iter(["走访梅园5栋\x1b[A，热水正常\ud83d\n", "谢谢\x07\n"])
    quit_asked = await run_console(ConsoleSession(dispatcher, clock, "zhang", out), lambda: next(lines, ""))
    assert quit_asked is False  # end of input, not /quit
    async with db.session() as s:
        texts = list(await s.scalars(select(InboundMessage.text).order_by(InboundMessage.id)))
    assert texts == ["走访梅园5栋[A，热水正常\ufffd", "谢谢"]
    assert "已记录走访" in out.getvalue() and "无法识别" not in out.getvalue()


def test_stdin_lines_decode_a_cut_utf8_sequence_and_end_at_eof(monkeypatch):
    r, w = os.pipe()
    os.write(w, "走访".encode() + "梅".encode()[:2] + b"\n" + "第二行".encode())
    os.close(w)
    with os.fdopen(r, "rb") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        read = _StdinLines()
        assert [read(), read(), read()] == ["走访\ufffd\n", "第二行", ""]
