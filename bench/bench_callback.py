"""WeCom callback benchmark: `minqing serve` against a bare decrypt + parse + encrypt handler,
each in its own process, loaded by wrk (a third process), in alternating rounds.

    .venv/bin/python bench/bench_callback.py [--duration 10] [--rounds 4] [--connections 32]
        [--threads 1] [--cadres 300] [--warmup 600] [--workers N]
    MINQING_BENCH_DATABASE_URL=postgresql://user@host/db .venv/bin/python bench/bench_callback.py
        (the same run on SQLite first, then on that PostgreSQL database; use an empty database)

What runs (nothing of the bot is imported into this process):
- full: `minqing serve` as a subprocess, configured only through MINQING_* environment
  variables (database, data_dir, port, the WeCom app; platform APIs pointed at a closed
  loopback port so no message leaves the machine; everything else at its defaults, including
  `server.workers` unless --workers is given and the scheduler), on a fresh SQLite file in a
  temporary directory (or the PostgreSQL database). Its roster of --cadres cadres in 12 units
  (6 leaders, a head and 3 辅导员 per unit) is loaded with `minqing roster import`.
- bare: this file with `bare --port P` as a subprocess: an aiohttp handler that only verifies
  the signature, decrypts, parses the XML and encrypts a fixed reply with wechatpy — the floor
  any callback handler pays.
- nlu (unless --no-floor): the bare handler plus `handlers.dispatch.understand` of the decrypted
  text — the dispatcher's own first step (a command's pattern, else the NLU's `Parser.parse`)
  with the product's models — and nothing else (no database). The full bot does at least this
  much per message, so nlu/bare is a ceiling on full/bare in the same run.
- load: wrk (`apt-get install -y wrk` when missing, as root) with bench/wrk_wecom.lua, which
  sends every line of a file of distinct, correctly encrypted messages (unique MsgId) over
  --connections keep-alive connections for --duration seconds. Latency percentiles are wrk's.

Traffic, drawn per message: one in six is a query (本月未办结 or a category query such as
食堂问题 from a leader or unit head, 我的待办 from anyone); of the rest, half are visit reports
(1–3 problems each) and half commands on items that exist and belong to the sender (签收 #N,
进展 #N …, 办结 #N …, #N). Items come from --warmup visit reports sent before the rounds.

Each round runs bare and full on the same message file (the bare handler stores nothing), the
order alternating between rounds so a busy moment of the machine hits both. Afterwards every
message still in flight when wrk stopped, plus a sample of the others, is sent again and its
reply decrypted and checked; then the stored inbound messages must be exactly one per distinct
message sent. CPU is the server's process tree (workers included) and wrk, as shares of one core.
"""

# The orchestrator's event loop serves nothing: starting processes and reading files there
# blocks only itself, while the servers and wrk run in their own processes.
# ruff: noqa: ASYNC220, ASYNC221, ASYNC240

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import xmltodict
from aiohttp import web
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.replies import TextReply

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).with_name("wrk_wecom.lua")
MINQING = Path(sys.executable).with_name("minqing")

CORP, TOKEN = "ww1436e0e65a779aee", "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY, AGENT = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "1000002"

