"""DingTalk Stream mode with the official `dingtalk-stream` SDK (no public address needed).

The SDK's frame types, handler classes, routing and acks are used as they are; two parts
are replaced because they would hurt inside our event loop: the connection is opened with
aiohttp on the configured endpoint (the SDK uses blocking `requests` on a fixed URL), and
the receive loop can be cancelled on shutdown (the SDK's `start` swallows CancelledError
and reconnects). Messages go through the same `receive` as HTTP callbacks, so dedupe by
msgId happens in the dispatcher there too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import websockets
from dingtalk_stream import AckMessage, ChatbotHandler, ChatbotMessage, Credential, DingTalkStreamClient
from dingtalk_stream.frames import CallbackMessage
from dingtalk_stream.version import VERSION_STRING

from bot.dingtalk.config import DingTalkConfig
from bot.dingtalk.inbound import receive
from bot.dingtalk.payload import convert
from bot.outbound.http import HttpClient
from handlers.errors import BadRequest

if TYPE_CHECKING:
    from bot.inbox import Inbox

log = logging.getLogger("minqing.dingtalk.stream")


class RobotMessageHandler(ChatbotHandler):
    """Handles topic /v1.0/im/bot/messages/get: receive, then ack."""

    def __init__(self, services: Inbox) -> None:
        super().__init__()
        self.services = services
        self.logger = log

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        """Handle one Stream-mode robot message; returns the (ack status, text) for DingTalk.

        A malformed message is acked OK (redelivery cannot help) and logged; a failure in handling answers
        STATUS_SYSTEM_EXCEPTION so DingTalk redelivers it.
        """
        try:
            message = convert(callback.data)
        except BadRequest as exc:  # acked: redelivering a malformed message cannot help
            log.warning("dingtalk stream message refused (%s)", exc)
            return AckMessage.STATUS_OK, "OK"
        try:
            await receive(self.services, message)
        except Exception:
            log.exception("dingtalk stream message %s failed", callback.headers.message_id)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "error"
        return AckMessage.STATUS_OK, "OK"


class StreamClient(DingTalkStreamClient):
    def __init__(self, cfg: DingTalkConfig, services: Inbox, http: HttpClient) -> None:
        super().__init__(Credential(cfg.app_key, cfg.app_secret), logger=log)
        self.cfg, self.services, self.http = cfg, services, http
        self.register_callback_handler(ChatbotMessage.TOPIC, RobotMessageHandler(services))
        self.connected = asyncio.Event()

    async def open_connection_async(self) -> dict[str, Any]:
        """POST the gateway's connections/open: → {"endpoint": "wss://…", "ticket": "…"}."""
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map],
            "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union",
            "localIp": "",
        }
        status, data = await self.http.request_json("POST", self.cfg.stream_endpoint, payload=body)
        if status >= 400 or not data.get("endpoint") or not data.get("ticket"):
            raise ConnectionError(f"connections/open refused (HTTP {status})")
        return data

    async def run(self) -> None:
        """Connect, receive and ack frames, reconnect with backoff; ends only when cancelled."""
        self.pre_start()
        delay = 1.0
        while True:
            try:
                conn = await self.open_connection_async()
                uri = f"{conn['endpoint']}?ticket={quote_plus(conn['ticket'])}"
                async with websockets.connect(uri) as ws:
                    self.websocket = ws
                    self.connected.set()
                    delay = 1.0
                    log.info("dingtalk stream connected")
                    async for raw in ws:
                        try:
                            frame = json.loads(raw)
                        except ValueError:
                            log.warning("dingtalk stream: non-JSON frame ignored")
                            continue
                        self.services.spawn(self.background_task(frame))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dingtalk stream disconnected (%s); retry in %.0fs", type(exc).__name__, delay)
            finally:
                self.connected.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)
