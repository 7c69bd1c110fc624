"""What real platforms send, through the real routes (real wechatpy crypto, real HMAC signs):
each kind of input is stored and answered, or refused with one log line and nothing stored."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto

from bot.dingtalk.sender import sign
from bot.server import SERVICES, create_app
from handlers.texts.channel import FROM_VOICE, NOT_TEXT
from storage.models import CallbackSign, InboundMessage, Outbox
from tests.bot.fakes import (
    AGENT,
    CORP,
    DING_SECRET,
    FakeDispatcher,
    decrypt_reply,
    encrypted_post,
    make_cfg,
    text_xml,
    wecom_crypto,
)

NOW_S = 1716170400  # the fixed clock (2024-05-20 10:00 Asia/Shanghai) as epoch seconds


async def stored(db) -> list[InboundMessage]:
    async with db.session() as s:
        return list(await s.scalars(select(InboundMessage).order_by(InboundMessage.id)))


async def count(db, model) -> int:
    async with db.session() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def _client(aiohttp_client, db, clock, platform, dispatcher):
    app = create_app(make_cfg(platform.base), db, dispatcher, clock, start_worker=False)
    return await aiohttp_client(app), dispatcher, app[SERVICES]


@pytest.fixture
async def client(aiohttp_client, db, clock, platform):
    """(client, dispatcher, services) with the deduping fake dispatcher."""
    return await _client(aiohttp_client, db, clock, platform, FakeDispatcher(db))


@pytest.fixture
async def real_client(aiohttp_client, db, clock, platform, dispatcher):
    """(client, dispatcher, services) with the real dispatcher and the demo roster."""
    return await _client(aiohttp_client, db, clock, platform, dispatcher)


def event_xml(event: str, user: str = "u1", extra: str = "") -> str:
    return (
        f"<xml><ToUserName>{CORP}</ToUserName><FromUserName>{user}</FromUserName><CreateTime>{NOW_S}"
        f"</CreateTime><MsgType>event</MsgType><Event>{event}</Event>{extra}<AgentID>{AGENT}</AgentID></xml>"
    )


def raw_xml(inner: str) -> str:
    return f"<xml><ToUserName>{CORP}</ToUserName><CreateTime>{NOW_S}</CreateTime>{inner}</xml>"


# -- WeCom -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        "change_contact",
        "sys_approval_change",
        "template_card_event",
        "batch_job_result",
        "open_approval_change",
        "LOCATION",
        "view",
    ],
)
async def test_wecom_events_the_library_does_not_model_get_200_and_a_log_line(client, db, caplog, event):
    c, dispatcher, _ = client
    caplog.set_level(logging.INFO, "minqing.wecom")
    path, body = encrypted_post(event_xml(event, extra="<ChangeType>update_user</ChangeType><UserID>x</UserID>"))
    resp = await c.post(path, data=body)
    assert (resp.status, await resp.text()) == (200, "")
    assert f"wecom event {event} not handled" in caplog.text
    assert dispatcher.calls == 0 and await count(db, InboundMessage) == 0


@pytest.mark.parametrize("kind", ["mixed", "video", "location", "link", "voice", "miniprogram_notice"])
async def test_wecom_message_types_we_cannot_use_get_a_friendly_reply(client, db, kind):
    c, dispatcher, _ = client
    path, body = encrypted_post(
        raw_xml(
            f"<FromUserName>zhang</FromUserName><MsgType>{kind}</MsgType>"
            f"<MediaId>m1</MediaId><MsgId>77</MsgId><AgentID>{AGENT}</AgentID>"
        )
    )
    resp = await c.post(path, data=body)
    assert resp.status == 200
    assert decrypt_reply(await resp.text(), "", "")["Content"] == NOT_TEXT
    assert dispatcher.calls == 0


async def test_wecom_voice_with_transcript_is_handled_as_text_and_says_so(client, db):
    c, _, _ = client
    path, body = encrypted_post(
        raw_xml(
            "<FromUserName>zhang</FromUserName><MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format>"
            f"<Recognition><![CDATA[走访梅园5栋，热水正常]]></Recognition><MsgId>78</MsgId><AgentID>{AGENT}</AgentID>"
        )
    )
    resp = await c.post(path, data=body)
    assert decrypt_reply(await resp.text(), "", "")["Content"] == f"{FROM_VOICE}\n收到：走访梅园5栋，热水正常"
    assert [m.text for m in await stored(db)] == ["走访梅园5栋，热水正常"]


async def test_wecom_control_characters_in_decrypted_xml_are_removed_and_message_stored(client, db):
    c, _, _ = client
    # \x01 \x08 \x1b are forbidden in XML 1.0: mobile keyboards still put them in Content
    path, body = encrypted_post(text_xml("宿舍\x01楼道\x08灯坏了\x1b，\r\n已报修", 501))
    resp = await c.post(path, data=body)
    assert decrypt_reply(await resp.text(), "", "")["Content"] == "收到：宿舍楼道灯坏了，\n已报修"
    assert [m.text for m in await stored(db)] == ["宿舍楼道灯坏了，\n已报修"]


async def test_wecom_characters_newer_than_the_unicode_tables_are_kept(real_client, db):
    c, _, _ = real_client
    # U+1FA77 🩷, U+1FAE8 🫨 (Unicode 15), U+1FAE9 and U+1FA89 (16), CJK Ext H U+31350, Ext I U+2EBF0
    text = "走访梅园5栋，同学们说热水很好\U0001fa77\U0001fae8\U0001fae9\U0001fa89 \U00031350\U0002ebf0"
    path, body = encrypted_post(text_xml(text, 502, user="zhang"))
    resp = await c.post(path, data=body)
    reply = decrypt_reply(await resp.text(), "", "")["Content"]
    assert "无法识别" not in reply and "已记录" in reply
    [m] = await stored(db)
    assert (m.text, m.status) == (text, "handled")


@pytest.mark.parametrize(
    "plain, why",
    [
        (
            raw_xml(
                "<FromUserName>zhang</FromUserName><MsgType>text</MsgType>"
                "<Content>走访<b>宿舍</b></Content><MsgId>1</MsgId>"
            ),
            "$.Content",
        ),  # tags inside Content
        (
            raw_xml("<FromUserName>zhang</FromUserName><MsgType>text</MsgType><Content>x</Content><MsgId>12a</MsgId>"),
            "$.MsgId",
        ),
        (
            raw_xml(
                "<FromUserName>zhang</FromUserName><MsgType>text</MsgType>"
                "<Content>x</Content><MsgId>1</MsgId><AgentID>-5</AgentID>"
            ),
            "$.AgentID",
        ),
        (
            raw_xml(
                "<FromUserName>zhang</FromUserName><FromUserName>li</FromUserName><MsgType>text</MsgType>"
                "<Content>x</Content><MsgId>1</MsgId>"
            ),
            "$.FromUserName",
        ),  # repeated element
        (raw_xml("<FromUserName>zhang</FromUserName><Content>x</Content>"), "MsgType"),  # no MsgType
        ('<!DOCTYPE x [<!ENTITY a "aaaa">]>' + raw_xml("<MsgType>text</MsgType><Content>&a;</Content>"), "DOCTYPE"),
        ("not xml at all", "malformed message XML"),
    ],
)
async def test_wecom_signed_but_malformed_messages_are_400_with_one_line(client, db, caplog, plain, why):
    c, dispatcher, _ = client
    path, body = encrypted_post(plain)
    resp = await c.post(path, data=body)
    assert resp.status == 400
    [line] = [r.getMessage() for r in caplog.records if r.name == "minqing.wecom"]
    assert why in line and "Traceback" not in caplog.text
    assert dispatcher.calls == 0 and await count(db, InboundMessage) == 0


async def test_wecom_unknown_encoding_declaration_signed_or_not_never_reaches_a_parser(client, db):
    c, dispatcher, _ = client
    # inside valid crypto: the declaration is dropped, the message handled
    path, body = encrypted_post('<?xml version="1.0" encoding="x-unknown-8"?>' + text_xml("走访三食堂", 503))
    resp = await c.post(path, data=body)
    assert decrypt_reply(await resp.text(), "", "")["Content"] == "收到：走访三食堂"
    # unsigned envelope with a hostile declaration: refused on the signature, not parsed
    q = urlencode({"msg_signature": "0" * 40, "timestamp": str(NOW_S), "nonce": "1"})
    resp = await c.post(
        f"/wecom/callback?{q}",
        data=b'<?xml version="1.0" encoding="x-unknown-8"?><xml><Encrypt><![CDATA[QUJD]]></Encrypt></xml>',
    )
    assert resp.status == 403
    assert dispatcher.calls == 1


async def test_wecom_empty_msgid_never_turns_later_messages_into_replays(client, db):
    c, dispatcher, _ = client
    first = text_xml("走访梅园3栋", 0).replace("<MsgId>0</MsgId>", "<MsgId></MsgId>")
    second = text_xml("走访梅园5栋", 0).replace("<MsgId>0</MsgId>", "<MsgId/>")
    for plain in (first, first, second):  # the first one twice: a platform retry
        path, body = encrypted_post(plain)
        assert (await c.post(path, data=body)).status == 200
    assert [m.text for m in dispatcher.processed] == ["走访梅园3栋", "走访梅园5栋"]
    assert len({m.dedupe_key for m in await stored(db)}) == 2


async def test_wecom_correctly_signed_request_two_days_old_is_refused(client, db, caplog):
    c, dispatcher, _ = client
    path, body = encrypted_post(text_xml("走访", 504), ts=str(NOW_S - 2 * 86400))
    assert (await c.post(path, data=body)).status == 403
    path, body = encrypted_post(text_xml("走访", 505), ts=str(NOW_S + 3600))  # from the future
    assert (await c.post(path, data=body)).status == 403
    assert "timestamp" in caplog.text and dispatcher.calls == 0 and await count(db, InboundMessage) == 0


async def test_wecom_echostr_with_a_space_logs_the_proxy_hint(client, caplog):
    c, _, _ = client
    enc = PrpCrypto(wecom_crypto().key).encrypt("1234567890", CORP).decode()
    sig = _get_signature(wecom_crypto().token, str(NOW_S), "n1", enc)
    q = urlencode({"msg_signature": sig, "timestamp": str(NOW_S), "nonce": "n1", "echostr": enc})
    resp = await c.get(f"/wecom/callback?{q}")
    assert (resp.status, await resp.text()) == (200, "1234567890")
    mangled = enc.replace("+", " ") if "+" in enc else enc[:5] + " " + enc[6:]
    q = urlencode({"msg_signature": sig, "timestamp": str(NOW_S), "nonce": "n1", "echostr": mangled})
    assert (await c.get(f"/wecom/callback?{q}")).status == 403
    assert "proxy probably decoded '+' as a space" in caplog.text


# -- DingTalk ----------------------------------------------------------------------------------


def ding_body(platform, **over) -> dict:
    d = {
        "msgtype": "text",
        "text": {"content": " 走访二食堂"},
        "msgId": "d1",
        "conversationType": "1",
        "conversationId": "cid1",
        "senderStaffId": "staff001",
        "senderId": "$:x",
        "sessionWebhook": f"{platform.base}/robot/sendBySession?session=s1",
        "sessionWebhookExpiredTime": NOW_S * 1000 + 3600_000,
    }
    d.update(over)
    return d


_ts = iter(range(NOW_S * 1000, NOW_S * 1000 + 10**6))


async def ding_post(c, data, *, raw: bytes | None = None, ts: str | None = None, signature: str | None = None):
    ts = ts if ts is not None else str(next(_ts))
    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    return await c.post(
        "/dingtalk/callback",
        data=body,
        headers={
            "timestamp": ts,
            "sign": signature if signature is not None else sign(DING_SECRET, ts),
            "Content-Type": "application/json",
        },
    )


@pytest.mark.parametrize(
    "ts", ["²", "1" * 4301, "１７１６１７０４０００００", "-1716170400000", "1716170400000.0", " "]
)
async def test_dingtalk_malformed_timestamp_header_is_403(client, db, platform, ts):
    c, dispatcher, _ = client
    assert (await ding_post(c, ding_body(platform), ts=ts, signature="x" * 44)).status == 403
    assert dispatcher.calls == 0 and await count(db, InboundMessage) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 30_000 + b"]" * 30_000,  # nested deeper than any parser's recursion
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"msgtype": "text", "msgId": "x", "senderStaffId": "s", "text": {"content": ["a", "b"]}}',
        b'{"msgtype": "richText", "msgId": "x", "senderStaffId": "s", "content": {"richText": [{"text": 5}]}}',
        b'{"msgtype": "text", "msgId": "x", "senderStaffId": "s", "conversationType": "2",'
        b' "conversationId": {"a": 1}, "text": {"content": "hi"}}',
        b'{"msgtype": "text", "msgId": 12345, "senderStaffId": "s", "text": {"content": "hi"}}',
        b'{"msgtype": "text", "msgId": "x", "senderStaffId": "s", "text": {"content": "hi"},'
        b' "sessionWebhookExpiredTime": "soon"}',
        b'{"msgtype": "text", "msgId": "x", "senderStaffId": "s" * 3, "text": {"content": "hi"}}',
        b'{"msgtype": "text", "msgId": "x", "senderStaffId": "s", "text": {"content": "hi"}} trailing',
        b'{"msgtype": "text", "msgId": "x", "senderStaffId": "s", "text": {"content": "\xff\xfe"}}',
    ],
)
async def test_dingtalk_signed_bodies_of_the_wrong_shape_are_400(client, db, caplog, raw):
    c, dispatcher, _ = client
    resp = await ding_post(c, None, raw=raw)
    assert resp.status == 400
    assert "Traceback" not in caplog.text and len([r for r in caplog.records if r.name == "minqing.dingtalk"]) == 1
    assert dispatcher.calls == 0 and await count(db, InboundMessage) == 0 and await count(db, CallbackSign) == 0


async def test_dingtalk_lone_surrogate_is_stored_replaced_and_answered(client, db, platform):
    c, _, services = client
    raw = (
        '{"msgtype": "text", "msgId": "sur1", "senderStaffId": "staff001", "conversationType": "1",'
        ' "text": {"content": "走访梅园\\ud83d 3栋\\udc00，\\ufeff一切正常\\u0007"}}'
    ).encode()
    assert (await ding_post(c, None, raw=raw)).status == 200
    assert [m.text for m in await stored(db)] == ["走访梅园\ufffd 3栋\ufffd，一切正常"]
    await services.worker.run_once()
    assert platform.sent("/v1.0/robot/oToMessages/batchSend")  # answered (no session: the OpenAPI)


async def test_dingtalk_audio_is_handled_from_its_transcript_and_says_so(client, db, platform):
    c, dispatcher, services = client
    audio = ding_body(
        platform,
        msgtype="audio",
        msgId="a1",
        content={"duration": 4000, "downloadCode": "dc", "recognition": "走访梅园5栋热水正常"},
    )
    del audio["text"]
    silent = {**audio, "msgId": "a2", "content": {"duration": 900, "downloadCode": "dc2"}}
    assert (await ding_post(c, audio)).status == 200
    assert (await ding_post(c, silent)).status == 200
    while await services.worker.run_once():
        pass
    assert [m.text for m in dispatcher.processed] == ["走访梅园5栋热水正常"]
    assert [b["text"]["content"] for b in platform.sent("/robot/sendBySession")] == [
        f"{FROM_VOICE}\n收到：走访梅园5栋热水正常",
        NOT_TEXT,
    ]


@pytest.mark.parametrize(
    "parts, expected",
    [
        ([{"text": "@民情通 进展 #1 已联系后勤"}], "进展 #1 已联系后勤"),
        (
            [{"text": "@民情通\u2005"}, {"text": "进展 #2 "}, {"downloadCode": "p"}, {"text": "@李老师\u2005请跟进"}],
            "进展 #2 请跟进",
        ),
        ([{"downloadCode": "p"}, {"text": "办结 #3 @民情通 "}], "办结 #3"),
        ([{"text": "邮箱 a@b.cn 已登记"}], "邮箱 a@b.cn 已登记"),  # not a mention: kept
    ],
)
async def test_dingtalk_richtext_mentions_are_stripped_wherever_they_stand(client, platform, parts, expected):
    c, dispatcher, _ = client
    d = ding_body(
        platform,
        msgtype="richText",
        msgId=f"r{len(parts)}{expected[:2]}",
        conversationType="2",
        conversationId="cidG",
        content={"richText": parts},
    )
    del d["text"]
    assert (await ding_post(c, d)).status == 200
    assert [m.text for m in dispatcher.processed] == [expected]


async def test_dingtalk_replayed_sign_with_another_body_is_refused(client, db, platform):
    c, dispatcher, services = client
    ts = str(next(_ts))
    good = ding_body(platform, msgId="orig")
    assert (await ding_post(c, good, ts=ts)).status == 200
    assert (await ding_post(c, good, ts=ts)).status == 200  # the platform's retry: the stored answer
    forged = ding_body(platform, msgId="forged", text={"content": "本月未办结"})
    assert (await ding_post(c, forged, ts=ts)).status == 403
    assert [m.msg_id for m in dispatcher.processed] == ["orig"]
    assert [m.dedupe_key for m in await stored(db)] == ["dingtalk:-:staff001:orig"]
    while await services.worker.run_once():
        pass
    assert [b["text"]["content"] for b in platform.sent("/robot/sendBySession")] == ["收到：走访二食堂"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/admin/outbox/retry",  # loopback, another port than the API's
        "https://evil.example.com/robot/sendBySession?session=1",
        "https://oapi.dingtalk.com.evil.example/robot/sendBySession",
        "http://oapi.dingtalk.com/robot/sendBySession",  # not https
        "https://user:pw@oapi.dingtalk.com/robot/sendBySession",
        "file:///etc/passwd",
    ],
)
async def test_dingtalk_foreign_session_webhook_host_is_refused(client, db, platform, url):
    c, dispatcher, _ = client
    assert (await ding_post(c, ding_body(platform, sessionWebhook=url))).status == 400
    assert dispatcher.calls == 0 and await count(db, InboundMessage) == 0 and await count(db, Outbox) == 0


async def test_dingtalk_platform_session_hosts_are_accepted(client, db, platform):
    c, _, _ = client
    url = "https://oapi.dingtalk.com/robot/sendBySession?session=abc"
    assert (await ding_post(c, ding_body(platform, sessionWebhook=url, msgId="ok1"))).status == 200
    async with db.session() as s:
        [row] = list(await s.scalars(select(Outbox)))
    assert json.loads(row.target)["url"] == url


async def test_full_width_and_invisible_characters_never_change_a_command(real_client, db):
    c, _, _ = real_client
    replies = []
    for n, text in enumerate(["走访梅园3栋，热水器坏了", "进展\u200b\u3000＃１\u3000已联系后勤", "进展 #1 已联系后勤"]):
        path, body = encrypted_post(text_xml(text, 900 + n, user="zhang"))
        replies.append(decrypt_reply(await (await c.post(path, data=body)).text(), "", "")["Content"])
    assert "#1" in replies[0]
    assert replies[1].replace("已联系后勤", "") == replies[2].replace("已联系后勤", "")  # the same command
    assert "进展" in replies[1] and "#1" in replies[1]
    assert [m.text for m in await stored(db)][1] == "进展\u200b\u3000＃１\u3000已联系后勤"  # stored as sent
