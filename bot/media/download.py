"""Downloading a picture or file: the size-capped GET the platforms' downloads share.

Each platform's sender downloads what its messages name (`Sender.download`: WeCom in
bot/wecom/media.py, DingTalk in bot/dingtalk/media.py) with `get_bytes`. Errors are the
channel tree: TransientError (network, 5xx) and RateLimited are retried by the queue,
ApiError is permanent; `Refused` when the body exceeds `max_bytes`.
"""

from __future__ import annotations

import aiohttp

from bot.media.images import Refused
from bot.outbound.http import safe_url
from handlers.errors import TransientError

TIMEOUT = aiohttp.ClientTimeout(total=60, connect=5)
_CHUNK = 64 * 1024


async def read_limited(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The body, refused as soon as it grows past `max_bytes` (whatever Content-Length says)."""
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise Refused("larger than the size limit")
    buf = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        buf += chunk
        if len(buf) > max_bytes:
            raise Refused("larger than the size limit")
    return bytes(buf)


async def get_bytes(
    session: aiohttp.ClientSession, url: str, params: dict[str, str] | None, max_bytes: int
) -> tuple[int, str, bytes]:
    """(status, content type, body) of one GET; network errors and 5xx are TransientError."""
    try:
        async with session.get(url, params=params, timeout=TIMEOUT) as resp:
            if resp.status >= 500:
                raise TransientError(f"HTTP {resp.status} from {safe_url(url)}")
            return resp.status, resp.content_type, await read_limited(resp, max_bytes)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise TransientError(f"network error on {safe_url(url)}: {type(exc).__name__}") from None
