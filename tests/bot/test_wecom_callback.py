"""WeCom callback: official vectors, refusals that store nothing, replays, budget fallback."""

from __future__ import annotations

import asyncio
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.outbound.console import ConsoleDelivery
from bot.server import SERVICES, create_app
from bot.wecom.config import WeComConfig
from bot.wecom.crypto import WeComCrypto
from handlers.clock import FixedClock
from handlers.types import TextReply
from storage.models import InboundMessage, Outbox
from tests.bot.fakes import (
    AGENT,
    FakeDispatcher,
    decrypt_reply,
    encrypted_post,
    make_cfg,
    text_xml,
    wecom_crypto,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def count(db, model) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


@pytest.fixture
async def setup(aiohttp_client, db, clock, platform):
    async def build(**kw):
        dispatcher = FakeDispatcher(db, gate=kw.pop("gate", None), reply=kw.pop("reply", None))
        at = kw.pop("at", None)  # the clock at a signed epoch second (official vectors)
        clk = FixedClock(datetime.fromtimestamp(int(at), SHANGHAI).replace(tzinfo=None)) if at else clock
        cfg = make_cfg(platform.base, **kw)
        app = create_app(cfg, db, dispatcher, clk, start_worker=False, console=ConsoleDelivery())
        client = await aiohttp_client(app)
        return client, dispatcher, app[SERVICES]

    return build


@pytest.mark.parametrize("index", [0, 1])
def test_official_url_verification_vectors(vectors, index):
    v = vectors["wecom"][index]
    c, u = v["credentials"], v["url_verification"]
    crypto = WeComCrypto(WeComConfig(corp_id=c["corp_id"], token=c["token"], encoding_aes_key=c["encoding_aes_key"]))
    assert crypto.verify_url(u["msg_signature"], u["timestamp"], u["nonce"], u["echostr"]) == u["plaintext"]


async def test_url_verification_over_http(setup, vectors):
    u = vectors["wecom"][0]["url_verification"]
    client, _dispatcher, _ = await setup(at=u["timestamp"])
    q = urlencode({k: u[k] for k in ("msg_signature", "timestamp", "nonce", "echostr")})
    resp = await client.get(f"/wecom/callback?{q}")
    assert resp.status == 200
    assert await resp.text() == u["plaintext"]
    bad = urlencode({**{k: u[k] for k in ("timestamp", "nonce", "echostr")}, "msg_signature": "0" * 40})
    assert (await client.get(f"/wecom/callback?{bad}")).status == 403


async def test_official_message_vector_decrypts_dispatches_and_replies(setup, vectors, db):
    m = vectors["wecom"][0]["message"]
    client, dispatcher, _ = await setup(at=m["timestamp"])
    q = urlencode({k: m[k] for k in ("msg_signature", "timestamp", "nonce")})
    resp = await client.post(f"/wecom/callback?{q}", data=m["body"].encode())
    assert resp.status == 200
    reply = decrypt_reply(await resp.text(), m["nonce"], m["timestamp"])
    assert reply["Content"] == "收到：你好"
    assert reply["ToUserName"] == "ChenJiaShun"
    assert reply["FromUserName"] == vectors["wecom"][0]["credentials"]["corp_id"]
    [msg] = dispatcher.processed
    assert (msg.channel, msg.user_id, msg.msg_id, msg.text) == (
        "wecom",
        "ChenJiaShun",
        "1000002:1456453720",
        "你好",
    )
    async with db.session() as s:
        keys = list(await s.scalars(select(InboundMessage.dedupe_key)))
    assert keys == ["wecom:-:ChenJiaShun:1000002:1456453720"]


def _flip(s: str, i: int) -> str:
    return s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1 :]


async def test_tampered_requests_are_refused_and_store_nothing(setup, vectors, db):
    m = vectors["wecom"][0]["message"]
    client, dispatcher, _ = await setup(at=m["timestamp"])
    good = {k: m[k] for k in ("msg_signature", "timestamp", "nonce")}
    body = m["body"]
    enc_at = body.index("<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[") + 10
    cases = [
        ({**good, "msg_signature": _flip(m["msg_signature"], 5)}, body, 403),  # signature
        (good, _flip(body, enc_at), 403),  # ciphertext
        ({**good, "timestamp": "1476422780"}, body, 403),  # replayed with new ts
        ({**good, "timestamp": "1476421000"}, body, 403),  # older than the 10-minute window
        (good, "<xml><Encrypt>unclosed", 400),  # malformed XML
        (good, "<xml><Nothing/></xml>", 400),  # no Encrypt
        ({"timestamp": m["timestamp"], "nonce": m["nonce"]}, body, 400),  # missing signature
    ]
    for query, data, status in cases:
        resp = await client.post(f"/wecom/callback?{urlencode(query)}", data=data.encode())
        assert resp.status == status, (query, data[:40])
    # set A's message decrypted with set B's credentials: the signature does not verify
    c = vectors["wecom"][1]["credentials"]
    crypto_b = WeComCrypto(WeComConfig(corp_id=c["corp_id"], token=c["token"], encoding_aes_key=c["encoding_aes_key"]))
    with pytest.raises(Exception, match="signature"):
        crypto_b.decrypt(body.encode(), m["msg_signature"], m["timestamp"], m["nonce"])
    assert dispatcher.calls == 0
    assert await count(db, InboundMessage) == 0
    assert await count(db, Outbox) == 0


