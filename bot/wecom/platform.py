"""WeCom as a platform (bot.platform.Platform): found by bot.platform_registry.

Routes: GET/POST /wecom/callback. Route kinds: wecom_user (message/send to a person),
wecom_appchat (appchat/send to a group the app created), wecom_webhook (a group robot).
Limits: 2048 bytes to a person or app chat; a group robot takes 2048 bytes of text or 4096
of markdown; 30 messages a minute (1000 an hour) to one person, 20 a minute per group robot
and per app chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from bot.outbound import split
from bot.outbound.ratelimit import PER_GROUP_API, PER_WEBHOOK
from bot.platform import BasePlatform, Limits, Route
from bot.wecom import limits
from bot.wecom.callback import WeComCallback
from bot.wecom.config import NAME, WeComConfig, read_config
from bot.wecom.sender import WeComSender

if TYPE_CHECKING:
    from aiohttp import web

    from bot.inbox import Inbox
    from bot.outbound.http import HttpClient
    from bot.platform import Sender
    from bot.platform_registry import ConfigTable

AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"  # 网页授权


class WeComPlatform(BasePlatform):
    """企业微信: callbacks, the app's API and group robots."""

    name = NAME
    title = "企业微信"
    order = 10  # a cadre with a WeCom account is reached there first
    group_bytes = limits.WEBHOOK_MARKDOWN_BYTES  # the largest group message (robot markdown)
    roster_columns = (
        "企业微信账号",
        "企业微信id",
        "企业微信userid",
        "企业微信用户id",
        "企业微信帐号",
        "企微账号",
        "企微id",
        "企业微信",
        "wecom",
        "wecomuserid",
        "userid",
    )

    def default_config(self) -> WeComConfig:
        """No app: callbacks answer 404, nothing is sent but group robot webhooks."""
        return WeComConfig()

    def read_config(self, table: ConfigTable) -> WeComConfig:
        """The `[wecom]` table (bot/wecom/config.py)."""
        return read_config(table)

    def can_send(self, section: WeComConfig) -> bool:
        """Callbacks configured, plus secret and agent_id."""
        return section.can_send

    def add_routes(self, app: web.Application, inbox: Inbox, section: WeComConfig) -> None:
        """GET /wecom/callback (URL verification) and POST /wecom/callback (messages)."""
        callback = WeComCallback(inbox, section)
        app.router.add_get("/wecom/callback", callback.get)
        app.router.add_post("/wecom/callback", callback.post)

    def sender(self, section: WeComConfig, http: HttpClient) -> WeComSender:
        """The app's API and group robot webhooks."""
        return WeComSender(section, http)

    def user_route(self, account: str, name: str) -> Route:
        """message/send to a userid."""
        return Route("wecom_user", account, name=name)

    def group_route(self, chat_id: str) -> Route:
        """appchat/send to a chat the app created."""
        return Route("wecom_appchat", chat_id)

    def webhook_route(self, url: str, secret: str | None) -> Route:
        """A group robot (the URL carries its key; no signing secret)."""
        return Route("wecom_webhook", url)

    def sign_in_url(self, section: WeComConfig, state: str, back: str) -> str | None:
        """网页授权 (snsapi_base) inside WeCom: the app's menu links to /console/wecom. It needs the
        app's access token, so corp_id and secret."""
        if not (section.corp_id and section.secret):
            return None
        query = {
            "appid": section.corp_id,
            "redirect_uri": back,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": state,
            "agentid": section.agent_id,
        }
        return f"{AUTHORIZE}?{urlencode(query)}#wechat_redirect"

    def sign_in_code(self, query: Mapping[str, str]) -> str:
        """`code`."""
        return query.get("code", "")

    async def sign_in_user(self, sender: Sender, code: str) -> str | None:
        """auth/getuserinfo: the userid behind the code, None for a non-member."""
        assert isinstance(sender, WeComSender)
        return await sender.user_by_code(code)

    def spans(self, route: Route, msg_type: str, text: str) -> list[tuple[int, int]]:
        """2048 bytes per message; a group robot's markdown 4096."""
        if route.kind == "wecom_webhook" and msg_type == "markdown":
            return split.split_spans(text, limits.WEBHOOK_MARKDOWN_BYTES)
        if route.kind == "wecom_webhook":
            return split.split_spans(text, limits.WEBHOOK_TEXT_BYTES)
        return split.split_spans(text, limits.TEXT_BYTES)

    def rate(self, route: Route) -> tuple[str, Limits] | None:
        """Per person (30/min, 1000/h), per group robot and per app chat (20/min)."""
        if route.kind == "wecom_user":
            return f"wecom:user:{route.address}", limits.PER_PERSON
        if route.kind == "wecom_webhook":
            return f"webhook:{route.address}", PER_WEBHOOK
        if route.kind == "wecom_appchat":
            return f"wecom_appchat:{route.address}", PER_GROUP_API
        return None


PLATFORM = WeComPlatform()
