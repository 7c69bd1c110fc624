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
    lines = iter(
        [
            "今天去梅园3栋走访，同学反映热水不稳定\n",
            "/as li\n",
            "签收 #1\n",
            "/now 2026-12-01T09:00\n",
            "/now yesterday\n",
            "逾期\n",
            "/quit\n",
            "never read\n",
        ]
    )
    await run_console(console, lambda: next(lines))
    text = out.getvalue()
    assert "已记录走访：11月18日" in text
    assert "（现在以 li 的身份发言）" in text and "已签收 #1" in text
    assert "（时钟已调到 2026-12-01 09:00）" in text and "时间格式" in text
    assert "共 1 项" in text and "【逾期】" in text


async def test_now_runs_the_reminders_that_fell_due_and_notices_stay_in_the_console(dispatcher, db):
    from types import SimpleNamespace

    from sqlalchemy import select

    from bot.config import Config
    from bot.console import jobs_preview
    from storage.models import Outbox, Reminder

    clock = OffsetClock(FixedClock(datetime(2026, 11, 18, 10, 0)))
    dispatcher.clock = clock
    out = io.StringIO()
    app = SimpleNamespace(cfg=Config(), db=db)
    console = ConsoleSession(dispatcher, clock, "zhang", out, jobs=jobs_preview(app))
    lines = iter(
        [
            "今天去梅园3栋走访，同学反映热水不稳定\n",
            "转办 #1 后勤处\n",
            "/now 2026-12-01T09:00\n",
            "/now 下周一 9:00\n",
            "/quit\n",
        ]
    )
    await run_console(console, lambda: next(lines))
    text = out.getvalue()
    assert "（时钟已调到 2026-12-01 09:00）" in text
    assert "[→ 刘处长] 【民情通】催办：以下问题已超过办理期限" in text and "#1 宿舍｜热水不稳定" in text
    assert "（时钟已调到 2026-12-07 09:00）" in text
    async with db.session() as s:
        rows = list(await s.scalars(select(Outbox)))
        claimed = list(await s.scalars(select(Reminder)))
    assert [(o.channel, o.target) for o in rows] == [("console", "刘处长")]  # the 转办 notice only
    assert claimed == []  # a preview claims nothing: the real scheduler still sends on time


async def test_a_piped_transcript_shows_what_was_typed(dispatcher):
    clock = OffsetClock(FixedClock(datetime(2026, 11, 18, 10, 0)))
    dispatcher.clock = clock
    out = io.StringIO()
    lines = iter(["帮助\n", "/quit\n"])
    await run_console(ConsoleSession(dispatcher, clock, "zhang", out), lambda: next(lines), echo=True)
    assert "zhang> 帮助\n民情通使用说明" in out.getvalue()


async def test_as_takes_an_account_or_a_unique_name_and_refuses_strangers(dispatcher):
    clock = OffsetClock(FixedClock(datetime(2026, 11, 18, 10, 0)))
    dispatcher.clock = clock
    out = io.StringIO()
    console = ConsoleSession(dispatcher, clock, "zhang", out)
    lines = iter(["/as nobody\n", "/as 李院长\n", "签收 #1\n", "/quit\n"])
    await run_console(console, lambda: next(lines))
    text = out.getvalue()
    assert "名单里没有「nobody」" in text and "（现在以 nobody 的身份发言）" not in text
    assert "（现在以 li 的身份发言）" in text  # 李院长 is li's name in the roster
    assert "不在民情通的干部名单" not in text


async def test_group_mode_speaks_in_a_group_chat(dispatcher):
    """/group: messages come from a group chat (group-only and private-only commands behave as
    there, replies are masked); /private goes back."""
    from handlers.texts import refusals

    clock = OffsetClock(FixedClock(datetime(2026, 11, 18, 10, 0)))
    dispatcher.clock = clock
    out = io.StringIO()
    console = ConsoleSession(dispatcher, clock, "li", out)
    lines = iter(["/group 计算机学院群\n", "绑定 计算机学院\n", "后台\n", "/private\n", "绑定 计算机学院\n", "/quit\n"])
    await run_console(console, lambda: next(lines))
    text = out.getvalue()
    assert "（现在在群「计算机学院群」里发言" in text and "li@计算机学院群> " in text
    assert "计算机学院" in text.split("li@计算机学院群> ")[1]  # 绑定 in the group: bound
    assert refusals.PRIVATE_CONSOLE in text
    assert "（现在是私聊）\nli> " in text
    assert text.count(refusals.GROUP_BIND) == 1  # 绑定 in the private chat


async def test_a_file_sent_to_the_console_is_saved_and_its_path_printed(tmp_path):
    """The console has no file message: a file (导出台账) is written under the data directory
    and the printed notice says where; a second file of the same name does not overwrite it."""
    from bot.outbound.console import ConsoleDelivery
    from bot.outbound.delivery import Delivery
    from bot.platform import Route

    out = io.StringIO()

    async def files(request: str, now: datetime) -> tuple[str, bytes]:
        return "台账-2026-11.xlsx", b"PK-xlsx"

    delivery = Delivery(senders={}, console=ConsoleDelivery(out, tmp_path / "console-files"), files=files)
    for _ in range(2):
        await delivery.send(Route("console", "li", name="李院长"), "file", "{}", datetime(2026, 11, 18, 10, 0))
    first, second = tmp_path / "console-files" / "台账-2026-11.xlsx", tmp_path / "console-files" / "台账-2026-11-2.xlsx"
    assert first.read_bytes() == second.read_bytes() == b"PK-xlsx"
    assert out.getvalue().splitlines() == [
        f"[→ 李院长] [文件] 台账-2026-11.xlsx（7 字节），已保存到 {first}",
        f"[→ 李院长] [文件] 台账-2026-11.xlsx（7 字节），已保存到 {second}",
    ]
