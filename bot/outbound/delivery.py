"""Delivery: turns a resolved Route into the right sender call, with the platform's size
limit and rate limit for that kind of address."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.outbound import split
from bot.outbound.console import ConsoleDelivery
from bot.outbound.dingtalk import DingTalkSender, webhook_payload
from bot.outbound.ratelimit import PER_GROUP_API, PER_PERSON_WECOM, PER_WEBHOOK
from bot.outbound.routes import Route
from bot.outbound.wecom import WeComSender
from handlers.errors import ApiError, ChannelError

SESSION_MARGIN_MS = 60_000
FileMaker = Callable[[str, datetime], Awaitable[tuple[str, bytes]]]
"""(file request, now) → (file name, content)."""  # treat a sessionWebhook as expired a minute early


def markdown_title(text: str) -> str:
    """A short notification title from the first line of a markdown text."""
    first = text.strip().split("\n", 1)[0].lstrip("#").strip()
    return (first or "民情通")[:20]


class Delivery:
    def __init__(
        self,
        *,
        wecom: WeComSender | None,
        dingtalk: DingTalkSender | None,
        console: ConsoleDelivery,
        timezone: str = "Asia/Shanghai",
        files: FileMaker | None = None,
    ) -> None:
        self.wecom, self.dingtalk, self.console = wecom, dingtalk, console
        self.files = files  # builds the file a `file` message asks for (bot/export.py: ledger_file)
        self.tz = ZoneInfo(timezone)

    def epoch_ms(self, now: datetime) -> int:
        """Milliseconds since the epoch for a naive local time from the injected clock."""
        return int(now.replace(tzinfo=self.tz).timestamp() * 1000)

    def effective(self, route: Route, now: datetime) -> Route:
        """A sessionWebhook past its expiry falls back to the OpenAPI route."""
        if route.kind == "dingtalk_session" and route.fallback is not None and route.expires_ms is not None:
            if self.epoch_ms(now) > route.expires_ms - SESSION_MARGIN_MS:
                return route.fallback
        return route

    def spans(self, route: Route, msg_type: str, text: str) -> list[tuple[int, int]]:
        """Where to cut `text` for this address (UTF-8 bytes, line boundaries)."""
        kind = route.kind
        if msg_type == "file":  # the body is a file request, never cut
            return [(0, len(text))]
        if kind in ("wecom_user", "wecom_appchat"):
            return split.split_spans(text, split.WECOM_TEXT_BYTES)
        if kind == "wecom_webhook":
            markdown = msg_type == "markdown"
            limit = split.WECOM_WEBHOOK_MARKDOWN_BYTES if markdown else split.WECOM_WEBHOOK_TEXT_BYTES
            return split.split_spans(text, limit)
        if kind.startswith("dingtalk_"):
            title = markdown_title(text)
            budget = split.body_budget(lambda t: webhook_payload(msg_type, t, title), split.DINGTALK_WEBHOOK_BODY_BYTES)
            return split.split_spans(text, budget, split.json_len)
        return [(0, len(text))]

    def rate(self, route: Route) -> tuple[str, tuple[tuple[int, float], ...]] | None:
        """(limiter key, limits) for this address, or None when unlimited."""
        if route.kind == "wecom_user":
            return f"wecom:user:{route.address}", PER_PERSON_WECOM
        if route.kind in ("wecom_webhook", "dingtalk_webhook"):
            return f"webhook:{route.address}", PER_WEBHOOK
        if route.kind in ("wecom_appchat", "dingtalk_group"):
            return f"{route.kind}:{route.address}", PER_GROUP_API
        if route.kind == "dingtalk_session":
            return f"session:{route.fallback.address if route.fallback else route.address}", PER_WEBHOOK
        return None

    async def send(self, route: Route, msg_type: str, text: str, now: datetime) -> None:
        """Send one chunk. Raises ChannelError subclasses."""
        kind = route.kind
        if msg_type == "file":
            await self._send_file(route, text, now)
            return
        if kind == "console":
            await self.console.send(route.name or route.address, text)
            return
        if kind.startswith("wecom_"):
            if self.wecom is None:
                raise ApiError("wecom", "disabled", "WeCom sending is not configured")
            if kind == "wecom_user":
                await self.wecom.send_user(route.address, text, msg_type)
            elif kind == "wecom_appchat":
                await self.wecom.send_appchat(route.address, text, msg_type)
            else:
                await self.wecom.send_webhook(route.address, text, msg_type)
            return
        if self.dingtalk is None:
            raise ApiError("dingtalk", "disabled", "DingTalk sending is not configured")
        title = markdown_title(text)
        if kind == "dingtalk_user":
            await self.dingtalk.send_user(route.address, text, msg_type, title)
        elif kind == "dingtalk_group":
            await self.dingtalk.send_group(route.address, text, msg_type, title)
        elif kind == "dingtalk_webhook":
            await self.dingtalk.send_webhook(
                route.address, text, msg_type, secret=route.secret, timestamp_ms=self.epoch_ms(now), title=title
            )
        elif kind == "dingtalk_session":
            try:
                await self.dingtalk.send_webhook(route.address, text, msg_type, title=title)
            except ChannelError as exc:
                if exc.retryable or route.fallback is None:
                    raise
                # an expired or revoked sessionWebhook: the OpenAPI still reaches the person
                await self.send(route.fallback, msg_type, text, now)
        else:
            raise ApiError("outbox", "unroutable", f"unknown route kind {kind}")

    async def _send_file(self, route: Route, request: str, now: datetime) -> None:
        """Build the requested file and send it to one person (WeCom media + file message,
        DingTalk media + the robot's sampleFile; the console names it)."""
        if self.files is None:
            raise ApiError("outbox", "nofiles", "no file maker configured")
        route = route.fallback if route.kind == "dingtalk_session" and route.fallback else route
        name, content = await self.files(request, now)
        if route.kind == "console":
            await self.console.send(route.name or route.address, f"[文件] {name}（{len(content)} 字节）")
        elif route.kind == "wecom_user" and self.wecom is not None:
            await self.wecom.send_user_file(route.address, name, content)
        elif route.kind == "dingtalk_user" and self.dingtalk is not None:
            await self.dingtalk.send_user_file(route.address, name, content)
        else:
            raise ApiError("outbox", "unroutable", f"files go to one person only, not {route.kind}")
