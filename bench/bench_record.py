"""Record write path: what one message costs the group commit, on a small and a large
database, and the garbage-collection pause that `gc.freeze()` removes.

    .venv/bin/python bench/bench_record.py [--batch 11] [--prefill 45000]

Realistic visit reports (bench_callback's generator) from 50 cadres are parsed once up front;
then batches of `--batch` messages go through handlers.record.Recorder's batch write in
Database.run_write (SQLite file, as `minqing serve` writes them). Measured per message at
the start, and again after `--prefill` more messages (≈ 2 items each) have been written.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_callback import visit_text

from bot.app import load_parser
from bot.config import Config
from bot.dingtalk.config import DingTalkConfig
from handlers.policy import Policy
from handlers.record import Recorder, RecordJob
from handlers.types import IncomingMessage
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Cadre, PlatformAccount, Unit

CADRES = 50
NOW = datetime(2026, 11, 20, 10, 0)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=11)
    ap.add_argument("--prefill", type=int, default=45000)
    ap.add_argument("--measure", type=int, default=3000)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
    cfg = Config(
        database_url=f"sqlite:///{tmp}/record.db", data_dir=tmp, platforms={"dingtalk": DingTalkConfig(mode="off")}
    )
    t = time.perf_counter()
    parser = load_parser(cfg)
    print(f"parser loaded in {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    gc.collect()
    full_gc = time.perf_counter() - t
    gc.freeze()
    t = time.perf_counter()
    gc.collect()
    print(
        f"full GC with the parser loaded: {full_gc * 1000:.1f} ms; after gc.freeze(): "
        f"{(time.perf_counter() - t) * 1000:.2f} ms"
    )

    db = Database(cfg.database_url)
    await upgrade(db)
    async with db.write() as s:
        unit = Unit(name="计算机学院")
        s.add(unit)
        await s.flush()
        s.add_all(
            [
                Cadre(
                    name=f"干部{i}",
                    unit_id=unit.id,
                    roles=[],
                    accounts=[PlatformAccount(channel="wecom", account_id=f"user{i}")],
                )
                for i in range(CADRES)
            ]
        )

    rng = random.Random(1)
    texts = [visit_text(rng) for _ in range(500)]
    parsed = [parser.parse(text, NOW.date()) for text in texts]
    recorder = Recorder(db, Policy())
    counter = iter(range(10**9))

    def jobs(n: int) -> list[RecordJob]:
        out = []
        for _ in range(n):
            i = next(counter)
            msg = IncomingMessage(
                channel="wecom", msg_id=str(i), user_id=f"user{i % CADRES}", text=texts[i % len(texts)], received_at=NOW
            )
            out.append(RecordJob(msg, parsed[i % len(parsed)], NOW))
        return out

    async def write(n: int) -> list[float]:
        """Seconds per batch."""
        times = []
        for _ in range(n // args.batch):
            batch = jobs(args.batch)
            t = time.perf_counter()
            await db.run_write(recorder._write, batch)
            times.append(time.perf_counter() - t)
        return times

    async def report(label: str) -> None:
        times = await write(args.measure)
        per_msg = sum(times) / (len(times) * args.batch)
        print(
            f"{label:<34} {per_msg * 1e6:7.0f} µs/message   batch p50 {statistics.median(times) * 1000:.2f} ms"
            f"   max {max(times) * 1000:.2f} ms"
        )

    print(f"batches of {args.batch} messages, {args.measure} messages measured each time")
    await write(200)
    await report("small database")
    await write(args.prefill)
    await report(f"after {args.prefill:,} more messages")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
