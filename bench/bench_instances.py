"""Two `minqing serve` instances behind a local proxy against one, on one PostgreSQL database.

    MINQING_TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/bench_instances.py \
        [--messages 600] [--concurrency 16] [--rounds 2]

Every process is separate, as in production: the instances (`python -m bot.cli serve
--no-scheduler`, one worker process each), a round-robin HTTP proxy (this file with --proxy, in
front of one or two instances, so both set-ups pay the same extra hop) and the load generator
(this file with --load: aiohttp, `--concurrency` keep-alive connections, distinct correctly
encrypted WeCom visit reports from 50 rostered cadres, bench_callback.build_requests). Each
round starts from an empty schema and runs "one" then "two". Afterwards the stored inbound rows
must equal the messages sent (none lost, none twice). Reported: throughput (messages/s) and the
p50/p99 of the generator's request latency, side by side.

On a machine with few cores the instances, their workers, PostgreSQL, the proxy and the load
generator all share them: read the numbers together with `nproc`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

START_LIMIT_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the proxy (own process) ---------------------------------------------------------------


def run_proxy(port: int, upstreams: list[str]) -> None:
    import aiohttp
    from aiohttp import web

    turn = itertools.cycle(upstreams)

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        async with request.app["session"].request(
            request.method, next(turn) + request.path_qs, data=body, headers={"Content-Type": request.content_type}
        ) as r:
            return web.Response(status=r.status, body=await r.read(), content_type=r.content_type)

    async def ctx(app: web.Application):
        app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        yield
        await app["session"].close()

    app = web.Application()
    app.cleanup_ctx.append(ctx)
    app.router.add_route("*", "/{tail:.*}", forward)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# --- the load generator (own process) ---------------------------------------------------------


def run_load(base: str, messages: int, concurrency: int, start_id: int) -> None:
    from bench_callback import build_requests, drive, pct

    reqs = build_requests(messages, start_id, seed=start_id)
    wall, lat, answers = asyncio.run(drive(base, reqs, concurrency))
    ok = sum(1 for status, _ in answers if status == 200)
    print(json.dumps({"wall_s": wall, "ok": ok, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99)}))


# --- the driver ---------------------------------------------------------------------------------


async def reset(url: str) -> None:
    from bench_callback import CADRES

    from storage import migrate
    from storage.db import Database
    from storage.models import Cadre, PlatformAccount, Unit

    db = Database(url)
    try:
        await migrate.downgrade(db, "base")
        await migrate.upgrade(db)
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
    finally:
        await db.dispose()


async def stored(url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import Database
    from storage.models import InboundMessage

    db = Database(url)
    try:
        async with db.session() as s:
            return await s.scalar(select(func.count()).select_from(InboundMessage))
    finally:
        await db.dispose()


def wait_http(port: int, path: str, procs) -> None:
    import urllib.request

    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a process exited during start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"port {port} did not answer {path}")


def instance(url: str, port: int, tmp: Path) -> subprocess.Popen:
    from bench_callback import AES_KEY, AGENT, CORP, TOKEN

    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_") or k == "MINQING_NLU_CACHE"}
    env.update(
        MINQING_SERVER_PORT=str(port),
        MINQING_DATABASE_URL=url,
        MINQING_DATA_DIR=str(tmp / str(port)),
        MINQING_SERVER_WORKERS="1",
        PYTHONPATH=str(ROOT),
        MINQING_WECOM_CORP_ID=CORP,
        MINQING_WECOM_AGENT_ID=AGENT,
        MINQING_WECOM_SECRET="s",
        MINQING_WECOM_TOKEN=TOKEN,
        MINQING_WECOM_ENCODING_AES_KEY=AES_KEY,
        MINQING_WECOM_API_BASE="http://127.0.0.1:9",
        MINQING_DINGTALK_MODE="off",
        MINQING_LOG_LEVEL="WARNING",
    )
    env.setdefault("MINQING_NLU_CACHE", str(ROOT / "data" / "cache"))
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--no-scheduler"],
        cwd=tmp,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_setup(url: str, n: int, args, start_id: int, tmp: Path) -> dict:
    asyncio.run(reset(url))
    ports = [free_port() for _ in range(n)]
    procs = [instance(url, p, tmp) for p in ports]
    proxy_port = free_port()
    try:
        for p in ports:
            wait_http(p, "/readyz", procs)
        proxy = subprocess.Popen(
            [sys.executable, __file__, "--proxy", str(proxy_port), *(f"http://127.0.0.1:{p}" for p in ports)]
        )
        procs.append(proxy)
        wait_http(proxy_port, "/healthz", procs)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--load",
                f"http://127.0.0.1:{proxy_port}",
                "--messages",
                str(args.messages),
                "--concurrency",
                str(args.concurrency),
                "--start-id",
                str(start_id),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
    result["stored"] = asyncio.run(stored(url))
    result["rate"] = args.messages / result["wall_s"]
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--proxy", type=int)
    ap.add_argument("--load")
    ap.add_argument("upstreams", nargs="*")
    ap.add_argument("--messages", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--start-id", type=int, default=1)
    args = ap.parse_args()
    if args.proxy:
        run_proxy(args.proxy, args.upstreams)
        return
    if args.load:
        run_load(args.load, args.messages, args.concurrency, args.start_id)
        return
    url = os.environ.get("MINQING_TEST_DATABASE_URL") or os.environ.get("MINQING_DATABASE_URL")
    if not url or not url.startswith("postgres"):
        raise SystemExit("set MINQING_TEST_DATABASE_URL to an empty PostgreSQL database (its schema is reset)")
    import tempfile

    results: dict[str, list[dict]] = {"one": [], "two": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, n in (("one", 1), ("two", 2)):
                res = run_setup(url, n, args, 10_000_000 * (r + 1) + n * 1_000_000, Path(tmp))
                results[name].append(res)
                print(
                    f"round {r + 1} {name}: {res['rate']:.1f} msg/s  p50 {res['p50_ms']:.0f} ms  "
                    f"p99 {res['p99_ms']:.0f} ms  200s {res['ok']}/{args.messages}  stored {res['stored']}",
                    flush=True,
                )
    print(f"\n{args.messages} messages, concurrency {args.concurrency}, {args.rounds} round(s), nproc {os.cpu_count()}")
    print(f"{'':12s}{'msg/s':>10s}{'p50 ms':>10s}{'p99 ms':>10s}{'stored':>10s}")
    for name, label in (("one", "1 instance"), ("two", "2 instances")):
        rs = results[name]
        print(
            f"{label:12s}{statistics.median(r['rate'] for r in rs):10.1f}"
            f"{statistics.median(r['p50_ms'] for r in rs):10.0f}{statistics.median(r['p99_ms'] for r in rs):10.0f}"
            f"{min(r['stored'] for r in rs):10d}"
        )
    if any(r["stored"] != args.messages or r["ok"] != args.messages for rs in results.values() for r in rs):
        raise SystemExit("FAILED: messages lost, doubled or refused")


if __name__ == "__main__":
    main()
