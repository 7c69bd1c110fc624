"""Seeded fuzz of both callback routes: thousands of generated requests, many of them with a
valid signature (real wechatpy crypto, real DingTalk HMAC) around malformed content.

Asserted for every request: no 5xx, nothing logged at ERROR and no traceback, and a refused
request (4xx) stores nothing (no dispatcher call, no inbound row, no outbox row, no sign)."""

from __future__ import annotations

import json
import logging
import random
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from wechatpy.crypto import _get_signature

from bot.dingtalk.sender import sign
from bot.server import SERVICES, create_app
from storage.models import CallbackSign, InboundMessage, Outbox
from tests.bot.fakes import AGENT, CORP, DING_SECRET, FakeDispatcher, make_cfg, wecom_crypto

SEED = 20261129
PER_ROUTE = 1200
NOW_S = 1716170400

ODD = [
    "\x00",
    "\x01",
    "\x0b",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "\uffff",
    "\u200b",
    "\U0001fae8",
    "\U00031350",
    "\U0010ffff",
    "\ue000",
    "&",
    "<",
    ">",
    "]]>",
    "<![CDATA[",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "<b>",
    "</Content>",
    "<MsgId>",
    "%",
    "'",
    '"',
    "\\",
    " ",
    "\t",
    "\n",
    "\r",
    "𝕏",
    "Ａ",
    "…",
]
TAGS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "AgentID",
    "Event",
    "Recognition",
    "MediaId",
    "Foo",
]
TYPES = ["text", "event", "voice", "file", "mixed", "image", "", "TEXT", "text ", "a" * 80, "<x/>"]


def pick(rng: random.Random, good, *bad, p: float = 0.93):
    """`good` with probability `p`, else one of `bad`."""
    return good if rng.random() < p or not bad else rng.choice(bad)


def odd_text(rng: random.Random, n: int = 8) -> str:
    pieces = [rng.choice(ODD) if rng.random() < 0.15 else rng.choice("走访宿舍热水abc123 #") for _ in range(n)]
    return "".join(pieces)


def wecom_plain(rng: random.Random) -> str:
    """A decrypted message body: valid, damaged or hostile."""
    fields = {
        "ToUserName": CORP,
        "FromUserName": pick(rng, "zhang", "", "u" * 200, odd_text(rng, 3)),
        "CreateTime": pick(rng, str(NOW_S), "", "x", "1" * 30),
        "MsgType": pick(rng, "text", *TYPES, p=0.5),
        "Content": odd_text(rng, rng.randint(0, 40)),
        "MsgId": pick(rng, str(rng.randint(0, 10**19)), "", "12a", "-1", "1" * 25),
        "AgentID": pick(rng, AGENT, "", "abc", "1.5"),
        "Event": rng.choice(["change_contact", "sys_approval_change", "", "x" * 100]),
    }
    parts = []
    tags = TAGS if rng.random() < 0.6 else rng.sample(TAGS, rng.randint(1, len(TAGS)))
    for tag in tags:
        value = fields.get(tag, odd_text(rng, 4))
        style = rng.random()
        if style < 0.9:
            parts.append(f"<{tag}><![CDATA[{value}]]></{tag}>")
        elif style < 0.93:
            parts.append(f"<{tag}>{value}</{tag}>")
        elif style < 0.96:
            parts.append(f"<{tag}>{value}</{tag}>")
            parts.append(f"<{tag}><{tag}>{value}</{tag}></{tag}>")  # nested
        elif style < 0.98:
            parts.append(f"<{tag}>{value}</{tag}>" * 2)  # repeated
        else:
            parts.append(f'<{tag} a="1">{value}</{tag}>')  # attribute
    xml = "<xml>" + "".join(parts) + "</xml>"
    r = rng.random()
    if r < 0.1:
        xml = xml[: rng.randint(0, len(xml))]  # truncated
    elif r < 0.2:
        xml = f'<?xml version="1.0" encoding="{rng.choice(["x-bogus", "utf-16", "latin-1", "UTF-8"])}"?>' + xml
    elif r < 0.25:
        xml = '<!DOCTYPE x [<!ENTITY a "' + "a" * 50 + '">]>' + xml.replace("</xml>", "&a;&a;</xml>")
    elif r < 0.3:
        xml = "<xml>" * 2000 + "</xml>" * 2000
    return xml


def wecom_request(rng: random.Random) -> tuple[str, bytes]:
    crypto = wecom_crypto()
    ts = pick(rng, str(NOW_S), str(NOW_S - 86400 * 2), "", "²", "1" * 40, "abc", p=0.9)
    nonce = pick(rng, "n1", "", "n" * 100, "a b", "x\u00e9", p=0.9)
    kind = rng.random()
    if kind < 0.6:  # valid crypto around damaged content
        out = crypto.encrypt_message(wecom_plain(rng), "n1", ts if ts.isdigit() and len(ts) < 12 else str(NOW_S))
        enc = out.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        sig = _get_signature(crypto.token, ts, nonce, enc)
        body = f"<xml><ToUserName>{CORP}</ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    elif kind < 0.8:  # valid signature over an Encrypt that is not ciphertext
        enc = "".join(rng.choice("ABCDEFabcdef0123456789+/=") for _ in range(rng.randint(1, 200)))
        sig = _get_signature(crypto.token, ts, nonce, enc)
        body = f"<xml><Encrypt>{enc}</Encrypt></xml>"
    else:  # no credentials at all
        sig = "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([40, 40, 40, 39, 0])))
        body = rng.choice(
            [
                '<?xml version="1.0" encoding="x-bogus"?><xml/>',
                "<xml><Encrypt>",
                odd_text(rng, 30),
                "<xml><Encrypt><![CDATA[QUJD]]></Encrypt></xml>",
            ]
        )
    query = {"msg_signature": sig, "timestamp": ts, "nonce": nonce}
    if rng.random() < 0.05:
        query.pop(rng.choice(list(query)))
    raw = body.encode("utf-8", "surrogatepass")
    if rng.random() < 0.05:
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    return "/wecom/callback?" + urlencode(query), raw


