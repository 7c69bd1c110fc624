"""The outbox worker against the loopback fake: routing, token expiry, rate limits, outages,
retries, give-up, ordering, atomic claims, and `minqing outbox` admin functions."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import GroupConfig
from bot.dingtalk.sender import DingTalkSender
from bot.outbound import admin
from bot.outbound.console import ConsoleDelivery
from bot.outbound.delivery import Delivery
from bot.outbound.http import HttpClient
from bot.outbound.ratelimit import RateLimiter
from bot.outbound.worker import OutboxWorker
from bot.wecom.sender import WeComSender
from storage import outbox as q
from storage.models import Cadre, GroupBinding, Outbox, PlatformAccount, Unit
from storage.notice import Notice, address_of
from tests.bot.fakes import make_cfg


@pytest.fixture
async def outbound(db, clock, platform):
    """(make_worker, console stream): workers share one session, token caches and limiter."""
    session = aiohttp.ClientSession()
    console = io.StringIO()
    limiter = RateLimiter(clock)

    def make(**kw):
        cfg = make_cfg(platform.base, **kw)
        http = HttpClient(session)
        senders = {
            "wecom": WeComSender(cfg.platforms["wecom"], http),
            "dingtalk": DingTalkSender(cfg.platforms["dingtalk"], http),
        }
        delivery = Delivery(senders=senders, console=ConsoleDelivery(console))
        return OutboxWorker(db, cfg, delivery, clock, limiter)

    yield make, console
    await session.close()


async def put(db, clock, *, kind, target, body="你好", channel="auto", msg_type="text", key=None):
    """Queue one notice addressed by outbox columns (channel, kind, target); its row id."""
    async with db.write() as s:
        (rid,) = await q.enqueue(s, Notice(address_of(channel, kind, target), body, key, kind=msg_type), clock.now())
        return rid


async def row(db, row_id) -> Outbox:
    async with db.session() as s:
        return await s.get(Outbox, row_id)


async def drain(worker) -> None:
    while await worker.run_once():
        pass


async def roster(db):
    async with db.write() as s:
        unit = Unit(name="计算机学院")
        s.add(unit)
        await s.flush()
        a = Cadre(
            name="王芳", unit_id=unit.id, roles=[], accounts=[PlatformAccount(channel="wecom", account_id="wangfang")]
        )
        b = Cadre(
            name="李强", unit_id=unit.id, roles=[], accounts=[PlatformAccount(channel="dingtalk", account_id="staff9")]
        )
        c = Cadre(name="赵敏", unit_id=unit.id, roles=[])
        g1 = GroupBinding(channel="wecom", chat_id="wrGROUP", unit_id=unit.id, webhook=None)
        s.add_all([a, b, c, g1])
        await s.flush()
        return a.id, b.id, c.id, g1.id


async def test_cadre_and_group_targets_resolve_per_platform(db, clock, platform, outbound):
    make, _ = outbound
    a, b, c, g = await roster(db)
    async with db.write() as s:
        hook = GroupBinding(channel="wecom", chat_id="wrHOOK", webhook=f"{platform.base}/cgi-bin/webhook/send?key=K")
        ding = GroupBinding(channel="dingtalk", chat_id="cidX", webhook=f"{platform.base}/robot/send?access_token=T")
        s.add_all([hook, ding])
        await s.flush()
        hook_id, ding_id = hook.id, ding.id
    ids = [await put(db, clock, kind="cadre", target=str(x)) for x in (a, b, c)]
    ids += [
        await put(db, clock, kind="group", target=str(x), msg_type="markdown", body="## 周报\n本周走访12次")
        for x in (g, hook_id, ding_id)
    ]
    worker = make(groups=[GroupConfig(channel="dingtalk", chat_id="cidX", webhook="w", webhook_secret="SECabc")])
    await drain(worker)
    statuses = [(await row(db, i)).status for i in ids]
    assert statuses == ["sent", "sent", "failed", "sent", "sent", "sent"]  # 赵敏 has no platform id
    assert platform.sent("/cgi-bin/message/send")[0]["touser"] == "wangfang"
    assert platform.sent("/v1.0/robot/oToMessages/batchSend")[0]["userIds"] == ["staff9"]
    assert platform.sent("/cgi-bin/appchat/send")[0]["chatid"] == "wrGROUP"
    assert platform.sent("/cgi-bin/webhook/send")[0] == {
        "msgtype": "markdown",
        "markdown": {"content": "## 周报\n本周走访12次"},
    }
    [(_path, query, body)] = [c for c in platform.calls if c[0] == "/robot/send"]
    assert query["access_token"] == "T" and "sign" in query and "timestamp" in query
    assert body["markdown"] == {"title": "周报", "text": "## 周报\n本周走访12次"}


async def test_console_delivery_when_no_platform(db, clock, outbound, capsys):
    make, console = outbound
    a, *_ = await roster(db)
    await put(db, clock, kind="cadre", target=str(a), body="明天请回访3号楼")
    await drain(make(wecom=False, ding_mode="off"))
    assert console.getvalue() == "[→ 王芳] 明天请回访3号楼\n"


async def test_rows_stored_with_the_old_long_kinds_still_deliver(db, clock, platform, outbound):
    make, _ = outbound
    async with db.write() as s:  # columns as rows were written before platforms were packages
        rows = [
            Outbox(channel="wecom", target_kind="wecom_user", target="u1", body="旧行一"),
            Outbox(channel="dingtalk", target_kind="dingtalk_group", target="cidOLD", body="旧行二"),
        ]
        for r in rows:
            r.next_attempt_at = r.created_at = clock.now()
        s.add_all(rows)
    await drain(make())
    assert [(await row(db, r.id)).status for r in rows] == ["sent", "sent"]
    assert [b["text"]["content"] for b in platform.sent("/cgi-bin/message/send")] == ["旧行一"]
    [group] = platform.sent("/v1.0/robot/groupMessages/send")
    assert (group["openConversationId"], json.loads(group["msgParam"])) == ("cidOLD", {"content": "旧行二"})


async def test_token_expiry_mid_send_refetches_once(db, clock, platform, outbound):
    make, _ = outbound
    worker = make()
    first = await put(db, clock, channel="wecom", kind="user", target="u1", body="一")
    await drain(worker)
    platform.expire_tokens()  # WeCom now answers 42001 for the cached token
    second = await put(db, clock, channel="wecom", kind="user", target="u1", body="二")
    await drain(worker)
    assert (await row(db, first)).status == (await row(db, second)).status == "sent"
    assert [b["text"]["content"] for b in platform.sent("/cgi-bin/message/send")] == ["一", "二"]
    assert platform.token_fetches == 2
    # DingTalk: HTTP 401 → refetch once
    await put(db, clock, channel="dingtalk", kind="user", target="s1")
    await drain(worker)
    platform.expire_tokens()
    rid = await put(db, clock, channel="dingtalk", kind="user", target="s1", body="再一条")
    await drain(worker)
    assert (await row(db, rid)).status == "sent"
    assert platform.token_fetches == 4


@pytest.mark.parametrize(
    ("path", "kind", "answer", "pause"),
    [
        (
            "/cgi-bin/message/send",
            ("wecom", "user", "u1"),
            (200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
            60,
        ),
        (
            "/robot/send",
            ("dingtalk", "webhook", "{base}/robot/send?access_token=T"),
            (200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}),
            600,
        ),
        ("/v1.0/robot/oToMessages/batchSend", ("dingtalk", "user", "s1"), (429, {"code": "Throttling"}), 60),
    ],
)
async def test_platform_rate_limits_are_retried_later(db, clock, platform, outbound, path, kind, answer, pause):
    make, _ = outbound
    worker = make()
    channel, target_kind, target = kind
    rid = await put(db, clock, channel=channel, kind=target_kind, target=target.format(base=platform.base))
    platform.script[path].append(answer)
    await drain(worker)
    r = await row(db, rid)
    assert (r.status, r.attempts) == ("pending", 1)
    assert r.next_attempt_at == clock.now() + timedelta(seconds=pause)
    clock.advance(seconds=pause - 1)
    assert await worker.run_once() == 0
    clock.advance(seconds=1)
    await drain(worker)
    assert (await row(db, rid)).status == "sent"
    assert len(platform.sent(path)) == 1


async def test_platform_down_keeps_message_and_delivers_when_back(db, clock, platform, outbound):
    make, _ = outbound
    worker = make(max_attempts=4)
    rid = await put(db, clock, channel="wecom", kind="user", target="u1", body="催办：#12 已逾期")
    platform.down = True
    delays = []
    for _ in range(2):
        await drain(worker)
        r = await row(db, rid)
        assert r.status == "pending"
        delays.append((r.next_attempt_at - clock.now()).total_seconds())
        clock.set(r.next_attempt_at)
    assert delays == [5.0, 10.0]  # exponential backoff
    platform.down = False
    await drain(worker)
    r = await row(db, rid)
    assert (r.status, r.attempts) == ("sent", 2)
    assert platform.sent("/cgi-bin/message/send")[0]["text"]["content"] == "催办：#12 已逾期"


async def test_network_error_then_give_up_after_max_attempts(db, clock, outbound, caplog):
    make, _ = outbound
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    worker = make(max_attempts=3)
    rid = await put(
        db,
        clock,
        channel="wecom",
        kind="webhook",
        target=f"{dead}/cgi-bin/webhook/send?key=SECRETKEY",
        body="私密内容",
    )
    caplog.set_level(logging.INFO)
    for _ in range(3):
        await drain(worker)
        clock.advance(hours=1)
    r = await row(db, rid)
    assert (r.status, r.attempts) == ("failed", 3)
    assert "TransientError" in r.last_error
    failed_lines = [rec for rec in caplog.records if "failed after" in rec.getMessage()]
    assert len(failed_lines) == 1
    assert "SECRETKEY" not in caplog.text and "私密内容" not in caplog.text
    # `minqing outbox`: list failed, retry
    [listed] = await admin.list_outbox(db, status="failed")
    assert listed.id == rid and "failed" in listed.line()
    assert "已重新排队" in await admin.retry(db, clock.now(), rid)
    assert (await row(db, rid)).status == "pending"
    assert "不存在" in await admin.retry(db, clock.now(), rid)
    async with db.write() as s:
        await q.mark_failed(s, rid, attempts=3, error="x")
    assert await admin.retry_all_failed(db, clock.now()) == "已重新排队 1 条失败消息"


async def test_permanent_error_fails_at_once(db, clock, platform, outbound):
    make, _ = outbound
    rid = await put(db, clock, channel="wecom", kind="user", target="u1")
    platform.script["/cgi-bin/message/send"].append(
        (200, {"errcode": 60020, "errmsg": "not allow to access from your ip"})
    )
    await drain(make())
    r = await row(db, rid)
    assert (r.status, r.attempts) == ("failed", 1) and "60020" in r.last_error


async def test_per_person_limit_defers_31st_message_without_dropping(db, clock, platform, outbound):
    make, _ = outbound
    worker = make()
    ids = [await put(db, clock, channel="wecom", kind="user", target="u1", body=f"提醒{i}") for i in range(31)]
    await drain(worker)
    assert len(platform.sent("/cgi-bin/message/send")) == 30
    last = await row(db, ids[-1])
    assert (last.status, last.attempts) == ("pending", 0)
    assert last.next_attempt_at == clock.now() + timedelta(seconds=60)
    clock.advance(seconds=60)
    await drain(worker)
    assert [b["text"]["content"] for b in platform.sent("/cgi-bin/message/send")] == [f"提醒{i}" for i in range(31)]


async def test_per_webhook_limit_20_per_minute(db, clock, platform, outbound):
    make, _ = outbound
    worker = make()
    url = f"{platform.base}/cgi-bin/webhook/send?key=K"
    for i in range(25):
        await put(db, clock, channel="wecom", kind="webhook", target=url, body=f"简报{i}")
    await drain(worker)
    assert len(platform.sent("/cgi-bin/webhook/send")) == 20
    clock.advance(seconds=60)
    await drain(worker)
    assert [b["text"]["content"] for b in platform.sent("/cgi-bin/webhook/send")] == [f"简报{i}" for i in range(25)]


async def test_long_text_split_and_partial_failure_resumes_without_duplicates(db, clock, platform, outbound):
    make, _ = outbound
    worker = make()
    text = "\n".join(f"{i:02d}. 走访3号宿舍楼，学生反映热水供应不稳定、洗衣机损坏，已转后勤处办理。" for i in range(60))
    rid = await put(db, clock, channel="wecom", kind="user", target="u1", body=text)
    platform.script["/cgi-bin/message/send"].extend([(200, {"errcode": 0}), (200, {"errcode": -1, "errmsg": "busy"})])
    await drain(worker)
    r = await row(db, rid)
    assert r.status == "pending" and r.attempts == 1 and text.endswith(r.body) and len(r.body) < len(text)
    clock.set(r.next_attempt_at)
    await drain(worker)
    assert (await row(db, rid)).status == "sent"
    parts = [b["text"]["content"] for b in platform.sent("/cgi-bin/message/send")]
    assert all(len(p.encode()) <= 2048 for p in parts)
    # the first part was answered by the script (not recorded); the rest arrive once each, in order
    assert text.endswith("\n".join(parts)) and len(parts) >= 3


async def test_claim_is_atomic_between_two_workers(db, clock, platform, outbound):
    make, _ = outbound
    for i in range(10):
        await put(db, clock, channel="wecom", kind="user", target=f"u{i}", body=str(i))
    w1, w2 = make(), make()
    await asyncio.gather(drain(w1), drain(w2))
    assert sorted(b["text"]["content"] for b in platform.sent("/cgi-bin/message/send")) == [str(i) for i in range(10)]
    async with db.write() as s:
        rid = (await s.scalars(select(Outbox.id))).first()
        assert not await q.claim(s, rid, clock.now())  # already sent


async def test_stale_sending_rows_are_reaped(db, clock, platform, outbound):
    make, _ = outbound
    rid = await put(db, clock, channel="wecom", kind="user", target="u1")
    async with db.write() as s:
        assert await q.claim(s, rid, clock.now() + timedelta(minutes=5))  # a worker that then died
    worker = make()
    assert await worker.run_once() == 0
    clock.advance(minutes=6)
    await drain(worker)
    assert (await row(db, rid)).status == "sent"
