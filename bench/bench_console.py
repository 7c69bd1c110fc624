"""Web console benchmark: dashboard and list pages, and the 台账 export, on a big SQLite file.

    .venv/bin/python bench/bench_console.py [--cadres 20000] [--rounds 10]

Builds the scheduler benchmark's synthetic organisation (bench/bench_scheduler.py: 20,000
cadres, 500 units, 240,000 visits, 100,000 items) in a temporary SQLite file, then moves items
1–10,000 (and visits 1–24,000) into October 2025, a month that is otherwise empty, so that month
is exactly a 10,000-item month. The server runs as its own process (`--serve`, the real
create_app, parser and dispatcher, fixed clock 2026-11-16 09:00); this process is the client:
it signs in as a leader with a one-time link and times each page `--rounds` times. Reported:
the first request's server time (cold: the month's organisation-wide figures are computed, see
bot/web/dashboard.py MonthCache), then the client's wall time and the server's own time
(Server-Timing header: wall, and the server process's CPU time, which shows what a loaded
machine adds) of the next rounds, median and max. The load average is printed at the end.
Targets (issue 14): pages ≤ 300 ms server time; the 10,000-item month's xlsx ≤ 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from sqlalchemy import text

from bench.bench_scheduler import NOW, build_org
from storage import console_links
from storage.db import Database
from storage.migrate import upgrade

PAGES = [
    ("dashboard (all units, 2026-11)", "/console/?month=2026-11"),
    ("dashboard (one unit)", "/console/?month=2026-11&unit=7"),
    ("问题清单 page 1", "/console/items?list=problems"),
    ("任务清单, month + category, by deadline", "/console/items?list=tasks&month=2026-11&category=食堂&sort=deadline"),
    ("overdue, one unit", "/console/items?overdue=1&unit=7"),
    ("问题清单 page 200", "/console/items?list=problems&page=200"),
    ("item page", "/console/items/{item}"),
    ("visit ledger page 1", "/console/visits"),
    ("visit ledger, month, by unit", "/console/visits?month=2026-10&sort=unit"),
    ("monthly report page", "/console/report?month=2026-10"),
]
EXPORT = ("台账 xlsx, 2025-10 (10,000 items)", "/console/export.xlsx?month=2025-10")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def build(path: Path, cadres: int) -> int:
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    t0 = time.perf_counter()
    leader = await build_org(db, cadres=cadres, units=max(1, cadres // 40), visits=cadres * 12, items=cadres * 5)
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE items SET created_at = datetime('2025-10-01 09:00', '+' || (id % 31) || ' days'),"
                " deadline = date('2025-10-01', '+' || (id % 31 + 7) || ' days'),"
                " responded_at = CASE WHEN responded_at IS NULL THEN NULL"
                "   ELSE datetime('2025-10-01 15:00', '+' || (id % 31) || ' days') END,"
                " resolved_at = CASE WHEN resolved_at IS NULL THEN NULL"
                "   ELSE datetime('2025-10-02 11:00', '+' || (id % 31 + id % 5) || ' days') END"
                " WHERE id <= :n"
            ),
            {"n": cadres // 2},
        )
        await conn.execute(
            text("UPDATE visits SET date = date('2025-10-01', '+' || (id % 31) || ' days') WHERE id <= :n"),
            {"n": cadres * 12 // 10},
        )
        await conn.execute(text("ANALYZE"))
    print(f"built {cadres} cadres, {cadres * 12} visits, {cadres * 5} items in {time.perf_counter() - t0:.1f} s")
    await db.dispose()
    return leader


async def serve(db_path: str, port: int) -> None:
    """The server process: the real app on a fixed clock."""
    from aiohttp import web

    from bot.config import Config, ServerConfig
    from bot.server import create_app
    from handlers.clock import FixedClock
    from handlers.dispatch import Dispatcher
    from handlers.nlu import Parser
    from handlers.policy import Policy

    tmp = Path(db_path).parent
    db = Database(f"sqlite:///{db_path}")
    clock = FixedClock(NOW)
    cfg = Config(data_dir=tmp, server=ServerConfig(host="127.0.0.1", port=port))
    dispatcher = Dispatcher(db, Parser.load(cache_dir=tmp / "jieba"), Policy(), clock)
    runner = web.AppRunner(create_app(cfg, db, dispatcher, clock, start_worker=False), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def timed(
    session: aiohttp.ClientSession, url: str, rounds: int
) -> tuple[list[float], list[float], list[float], int]:
    wall, server, cpu = [], [], []
    size = 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        async with session.get(url, allow_redirects=False) as r:
            body = await r.read()
            assert r.status == 200, (url, r.status)
        wall.append((time.perf_counter() - t0) * 1000)
        timing = dict(part.strip().split(";dur=") for part in r.headers["Server-Timing"].split(","))
        server.append(float(timing["app"]))
        cpu.append(float(timing["cpu"]))
        size = len(body)
    return wall, server, cpu, size


async def _some_item(db_path: Path) -> int:
    """An item in the middle of the numbering (its page is timed)."""
    db = Database(f"sqlite:///{db_path}")
    async with db.session() as s:
        n = (await s.execute(text("SELECT max(id) FROM items"))).scalar_one()
    await db.dispose()
    return n // 2 + 321


async def client(db_path: Path, leader: int, port: int, rounds: int) -> None:
    base = f"http://127.0.0.1:{port}"
    db = Database(f"sqlite:///{db_path}")
    async with db.write() as s:
        token = await console_links.issue(s, leader, NOW, 10)
    await db.dispose()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        for _ in range(600):
            try:
                async with session.get(base + "/healthz") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        async with session.post(base + "/console/login", data={"t": token}, allow_redirects=False) as r:
            assert r.status == 302, r.status
        print(
            f"{'page':44s} {'first':>8s} {'server ms (median / max)':>20s} {'cpu ms':>8s}"
            f" {'client ms (median / max)':>20s}  bytes"
        )
        item = await _some_item(db_path)
        for name, path in [*PAGES, EXPORT]:
            path = path.format(item=item)
            n = rounds if (name, path) != EXPORT else max(1, rounds // 3)
            _, first, _, _ = await timed(session, base + path, 1)  # cold: SQLite page cache, month figures
            wall, server, cpu, size = await timed(session, base + path, n)
            print(
                f"{name:44s} {first[0]:8.1f} {statistics.median(server):10.1f} / {max(server):7.1f}"
                f" {statistics.median(cpu):8.1f} {statistics.median(wall):10.1f} / {max(wall):7.1f}  {size}"
            )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cadres", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        await serve(args.serve[0], int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "console.db"
        leader = await build(db_path, args.cadres)
        port = free_port()
        server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", str(db_path), str(port))
        try:
            await client(db_path, leader, port, args.rounds)
        finally:
            server.terminate()
            await server.wait()
    print(
        f"(clock fixed at {NOW:%Y-%m-%d %H:%M}; run {datetime.now():%Y-%m-%d %H:%M};"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    asyncio.run(main())
