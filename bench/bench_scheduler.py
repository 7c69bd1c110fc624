"""Scheduler benchmark: a synthetic organisation in a temporary SQLite file.

    .venv/bin/python bench/bench_scheduler.py [--cadres 20000] [--small 2000] [--skip-dispatch]

Builds the full org (default 20,000 cadres, 500 units, 240,000 visits, 100,000 items) and a
small one (a tenth), runs the visit-duty sweep, the deadline sweep and the weekly digest on
each (first run: everything claimed and queued into the outbox), and prints wall time and
the number of SQL statements (counted with a `before_cursor_execute` listener). Baselines in
the same run: a naive per-cadre duty loop on the small org, and a bare COUNT for 本月未办结
next to the real dispatcher answering a leader's 「本月未办结」.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, insert, select, text

from handlers.policy import Policy
from scheduler.deadlines import deadline_job
from scheduler.delivery import OutboxSender
from scheduler.digest import weekly_digest_job
from scheduler.duties import visit_duties_job
from scheduler.settings import parse_settings
from storage import sweeps
from storage.db import Database
from storage.migrate import upgrade
from storage.models import (
    OPEN_STATUSES,
    Cadre,
    Followup,
    GroupBinding,
    Item,
    ItemEvent,
    Outbox,
    PlatformAccount,
    Point,
    Unit,
    Visit,
)

NOW = datetime(2026, 11, 16, 9, 0)  # a Monday after the 15th: every job has work to do
# Not in the schema yet: proposed to the storage owner; the bench shows its effect.
PROPOSED_INDEX = "ix_items_status_created"  # migration 0002
CATEGORIES = ("食堂", "宿舍", "教学", "就业", "心理", "资助", "安全", "后勤", "医疗", "办事")


class StatementCounter:
    def __init__(self, db: Database) -> None:
        self.n = 0
        for engine in db.engines:
            event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.n += 1


async def build_org(db: Database, cadres: int, units: int, visits: int, items: int, seed: int = 7) -> int:
    """Bulk-insert a synthetic organisation; returns a leader's id."""
    rnd = random.Random(seed)
    today = NOW.date()
    unit_rows = [dict(id=u, name=f"单位{u:03d}") for u in range(1, units + 1)]
    cadre_rows, point_rows = [], []
    pid = 0
    for c in range(1, cadres + 1):
        u = (c - 1) % units + 1
        roles = ["cadre"]
        if c <= units:
            roles.append("unit_head")
        if c % 10 == 0:
            roles.append("辅导员")
        if c % 20 == 5:
            roles.append("中层副职以上")
        if c % (cadres // 20) == 7:
            roles = ["leader"]
        leave = today + timedelta(days=3) if c % 50 == 3 else None
        cadre_rows.append(dict(id=c, name=f"干部{c}", unit_id=u, roles=roles, active=True, leave_until=leave))
        for k in range(1 + c % 2):
            pid += 1
            point_rows.append(dict(id=pid, cadre_id=c, name=f"{u}区{c % 97}-{k}号楼", place_type="宿舍"))
    points_of: dict[int, list[str]] = {}
    for p in point_rows:
        points_of.setdefault(p["cadre_id"], []).append(p["name"])
    visit_rows = []
    for v in range(1, visits + 1):
        c = rnd.randint(1, cadres)
        day = today - timedelta(days=rnd.randint(0, 364))
        canteen = rnd.random() < 0.3
        visit_rows.append(
            dict(
                id=v,
                cadre_id=c,
                unit_id=(c - 1) % units + 1,
                date=day,
                place_type="食堂" if canteen else "宿舍",
                place="第一食堂" if canteen else rnd.choice(points_of[c]),
                people=3,
                text="走访听取意见",
                created_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=15),
            )
        )
    item_rows, fu_rows, ev_rows = [], [], []
    for i in range(1, items + 1):
        c = rnd.randint(1, cadres)
        age = rnd.randint(0, 364)
        created = NOW - timedelta(days=age, hours=rnd.randint(0, 8))
        deadline = created.date() + timedelta(days=rnd.choice((7, 7, 7, 30)))
        is_open = rnd.random() < (0.6 if age < 30 else 0.05)
        status = rnd.choice(OPEN_STATUSES) if is_open else rnd.choice(("resolved", "closed", "closed"))
        resolved = None if is_open else created + timedelta(days=rnd.randint(0, 10))
        responded = created + timedelta(hours=rnd.randint(1, 40)) if status != "new" else None
        item_rows.append(
            dict(
                id=i,
                category=rnd.choice(CATEGORIES),
                text=f"学生反映问题{i}，联系电话1380000{i % 10000:04d}",
                reporter_id=c,
                owner_id=c,
                unit_id=(c - 1) % units + 1,
                track="即办",
                deadline=deadline,
                status=status,
                created_at=created,
                responded_at=responded,
                resolved_at=resolved,
            )
        )
        if resolved is not None and rnd.random() < 0.5:
            rating = rnd.choice(("满意", "满意", "基本满意", "不满意"))
            fu_rows.append(dict(item_id=i, actor_id=c, rating=rating, at=resolved + timedelta(days=1)))
        if status == "reopened":
            ev_rows.append(dict(item_id=i, kind="reopened", actor_id=c, at=created + timedelta(days=3), data={}))
    groups = [
        dict(id=u, channel="wecom" if u % 2 else "dingtalk", chat_id=f"chat{u}", unit_id=u, is_leaders=False)
        for u in range(1, units + 1)
    ]
    groups.append(dict(id=units + 1, channel="wecom", chat_id="leaders", unit_id=None, is_leaders=True))
    async with db.engine.begin() as conn:
        for model, rows in (
            (Unit, unit_rows),
            (Cadre, cadre_rows),
            (PlatformAccount, [dict(cadre_id=r["id"], channel="wecom", account_id=f"u{r['id']}") for r in cadre_rows]),
            (Point, point_rows),
            (Visit, visit_rows),
            (Item, item_rows),
            (Followup, fu_rows),
            (ItemEvent, ev_rows),
            (GroupBinding, groups),
        ):
            for n in range(0, len(rows), 20000):
                await conn.execute(insert(model), rows[n : n + 20000])
    return next(r["id"] for r in cadre_rows if "leader" in r["roles"])


