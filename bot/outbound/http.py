"""One small JSON-over-HTTP helper on a shared aiohttp session.

Network errors, timeouts and 5xx become TransientError (retry later). Error texts carry the
URL path only: query strings hold access tokens and webhook keys.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from handlers.errors import TransientError

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=5)


def safe_url(url: str) -> str:
    """The URL without its query string (tokens, keys, signatures)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}{p.path}"


class HttpClient:
    """The process's outbound HTTP. Built with the senders when the server is assembled;
    `start()` opens its aiohttp session inside the running loop (server start-up), `close()`
    ends it. A request before `start()` is a programming error (RuntimeError)."""

    def __init__(self, session: aiohttp.ClientSession | None = None) -> None:
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open aiohttp session; RuntimeError before `start()` or after `close()`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("HttpClient used before start() or after close()")
        return self._session

    async def start(self) -> None:
        """Open the session (idempotent); call inside the running event loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the session; a later `start()` opens a new one."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        payload: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Send one request; return (HTTP status, decoded JSON object) for statuses < 500."""
        body = None
        hdrs = dict(headers or {})
        if payload is not None:
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json; charset=utf-8"
        try:
            async with self.session.request(
                method,
                url,
                params=params,
                data=body,
                headers=hdrs,
                timeout=DEFAULT_TIMEOUT,
            ) as resp:
                status = resp.status
                raw = await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"network error on {safe_url(url)}: {type(exc).__name__}") from None
        return _answer(url, status, raw)

    async def upload(
        self,
        url: str,
        *,
        params: dict[str, str],
        field: str,
        filename: str,
        content: bytes,
        fields: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """POST one file as multipart/form-data (media uploads); same errors and answer as
        `request_json`."""
        form = aiohttp.FormData(quote_fields=False)  # the platforms read a raw UTF-8 file name
        for k, v in (fields or {}).items():
            form.add_field(k, v)
        form.add_field(field, content, filename=filename, content_type="application/octet-stream")
        try:
            async with self.session.post(url, params=params, data=form, timeout=DEFAULT_TIMEOUT) as resp:
                status, raw = resp.status, await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientError(f"network error on {safe_url(url)}: {type(exc).__name__}") from None
        return _answer(url, status, raw)


def _answer(url: str, status: int, raw: bytes) -> tuple[int, dict[str, Any]]:
    """(status, JSON object) of a platform's answer; TransientError for a 5xx or a non-JSON body
    (a JSON value that is not an object comes back as {"value": …})."""
    if status >= 500:
        raise TransientError(f"HTTP {status} from {safe_url(url)}")
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        raise TransientError(f"non-JSON answer (HTTP {status}) from {safe_url(url)}") from None
    return status, data if isinstance(data, dict) else {"value": data}
