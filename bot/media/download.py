"""Downloading a picture or file from the platform that delivered it.

WeCom: GET /cgi-bin/media/get?access_token=…&media_id=… answers the bytes (or a JSON error).
DingTalk: POST /v1.0/robot/messageFiles/download {downloadCode, robotCode} answers a short-lived
`downloadUrl`, which is then fetched. Tokens come from the senders' caches (a rejected token is
refetched once). Errors are the channel tree: TransientError (network, 5xx) and RateLimited are
retried by the queue, ApiError is permanent; `Refused` when the body exceeds `max_bytes`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import aiohttp

from bot.media.images import Refused
from bot.outbound.http import safe_url
from bot.outbound.wecom import check
from handlers.errors import ApiError, TransientError

if TYPE_CHECKING:
    from bot.outbound.dingtalk import DingTalkSender
    from bot.outbound.wecom import WeComSender

TIMEOUT = aiohttp.ClientTimeout(total=60, connect=5)
_CHUNK = 64 * 1024


async def _read(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, refused as soon as it grows past `max_bytes` (whatever Content-Length says)."""
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise Refused("larger than the size limit")
    buf = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        buf += chunk
        if len(buf) > max_bytes:
            raise Refused("larger than the size limit")
    return bytes(buf)


async def _get(
    session: aiohttp.ClientSession, url: str, params: dict[str, str] | None, max_bytes: int
) -> tuple[int, str, bytes]:
    """(status, content type, body) of one GET; network errors and 5xx are TransientError."""
    try:
        async with session.get(url, params=params, timeout=TIMEOUT) as resp:
            if resp.status >= 500:
                raise TransientError(f"HTTP {resp.status} from {safe_url(url)}")
            return resp.status, resp.content_type, await _read(resp, max_bytes)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise TransientError(f"network error on {safe_url(url)}: {type(exc).__name__}") from None


async def wecom_media(sender: WeComSender, media_id: str, max_bytes: int) -> bytes:
    """The bytes of a WeCom MediaId (valid three days after the message)."""

    async def call(token: str) -> bytes:
        status, ctype, body = await _get(
            sender.http.session,
            f"{sender.cfg.api_base}/cgi-bin/media/get",
            {"access_token": token, "media_id": media_id},
            max_bytes,
        )
        if ctype in ("application/json", "text/plain") or body[:12].lstrip().startswith(b'{"errcode"'):
            try:
                data = json.loads(body)
            except ValueError:
                raise TransientError("wecom media/get answered text that is not JSON") from None
            check(data if isinstance(data, dict) else {})
            raise ApiError("wecom", "nomedia", "media/get answered no bytes")
        if status >= 400:
            raise ApiError("wecom", f"HTTP {status}", "media/get refused")
        return body

    return await sender.tokens.call(call)


async def dingtalk_file(sender: DingTalkSender, download_code: str, max_bytes: int) -> bytes:
    """The bytes behind a DingTalk robot message's downloadCode (a fresh downloadUrl each time)."""
    data = await sender._openapi(
        "/v1.0/robot/messageFiles/download", {"downloadCode": download_code, "robotCode": sender.robot_code}
    )
    url = data.get("downloadUrl")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ApiError("dingtalk", "nodownloadUrl", "messageFiles/download answered no URL")
    status, _, body = await _get(sender.http.session, url, None, max_bytes)
    if status >= 400:
        raise TransientError(f"HTTP {status} from the download URL")  # it expires: ask for a new one
    return body