async def timed(db: Database, counter: StatementCounter, coro_fn) -> tuple[float, int, int]:
    start_n = counter.n
    t0 = time.perf_counter()
    result = await coro_fn()
    return time.perf_counter() - t0, counter.n - start_n, len(result)


async def naive_duty_loop(db: Database) -> int:
    """Baseline: what a per-person implementation does (two queries per cadre)."""
    start = NOW.date().replace(day=1)
    owing = 0
    async with db.session() as s:
        ids = list(await s.scalars(select(Cadre.id).where(Cadre.active.is_(True))))
        for cid in ids:
            names = list(await s.scalars(select(Point.name).where(Point.cadre_id == cid)))
            places = list(
                await s.scalars(
                    select(Visit.place).where(Visit.cadre_id == cid, Visit.date >= start, Visit.revoked_at.is_(None))
                )
            )
            if any(not any(n in (p or "") for p in places) for n in names):
                owing += 1
    return owing


async def run_size(label: str, cadres: int, units: int, visits: int, items: int, tmp: Path, baseline: bool) -> dict:
    db = Database(f"sqlite:///{tmp}/{label}.db")
    await upgrade(db)
    t0 = time.perf_counter()
    leader = await build_org(db, cadres, units, visits, items)
    build_s = time.perf_counter() - t0
    counter = StatementCounter(db)
    settings, policy = parse_settings({}), Policy()
    out = {"label": label, "cadres": cadres, "build_s": build_s, "db": db, "leader": leader, "counter": counter}
    sender = OutboxSender()
    for name, fn in (
        ("visit-duty sweep", lambda: visit_duties_job(NOW, db, sender, settings, policy)),
        ("deadline sweep", lambda: deadline_job(NOW, db, sender, settings, policy)),
        ("weekly digest (all units)", lambda: weekly_digest_job(NOW, db, sender, settings, policy)),
    ):
        first = await timed(db, counter, fn)
        again = await timed(db, counter, fn)  # everything already claimed: steady state
        out[name] = (first, again)
    if baseline:
        t, n, owing = await timed(db, counter, lambda: _as_list(naive_duty_loop(db)))
        out["baseline"] = (t, n, owing)
    async with db.session() as s:
        out["outbox"] = (await s.execute(select(func.count()).select_from(Outbox))).scalar_one()
    return out


async def _as_list(coro) -> list:
    return [0] * await coro