UNITS = [
    "计算机学院",
    "机械工程学院",
    "外国语学院",
    "经济管理学院",
    "化学化工学院",
    "物理学院",
    "文学院",
    "法学院",
    "后勤处",
    "学生工作处",
    "保卫处",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然志文博"
PLACES = [
    "梅园3栋",
    "二食堂",
    "图书馆",
    "计算机学院实验室",
    "桂园12栋",
    "一食堂",
    "体育馆",
    "教学楼A座",
    "竹园5栋",
    "三食堂",
    "研究生公寓2栋",
    "创新创业中心",
]
PROBLEMS = [
    "热水供应不稳定",
    "饭菜价格偏高",
    "自习座位不够",
    "空调漏水",
    "网络经常断线",
    "窗口排队时间长",
    "楼道灯坏了",
    "洗衣机损坏",
    "考研自习室开放时间短",
    "奖助学金申请流程不清楚",
    "宿舍门禁经常失灵",
    "实习单位联系不上",
    "心理咨询预约排不上",
    "快递点太远",
]
PROGRESS = [
    "已联系后勤处，明天上门维修",
    "已和食堂经理沟通，下周调整",
    "已报网络中心排查",
    "已协调场地，正在安排",
    "正在和学院商量办法",
]
RESULTS = ["已更换配件，学生确认可以正常使用", "已调整开放时间并公示", "已安排专人处理完毕"]
CATEGORY_QUERIES = ["食堂问题", "宿舍问题", "就业问题", "本周后勤问题"]


# ---------------------------------------------------------------- roster and traffic


@dataclass(frozen=True)
class Person:
    userid: str
    name: str
    unit: str
    asks_lists: bool  # leader or unit head: asks 本月未办结 and category questions


def roster(n: int) -> list[Person]:
    """n cadres: 6 leaders, then per unit a head, 3 辅导员 and 干部 (names unique)."""
    rng = random.Random(7)
    names: list[str] = []
    while len(names) < n:
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        if name not in names:
            names.append(name)
    people = [Person(f"u{i:03d}", names[i], "校领导班子", True) for i in range(min(6, n))]
    for i in range(len(people), n):
        k = i - len(people)
        people.append(Person(f"u{i:03d}", names[i], UNITS[k % len(UNITS)], k < len(UNITS)))
    return people


def roster_csv(people: list[Person]) -> str:
    lines = ["姓名,企业微信账号,单位,角色,包联点"]
    for i, p in enumerate(people):
        if p.unit == "校领导班子":
            role = "领导"
        elif p.asks_lists:
            role = "单位负责人、中层副职以上"
        else:
            role = "辅导员" if (i // len(UNITS)) % 8 < 3 else "干部"
        lines.append(f"{p.name},{p.userid},{p.unit},{role},{PLACES[i % len(PLACES)]}")
    return "\n".join(lines) + "\n"


def visit_text(rng: random.Random) -> str:
    probs = rng.sample(PROBLEMS, rng.randint(1, 3))
    return (
        f"今天到{rng.choice(PLACES)}走访，和{rng.randint(3, 15)}名学生交流，反映"
        + "；".join(f"{i + 1}. {p}" for i, p in enumerate(probs))
        + "。"
    )


@dataclass(frozen=True)
class Msg:
    path: str
    body: bytes
    user: str
    kind: str  # visit | command | query


class Traffic:
    """Distinct messages in the benchmark's mix; items[userid] are item numbers they own."""

    def __init__(
        self,
        people: list[Person],
        items: dict[str, list[int]],
        seed: int,
        query_share: float = 1 / 6,
        command_share: float = 0.5,
    ) -> None:
        self.query_share, self.command_share = query_share, command_share
        self.people = people
        self.askers = [p for p in people if p.asks_lists]
        self.owners = [u for u, ns in items.items() if ns]
        self.items = items
        self.rng = random.Random(seed)
        self.prp = PrpCrypto(WeChatCrypto(TOKEN, AES_KEY, CORP).key)

    def text(self) -> tuple[str, str, str]:
        """(userid, text, kind) of the next message."""
        rng = self.rng
        if rng.random() < self.query_share:
            which = rng.random()
            if which < 0.4:
                return rng.choice(self.askers).userid, "本月未办结", "query"
            if which < 0.7:
                return rng.choice(self.askers).userid, rng.choice(CATEGORY_QUERIES), "query"
            return rng.choice(self.people).userid, "我的待办", "query"
        if not self.owners or rng.random() >= self.command_share:
            return rng.choice(self.people).userid, visit_text(rng), "visit"
        user = rng.choice(self.owners)
        n = rng.choice(self.items[user])
        verb = rng.random()
        if verb < 0.3:
            text = f"签收 #{n}"
        elif verb < 0.7:
            text = f"进展 #{n} {rng.choice(PROGRESS)}"
        elif verb < 0.8:
            text = f"办结 #{n} {rng.choice(RESULTS)}"
        else:
            text = f"#{n}"
        return user, text, "command"

    def encrypt(self, user: str, text: str, msg_id: int, kind: str) -> Msg:
        nonce, ts = str(self.rng.randrange(10**9)), str(int(time.time()))
        plain = (
            f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]>"
            f"</FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId>"
            f"<AgentID>{AGENT}</AgentID></xml>"
        )
        # what WeChatCrypto.encrypt_message does, without rendering and re-parsing its XML
        encrypt = self.prp.encrypt(plain, CORP).decode()
        signature = hashlib.sha1("".join(sorted((TOKEN, ts, nonce, encrypt))).encode()).hexdigest()
        body = (
            f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]>"
            f"</Encrypt><AgentID><![CDATA[{AGENT}]]></AgentID></xml>"
        ).encode()
        q = urlencode({"msg_signature": signature, "timestamp": ts, "nonce": nonce})
        return Msg(f"/wecom/callback?{q}", body, user, kind)

    def messages(self, n: int, first_id: int, kinds: tuple[str, ...] = ()) -> list[Msg]:
        out = []
        while len(out) < n:
            user, text, kind = self.text()
            if not kinds or kind in kinds:
                out.append(self.encrypt(user, text, first_id + len(out), kind))
        return out


