"""留痕 on the console: the pictures, files and locations of items and visits as the pages show
them, and the attachment bytes, served only to a viewer who may see a visit or item they are
attached to (404 otherwise, so a hash reveals nothing).

    GET /console/files/{sha}         the original as stored (EXIF kept: the console is the one
                                     place originals are shown); a PDF as a download
    GET /console/files/{sha}/thumb   its thumbnail (JPEG, made without metadata)

`sha` is always the original's SHA-256 (64 lowercase hex digits).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from urllib.parse import quote

from aiohttp import web

from bot.media.images import IMAGE_FORMATS, PDF_MIME
from handlers.privacy import mask_numbers
from storage import attachments
from storage.attachments import AttachmentView
from storage.blobs import BlobMissing
from storage.items import visible_items, visible_visits
from storage.tx import Tx

log = logging.getLogger("minqing.web")

SHA_PATTERN = "{sha:[0-9a-f]{64}}"
SERVED_MIMES = {*IMAGE_FORMATS.values(), PDF_MIME}
CACHE = "private, max-age=86400"  # content-addressed: the bytes behind a URL never change


@dataclass(frozen=True)
class Shown:
    """One attachment as a page shows it: `url` of the original, `thumb` URL (pictures only),
    `size` as text (e.g. 「1.2MB」), `where` for a location (「位置：label（lat, lon）」)."""

    url: str | None
    thumb: str | None
    name: str
    size: str
    where: str | None


@dataclass
class Trail:
    """What a visit or item carries: pictures by role, other files, locations."""

    evidence: list[Shown] = field(default_factory=list)  # 问题照片 / 走访照片
    result: list[Shown] = field(default_factory=list)  # 办结照片
    files: list[Shown] = field(default_factory=list)
    places: list[Shown] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when there is no picture, file or location to show."""
        return not (self.evidence or self.result or self.files or self.places)


def size_text(n: int | None) -> str:
    """Bytes as 「350KB」 or 「1.2MB」 (empty for unknown)."""
    if n is None:
        return ""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f}MB"
    return f"{max(1, round(n / 1024))}KB"


def place_text(a: AttachmentView) -> str:
    """「位置：梅园3栋（32.061234, 118.791234）」; digits in the label masked."""
    coords = f"{a.latitude:.6f}, {a.longitude:.6f}" if a.latitude is not None and a.longitude is not None else ""
    return f"位置：{mask_numbers(a.label or '')}（{coords}）"


def trail(views: list[AttachmentView]) -> Trail:
    """Sort a visit's or item's stored attachments into what its page shows."""
    t = Trail()
    for a in views:
        if a.kind == "location":
            t.places.append(Shown(None, None, a.label or "", "", place_text(a)))
            continue
        if a.sha256 is None:
            continue
        url = f"/console/files/{a.sha256}"
        thumb = f"{url}/thumb" if a.thumb_sha256 else None
        shown = Shown(url, thumb, a.file_name or ("图片" if thumb else "文件"), size_text(a.size), None)
        if thumb is None:
            t.files.append(shown)
        else:
            (t.result if a.role == "result" else t.evidence).append(shown)
    return t


async def item_trail(session: Tx, item_id: int) -> Trail:
    """The pictures, files and locations attached to item `item_id` (all of them; the caller checks scope)."""
    return trail(await attachments.for_item(session, item_id))


async def visit_trails(session: Tx, visit_ids: list[int]) -> dict[int, Trail]:
    """Visit id → Trail for a ledger page (visits without attachments are absent)."""
    return {vid: trail(views) for vid, views in (await attachments.for_visits(session, visit_ids)).items()}


class Files:
    """The two routes; `console` gives the viewer (sign-in redirect) and the services."""

    def __init__(self, console) -> None:
        self.console = console

    async def original(self, request: web.Request) -> web.Response:
        """GET /console/files/{sha256}, signed-in viewers: the original (200, its type; 304 when the ETag matches).
        404 「没有这个文件，或您无权查看。」 when no attachment with it lies in the viewer's scope.
        """
        a = await self._allowed(request)
        return await self._serve(request, request.match_info["sha"], a, thumb=False)

    async def thumb(self, request: web.Request) -> web.Response:
        """GET /console/files/{sha256}/thumb, signed-in viewers: the JPEG thumbnail of a picture (200; 304 when the
        ETag matches). 404 for a PDF, or as `original`.
        """
        a = await self._allowed(request)
        if a.thumb_sha256 is None:  # a PDF has none
            raise web.HTTPNotFound(text="没有这个文件，或您无权查看。")
        return await self._serve(request, a.thumb_sha256, a, thumb=True)

    async def _allowed(self, request: web.Request) -> AttachmentView:
        """The first stored attachment with this original that the viewer may see (404 if none)."""
        viewer = await self.console.viewer(request)
        sha = request.match_info["sha"]
        scope = viewer.scope
        async with self.console.db.session() as s:
            views = [a for a in await attachments.by_hash(s, sha) if a.sha256 == sha]
            item_ids = {a.item_id for a in views if a.item_id is not None}
            visit_ids = {a.visit_id for a in views if a.visit_id is not None}
            seen_items = await visible_items(s, scope, item_ids)
            seen_visits = await visible_visits(s, scope, visit_ids)
        for a in views:
            if a.item_id in seen_items or a.visit_id in seen_visits:
                return a
        raise web.HTTPNotFound(text="没有这个文件，或您无权查看。")

    async def _serve(self, request: web.Request, name: str, a: AttachmentView, *, thumb: bool) -> web.Response:
        headers = {"Cache-Control": CACHE, "ETag": f'"{name}"'}
        if request.headers.get("If-None-Match") == headers["ETag"]:
            return web.Response(status=304, headers=headers)
        try:
            body = await asyncio.to_thread(self.console.services.media.store.get, name)
        except BlobMissing:
            log.warning("attachment %s: blob %s missing from the store", a.id, name)
            raise web.HTTPNotFound(text="没有这个文件，或您无权查看。") from None
        mime = "image/jpeg" if thumb else (a.mime if a.mime in SERVED_MIMES else "application/octet-stream")
        if not mime.startswith("image/"):  # PDFs (and anything unexpected) download, never render inline
            fallback = "attachment.pdf" if mime == PDF_MIME else "attachment.bin"
            headers["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''" + quote(
                a.file_name or fallback
            )
        return web.Response(body=body, content_type=mime, headers=headers)