async def bench_month_open(db: Database, leader: int, counter: StatementCounter, with_dispatcher: bool) -> None:
    start = NOW.replace(day=1, hour=0)
    end = datetime(NOW.year + (NOW.month == 12), NOW.month % 12 + 1, 1)

    async def bare_count() -> int:
        async with db.session() as s:
            q = (
                select(func.count())
                .select_from(Item)
                .where(Item.created_at >= start, Item.created_at < end, Item.status.in_(OPEN_STATUSES))
            )
            return (await s.execute(q)).scalar_one()

    async def sweep_query() -> int:
        async with db.session() as s:
            total, _rows = await sweeps.month_open_items(s, start, end, limit=30)
        return total

    rows = [("bare COUNT (baseline)", bare_count), ("storage.sweeps.month_open_items", sweep_query)]
    if with_dispatcher:
        from handlers.clock import FixedClock
        from handlers.dispatch import Dispatcher
        from handlers.nlu import Parser
        from handlers.privacy import mask
        from handlers.types import IncomingMessage

        cache = Path(tempfile.mkdtemp(prefix="minqing-jieba-"))
        dispatcher = Dispatcher(db, Parser.load(cache_dir=cache), Policy(), FixedClock(NOW), mask=mask)
        seq = iter(range(10**6))

        async def via_dispatcher() -> int:
            replies = await dispatcher.handle(
                IncomingMessage(
                    channel="console",
                    msg_id=f"bench-{next(seq)}",
                    user_id=f"u{leader}",
                    text="本月未办结",
                    received_at=NOW,
                )
            )
            return len(replies[0].text)

        first_reply = await via_dispatcher()
        print(f"  (dispatcher reply: {first_reply} chars)")
        rows.append(("dispatcher.handle(「本月未办结」)", via_dispatcher))
    for label in (f"baseline: without {PROPOSED_INDEX}", "schema as migrated (0002)"):
        async with db.engine.begin() as conn:
            if label.startswith("baseline"):
                await conn.execute(text(f"DROP INDEX {PROPOSED_INDEX}"))
            else:
                await conn.execute(text(f"CREATE INDEX {PROPOSED_INDEX} ON items (status, created_at)"))
        print(f"\n本月未办结 for a leader ({NOW:%Y-%m}), 30 runs each — {label}:")
        print(f"  {'query':40s} {'median ms':>10s} {'p95 ms':>8s} {'stmts':>6s}")
        for name, fn in rows:
            await fn()  # warm
            times, n0 = [], counter.n
            for _ in range(30):
                t0 = time.perf_counter()
                await fn()
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            print(
                f"  {name:40s} {statistics.median(times):10.1f} {times[int(len(times) * 0.95) - 1]:8.1f} "
                f"{(counter.n - n0) / 30:6.1f}"
            )


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cadres", type=int, default=20000)
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--skip-dispatch", action="store_true", help="time only the storage query for 本月未办结")
    args = ap.parse_args()
    scale = args.small / args.cadres
    with tempfile.TemporaryDirectory(prefix="minqing-bench-") as tmp:
        sizes = [
            ("small", args.small, max(1, round(500 * scale)), round(240000 * scale), round(100000 * scale), True),
            ("full", args.cadres, 500, 240000, 100000, False),
        ]
        results = []
        for label, c, u, v, i, base in sizes:
            print(f"building {label}: {c} cadres, {u} units, {v} visits, {i} items …", flush=True)
            results.append(await run_size(label, c, u, v, i, Path(tmp), base))
            print(f"  built in {results[-1]['build_s']:.1f} s; outbox rows after the sweeps: {results[-1]['outbox']}")
        print(
            f"\nSQLite {sqlite3.sqlite_version}, now = {NOW:%Y-%m-%d %H:%M} (first run claims and "
            "queues everything; second run finds it all claimed)"
        )
        print(
            f"  {'sweep':28s} {'cadres':>7s} {'first s':>8s} {'stmts':>6s} {'msgs':>6s} {'again s':>8s} {'stmts':>6s}"
        )
        for name in ("visit-duty sweep", "deadline sweep", "weekly digest (all units)"):
            for r in results:
                (t1, n1, m1), (t2, n2, _m2) = r[name]
                print(f"  {name:28s} {r['cadres']:7d} {t1:8.2f} {n1:6d} {m1:6d} {t2:8.2f} {n2:6d}")
        small = results[0]
        t, n, owing = small["baseline"]
        (ts, ns, _), _ = small["visit-duty sweep"]
        print(
            f"  {'naive per-cadre duty loop':28s} {small['cadres']:7d} {t:8.2f} {n:6d} {owing:6d}"
            f"   (set-based on the same org: {ts:.2f} s, {ns} statements)"
        )
        full = results[-1]
        await bench_month_open(full["db"], full["leader"], full["counter"], not args.skip_dispatch)
        for r in results:
            await r["db"].dispose()


if __name__ == "__main__":
    asyncio.run(main())
