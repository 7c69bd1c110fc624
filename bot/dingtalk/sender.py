"""DingTalk (钉钉) outbound API on aiohttp.

OpenAPI (token in header `x-acs-dingtalk-access-token`, from /v1.0/oauth2/accessToken):
`oToMessages/batchSend` to people and `groupMessages/send` to a group. Webhooks: the
per-message `sessionWebhook` and custom group robots (signed with timestamp + sign).
`send`, `send_file` and `download` are the generic bot.platform.Sender interface over the
routes of bot/dingtalk/platform.py; an expired or revoked sessionWebhook falls back to the
OpenAPI to the same person or group.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.dingtalk.config import DingTalkConfig
from bot.media.download import get_bytes
from bot.outbound.http import HttpClient
from bot.outbound.tokens import TokenCache
from bot.platform import Route
from handlers.errors import ApiError, ChannelError, RateLimited, TokenInvalid, TransientError

WEBHOOK_RATE_ERRORS = frozenset({130101, 130102, 410100})
DEFAULT_API_BASE = "https://api.dingtalk.com"
OAPI_BASE = "https://oapi.dingtalk.com"
THROTTLE_MARKERS = ("qpslimit", "throttl", "flowcontrol", "ratelimit", "too many")


def markdown_title(text: str) -> str:
    """A short notification title from the first line of a markdown text."""
    first = text.strip().split("\n", 1)[0].lstrip("#").strip()
    return (first or "民情通")[:20]


def sign(secret: str, timestamp: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret)) — used both to verify
    robot callbacks (with the app secret) and to sign custom robot webhooks."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signed_webhook_url(url: str, secret: str, timestamp_ms: int) -> str:
    """Add `timestamp` and `sign` to a custom robot webhook URL."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("timestamp", "sign")]
    query += [("timestamp", str(timestamp_ms)), ("sign", sign(secret, str(timestamp_ms)))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def webhook_payload(msg_type: str, text: str, title: str = "民情通") -> dict[str, Any]:
    """Body for custom robot webhooks and sessionWebhook."""
    if msg_type == "markdown":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    return {"msgtype": "text", "text": {"content": text}}


def openapi_payload(msg_type: str, text: str, title: str = "民情通") -> dict[str, Any]:
    """msgKey/msgParam for the robot OpenAPI."""
    if msg_type == "markdown":
        return {"msgKey": "sampleMarkdown", "msgParam": json.dumps({"title": title, "text": text}, ensure_ascii=False)}
    return {"msgKey": "sampleText", "msgParam": json.dumps({"content": text}, ensure_ascii=False)}


def check_webhook(status: int, data: dict[str, Any]) -> None:
    """Errors of webhook-style answers: {"errcode": 0, "errmsg": "ok"}."""
    if status == 429:
        raise RateLimited("dingtalk", 429, "webhook throttled", retry_after=600.0)
    code = data.get("errcode", 0 if status < 400 else status)
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = -2
    if code == 0:
        return
    msg = str(data.get("errmsg", ""))[:200]
    if code in WEBHOOK_RATE_ERRORS:
        raise RateLimited("dingtalk", code, msg, retry_after=600.0)
    if code == -1:
        raise TransientError(f"dingtalk errcode -1: {msg}")
    raise ApiError("dingtalk", code, msg)


def check_openapi(status: int, data: dict[str, Any]) -> None:
    """Errors of the v1.0 OpenAPI: HTTP status plus {"code": …, "message": …}."""
    if status < 400:
        return
    code = str(data.get("code", status))
    msg = str(data.get("message", ""))[:200]
    if status == 401:
        raise TokenInvalid("dingtalk", code, msg)
    if status == 429 or (status == 403 and any(m in code.lower() for m in THROTTLE_MARKERS)):
        raise RateLimited("dingtalk", code, msg, retry_after=60.0)
    raise ApiError("dingtalk", code, msg)


class DingTalkSender:
    """DingTalk's outbound API for one robot (its app token cached per process)."""

    def __init__(self, cfg: DingTalkConfig, http: HttpClient, tokens: TokenCache | None = None) -> None:
        self.cfg, self.http = cfg, http
        self.tokens = tokens or TokenCache(self.fetch_token)

    async def send(self, route: Route, text: str, msg_type: str, now_ms: int) -> None:
        """One chunk to a person (dingtalk_user), a group (dingtalk_group), a custom robot
        (dingtalk_webhook, signed at `now_ms` when it has a secret) or a message's
        sessionWebhook (dingtalk_session; a permanent refusal there falls back to the OpenAPI)."""
        title = markdown_title(text)
        if route.kind == "dingtalk_user":
            await self.send_user(route.address, text, msg_type, title)
        elif route.kind == "dingtalk_group":
            await self.send_group(route.address, text, msg_type, title)
        elif route.kind == "dingtalk_webhook":
            await self.send_webhook(
                route.address, text, msg_type, secret=route.secret, timestamp_ms=now_ms, title=title
            )
        elif route.kind == "dingtalk_session":
            try:
                await self.send_webhook(route.address, text, msg_type, title=title)
            except ChannelError as exc:
                if exc.retryable or route.fallback is None:
                    raise
                # an expired or revoked sessionWebhook: the OpenAPI still reaches the person
                await self.send(route.fallback, text, msg_type, now_ms)
        else:
            raise ApiError("outbox", "unroutable", f"unknown route kind {route.kind}")

    async def send_file(self, route: Route, name: str, content: bytes) -> None:
        """A file to one person (dingtalk_user); ApiError otherwise."""
        if route.kind != "dingtalk_user":
            raise ApiError("outbox", "unroutable", f"files go to one person only, not {route.kind}")
        await self.send_user_file(route.address, name, content)

    async def download(self, source: str, max_bytes: int) -> bytes:
        """The bytes behind a robot message's downloadCode (messageFiles/download answers a
        short-lived downloadUrl, fetched at once; a fresh one each time)."""
        data = await self._openapi(
            "/v1.0/robot/messageFiles/download", {"downloadCode": source, "robotCode": self.robot_code}
        )
        url = data.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ApiError("dingtalk", "nodownloadUrl", "messageFiles/download answered no URL")
        status, _, body = await get_bytes(self.http.session, url, None, max_bytes)
        if status >= 400:
            raise TransientError(f"HTTP {status} from the download URL")  # it expires: ask for a new one
        return body

    @property
    def robot_code(self) -> str:
        """The robot code messages are sent as: `robot_code` from the config, else the app key."""
        return self.cfg.robot_code or self.cfg.app_key

    async def fetch_token(self) -> tuple[str, float]:
        """POST /v1.0/oauth2/accessToken → (accessToken, expireIn)."""
        status, data = await self.http.request_json(
            "POST",
            f"{self.cfg.api_base}/v1.0/oauth2/accessToken",
            payload={"appKey": self.cfg.app_key, "appSecret": self.cfg.app_secret},
        )
        if status >= 400 or not data.get("accessToken"):
            raise ApiError("dingtalk", str(data.get("code", status)), "accessToken refused")
        return str(data["accessToken"]), float(data.get("expireIn", 7200))

    async def _openapi(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        async def call(token: str) -> dict[str, Any]:
            status, data = await self.http.request_json(
                "POST",
                f"{self.cfg.api_base}{path}",
                payload=payload,
                headers={"x-acs-dingtalk-access-token": token},
            )
            check_openapi(status, data)
            return data

        return await self.tokens.call(call)

    async def send_user(self, user_id: str, text: str, msg_type: str = "text", title: str = "民情通") -> None:
        """oToMessages/batchSend to one person (staffId/userId)."""
        data = await self._openapi(
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self.robot_code,
                "userIds": [user_id],
                **openapi_payload(msg_type, text, title),
            },
        )
        if user_id in (data.get("flowControlledStaffIdList") or []):
            raise RateLimited("dingtalk", "flowControlled", "per-person flow control", retry_after=60.0)
        if user_id in (data.get("invalidStaffIdList") or []):
            raise ApiError("dingtalk", "invalidStaffId", "recipient unknown to the robot")

    @property
    def oapi_base(self) -> str:
        """The older API host that takes media uploads (the configured base in tests)."""
        return OAPI_BASE if self.cfg.api_base == DEFAULT_API_BASE else self.cfg.api_base

    async def user_by_auth_code(self, code: str) -> str | None:
        """免登 (OAuth2 in the DingTalk client): the userid behind an `authCode` — the user's
        token (oauth2/userAccessToken), their unionId (contact/users/me), then the userid
        (topapi/user/getbyunionid with the app's token). None for someone outside the org."""
        status, data = await self.http.request_json(
            "POST",
            f"{self.cfg.api_base}/v1.0/oauth2/userAccessToken",
            payload={
                "clientId": self.cfg.app_key,
                "clientSecret": self.cfg.app_secret,
                "code": code,
                "grantType": "authorization_code",
            },
        )
        if status >= 400 or not data.get("accessToken"):
            return None
        status, me = await self.http.request_json(
            "GET",
            f"{self.cfg.api_base}/v1.0/contact/users/me",
            headers={"x-acs-dingtalk-access-token": str(data["accessToken"])},
        )
        if status >= 400 or not me.get("unionId"):
            return None

        async def lookup(token: str) -> dict[str, Any]:
            _, found = await self.http.request_json(
                "POST",
                f"{self.oapi_base}/topapi/user/getbyunionid",
                params={"access_token": token},
                payload={"unionid": me["unionId"]},
            )
            if found.get("errcode") in (40014, 42001, 88):
                raise TokenInvalid("dingtalk", found.get("errcode") or "", str(found.get("errmsg", ""))[:200])
            return found

        found = await self.tokens.call(lookup)
        userid = (found.get("result") or {}).get("userid") if found.get("errcode", 0) == 0 else None
        return str(userid) if userid else None

    async def send_user_file(self, user_id: str, filename: str, content: bytes) -> None:
        """media/upload (type=file) then the robot's sampleFile message to one person."""

        async def upload(token: str) -> dict[str, Any]:
            status, data = await self.http.upload(
                f"{self.oapi_base}/media/upload",
                params={"access_token": token},
                field="media",
                filename=filename,
                content=content,
                fields={"type": "file"},
            )
            if data.get("errcode") in (40014, 42001, 88):
                raise TokenInvalid("dingtalk", data.get("errcode") or "", str(data.get("errmsg", ""))[:200])
            check_webhook(status, data)
            return data

        media = await self.tokens.call(upload)
        if not media.get("media_id"):
            raise ApiError("dingtalk", "media", "upload answered without media_id")
        ext = filename.rsplit(".", 1)[-1] if "." in filename else "file"
        param = {"mediaId": media["media_id"], "fileName": filename, "fileType": ext}
        data = await self._openapi(
            "/v1.0/robot/oToMessages/batchSend",
            {
                "robotCode": self.robot_code,
                "userIds": [user_id],
                "msgKey": "sampleFile",
                "msgParam": json.dumps(param, ensure_ascii=False),
            },
        )
        if user_id in (data.get("invalidStaffIdList") or []):
            raise ApiError("dingtalk", "invalidStaffId", "recipient unknown to the robot")

    async def send_group(
        self, open_conversation_id: str, text: str, msg_type: str = "text", title: str = "民情通"
    ) -> None:
        """groupMessages/send to a group the robot is in."""
        await self._openapi(
            "/v1.0/robot/groupMessages/send",
            {
                "robotCode": self.robot_code,
                "openConversationId": open_conversation_id,
                **openapi_payload(msg_type, text, title),
            },
        )

    async def send_webhook(
        self,
        url: str,
        text: str,
        msg_type: str = "text",
        *,
        secret: str | None = None,
        timestamp_ms: int = 0,
        title: str = "民情通",
    ) -> None:
        """A custom robot webhook (signed when `secret` is set) or a sessionWebhook."""
        if secret:
            url = signed_webhook_url(url, secret, timestamp_ms)
        payload = webhook_payload(msg_type, text, title)
        status, data = await self.http.request_json("POST", url, payload=payload)
        check_webhook(status, data)
