"""WeCom callback benchmark: the full bot next to a bare decrypt + parse + encrypted-reply
handler, in the same run, on loopback.

    .venv/bin/python bench/bench_callback.py [--messages 2000] [--rounds 3] [--concurrency 32]
                                             [--workers 1] [--fake-dispatcher]

Both servers run in this process on 127.0.0.1 (one event loop, shared with the client; the
client's cost is the same for both). Every request is a distinct, correctly encrypted
WeCom text message (unique MsgId, realistic visit report) from one of 50 rostered cadres.
The full bot is wired exactly as `minqing serve` wires it: bot.app.build_app, messages
handled in `--workers` worker processes (server.workers, bot/workers.py: dedupe, NLU,
group-committed records, reply stored), served by create_app() on a fresh SQLite file. The
bare handler only verifies, decrypts, parses and encrypts a fixed reply (one process).

Rounds run bare and full back to back with fresh messages, so a busy moment of the machine
hits both; the ratio reported is the median of the per-round ratios. Afterwards every reply
is decrypted and checked, a replay of 10 % of the messages must not add rows, and the number
of stored InboundMessage rows must equal the number of distinct messages. CPU columns: this
process (servers + client) and the worker processes, as shares of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import xmltodict
from aiohttp import web
from sqlalchemy import func, select
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.app import build_app
from bot.config import Config, DingTalkConfig, ServerConfig, WeComConfig
from bot.server import create_app
from bot.wecom.crypto import WeComCrypto
from bot.workers import DispatcherPool, freeze_startup_objects
from handlers.clock import SystemClock
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Cadre, InboundMessage, Unit

CORP, TOKEN = "ww1436e0e65a779aee", "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY, AGENT = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "1000002"
CADRES = 50

PLACES = ["3号宿舍楼", "二食堂", "图书馆", "计算机学院实验室", "12栋学生公寓", "一食堂", "体育馆",
          "教学楼A座"]
PROBLEMS = ["热水供应不稳定", "饭菜价格偏高", "自习座位不够", "空调漏水", "网络经常断线", "窗口排队时间长",
            "楼道灯坏了", "洗衣机损坏", "考研自习室开放时间短", "奖助学金申请流程不清楚"]


def visit_text(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    probs = rng.sample(PROBLEMS, rng.randint(1, 3))
    return f"今天到{place}走访，和{rng.randint(3, 15)}名学生交流，反映" + "；".join(
        f"{i + 1}. {p}" for i, p in enumerate(probs)) + "。"


def build_requests(n: int, start_id: int, seed: int) -> list[tuple[str, bytes, str, str]]:
    """(path?query, body, nonce, user) for n distinct messages, encrypted like WeCom does."""
    rng = random.Random(seed)
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP)
    out = []
    for i in range(n):
        msg_id, user = start_id + i, f"user{rng.randrange(CADRES)}"
        nonce, ts = str(rng.randrange(10**9)), str(int(time.time()) + i % 60)  # within wecom.max_age_s
        plain = (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
                 f"</FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                 f"<Content><![CDATA[{visit_text(rng)}]]></Content><MsgId>{msg_id}</MsgId>"
                 f"<AgentID>{AGENT}</AgentID></xml>")
        env = xmltodict.parse(crypto.encrypt_message(plain, nonce, ts))["xml"]
        body = (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{env['Encrypt']}]]>"
                f"</Encrypt><AgentID><![CDATA[{AGENT}]]></AgentID></xml>").encode()
        q = urlencode({"msg_signature": env["MsgSignature"], "timestamp": ts, "nonce": nonce})
        out.append((f"/wecom/callback?{q}", body, nonce, user))
    return out


def bare_app(cfg: WeComConfig) -> web.Application:
    """Only decrypt + parse + encrypted reply: the floor any callback handler pays."""
    crypto = WeComCrypto(cfg)

    async def post(request: web.Request) -> web.Response:
        q = request.query
        msg = crypto.decrypt(await request.read(), q["msg_signature"], q["timestamp"], q["nonce"])
        xml = crypto.encrypt_reply(to_user=msg.FromUserName, text="收到", nonce=q["nonce"], agent_id=AGENT,
                                   timestamp=q["timestamp"])
        return web.Response(text=xml, content_type="application/xml")

    app = web.Application()
    app.router.add_post("/wecom/callback", post)
    return app


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def drive(base: str, reqs, concurrency: int) -> tuple[float, list[float], list[tuple[int, str]]]:
    """Send all requests over `concurrency` keep-alive connections; (wall s, latencies ms, answers)."""
    queue: asyncio.Queue = asyncio.Queue()
    for i, r in enumerate(reqs):
        queue.put_nowait((i, r))
    lat: list[float] = [0.0] * len(reqs)
    answers: list[tuple[int, str]] = [(0, "")] * len(reqs)
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=conn) as session:
        async def worker() -> None:
            while not queue.empty():
                i, (path, body, _, _) = queue.get_nowait()
                t = time.perf_counter()
                async with session.post(path, data=body) as resp:
                    text = await resp.text()
                lat[i] = (time.perf_counter() - t) * 1000
                answers[i] = (resp.status, text)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return wall, lat, answers


def check_answers(reqs, answers, crypto: WeChatCrypto) -> int:
    """Errors: non-200, or a reply that does not decrypt to a text addressed to the sender."""
    errors = 0
    for (_, _, _, user), (status, text) in zip(reqs, answers, strict=True):
        try:
            env = xmltodict.parse(text)["xml"]
            plain = crypto.decrypt_message(text, env["MsgSignature"], env["TimeStamp"], env["Nonce"])
            reply = xmltodict.parse(plain)["xml"]
            ok = status == 200 and reply["ToUserName"] == user and reply["Content"]
        except Exception:
            ok = False
        errors += not ok
    return errors


def _children_cpu(dispatcher) -> float:
    """CPU seconds used so far by the worker processes (Linux /proc), 0 elsewhere."""
    total = 0.0
    for child in getattr(dispatcher, "_children", []):
        try:
            fields = Path(f"/proc/{child.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Run:
    rps: float
    lat: list[float]
    errors: int
    cpu: float  # this process (both servers and the client) as a share of one core
    cpu_workers: float  # the worker processes


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


class CountingDispatcher:
    """--fake-dispatcher: one InboundMessage row per message, nothing else (isolates the channel)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle(self, msg):
        from sqlalchemy.dialects.sqlite import insert

        from handlers.types import TextReply

        async with self.db.write() as s:
            await s.execute(insert(InboundMessage).values(
                dedupe_key=msg.dedupe_key, channel=msg.channel, sender=msg.user_id, chat_id=None,
                text=msg.text, received_at=msg.received_at, status="handled", reply="已记录",
            ).on_conflict_do_nothing(index_elements=["dedupe_key"]))
        return [TextReply("已记录")]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=ServerConfig().workers)
    ap.add_argument("--fake-dispatcher", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
    wecom = WeComConfig(corp_id=CORP, agent_id=AGENT, token=TOKEN, encoding_aes_key=AES_KEY)
    cfg = Config(database_url=f"sqlite:///{tmp}/bench.db", data_dir=tmp, wecom=wecom,
                 dingtalk=DingTalkConfig(mode="off"))
    app = build_app(cfg, SystemClock(cfg.timezone))
    db = app.db
    await upgrade(db)
    async with db.write() as s:
        unit = Unit(name="计算机学院")
        s.add(unit)
        await s.flush()
        s.add_all([Cadre(name=f"干部{i}", unit_id=unit.id, roles=[], wecom_userid=f"user{i}")
                   for i in range(CADRES)])
    if args.fake_dispatcher:
        dispatcher, kind = CountingDispatcher(db), "fake dispatcher (1 row per message)"
    else:
        pool = DispatcherPool(app.dispatcher, cfg, app.clock, args.workers)
        await pool.start()
        ready = await pool.wait_ready()
        dispatcher, kind = pool, f"real handlers.dispatch.Dispatcher in {ready} of {args.workers} worker processes"

    warm, n, rounds = 200, args.messages, args.rounds
    warm_reqs = build_requests(warm, 10_000_000, seed=1)
    reqs = [build_requests(n, 20_000_000 + r * n, seed=2 + r) for r in range(rounds)]
    freeze_startup_objects()  # as `minqing serve` does once it has loaded everything
    bare_runner, bare_url = await serve(bare_app(wecom))
    full_runner, full_url = await serve(create_app(cfg, db, dispatcher, app.clock))
    urls = {"bare": bare_url, "full": full_url}
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP)
    runs: dict[str, list[Run]] = {"bare": [], "full": []}
    try:
        for url in urls.values():
            await drive(url, warm_reqs, args.concurrency)  # warm-up (distinct messages too)
        for r in range(rounds):  # bare and full back to back, so both see the same machine
            for name, url in urls.items():
                cpu0, kids0 = time.process_time(), _children_cpu(dispatcher)
                wall, lat, answers = await drive(url, reqs[r], args.concurrency)
                used = (time.process_time() - cpu0) / wall, (_children_cpu(dispatcher) - kids0) / wall
                runs[name].append(Run(n / wall, lat, check_answers(reqs[r], answers, crypto), *used))
        replay = reqs[0][: n // 10]
        _, _, replay_answers = await drive(full_url, replay, args.concurrency)
        replay_errors = check_answers(replay, replay_answers, crypto)
        async with db.session() as s:
            stored = await s.scalar(select(func.count()).select_from(InboundMessage))
    finally:
        await full_runner.cleanup()
        await bare_runner.cleanup()
        if isinstance(dispatcher, DispatcherPool):
            await dispatcher.close()
        await db.dispose()

    print(f"WeCom /wecom/callback, {rounds} rounds × {n} distinct messages per handler, {args.concurrency} "
          f"connections, SQLite, {kind}")
    print(f"{'round':<6} {'handler':<8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
          f"{'CPU server+client':>17} {'CPU workers':>11}")
    for r in range(rounds):
        for name in urls:
            x = runs[name][r]
            print(f"{r + 1:<6} {name:<8} {x.rps:>7.0f} {statistics.median(x.lat):>7.1f} {pct(x.lat, 99):>7.1f} "
                  f"{x.errors:>6} {x.cpu:>17.0%} {x.cpu_workers:>11.0%}")
    ratios = [f.rps / b.rps for b, f in zip(runs["bare"], runs["full"], strict=True)]
    for name in urls:
        lat = [v for x in runs[name] for v in x.lat]
        print(f"{name}: median {statistics.median(x.rps for x in runs[name]):.0f} req/s, p50 "
              f"{statistics.median(lat):.1f} ms, p99 {pct(lat, 99):.1f} ms over all rounds, "
              f"{sum(x.errors for x in runs[name])} errors")
    full_lat = [v for x in runs["full"] for v in x.lat]
    print(f"full/bare throughput per round: {', '.join(f'{x:.0%}' for x in ratios)}; median "
          f"{statistics.median(ratios):.0%} (target ≥ 50%); full p99 {pct(full_lat, 99):.1f} ms (target ≤ 50 ms)")
    expected = warm + n * rounds
    print(f"stored InboundMessage rows: {stored} for {expected} distinct messages "
          f"(+{len(replay)} replays, {replay_errors} replay errors) → "
          f"{'OK' if stored == expected and replay_errors == 0 else 'MISMATCH'}")


if __name__ == "__main__":
    asyncio.run(main())
