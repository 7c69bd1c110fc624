"""WeCom (企业微信) outbound API on aiohttp: wechatpy has no asyncio client.

Calls: gettoken, message/send (to a person), appchat/send (app group chat), the group
robot webhook, media/upload (files) and media/get (downloads). Errcodes are mapped to the
channel exception tree; a rejected token is refetched once. `send`, `send_file` and
`download` are the generic bot.platform.Sender interface over the routes of bot/wecom/platform.py.
"""

from __future__ import annotations

import json
from typing import Any

from bot.media.download import get_bytes
from bot.outbound.http import HttpClient
from bot.outbound.tokens import TokenCache
from bot.platform import Route
from bot.wecom.config import WeComConfig
from handlers.errors import ApiError, RateLimited, TokenInvalid, TransientError

TOKEN_ERRORS = frozenset({40014, 42001, 41001})
RATE_ERRORS = frozenset({45009, 45033, 45047})
# message/send: WeCom drops a repeat of the same content to the same person within this many
# seconds. A send whose answer came after our timeout is retried by the outbox; with the check
# the platform delivers it once. It covers the retries of the first ~8 attempts (backoff 5 s
# doubling); the price is that an identical text to one person within 30 minutes arrives once.
DUPLICATE_CHECK_INTERVAL_S = 1800


def check(data: dict[str, Any]) -> None:
    """Raise the matching ChannelError for a WeCom answer with errcode ≠ 0."""
    code = data.get("errcode", 0)
    try:
        code = int(code)
    except (TypeError, ValueError):
        raise ApiError("wecom", str(code), "unexpected errcode") from None
    if code == 0:
        return
    msg = str(data.get("errmsg", ""))[:200]
    if code in TOKEN_ERRORS:
        raise TokenInvalid("wecom", code, msg)
    if code in RATE_ERRORS:
        raise RateLimited("wecom", code, msg, retry_after=60.0)
    if code == -1:
        raise TransientError(f"wecom errcode -1: {msg}")
    raise ApiError("wecom", code, msg)


def content(msg_type: str, text: str) -> dict[str, Any]:
    """The msgtype/payload part shared by message/send, appchat/send and webhooks."""
    kind = "markdown" if msg_type == "markdown" else "text"
    return {"msgtype": kind, kind: {"content": text}}


class WeComSender:
    """WeCom's outbound API for one app (its token cached per process)."""

    def __init__(self, cfg: WeComConfig, http: HttpClient, tokens: TokenCache | None = None) -> None:
        self.cfg, self.http = cfg, http
        self.tokens = tokens or TokenCache(self.fetch_token)

    async def send(self, route: Route, text: str, msg_type: str, now_ms: int) -> None:
        """One chunk to a person (wecom_user), an app chat (wecom_appchat) or a group robot
        webhook (wecom_webhook). ChannelError subclasses on failure."""
        if route.kind == "wecom_user":
            await self.send_user(route.address, text, msg_type)
        elif route.kind == "wecom_appchat":
            await self.send_appchat(route.address, text, msg_type)
        elif route.kind == "wecom_webhook":
            await self.send_webhook(route.address, text, msg_type)
        else:
            raise ApiError("outbox", "unroutable", f"unknown route kind {route.kind}")

    async def send_file(self, route: Route, name: str, content: bytes) -> None:
        """A file to one person (wecom_user); ApiError for any other route."""
        if route.kind != "wecom_user":
            raise ApiError("outbox", "unroutable", f"files go to one person only, not {route.kind}")
        await self.send_user_file(route.address, name, content)

    async def download(self, source: str, max_bytes: int) -> bytes:
        """The bytes of a MediaId (media/get; valid three days after the message)."""

        async def call(token: str) -> bytes:
            status, ctype, body = await get_bytes(
                self.http.session,
                f"{self.cfg.api_base}/cgi-bin/media/get",
                {"access_token": token, "media_id": source},
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

        return await self.tokens.call(call)

    async def fetch_token(self) -> tuple[str, float]:
        """GET /cgi-bin/gettoken → (access_token, expires_in)."""
        _, data = await self.http.request_json(
            "GET",
            f"{self.cfg.api_base}/cgi-bin/gettoken",
            params={"corpid": self.cfg.corp_id, "corpsecret": self.cfg.secret},
        )
        check(data)
        if not data.get("access_token"):
            raise TransientError("wecom gettoken answered without a token")
        return str(data["access_token"]), float(data.get("expires_in", 7200))

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST a token-authenticated API call (the token refetched once if rejected)."""

        async def call(token: str) -> dict[str, Any]:
            _, data = await self.http.request_json(
                "POST", f"{self.cfg.api_base}{path}", params={"access_token": token}, payload=payload
            )
            check(data)
            return data

        return await self.tokens.call(call)

    async def send_user(self, userid: str, text: str, msg_type: str = "text") -> None:
        """message/send to one person (text or markdown, ≤ 2048 bytes of content), with the
        platform's duplicate check on (see DUPLICATE_CHECK_INTERVAL_S)."""
        payload = {
            "touser": userid,
            "agentid": int(self.cfg.agent_id or 0),
            **content(msg_type, text),
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_INTERVAL_S,
        }
        data = await self._post("/cgi-bin/message/send", payload)
        if data.get("invaliduser"):
            raise ApiError("wecom", "invaliduser", "recipient not in the app's visible range")

    async def user_by_code(self, code: str) -> str | None:
        """网页授权: the userid behind an OAuth `code` (auth/getuserinfo), None for a non-member."""

        async def call(token: str) -> dict[str, Any]:
            _, data = await self.http.request_json(
                "GET", f"{self.cfg.api_base}/cgi-bin/auth/getuserinfo", params={"access_token": token, "code": code}
            )
            check(data)
            return data

        data = await self.tokens.call(call)
        return str(data["userid"]) if data.get("userid") else None

    async def send_user_file(self, userid: str, filename: str, content: bytes) -> None:
        """media/upload (type=file, ≤ 20 MB) then message/send msgtype file to one person."""

        async def upload(token: str) -> dict[str, Any]:
            _, data = await self.http.upload(
                f"{self.cfg.api_base}/cgi-bin/media/upload",
                params={"access_token": token, "type": "file"},
                field="media",
                filename=filename,
                content=content,
            )
            check(data)
            return data

        media = await self.tokens.call(upload)
        if not media.get("media_id"):
            raise ApiError("wecom", "media", "upload answered without media_id")
        payload = {
            "touser": userid,
            "agentid": int(self.cfg.agent_id or 0),
            "msgtype": "file",
            "file": {"media_id": media["media_id"]},
        }
        data = await self._post("/cgi-bin/message/send", payload)
        if data.get("invaliduser"):
            raise ApiError("wecom", "invaliduser", "recipient not in the app's visible range")

    async def send_appchat(self, chatid: str, text: str, msg_type: str = "text") -> None:
        """appchat/send to a group chat created by the app."""
        await self._post("/cgi-bin/appchat/send", {"chatid": chatid, **content(msg_type, text)})

    async def send_webhook(self, url: str, text: str, msg_type: str = "text") -> None:
        """Group robot webhook (the URL carries its own key; no token)."""
        status, data = await self.http.request_json("POST", url, payload=content(msg_type, text))
        if status >= 400:
            raise ApiError("wecom", f"HTTP {status}", "webhook refused")
        check(data)