async def test_wrong_corp_id_and_garbage_with_valid_signature(setup, db):
    client, dispatcher, _ = await setup()
    path, body = encrypted_post(text_xml("你好", 1), crypto=wecom_crypto("wwSOMEONEELSE"))
    assert (await client.post(path, data=body)).status == 403
    # a correctly signed Encrypt that is not valid ciphertext
    from wechatpy.crypto import _get_signature

    garbage = "QUJD" * 8
    sig = _get_signature(wecom_crypto().token, "1716170400", "2", garbage)
    resp = await client.post(
        f"/wecom/callback?{urlencode({'msg_signature': sig, 'timestamp': '1716170400', 'nonce': '2'})}",
        data=f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>".encode(),
    )
    assert resp.status == 400
    assert dispatcher.calls == 0 and await count(db, InboundMessage) == 0


async def test_replayed_callback_processed_once_answered_each_time(setup, db):
    client, dispatcher, _ = await setup()
    path, body = encrypted_post(text_xml("今天走访了3号宿舍楼，反映热水不稳定", 42))
    answers = []
    for _ in range(3):
        resp = await client.post(path, data=body)
        assert resp.status == 200
        answers.append(decrypt_reply(await resp.text(), "", "")["Content"])
    assert answers == ["收到：今天走访了3号宿舍楼，反映热水不稳定"] * 3
    assert len(dispatcher.processed) == 1
    assert await count(db, InboundMessage) == 1


async def test_concurrent_retries_of_one_message_processed_once(setup, db):
    client, dispatcher, _ = await setup()
    path, body = encrypted_post(text_xml("食堂饭菜偏咸", 7))
    resps = await asyncio.gather(*(client.post(path, data=body) for _ in range(5)))
    assert [r.status for r in resps] == [200] * 5
    assert len(dispatcher.processed) == 1
    assert await count(db, InboundMessage) == 1


async def test_slow_handler_answers_empty_then_reply_arrives_via_api(setup, db, platform):
    gate = asyncio.Event()
    client, dispatcher, services = await setup(budget_ms=30, gate=gate)
    path, body = encrypted_post(text_xml("慢一点的消息", 9))
    resp = await client.post(path, data=body)
    assert resp.status == 200
    assert await resp.text() == ""
    assert platform.sent("/cgi-bin/message/send") == []
    gate.set()
    await services.drain()
    assert await services.worker.run_once() == 1
    [sent] = platform.sent("/cgi-bin/message/send")
    assert sent == {
        "touser": "ChenJiaShun",
        "agentid": int(AGENT),
        "msgtype": "text",
        "text": {"content": "收到：慢一点的消息"},
        "enable_duplicate_check": 1,  # a retry after a slow platform answer is not delivered twice
        "duplicate_check_interval": 1800,
    }
    assert len(dispatcher.processed) == 1


async def test_long_reply_passive_first_part_rest_through_outbox(setup, db, platform):
    long = "\n".join(f"第{i}条：宿舍楼热水供应不稳定，学生反映强烈，需要后勤处尽快维修。" for i in range(60))
    client, _, services = await setup(reply=lambda m: [TextReply(long)])
    path, body = encrypted_post(text_xml("统计", 11))
    resp = await client.post(path, data=body)
    first = decrypt_reply(await resp.text(), "", "")["Content"]
    assert len(first.encode()) <= 2048 and long.startswith(first)
    while await services.worker.run_once():
        pass
    rest = [b["text"]["content"] for b in platform.sent("/cgi-bin/message/send")]
    assert all(len(r.encode()) <= 2048 for r in rest)
    assert "\n".join([first, *rest]) == long


async def test_non_text_and_events(setup, db):
    client, dispatcher, _ = await setup()
    path, body = encrypted_post(text_xml("", 12, msg_type="image"))
    resp = await client.post(path, data=body)
    assert "请发送文字" in decrypt_reply(await resp.text(), "", "")["Content"]
    event = (
        f"<xml><ToUserName>x</ToUserName><FromUserName>u1</FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType>event</MsgType><Event>enter_agent</Event><AgentID>{AGENT}</AgentID></xml>"
    )
    path, body = encrypted_post(event)
    resp = await client.post(path, data=body)
    assert resp.status == 200 and await resp.text() == ""
    assert dispatcher.calls == 0


async def test_body_limit_and_health(setup):
    client, _, _ = await setup()
    assert (await client.get("/healthz")).status == 200
    path, _ = encrypted_post(text_xml("x", 1))
    resp = await client.post(path, data=b"<xml>" + b"a" * (70 * 1024) + b"</xml>")
    assert resp.status == 413


async def test_handler_crash_gives_friendly_reply_and_logs_no_text(setup, caplog):
    def boom(msg):
        raise RuntimeError("boom")

    client, _, _ = await setup(reply=boom)
    path, body = encrypted_post(text_xml("隐私内容张三13800000000", 13))
    resp = await client.post(path, data=body)
    assert "稍后" in decrypt_reply(await resp.text(), "", "")["Content"]
    assert "13800000000" not in caplog.text
