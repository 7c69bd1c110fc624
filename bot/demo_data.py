"""Demo roster and demo conversation for a local trial (`minqing demo`).

The demo messages go through the real dispatcher at times in the recent past, so the demo
data is exactly what real use would have produced."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.app import App
from bot.roster_import import import_roster
from handlers.types import IncomingMessage


async def load_demo(app: App, demo_dir: Path) -> list[str]:
    """Import demo_dir/roster.csv, then replay demo_dir/messages.jsonl through the dispatcher, each at 10:00
    `days_ago` days back (the clock is restored after). Returns the report lines, Chinese, for printing.
    """
    report = await import_roster(app.db, demo_dir / "roster.csv")
    lines = report.lines()
    base = app.clock.now().replace(hour=10, minute=0, second=0)
    saved = app.clock.offset
    try:
        for n, raw in enumerate((demo_dir / "messages.jsonl").read_text(encoding="utf-8").splitlines()):
            if not raw.strip():
                continue
            m = json.loads(raw)
            at = base - timedelta(days=m["days_ago"]) + timedelta(minutes=n)
            app.clock.set(at)
            msg = IncomingMessage(
                channel="console", msg_id=f"demo-{n}", user_id=m["as"], text=m["text"], received_at=at
            )
            await app.dispatcher.handle(msg)
    finally:
        app.clock.offset = saved
    lines.append("已载入演示记录（走访、问题、转办、办结、回访各一例）。")
    return lines