def json_value(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice([None, True, 0, -1, 1.5, 10**30, "", odd_text(rng, 5), "\ud83d", [], {}])
    if r < 0.6:
        return [json_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["text", "content", "richText", "a"]): json_value(rng, depth + 1) for _ in range(2)}


def ding_body(rng: random.Random) -> bytes:
    d = {
        "msgtype": pick(rng, rng.choice(["text", "richText", "audio"]), "picture", "file", "", 5),
        "msgId": pick(rng, f"m{rng.randint(0, 10**6)}", "", 7, None, {"x": 1}, "\ud83d"),
        "senderStaffId": pick(rng, "staff001", "", None, ["a"], "s" * 200, "bad\x00id"),
        "conversationType": pick(rng, rng.choice(["1", "2"]), 2, "3", None),
        "conversationId": pick(rng, "cid", {"a": 1}, None, ""),
        "sessionWebhook": pick(
            rng,
            rng.choice(
                [None, "http://127.0.0.1:9/robot/sendBySession?s=1", "https://oapi.dingtalk.com/robot/sendBySession"]
            ),
            "https://evil.example/x",
            5,
            "not a url",
            "http://[::1",
            "http://127.0.0.1:1/x",
        ),
        "sessionWebhookExpiredTime": pick(rng, NOW_S * 1000, "soon", -1, 10**20, None),
        "text": pick(rng, {"content": odd_text(rng, 20)}, {"content": ["a"]}, "text", None),
        "content": rng.choice(
            [
                {"recognition": odd_text(rng, 10)},
                {"recognition": 5},
                {"richText": [{"text": odd_text(rng, 6)}, {"text": 3}]},
                {"richText": [{"text": "@民情通 " + odd_text(rng, 6)}, {"downloadCode": "x"}]},
                json_value(rng),
            ]
        ),
    }
    for key in rng.sample(list(d), rng.choice([0, 0, 0, 1, 2])):
        del d[key]
    body = json.dumps(d, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")
    r = rng.random()
    if r < 0.05:
        body = body[: rng.randint(0, len(body))]
    elif r < 0.07:
        body = b"[" * 20000 + b"]" * 20000
    elif r < 0.1:
        i = rng.randrange(max(1, len(body)))
        body = body[:i] + bytes([rng.randrange(256)]) + body[i + 1 :]
    return body


def ding_headers(rng: random.Random) -> dict[str, str]:
    ts = pick(
        rng,
        str(NOW_S * 1000 + rng.randint(0, 10**6)),
        "²",
        "1" * 4301,
        "",
        "-5",
        str(NOW_S * 1000 - 7200_000),
        "１７１６",
        p=0.85,
    )
    sig = pick(rng, sign(DING_SECRET, ts), "", "x" * 44, "a==", p=0.9)
    return {"timestamp": ts, "sign": sig, "Content-Type": "application/json"}


@pytest.fixture
async def fuzz_client(aiohttp_client, db, clock, platform):
    dispatcher = FakeDispatcher(db)
    app = create_app(make_cfg(platform.base), db, dispatcher, clock, start_worker=False)
    return await aiohttp_client(app), dispatcher, app[SERVICES]


_COUNTS = select(
    *(select(func.count()).select_from(m).scalar_subquery() for m in (InboundMessage, Outbox, CallbackSign))
)


async def _stored(db) -> tuple[int, int, int]:
    async with db.session() as s:
        return tuple((await s.execute(_COUNTS)).one())


@pytest.mark.parametrize("route", ["wecom", "dingtalk"])
async def test_fuzzed_callbacks_never_5xx_never_trace_and_refusals_store_nothing(fuzz_client, db, caplog, route):
    caplog.set_level(logging.INFO)
    client, dispatcher, services = fuzz_client
    rng = random.Random(f"{SEED}-{route}")
    statuses: dict[int, int] = {}
    before = await _stored(db)
    for i in range(PER_ROUTE):
        calls = dispatcher.calls
        if route == "wecom":
            path, body = wecom_request(rng)
            resp = await client.post(path, data=body)
        else:
            resp = await client.post("/dingtalk/callback", data=ding_body(rng), headers=ding_headers(rng))
        await resp.read()
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        assert resp.status < 500, f"request {i} answered {resp.status}"
        if resp.status >= 400:
            assert dispatcher.calls == calls, f"refused request {i} reached the dispatcher"
            after = await _stored(db)
            assert after == before, f"refused request {i} stored something"
        else:
            before = await _stored(db)
    await services.drain()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    # the generator reaches every outcome: handled, refused as malformed, refused on the signature
    assert min(statuses.get(200, 0), statuses.get(400, 0), statuses.get(403, 0)) > 20, statuses
