"""留痕 on the console through the real app: the item page and the visit ledger show the
thumbnails, files and locations of what is in the viewer's scope, and the attachment bytes are
served only to a viewer who may see a visit or item they belong to (404 for anyone else)."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image
from sqlalchemy import select

from bot.media.images import thumbnail
from bot.server import SERVICES
from storage import attachments
from storage.models import Cadre, PlatformAccount
from tests.web.conftest import seed, sign_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NOW = datetime(2026, 11, 18, 11, 0)


def jpeg(color: tuple[int, int, int]) -> bytes:
    """A JPEG with a GPS position in its EXIF, as phones send them."""
    exif = Image.Exif()
    exif.get_ifd(0x8825)[1] = "N"
    out = io.BytesIO()
    Image.new("RGB", (400, 300), color).save(out, "JPEG", exif=exif)
    return out.getvalue()


async def attach(
    client,
    db,
    data: bytes | None,
    *,
    item_id=None,
    visit_id=None,
    role="evidence",
    kind="image",
    mime="image/jpeg",
    name=None,
    place=None,
) -> tuple[str | None, str | None]:
    """Store bytes and a stored attachment row as the download worker leaves them; its hashes."""
    store = client.app[SERVICES].media.store
    sha = store.put(data) if data is not None else None
    thumb = store.put(thumbnail(data)) if data is not None and mime.startswith("image/") else None
    async with db.write() as s:
        zhang = await s.scalar(select(Cadre.id).join(PlatformAccount).where(PlatformAccount.account_id == "zhang"))
        lat, lng, label = place or (None, None, None)
        row = await attachments.add(
            s,
            dedupe_key=f"test:{sha or label}:{item_id}:{visit_id}",
            cadre_id=zhang,
            channel="wecom",
            sender="zhang",
            kind=kind,
            source=None if place else "m",
            file_name=name,
            item_id=item_id,
            visit_id=visit_id,
            role=role,
            status="stored" if place else "pending",
            next_attempt_at=NOW,
            created_at=NOW,
            latitude=lat,
            longitude=lng,
            label=label,
        )
        if sha is not None:
            await attachments.mark_stored(s, row, sha256=sha, thumb_sha256=thumb, mime=mime, size=len(data), now=NOW)
    return sha, thumb


async def test_a_viewer_in_scope_sees_the_item_photos_and_gets_the_originals(client, db, dispatcher, clock):
    await seed(dispatcher, clock)  # #2 (计算机学院) and #3 (moved to 后勤处) from 张老师's visit
    before = jpeg((200, 30, 30))
    sha, _ = await attach(client, db, before, item_id=2)
    after, _ = await attach(client, db, jpeg((30, 200, 30)), item_id=2, role="result")
    pdf, _ = await attach(client, db, PDF, item_id=2, kind="file", mime="application/pdf", name="整改方案.pdf")

    await sign_in(client, dispatcher, "li")  # 计算机学院's head
    html = await (await client.get("/console/items/2")).text()
    assert (
        f'<dt>问题照片</dt><dd><span class="photos"><a href="/console/files/{sha}" target="_blank" '
        f'rel="noopener"><img src="/console/files/{sha}/thumb" alt="问题照片1"'
    ) in html
    assert (
        f'<dt>办结照片</dt><dd><span class="photos"><a href="/console/files/{after}" target="_blank" '
        f'rel="noopener"><img src="/console/files/{after}/thumb" alt="办结照片1"'
    ) in html
    assert f'<dt>附件</dt><dd><a href="/console/files/{pdf}">整改方案.pdf</a>（1KB）' in html

    original = await client.get(f"/console/files/{sha}")
    assert original.status == 200 and original.content_type == "image/jpeg"
    assert original.headers["Cache-Control"].startswith("private")
    assert await original.read() == before  # as stored, EXIF and all: the console shows originals
    thumb = await client.get(f"/console/files/{sha}/thumb")
    assert thumb.status == 200 and thumb.content_type == "image/jpeg"
    assert not Image.open(io.BytesIO(await thumb.read())).getexif()
    again = await client.get(f"/console/files/{sha}", headers={"If-None-Match": original.headers["ETag"]})
    assert again.status == 304

    download = await client.get(f"/console/files/{pdf}")
    assert download.status == 200 and download.content_type == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert (await client.get(f"/console/files/{pdf}/thumb")).status == 404  # a PDF has no thumbnail


async def test_another_units_head_gets_404_and_a_stranger_is_sent_to_sign_in(client, db, dispatcher, clock):
    await seed(dispatcher, clock)
    sha, _ = await attach(client, db, jpeg((200, 30, 30)), item_id=2)
    theirs, _ = await attach(client, db, jpeg((30, 30, 200)), item_id=3)

    anonymous = await client.get(f"/console/files/{sha}", allow_redirects=False)
    assert anonymous.status == 302 and anonymous.headers["Location"] == "/console/signed-out"

    await sign_in(client, dispatcher, "liu")  # 后勤处's head: #3 is theirs, #2 and the visit are not
    assert (await client.get(f"/console/files/{sha}")).status == 404
    assert (await client.get(f"/console/files/{sha}/thumb")).status == 404
    assert (await client.get(f"/console/files/{'0' * 64}")).status == 404  # unknown: the same answer
    assert (await client.get(f"/console/files/{theirs}")).status == 200
    html = await (await client.get("/console/items/3")).text()
    assert f'src="/console/files/{theirs}/thumb"' in html and sha not in html


async def test_the_visit_ledger_shows_the_visit_photos_and_its_location(client, db, dispatcher, clock):
    await seed(dispatcher, clock)  # visit 1: 张老师 at 梅园3栋
    sha, _ = await attach(client, db, jpeg((200, 30, 30)), visit_id=1)
    await attach(client, db, None, visit_id=1, kind="location", place=(30.5231, 114.3562, "梅园3栋"))

    await sign_in(client, dispatcher, "li")
    html = await (await client.get("/console/visits")).text()
    assert (
        f'<a href="/console/files/{sha}" target="_blank" rel="noopener"><img src="/console/files/{sha}/thumb"'
        ' alt="走访照片1"' in html
    )
    assert '<span class="place">位置：梅园3栋（30.523100, 114.356200）</span>' in html
    assert (await client.get(f"/console/files/{sha}")).status == 200

    await sign_in(client, dispatcher, "liu")  # the visit is 计算机学院's
    assert (await client.get(f"/console/files/{sha}")).status == 404
