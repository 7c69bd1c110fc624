"""Where one message's time goes, per kind: the dispatcher in one process (no HTTP, no crypto),
on a database grown by `--warmup` visit reports, beside the parser alone on the same texts.

    .venv/bin/python bench/bench_dispatch.py [--warmup 4000] [--messages 1200]

Diagnostic companion of bench_callback.py (same roster of 300 cadres and the same traffic mix:
one message in six a question, the rest visit reports and commands on existing items). Messages
are handled one at a time, so each is timed alone (no group commit across messages). Printed per
kind: how many, mean and p50 milliseconds per message, and the share of that time spent inside
SQL statements (SQLAlchemy's cursor events); the baseline row is `Parser.parse` alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_callback import Traffic, roster, roster_csv, visit_text
from sqlalchemy import event, select

from bot.app import build_app
from bot.config import Config
from bot.dingtalk.config import DingTalkConfig
from bot.roster_import import import_roster
from handlers.types import IncomingMessage
from storage import migrate
from storage.models import Item, PlatformAccount


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warmup", type=int, default=4000, help="visit reports written first (default 4000)")
    ap.add_argument("--messages", type=int, default=1200, help="messages timed (default 1200)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
    (tmp / "roster.csv").write_text(roster_csv(roster(300)), encoding="utf-8")
    cfg = Config(
        database_url=f"sqlite:///{tmp}/dispatch.db", data_dir=tmp, platforms={"dingtalk": DingTalkConfig(mode="off")}
    )
    app = build_app(cfg)
    await migrate.upgrade(app.db)
    assert not (await import_roster(app.db, tmp / "roster.csv")).errors
    people, rng, ids = roster(300), random.Random(1), iter(range(1, 10**9))

    def message(user: str, text: str) -> IncomingMessage:
        return IncomingMessage("wecom", f"m{next(ids)}", user, text, app.clock.now())

    for _ in range(args.warmup):
        await app.dispatcher.handle(message(rng.choice(people).userid, visit_text(rng)))
    async with app.db.session() as s:
        rows = await s.execute(
            select(Item.id, PlatformAccount.account_id).join(
                PlatformAccount, (PlatformAccount.cadre_id == Item.owner_id) & (PlatformAccount.channel == "wecom")
            )
        )
        owned: dict[str, list[int]] = {}
        for item_id, user in rows:
            owned.setdefault(user, []).append(item_id)
    mix = Traffic(people, owned, seed=5)
    traffic = [mix.text() for _ in range(args.messages)]

    in_sql = [0.0]

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn: Any, *_: Any) -> None:
        in_sql[0] += time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())

    for engine in app.db.engines:
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)

    spent: dict[str, list[float]] = {"visit": [], "command": [], "query": []}
    sql: dict[str, float] = dict.fromkeys(spent, 0.0)
    for user, text, kind in traffic:
        msg = message(user, text)
        sql_before, t = in_sql[0], time.perf_counter()
        await app.dispatcher.handle(msg)
        spent[kind].append(time.perf_counter() - t)
        sql[kind] += in_sql[0] - sql_before

    today = app.clock.now().date()
    parse_times = []
    for _user, text, _kind in traffic:
        t = time.perf_counter()
        app.parser.parse(text, today)
        parse_times.append(time.perf_counter() - t)

    print(f"{args.warmup} visit reports first, then {args.messages} messages one at a time (SQLite)")
    print(f"{'kind':<22}{'n':>6}{'mean ms':>10}{'p50 ms':>9}{'in SQL':>9}")
    for kind, times in spent.items():
        if times:
            share = sql[kind] / sum(times)
            print(
                f"{kind:<22}{len(times):>6}{statistics.mean(times) * 1000:>10.2f}"
                f"{statistics.median(times) * 1000:>9.2f}{share:>9.0%}"
            )
    print(
        f"{'baseline Parser.parse':<22}{len(parse_times):>6}{statistics.mean(parse_times) * 1000:>10.2f}"
        f"{statistics.median(parse_times) * 1000:>9.2f}{'':>9}"
    )
    await app.db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
