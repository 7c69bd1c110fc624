"""留痕 through the real routes: pictures, files and locations from WeCom and DingTalk are
acknowledged at once, attached where the cadre means, downloaded from the loopback fake
platform in the background (retried, checked by content), stored once by hash, with EXIF
stripped from anything shown outside the console."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from bot.config import AttachmentsConfig
from bot.dingtalk.sender import sign
from bot.media.images import without_metadata
from bot.server import SERVICES, create_app
from handlers.policy import Policy
from storage import attachments
from storage.models import Attachment
from tests.bot.fakes import AGENT, CORP, DING_SECRET, decrypt_reply, encrypted_post, make_cfg, text_xml
from tests.bot.test_dingtalk import epoch_ms

NOW_S = 1716170400  # the fixed clock (2024-05-20 10:00 Asia/Shanghai)
VISIT = "今天去梅园3栋走访，同学反映热水不稳定"
GPS = 0x8825


def jpeg(color=(200, 30, 30), size=(640, 480), *, gps: bool = True) -> bytes:
    """A JPEG with camera EXIF and a GPS position (what phones send)."""
    im = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to show upright
    if gps:
        g = exif.get_ifd(GPS)
        g[1], g[2], g[3], g[4] = "N", (30.0, 31.0, 12.5), "E", (114.0, 21.0, 5.0)
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 60  # a .docx is a zip


@pytest.fixture
def policy():
    return Policy(attach_daily_quota=4)


class Chat:
    """Send as a cadre through the real routes; read what they were answered."""

    def __init__(self, client, services, platform, clock) -> None:
        self.c, self.s, self.platform, self.clock = client, services, platform, clock
        self.n = 100

    def _id(self) -> int:
        self.n += 1
        return self.n

    def _ts(self) -> str:
        return str(self.s.epoch_ms(self.clock.now()) // 1000)

    async def _wecom(self, inner_xml: str) -> str:
        ts = self._ts()
        path, body = encrypted_post(inner_xml, ts=ts)
        resp = await self.c.post(path, data=body)
        assert resp.status == 200
        return decrypt_reply(await resp.text(), "", "")["Content"]

    async def text(self, content: str, user: str = "zhang") -> str:
        return await self._wecom(text_xml(content, self._id(), user=user))

    async def image(self, media_id: str, user: str = "zhang") -> str:
        return await self._wecom(
            f"<xml><ToUserName>{CORP}</ToUserName><FromUserName>{user}</FromUserName><CreateTime>{self._ts()}"
            f"</CreateTime><MsgType>image</MsgType><PicUrl>https://wework.qpic.cn/x</PicUrl>"
            f"<MediaId>{media_id}</MediaId><MsgId>{self._id()}</MsgId><AgentID>{AGENT}</AgentID></xml>"
        )

    async def location(self, lat: str, lng: str, label: str, user: str = "zhang") -> str:
        return await self._wecom(
            f"<xml><ToUserName>{CORP}</ToUserName><FromUserName>{user}</FromUserName><CreateTime>{self._ts()}"
            f"</CreateTime><MsgType>location</MsgType><Location_X>{lat}</Location_X><Location_Y>{lng}</Location_Y>"
            f"<Scale>15</Scale><Label><![CDATA[{label}]]></Label><MsgId>{self._id()}</MsgId>"
            f"<AgentID>{AGENT}</AgentID></xml>"
        )

    async def ding(self, msgtype: str, content: dict, *, text: str | None = None) -> list[str]:
        """A DingTalk robot message from 张老师; the replies delivered to its sessionWebhook."""
        d = {
            "msgtype": msgtype,
            "msgId": f"ding{self._id()}",
            "conversationType": "1",
            "conversationId": "cidSINGLE",
            "senderStaffId": "ding_zhang",
            "robotCode": "robot1",
            "sessionWebhook": f"{self.platform.base}/robot/sendBySession?session=s1",
            "sessionWebhookExpiredTime": epoch_ms(self.clock.now()) + 90 * 60_000,
            "content": content,
        }
        if text is not None:
            d["text"] = {"content": text}
        ts = str(self.s.epoch_ms(self.clock.now()) + self.n)  # one (timestamp, sign) pair per body
        before = len(self.platform.sent("/robot/sendBySession"))
        resp = await self.c.post(
            "/dingtalk/callback",
            data=json.dumps(d, ensure_ascii=False),
            headers={"timestamp": ts, "sign": sign(DING_SECRET, ts), "Content-Type": "application/json"},
        )
        assert resp.status == 200
        while await self.s.worker.run_once():  # one message in flight per address
            pass
        return [b["text"]["content"] for b in self.platform.sent("/robot/sendBySession")[before:]]

    async def notices(self) -> list[str]:
        """What the outbox sent to people through WeCom message/send."""
        await self.s.worker.run_once()
        return [b["text"]["content"] for b in self.platform.sent("/cgi-bin/message/send")]


@pytest.fixture
async def chat(aiohttp_client, db, clock, platform, dispatcher, tmp_path):
    cfg = replace(make_cfg(platform.base), attachments=AttachmentsConfig(dir=tmp_path / "att", max_bytes=200_000))
    app = create_app(cfg, db, dispatcher, clock, start_worker=False)
    client = await aiohttp_client(app)
    return Chat(client, app[SERVICES], platform, clock)


async def rows(db) -> list[Attachment]:
    async with db.session() as s:
        return list(await s.scalars(select(Attachment).order_by(Attachment.id)))


def exif_of(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        return {**dict(exif), **({"gps": dict(exif.get_ifd(GPS))} if exif.get_ifd(GPS) else {})}


# -- attached where the cadre means ---------------------------------------------------------


async def test_two_pictures_after_a_visit_attach_to_it_and_are_downloaded_in_the_background(chat, db, platform):
    platform.media.update(m1=jpeg(), m2=jpeg((10, 120, 10)))
    await chat.text(VISIT)
    assert await chat.image("m1") == "收到照片，已附到 5月20日 梅园3栋 走访。如不对，回复「照片移到 #1」"
    assert await chat.image("m2") == "收到照片，已附到 5月20日 梅园3栋 走访。如不对，回复「照片移到 #1」"
    assert [r.status for r in await rows(db)] == ["pending", "pending"]  # acknowledged before downloading

    assert await chat.s.media.run_once() == 2
    a, b = await rows(db)
    assert (a.status, a.kind, a.mime, a.visit_id, a.item_id, a.role) == (
        "stored",
        "image",
        "image/jpeg",
        1,
        None,
        "evidence",
    )
    store = chat.s.media.store
    assert store.get(a.sha256) == platform.media["m1"] and store.get(b.sha256) == platform.media["m2"]
    with Image.open(io.BytesIO(store.get(a.thumb_sha256))) as thumb:
        assert (thumb.format, max(thumb.size)) == ("JPEG", 320)
    async with db.session() as s:
        shown = await attachments.for_visit(s, 1)
        assert [(v.id, v.sha256) for v in shown] == [(a.id, a.sha256), (b.id, b.sha256)]
        assert await attachments.photo_counts(s, visit_ids=[1]) == {1: 2}


async def test_a_picture_captioned_with_an_item_number_attaches_to_that_item(chat, db, platform):
    platform.media["dc1"] = jpeg()
    await chat.text("走访二食堂，学生反映窗口排队时间长")  # item #1
    await chat.text(VISIT)  # a newer visit with item #2
    replies = await chat.ding(
        "richText", {"richText": [{"text": "#1 的照片"}, {"type": "picture", "downloadCode": "dc1"}]}
    )
    assert replies == ["收到照片，已附到 问题 #1。如不对，回复「照片移到 #12」"]
    await chat.s.media.run_once()
    [a] = await rows(db)
    assert (a.status, a.item_id, a.visit_id, a.channel) == ("stored", 1, None, "dingtalk")
    assert platform.sent("/v1.0/robot/messageFiles/download") == [{"downloadCode": "dc1", "robotCode": "robot1"}]
    async with db.session() as s:
        assert [v.id for v in await attachments.for_item(s, 1)] == [a.id]
        assert await attachments.photo_counts(s, item_ids=[1, 2]) == {1: 1}


async def test_the_next_message_moves_the_pictures_to_an_item(chat, db, platform):
    platform.media.update(m1=jpeg(), m2=jpeg((1, 2, 3)))
    await chat.text("走访二食堂，学生反映窗口排队时间长")  # item #1
    await chat.text(VISIT)  # item #2
    await chat.image("m1")
    await chat.image("m2")
    assert await chat.text("照片移到 #1") == "已把2个附件移到 问题 #1。"
    assert [(r.visit_id, r.item_id) for r in await rows(db)] == [(None, 1), (None, 1)]
    assert await chat.text("#2 的照片") == "已把2个附件移到 问题 #2。"
    assert [(r.visit_id, r.item_id) for r in await rows(db)] == [(None, 2), (None, 2)]


async def test_a_picture_right_after_resolving_is_the_result_photo(chat, db, platform):
    platform.media["m1"] = jpeg()
    await chat.text(VISIT)
    await chat.text("办结 #1 已更换热水器")
    assert await chat.image("m1") == "收到照片，已附到 问题 #1（办结结果照片）。如不对，回复「照片移到 #12」"
    [a] = await rows(db)
    assert (a.item_id, a.visit_id, a.role) == (1, None, "result")


async def test_a_picture_with_no_recent_record_is_kept_and_says_how_to_attach_it(chat, db, clock, platform):
    platform.media["m1"] = jpeg()
    await chat.text(VISIT)
    clock.advance(hours=2, minutes=1)  # outside the 2-hour window
    assert await chat.image("m1") == (
        "收到照片，但最近2小时内没有您的走访或问题记录，暂未附到记录上。"
        "请回复「照片移到 #问题编号」，或先发走访情况再发照片。"
    )
    assert await chat.text("照片移到 #1") == "已把1个附件移到 问题 #1。"


async def test_a_report_sent_with_its_photos_is_recorded_and_the_photos_attached(chat, db, platform):
    platform.media.update(p1=jpeg(), p2=jpeg((0, 0, 200)))
    replies = await chat.ding(
        "richText",
        {
            "richText": [
                {"text": VISIT},
                {"type": "picture", "downloadCode": "p1"},
                {"type": "picture", "downloadCode": "p2"},
            ]
        },
    )
    assert replies == [
        "已记录走访：5月20日（周一）宿舍·梅园3栋\n发现问题 1 项：\n#1 宿舍｜热水不稳定，责任人 张老师，期限 5月27日\n"
        "如有不对：回复「改 #1 分类 其他」「改 #1 期限 5月27日」或「撤销」",
        "收到2张照片，已附到 5月20日 梅园3栋 走访。如不对，回复「照片移到 #1」",
    ]
    assert [(r.visit_id, r.kind) for r in await rows(db)] == [(1, "image"), (1, "image")]


async def test_a_location_attaches_coordinates_and_place_to_the_visit(chat, db):
    await chat.text(VISIT)
    assert await chat.location("30.520123", "114.356789", "梅园3栋学生宿舍") == (
        "已记下位置「梅园3栋学生宿舍」，已附到 5月20日 梅园3栋 走访。"
    )
    [a] = await rows(db)
    assert (a.kind, a.status, a.visit_id, a.latitude, a.longitude, a.label) == (
        "location",
        "stored",
        1,
        30.520123,
        114.356789,
        "梅园3栋学生宿舍",
    )
    assert await chat.s.media.run_once() == 0  # nothing to download
    async with db.session() as s:
        assert await attachments.photo_counts(s, visit_ids=[1]) == {}  # a location is not a photo


# -- downloads: retries, content checks, limits ----------------------------------------------


async def test_a_failed_download_is_retried_with_backoff_and_reported_after_the_last_attempt(chat, db, clock, platform):
    platform.media["m1"] = jpeg()
    platform.script["/cgi-bin/media/get"].extend([(503, {"errmsg": "busy"})] * 5)
    await chat.text(VISIT)
    await chat.image("m1")
    waits = []
    for _ in range(5):
        assert await chat.s.media.run_once() == 1
        [a] = await rows(db)
        if a.status != "pending":
            break
        assert await chat.s.media.run_once() == 0  # not before its backoff
        waits.append(a.next_attempt_at - clock.now())
        clock.set(a.next_attempt_at)
    assert waits == [timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    [a] = await rows(db)
    assert (a.status, a.attempts, a.sha256) == ("failed", 5, None)
    assert await chat.notices() == ["您发的照片下载失败（已重试5次），未能保存，请重新发送。"]


async def test_a_download_that_fails_then_succeeds_is_stored(chat, db, clock, platform):
    platform.media["m1"] = jpeg()
    platform.script["/cgi-bin/media/get"].append((502, {}))
    await chat.text(VISIT)
    await chat.image("m1")
    await chat.s.media.run_once()
    clock.advance(seconds=5)
    await chat.s.media.run_once()
    [a] = await rows(db)
    assert (a.status, a.attempts) == ("stored", 1)
    assert await chat.notices() == []


async def test_a_file_that_is_not_an_image_or_pdf_is_refused_whatever_its_name(chat, db, platform):
    platform.media.update(f1=ZIP, f2=PDF)
    await chat.text(VISIT)
    assert await chat.ding("file", {"downloadCode": "f1", "fileName": "走访照片.jpg"}) == [
        "收到文件，已附到 5月20日 梅园3栋 走访。如不对，回复「照片移到 #1」"
    ]
    await chat.ding("file", {"downloadCode": "f2", "fileName": "scan.dat"})
    await chat.s.media.run_once()
    refused, pdf = await rows(db)
    assert (refused.status, refused.sha256) == ("refused", None)
    assert (pdf.status, pdf.mime, pdf.thumb_sha256) == ("stored", "application/pdf", None)
    await chat.s.worker.run_once()
    [notice] = platform.sent("/v1.0/robot/oToMessages/batchSend")
    assert notice["userIds"] == ["ding_zhang"]
    assert json.loads(notice["msgParam"]) == {
        "content": "文件「走访照片.jpg」不是图片或PDF，未保存。只能附图片（JPG、PNG等）或PDF文件。"
    }


async def test_a_picture_over_the_size_limit_is_refused(chat, db, platform):
    big = io.BytesIO()
    Image.effect_noise((600, 600), 100).save(big, "PNG")  # noise does not compress: > 200 000 bytes
    platform.media["big"] = big.getvalue()
    await chat.text(VISIT)
    await chat.image("big")
    await chat.s.media.run_once()
    [a] = await rows(db)
    assert a.status == "refused"
    assert await chat.notices() == ["照片太大，未保存。请压缩后重发（单个不超过195KB）。"]


async def test_the_daily_quota_refuses_more_pictures(chat, db, platform):
    await chat.text(VISIT)
    for i in range(4):
        await chat.image(f"q{i}")
    assert (
        await chat.image("q5") == "今天发送的照片和文件已达上限（每人每天4个），这次未保存。如确有需要，请联系管理员。"
    )
    assert len(await rows(db)) == 4


async def test_the_same_picture_twice_is_stored_once(chat, db, platform):
    platform.media.update(m1=jpeg(), again=jpeg())
    await chat.text(VISIT)
    await chat.image("m1")
    await chat.image("again")
    await chat.s.media.run_once()
    a, b = await rows(db)
    assert (a.status, b.status, a.sha256 == b.sha256) == ("stored", "duplicate", True)
    assert chat.s.media.store.count() == 2  # the picture and its thumbnail, once each
    async with db.session() as s:
        assert await attachments.photo_counts(s, visit_ids=[1]) == {1: 1}


async def test_a_platform_retry_of_a_picture_is_attached_once(chat, db, platform):
    platform.media["m1"] = jpeg()
    await chat.text(VISIT)
    inner = (
        f"<xml><ToUserName>{CORP}</ToUserName><FromUserName>zhang</FromUserName><CreateTime>{NOW_S}"
        f"</CreateTime><MsgType>image</MsgType><MediaId>m1</MediaId><MsgId>9001</MsgId>"
        f"<AgentID>{AGENT}</AgentID></xml>"
    )
    first = await chat._wecom(inner)
    assert await chat._wecom(inner) == first
    assert len(await rows(db)) == 1


# -- EXIF ----------------------------------------------------------------------------------------


async def test_exif_is_kept_for_the_console_and_stripped_from_any_other_output(chat, db, platform):
    platform.media["m1"] = jpeg(size=(400, 200))
    await chat.text(VISIT)
    await chat.image("m1")
    await chat.s.media.run_once()
    [a] = await rows(db)
    store = chat.s.media.store
    original = store.get(a.sha256)
    assert exif_of(original)["gps"][1] == "N"  # the console shows the original as sent
    public = without_metadata(original)
    assert exif_of(public) == {}
    assert exif_of(store.get(a.thumb_sha256)) == {}
    with Image.open(io.BytesIO(public)) as im:
        assert (im.format, im.size) == ("JPEG", (200, 400))  # turned upright before EXIF was dropped


# -- 台账 ----------------------------------------------------------------------------------------


async def test_the_ledger_counts_the_photos_of_each_visit_and_item(chat, db, clock, platform):
    from bot.export import build_tables
    from storage.ledger import LedgerFilter

    platform.media.update(m1=jpeg(), m2=jpeg((5, 5, 5)), m3=jpeg((9, 9, 9)))
    await chat.text(VISIT)  # visit 1, item #1
    await chat.image("m1")
    await chat.image("m2")
    await chat.text("办结 #1 已更换热水器")
    await chat.image("m3")  # the result photo
    await chat.s.media.run_once()
    tables = await build_tables(db, LedgerFilter(), clock.now().date())
    for sheet, expected in (("问题清单", [1]), ("效果清单", [1]), ("走访台账", [2])):
        header, rows = tables[sheet]
        assert [r[header.index("照片")] for r in rows] == expected
