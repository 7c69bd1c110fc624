"""DingTalk as a platform (bot.platform.Platform): found by bot.platform_registry.

Routes: POST /dingtalk/callback (mode "http"); in mode "stream" a background Stream client
instead. Route kinds: dingtalk_user (oToMessages/batchSend), dingtalk_group
(groupMessages/send), dingtalk_webhook (a custom robot, signed when [[groups]] gives its
webhook_secret), dingtalk_session (a message's sessionWebhook until it expires, then the
OpenAPI to the same group or person). Limits: a webhook request body of 20000 bytes; 20
messages a minute per robot webhook, session and group.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bot.dingtalk import limits
from bot.dingtalk.callback import DingTalkCallback
from bot.dingtalk.config import NAME, DingTalkConfig, read_config
from bot.dingtalk.sender import DingTalkSender, markdown_title, webhook_payload
from bot.outbound import split
from bot.outbound.ratelimit import PER_GROUP_API, PER_WEBHOOK
from bot.platform import BasePlatform, Limits, Route
from storage.notice import DingTalkSession

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Config
    from bot.inbox import Inbox
    from bot.outbound.http import HttpClient
    from bot.platform import Sender
    from bot.platform_registry import ConfigTable
    from storage.notice import Address

AUTHORIZE = "https://login.dingtalk.com/oauth2/auth"  # 免登 (OAuth2 in the DingTalk client)
SESSION_MARGIN_MS = 60_000  # treat a sessionWebhook as expired a minute early


class DingTalkPlatform(BasePlatform):
    """钉钉: robot callbacks (HTTP or Stream), the robot OpenAPI, custom robots and sessionWebhooks."""

    name = NAME
    title = "钉钉"
    order = 20
    group_bytes = limits.WEBHOOK_BODY_BYTES
    roster_columns = (
        "钉钉账号",
        "钉钉id",
        "钉钉userid",
        "钉钉用户id",
        "钉钉帐号",
        "钉钉",
        "dingtalk",
        "dingtalkuserid",
    )

    def default_config(self) -> DingTalkConfig:
        """No app: the callback answers 404, nothing is sent but custom robot webhooks."""
        return DingTalkConfig()

    def read_config(self, table: ConfigTable) -> DingTalkConfig:
        """The `[dingtalk]` table (bot/dingtalk/config.py)."""
        return read_config(table)

    def can_send(self, section: DingTalkConfig) -> bool:
        """Enabled (it both receives and sends)."""
        return section.enabled

    def add_routes(self, app: web.Application, inbox: Inbox, section: DingTalkConfig) -> None:
        """POST /dingtalk/callback."""
        app.router.add_post("/dingtalk/callback", DingTalkCallback(inbox, section).post)

    def background(self, inbox: Inbox, http: HttpClient, section: DingTalkConfig) -> list[Coroutine[Any, Any, None]]:
        """The Stream client's receive loop in mode "stream"."""
        if not (section.enabled and section.mode == "stream"):
            return []
        from bot.dingtalk.stream import StreamClient  # the SDK is imported only when used

        return [StreamClient(section, inbox, http).run()]

    def sender(self, section: DingTalkConfig, http: HttpClient) -> DingTalkSender:
        """The robot OpenAPI and webhooks."""
        return DingTalkSender(section, http)

    def user_route(self, account: str, name: str) -> Route:
        """oToMessages/batchSend to a staffId/userId."""
        return Route("dingtalk_user", account, name=name)

    def group_route(self, chat_id: str) -> Route:
        """groupMessages/send to an openConversationId."""
        return Route("dingtalk_group", chat_id)

    def webhook_route(self, url: str, secret: str | None) -> Route:
        """A custom robot, signed with `secret` when set."""
        return Route("dingtalk_webhook", url, secret=secret)

    def address_route(self, to: Address, cfg: Config) -> Route | None:
        """A DingTalkSession (its sessionWebhook, with the OpenAPI to the group or person as
        fallback), else a PlatformAddress as BasePlatform maps it."""
        if isinstance(to, DingTalkSession):
            fallback = self.group_route(to.chat) if to.chat else self.user_route(to.user, "")
            return Route("dingtalk_session", to.url, expires_ms=to.expires_ms, fallback=fallback)
        return super().address_route(to, cfg)

    def sign_in_url(self, section: DingTalkConfig, state: str, back: str) -> str | None:
        """免登 inside DingTalk: the micro-app's home page links to /console/dingtalk (OAuth2)."""
        if not section.enabled:
            return None
        query = {
            "redirect_uri": back,
            "response_type": "code",
            "client_id": section.app_key,
            "scope": "openid",
            "state": state,
            "prompt": "consent",
        }
        return f"{AUTHORIZE}?{urlencode(query)}"

    def sign_in_code(self, query: Mapping[str, str]) -> str:
        """`authCode` (or `code`)."""
        return query.get("authCode") or query.get("code", "")

    async def sign_in_user(self, sender: Sender, code: str) -> str | None:
        """userAccessToken → unionId → userid, None for someone outside the organisation."""
        assert isinstance(sender, DingTalkSender)
        return await sender.user_by_auth_code(code)

    def effective(self, route: Route, now_ms: int) -> Route:
        """A sessionWebhook past its expiry (a minute early) falls back to the OpenAPI route."""
        if route.kind == "dingtalk_session" and route.fallback is not None and route.expires_ms is not None:
            if now_ms > route.expires_ms - SESSION_MARGIN_MS:
                return route.fallback
        return route

    def file_route(self, route: Route) -> Route:
        """A file for a session goes to the session's person or group through the OpenAPI."""
        return route.fallback if route.kind == "dingtalk_session" and route.fallback else route

    def spans(self, route: Route, msg_type: str, text: str) -> list[tuple[int, int]]:
        """Chunks whose whole webhook JSON body stays within 20000 bytes."""
        title = markdown_title(text)
        budget = split.body_budget(lambda t: webhook_payload(msg_type, t, title), limits.WEBHOOK_BODY_BYTES)
        return split.split_spans(text, budget, split.json_len)

    def rate(self, route: Route) -> tuple[str, Limits] | None:
        """Per robot webhook, per session (keyed by its person or group) and per group: 20/min."""
        if route.kind == "dingtalk_webhook":
            return f"webhook:{route.address}", PER_WEBHOOK
        if route.kind == "dingtalk_group":
            return f"dingtalk_group:{route.address}", PER_GROUP_API
        if route.kind == "dingtalk_session":
            return f"session:{route.fallback.address if route.fallback else route.address}", PER_WEBHOOK
        return None


PLATFORM = DingTalkPlatform()
