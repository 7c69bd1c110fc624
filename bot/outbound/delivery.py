"""Delivery: turns a resolved Route into its platform's sender call, with that platform's size
limits and rate limits for that kind of address (bot.platform.Platform: effective, spans,
rate; Sender: send, send_file). Console routes are printed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.outbound.console import ConsoleDelivery
from bot.platform import Limits, Platform, Route, Sender, platforms
from handlers.errors import ApiError

FileMaker = Callable[[str, datetime], Awaitable[tuple[str, bytes]]]
"""(file request, now) → (file name, content)."""


class Delivery:
    """Sends resolved routes. `senders` {platform name: Sender} (bot.server builds one per
    registered platform); a route whose platform has no sender fails with ApiError
    (channel, "disabled"). `files` builds the file a `file` message asks for."""

    def __init__(
        self,
        *,
        senders: Mapping[str, Sender],
        console: ConsoleDelivery,
        timezone: str = "Asia/Shanghai",
        files: FileMaker | None = None,
    ) -> None:
        self.senders, self.console = senders, console
        self.files = files  # builds the file a `file` message asks for (bot/export.py: ledger_file)
        self.tz = ZoneInfo(timezone)

    def epoch_ms(self, now: datetime) -> int:
        """Milliseconds since the epoch for a naive local time from the injected clock."""
        return int(now.replace(tzinfo=self.tz).timestamp() * 1000)

    @staticmethod
    def _platform(route: Route) -> Platform | None:
        return platforms().get(route.channel)

    def effective(self, route: Route, now: datetime) -> Route:
        """The route to use now (e.g. a DingTalk sessionWebhook past its expiry falls back to the OpenAPI)."""
        platform = self._platform(route)
        return platform.effective(route, self.epoch_ms(now)) if platform is not None else route

    def spans(self, route: Route, msg_type: str, text: str) -> list[tuple[int, int]]:
        """Where to cut `text` for this address (UTF-8 bytes, line boundaries); a file request is never cut."""
        platform = self._platform(route)
        if msg_type == "file" or platform is None:
            return [(0, len(text))]
        return platform.spans(route, msg_type, text)

    def rate(self, route: Route) -> tuple[str, Limits] | None:
        """(limiter key, limits) for this address, or None when unlimited."""
        platform = self._platform(route)
        return platform.rate(route) if platform is not None else None

    def _sender(self, route: Route) -> Sender:
        sender = self.senders.get(route.channel)
        if sender is None:
            raise ApiError(route.channel, "disabled", f"{route.channel} sending is not configured")
        return sender

    async def send(self, route: Route, msg_type: str, text: str, now: datetime) -> None:
        """Send one chunk. Raises ChannelError subclasses."""
        if msg_type == "file":
            await self._send_file(route, text, now)
        elif route.kind == "console":
            await self.console.send(route.name or route.address, text)
        elif self._platform(route) is None:
            raise ApiError("outbox", "unroutable", f"unknown route kind {route.kind}")
        else:
            await self._sender(route).send(route, text, msg_type, self.epoch_ms(now))

    async def _send_file(self, route: Route, request: str, now: datetime) -> None:
        """Build the requested file and send it to one person (the platform's file message;
        the console names it)."""
        if self.files is None:
            raise ApiError("outbox", "nofiles", "no file maker configured")
        platform = self._platform(route)
        if route.kind != "console" and platform is None:
            raise ApiError("outbox", "unroutable", f"files go to one person only, not {route.kind}")
        name, content = await self.files(request, now)
        if platform is None:
            path = self.console.save(name, content)
            where = f"，已保存到 {path}" if path is not None else ""
            await self.console.send(route.name or route.address, f"[文件] {name}（{len(content)} 字节）{where}")
        else:
            target = platform.file_route(route)
            await self._sender(target).send_file(target, name, content)