# ---------------------------------------------------------------- the bare handler process


def bare_app(understand: Path | None = None) -> web.Application:
    """Verify + decrypt + parse + encrypted fixed reply, with wechatpy: nothing else. With
    `understand` (a model cache directory), also what the dispatcher's first step makes of the
    message text (handlers.dispatch.understand): the floor the full bot pays before it touches
    a database."""
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP)
    parse = None
    if understand is not None:
        import gc
        from datetime import date

        sys.path.insert(0, str(ROOT))
        from handlers.dispatch import understand as understood
        from handlers.nlu import Parser

        parser = Parser.load(cache_dir=understand)
        gc.freeze()  # as `minqing serve` does after start-up

        def parse(text: str) -> None:
            understood(parser, "campus", text, date.today())

    encrypt_re = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[)?([A-Za-z0-9+/=]+)(?:\]\]>)?\s*</Encrypt>")

    async def post(request: web.Request) -> web.Response:
        q = request.query
        m = encrypt_re.search(await request.read())
        if m is None:
            raise web.HTTPBadRequest()
        plain = crypto.decrypt_message({"Encrypt": m.group(1).decode()}, q["msg_signature"], q["timestamp"], q["nonce"])
        msg = xmltodict.parse(plain)["xml"]
        if parse is not None:
            parse(msg["Content"])
        reply = TextReply(source=CORP, target=msg["FromUserName"], content="收到", agent=int(AGENT))
        xml = crypto.encrypt_message(reply.render(), q["nonce"], q["timestamp"])
        return web.Response(text=xml, content_type="application/xml")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/wecom/callback", post)
    app.router.add_get("/healthz", healthz)
    return app


# ---------------------------------------------------------------- processes and measurements


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    """Path of wrk; installs Debian's package when missing (needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: apt-get install -y wrk", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: install it (Debian/Ubuntu: apt-get install wrk) and run again")
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process `root` and all its descendants (Linux /proc)."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(d.name)] = int(fields[1])
        ticks[int(d.name)] = int(fields[11]) + int(fields[12])
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(c for c, p in parent.items() if p == pid)
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


@dataclass
class Round:
    rps: float
    p50: float
    p99: float
    max: float
    errors: int  # bad answers + socket errors + timeouts
    wrapped: int
    cpu_server: float
    cpu_wrk: float
    sent: dict[int, int] = field(default_factory=dict)  # wrk thread → requests generated


RESULT = re.compile(r"RESULT (.*)")


def run_wrk(wrk: str, url: str, file: Path, args: argparse.Namespace, server_pid: int) -> Round:
    env = dict(os.environ, BENCH_REQUESTS=str(file), BENCH_THREADS=str(args.threads))
    cpu0, kids0 = tree_cpu(server_pid), children_cpu()
    proc = subprocess.run(
        [
            wrk,
            "-t",
            str(args.threads),
            "-c",
            str(args.connections),
            "-d",
            f"{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    cpu_server, cpu_wrk = tree_cpu(server_pid) - cpu0, children_cpu() - kids0
    m = RESULT.search(proc.stdout)
    if proc.returncode or m is None:
        sys.exit(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
    kv = dict(part.split("=", 1) for part in m.group(1).split())
    wall = int(kv["duration_us"]) / 1e6
    errors = int(kv["bad"]) + sum(int(kv[k]) for k in ("connect", "read", "write", "timeout"))
    sent = {int(t): int(c) for t, c in (x.split(":") for x in kv["sent"].split(","))}
    return Round(
        int(kv["requests"]) / wall,
        int(kv["p50_us"]) / 1000,
        int(kv["p99_us"]) / 1000,
        int(kv["max_us"]) / 1000,
        errors,
        int(kv["wrapped"]),
        cpu_server / wall,
        cpu_wrk / wall,
        sent,
    )


def sent_messages(msgs: list[Msg], sent: dict[int, int], threads: int) -> tuple[list[Msg], list[Msg]]:
    """(every message wrk generated, the last `connections` of each thread: possibly in flight)."""
    per = {t: msgs[t::threads][:n] for t, n in sent.items()}
    return [m for ms in per.values() for m in ms], per


async def post_all(base: str, msgs: list[Msg], concurrency: int) -> list[tuple[int, str]]:
    """POST every message (a Python client: warm-up and replays only, never measured)."""
    answers: list[tuple[int, str]] = [(0, "")] * len(msgs)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(msgs)):
        queue.put_nowait(i)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        base, connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout
    ) as session:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                async with session.post(msgs[i].path, data=msgs[i].body, headers={"Content-Type": "text/xml"}) as resp:
                    answers[i] = (resp.status, await resp.text())

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answers


def bad_answers(msgs: list[Msg], answers: list[tuple[int, str]]) -> int:
    """Answers that are not a 200 carrying an encrypted text reply addressed to the sender."""
    crypto, bad = WeChatCrypto(TOKEN, AES_KEY, CORP), 0
    for msg, (status, text) in zip(msgs, answers, strict=True):
        try:
            env = xmltodict.parse(text)["xml"]
            reply = xmltodict.parse(crypto.decrypt_message(text, env["MsgSignature"], env["TimeStamp"], env["Nonce"]))[
                "xml"
            ]
            ok = status == 200 and reply["ToUserName"] == msg.user and bool(reply["Content"])
        except Exception:
            ok = False
        bad += not ok
    return bad


async def wait_up(base: str, proc: subprocess.Popen, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                sys.exit(f"server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
    sys.exit(f"{base} did not come up within {seconds:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sql_url(url: str) -> str:
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


async def query(url: str, sql: str) -> list[tuple]:
    """Read the bot's tables directly (the benchmark imports nothing of the bot)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(sql_url(url))
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- one benchmark run


