"""Screenshots of the console's main pages for the README (docs/screenshots/*.png).

    .venv/bin/python docs/make_screenshots.py

A temporary SQLite database gets the demo roster and a month of chat messages sent through
the real dispatcher (fixed clock, 2026-11-25); the server runs in-process and Debian's
chromium (Playwright) signs in as the leader 王书记 through a 「后台」 link.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from bot.config import Config  # noqa: E402
from bot.roster_import import import_roster  # noqa: E402
from bot.server import create_app  # noqa: E402
from handlers.clock import FixedClock  # noqa: E402
from handlers.dispatch import Dispatcher  # noqa: E402
from handlers.nlu import Parser  # noqa: E402
from handlers.policy import Policy  # noqa: E402
from handlers.privacy import mask  # noqa: E402
from handlers.types import IncomingMessage  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MONTH = [
    (1, "zhang", "去梅园3栋走访，和8名同学聊了聊，反映热水时有时无，晚上宿舍网络很卡"),
    (2, "zhao", "在二食堂和12名学生共餐，学生说饭菜偏咸，窗口开得少排队太久"),
    (3, "li", "去计算机学院2201教室听课，教室投影仪看不清，后排学生反映听不到老师讲课"),
    (4, "zhang", "有学生反映期末压力大，晚上失眠，想找心理老师聊聊"),
    (5, "chen", "去东区食堂检查，学生反映晚餐菜品太少"),
    (6, "sun", "走访研究生公寓，5名同学反映洗衣机经常坏，奖学金评定办法不清楚"),
    (8, "zhang", "签收 #1"),
    (8, "zhang", "转办 #1 后勤处"),
    (9, "liu", "办结 #1 已更换梅园3栋热水循环泵，热水恢复正常"),
    (10, "zhang", "回访 #1 满意 同学们说热水稳定了"),
    (11, "zhao", "签收 #3"),
    (12, "zhao", "进展 #3 已与食堂沟通，增开两个窗口"),
    (13, "li", "去梅园5栋走访，学生反映楼道灯坏了，门禁刷卡失灵"),
    (15, "sun", "办结 #9 已联系厂家维修洗衣机"),
    (16, "zhang", "走访梅园3栋，学生反映就业指导讲座太少，希望多办招聘会"),
    (18, "wang", "包保 #6"),
    (19, "liu", "签收 #11"),
    (20, "chen", "二食堂门口的路灯坏了"),
    (20, "chen", "办结 #15 已换灯泡"),
    (22, "zhao", "在一食堂和学生共餐，学生反映价格偏贵"),
]


async def build(db: Database, parser, clock: FixedClock) -> Dispatcher:
    await upgrade(db)
    await import_roster(db, ROOT / "bot" / "demo" / "roster.csv")
    d = Dispatcher(db, parser, Policy(), clock, mask=mask)
    for n, (day, user, text) in enumerate(MONTH):
        clock.set(datetime(2026, 11, day, 10, 0) + timedelta(minutes=n))
        await d.handle(IncomingMessage("console", f"shot-{n}", user, text, clock.now()))
    clock.set(datetime(2026, 11, 25, 10, 0))
    return d


async def main() -> None:
    from playwright.async_api import async_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/shots.db")
        clock = FixedClock(datetime(2026, 11, 1, 9, 0))
        d = await build(db, Parser.load(cache_dir=Path(tmp) / "jieba"), clock)
        runner = web.AppRunner(create_app(Config(data_dir=Path(tmp)), db, d, clock, start_worker=False))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        reply = "\n".join(
            r.text for r in await d.handle(IncomingMessage("console", "shot-login", "wang", "后台", clock.now()))
        )
        link = re.search(r"/console/login\?t=\S+", reply).group(0)
        OUT.mkdir(parents=True, exist_ok=True)
        async with async_playwright() as pw:
            ctx = await pw.chromium.launch_persistent_context(
                str(Path(tmp) / "profile"),
                executable_path="/usr/bin/chromium",
                headless=True,
                args=ARGS,
                viewport={"width": 1360, "height": 900},
                locale="zh-CN",
            )
            page = await ctx.new_page()
            await page.goto(base + link)
            await shot(page, "login")
            await page.click("#enter")
            await page.wait_for_selector("#chart-units canvas")
            await shot(page, "dashboard")
            for name, path in (
                ("items", "/console/items?list=tasks"),
                ("item", "/console/items/3"),
                ("visits", "/console/visits"),
                ("report", "/console/report?month=2026-11"),
            ):
                await page.goto(base + path)
                await shot(page, name)
            await ctx.close()
        await runner.cleanup()
        await db.dispose()
    print("screenshots in", OUT)


async def shot(page, name: str) -> None:
    await page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


if __name__ == "__main__":
    asyncio.run(main())