@dataclass
class Report:
    label: str
    rounds: dict[str, list[Round]]
    kind_counts: dict[str, int]
    distinct: int
    stored: int
    replayed: int
    replay_errors: int
    visits_sent: int
    visits_stored: int
    workers: str


async def bench(database_url: str, label: str, args: argparse.Namespace, wrk: str, tmp: Path) -> Report:
    people = roster(args.cadres)
    (tmp / "roster.csv").write_text(roster_csv(people), encoding="utf-8")
    full_port, bare_port, nlu_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINQING_")}
    env.update(
        {
            "MINQING_NLU_CACHE": os.environ.get("MINQING_NLU_CACHE", str(ROOT / "data" / "cache")),
            "MINQING_DATABASE_URL": database_url,
            "MINQING_DATA_DIR": str(tmp / "data"),
            "MINQING_SERVER_HOST": "127.0.0.1",
            "MINQING_SERVER_PORT": str(full_port),
            "MINQING_WECOM_CORP_ID": CORP,
            "MINQING_WECOM_AGENT_ID": AGENT,
            "MINQING_WECOM_TOKEN": TOKEN,
            "MINQING_WECOM_ENCODING_AES_KEY": AES_KEY,
            "MINQING_WECOM_SECRET": "bench-secret",
            "MINQING_WECOM_API_BASE": "http://127.0.0.1:9",
            "MINQING_WECOM_MAX_AGE_S": "3600",
            "MINQING_DINGTALK_MODE": "off",
            "MINQING_LOG_LEVEL": "WARNING",
        }
    )
    if args.workers is not None:
        env["MINQING_SERVER_WORKERS"] = str(args.workers)
    imp = subprocess.run(
        [str(MINQING), "roster", "import", str(tmp / "roster.csv")],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if imp.returncode:
        sys.exit(f"roster import failed: {imp.stderr or imp.stdout}")

    full_log, bare_log = tmp / f"serve-{label}.log", tmp / f"bare-{label}.log"
    full = subprocess.Popen(
        [str(MINQING), "serve"],
        cwd=tmp,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=full_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    bare = subprocess.Popen(
        [sys.executable, __file__, "bare", "--port", str(bare_port)],
        cwd=tmp,
        stdin=subprocess.DEVNULL,
        stdout=bare_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    urls = {"bare": f"http://127.0.0.1:{bare_port}", "full": f"http://127.0.0.1:{full_port}"}
    pids = {"bare": bare.pid, "full": full.pid}
    nlu_log = tmp / f"nlu-{label}.log"
    nlu = None
    if args.floor:
        nlu = subprocess.Popen(
            [sys.executable, __file__, "bare", "--port", str(nlu_port), "--understand", str(tmp / "nlu-cache")],
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=nlu_log.open("w"),
            stderr=subprocess.STDOUT,
        )
        urls["nlu"], pids["nlu"] = f"http://127.0.0.1:{nlu_port}", nlu.pid
    try:
        await wait_up(urls["bare"], bare, bare_log)
        await wait_up(urls["full"], full, full_log)
        if nlu is not None:
            await wait_up(urls["nlu"], nlu, nlu_log)
        # warm-up: visit reports from everyone (they create the items commands refer to)
        warm = Traffic(people, {}, seed=1).messages(args.warmup, 10_000_000, kinds=("visit",))
        bad = bad_answers(warm, await post_all(urls["full"], warm, 8))
        bad += bad_answers(warm[:300], await post_all(urls["bare"], warm[:300], 8))
        if bad:
            sys.exit(f"warm-up: {bad} bad answers; see {full_log}")
        owned: dict[str, list[int]] = {}
        for item, userid in await query(
            database_url,
            "SELECT i.id, a.account_id FROM items i "
            "JOIN platform_accounts a ON a.cadre_id = i.owner_id AND a.channel = 'wecom'",
        ):
            owned.setdefault(userid, []).append(item)
        ((base_rows,),) = await query(database_url, "SELECT count(*) FROM inbound_messages")
        ((base_visits,),) = await query(database_url, "SELECT count(*) FROM visits")

        traffic = Traffic(people, owned, seed=2, query_share=args.query_share, command_share=args.command_share)
        rounds: dict[str, list[Round]] = {name: [] for name in urls}
        order = list(urls)
        sent_full: list[Msg] = []
        in_flight: list[Msg] = []
        await asyncio.sleep(args.settle)  # start-up work of serve (scheduler catch-up, outbox) settles
        best = 0.0
        for r in range(args.rounds):
            n = int(max(args.max_rate, 1.6 * best) * args.duration) + 500
            msgs = traffic.messages(n, 20_000_000 + r * 1_000_000)
            file = tmp / f"round{r}.tsv"
            file.write_text("".join(f"{m.path}\t{m.body.decode()}\n" for m in msgs), encoding="utf-8")
            for name in order[r % len(order) :] + order[: r % len(order)]:  # each handler goes first in turn
                result = run_wrk(wrk, urls[name] + "/wecom/callback", file, args, pids[name])
                rounds[name].append(result)
                print(
                    f"  {label} round {r + 1} {name}: {result.rps:.0f} req/s, p99 {result.p99:.1f} ms, "
                    f"{result.errors} errors",
                    file=sys.stderr,
                )
                if name == "full":
                    every, per = sent_messages(msgs, result.sent, args.threads)
                    sent_full += every
                    in_flight += [m for ms in per.values() for m in ms[-args.connections :]]
            best = max(best, *(xs[-1].rps for xs in rounds.values()))
            file.unlink()
        # the messages possibly in flight when wrk stopped, and a sample of the rest, again:
        # each must be answered (the stored reply) and none may add a record
        sample = random.Random(3).sample(sent_full, min(len(sent_full), max(200, len(sent_full) // 20)))
        replay = list({id(m): m for m in in_flight + sample}.values())
        replay_errors = bad_answers(replay, await post_all(urls["full"], replay, 8))
        ((rows,),) = await query(database_url, "SELECT count(*) FROM inbound_messages")
        ((visits,),) = await query(database_url, "SELECT count(*) FROM visits")
    finally:
        stop(full)
        stop(bare)
        if nlu is not None:
            stop(nlu)
        noted = [
            line
            for line in full_log.read_text(errors="replace").splitlines()
            if " WARNING " in line or " ERROR " in line
        ]
        if noted:
            print(f"  {label}: {len(noted)} warning/error lines from minqing serve, e.g.:", file=sys.stderr)
            for line in noted[:5]:
                print(f"    {line[:200]}", file=sys.stderr)
    kinds = {k: sum(m.kind == k for m in sent_full) for k in ("visit", "command", "query")}
    workers = env.get("MINQING_SERVER_WORKERS", "as configured (default 1)")
    return Report(
        label,
        rounds,
        kinds,
        len({m.path for m in sent_full}),
        rows - base_rows,
        len(replay),
        replay_errors,
        kinds["visit"],
        visits - base_visits,
        workers,
    )


def print_report(rep: Report, args: argparse.Namespace) -> bool:
    print(
        f"\n== {rep.label}: {args.rounds} rounds of {args.duration} s per handler, {args.connections} connections, "
        f"wrk -t{args.threads}, {args.cadres} cadres, server.workers {rep.workers}"
    )
    print(
        f"{'round':<6} {'handler':<8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} "
        f"{'CPU server':>10} {'CPU wrk':>7}"
    )
    for r in range(args.rounds):
        for name, xs in rep.rounds.items():
            x = xs[r]
            flag = f"  ({x.wrapped} replays: file too short)" if x.wrapped else ""
            print(
                f"{r + 1:<6} {name:<8} {x.rps:>7.0f} {x.p50:>7.1f} {x.p99:>7.1f} {x.max:>7.0f} {x.errors:>6} "
                f"{x.cpu_server:>10.0%} {x.cpu_wrk:>7.0%}{flag}"
            )
    ratios = [f.rps / b.rps for b, f in zip(rep.rounds["bare"], rep.rounds["full"], strict=True)]
    p99s = [x.p99 for x in rep.rounds["full"]]
    if "nlu" in rep.rounds:
        floor = [n.rps / b.rps for b, n in zip(rep.rounds["bare"], rep.rounds["nlu"], strict=True)]
        print(
            f"nlu/bare throughput per round (understanding alone, no database: a ceiling on full/bare): "
            f"{', '.join(f'{x:.2f}' for x in floor)}; median {statistics.median(floor):.2f}×; "
            f"nlu p99 median {statistics.median(x.p99 for x in rep.rounds['nlu']):.1f} ms"
        )
    errors = sum(x.errors for xs in rep.rounds.values() for x in xs)
    print(
        f"full/bare throughput per round: {', '.join(f'{x:.2f}' for x in ratios)}; median "
        f"{statistics.median(ratios):.2f}× (target ≥ 0.5×)"
    )
    print(
        f"full p99 per round: {', '.join(f'{x:.1f}' for x in p99s)} ms; median {statistics.median(p99s):.1f} ms "
        f"(target ≤ 50 ms); errors {errors}"
    )
    print(
        f"full traffic: {rep.distinct} distinct messages — {rep.kind_counts['visit']} visit reports, "
        f"{rep.kind_counts['command']} commands on existing items, {rep.kind_counts['query']} queries"
    )
    ok = (
        rep.stored == rep.distinct
        and rep.replay_errors == 0
        and not any(x.wrapped for xs in rep.rounds.values() for x in xs)
    )
    print(
        f"records: {rep.stored} inbound messages stored for {rep.distinct} distinct messages "
        f"({rep.replayed} sent again, {rep.replay_errors} bad answers to them) → {'OK' if ok else 'MISMATCH'}; "
        f"visits {rep.visits_stored} for {rep.visits_sent} visit reports"
    )
    return ok


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per handler per round (default 10)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--cadres", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=600, help="visit reports sent before the rounds")
    ap.add_argument("--query-share", type=float, default=1 / 6, help="share of queries (default 1/6)")
    ap.add_argument(
        "--command-share",
        type=float,
        default=0.5,
        help="share of commands among the messages that are not queries (default 0.5)",
    )
    ap.add_argument("--workers", type=int, help="server.workers (default: the configuration's)")
    ap.add_argument("--settle", type=float, default=10, help="seconds to wait after the warm-up (default 10)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (database, server logs)")
    ap.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip the third handler (bare + Parser.parse: the ceiling understanding puts on full/bare)",
    )
    ap.add_argument(
        "--max-rate",
        type=float,
        default=5000,
        help="req/s the first round's message file is sized for (later rounds: measured)",
    )
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, _terminated)  # so `finally` stops the servers
    wrk = ensure_wrk()
    runs = [("SQLite", None)]
    if os.environ.get("MINQING_BENCH_DATABASE_URL"):
        runs.append(("PostgreSQL", os.environ["MINQING_BENCH_DATABASE_URL"]))
    ok = True
    for label, url in runs:
        tmp = Path(tempfile.mkdtemp(prefix="minqing-bench-"))
        try:
            rep = await bench(url or f"sqlite:///{tmp}/data/bench.db", label, args, wrk, tmp)
            ok &= print_report(rep, args)
        finally:
            if args.keep:
                print(f"kept {tmp} (database, serve log)", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["bare"]:
        p = argparse.ArgumentParser()
        p.add_argument("bare")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--understand", type=Path, help="model cache directory: also parse each message")
        a = p.parse_args()
        web.run_app(bare_app(a.understand), host="127.0.0.1", port=a.port, access_log=None, print=None)
    else:
        sys.exit(asyncio.run(main()))
