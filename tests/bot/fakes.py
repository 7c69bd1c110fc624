"""Test doubles: a dispatcher that dedupes like the real one, a loopback fake of the WeCom and
DingTalk APIs (including the Stream gateway), and helpers to build encrypted callbacks."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.config import Config, OutboxConfig, ServerConfig
from bot.dingtalk.config import DingTalkConfig
from bot.wecom.config import WeComConfig
from handlers.types import IncomingMessage, Reply, TextReply
from storage.models import InboundMessage

CORP = "ww1436e0e65a779aee"
TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
AGENT = "1000002"
DING_SECRET = "this is secret"


def make_cfg(
    base: str = "http://127.0.0.1:9",
    *,
    budget_ms: int = 3000,
    wecom: bool = True,
    ding_mode: str = "http",
    groups=(),
    max_attempts: int = 4,
) -> Config:
    return Config(
        server=ServerConfig(reply_budget_ms=budget_ms, max_body_bytes=64 * 1024),
        platforms={
            "wecom": WeComConfig(
                corp_id=CORP, agent_id=AGENT, secret="corpsecret", token=TOKEN, encoding_aes_key=AES_KEY, api_base=base
            )
            if wecom
            else WeComConfig(),
            "dingtalk": DingTalkConfig(
                mode=ding_mode,
                app_key="dingkey",
                app_secret=DING_SECRET,
                robot_code="robot1",
                api_base=base,
                stream_endpoint=f"{base}/v1.0/gateway/connections/open",
            ),
        },
        outbox=OutboxConfig(max_attempts=max_attempts, base_backoff_s=5.0, max_backoff_s=600.0, poll_interval_s=0.05),
        groups=tuple(groups),
    )


class FakeDispatcher:
    """Dedupes by InboundMessage.dedupe_key like handlers.dispatch; `gate` holds it back."""

    def __init__(self, db, *, gate: asyncio.Event | None = None, reply=None) -> None:
        self.db, self.gate = db, gate
        self.reply = reply or (lambda m: [TextReply(f"收到：{m.text}")])
        self.processed: list[IncomingMessage] = []
        self.calls = 0

    async def handle(self, msg: IncomingMessage) -> list[Reply]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        async with self.db.write() as s:
            row_id = (
                await s.execute(
                    insert(InboundMessage)
                    .values(
                        dedupe_key=msg.dedupe_key,
                        channel=msg.channel,
                        sender=msg.user_id,
                        chat_id=msg.chat_id,
                        text=msg.text,
                        received_at=msg.received_at,
                        status="received",
                    )
                    .on_conflict_do_nothing(index_elements=["dedupe_key"])
                    .returning(InboundMessage.id)
                )
            ).scalar_one_or_none()
            if row_id is None:
                stored = await s.scalar(select(InboundMessage.reply).where(InboundMessage.dedupe_key == msg.dedupe_key))
                return [TextReply(stored)] if stored else []
            replies = self.reply(msg)
            self.processed.append(msg)
            await s.execute(
                update(InboundMessage)
                .where(InboundMessage.id == row_id)
                .values(status="handled", reply="\n\n".join(r.text for r in replies))
            )
            return replies


# --- WeCom callbacks ---------------------------------------------------------------------


def wecom_crypto(corp: str = CORP) -> WeChatCrypto:
    return WeChatCrypto(TOKEN, AES_KEY, corp)


def text_xml(content: str, msg_id: int, user: str = "ChenJiaShun", msg_type: str = "text") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>1716170400</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{AGENT}</AgentID></xml>"
    )


def encrypted_post(
    plain_xml: str, *, nonce: str = "1597212914", ts: str = "1716170400", crypto: WeChatCrypto | None = None
) -> tuple[str, bytes]:
    """(path with query, body) of a WeCom message POST, as WeCom would send it."""
    import xmltodict

    out = xmltodict.parse((crypto or wecom_crypto()).encrypt_message(plain_xml, nonce, ts))["xml"]
    body = (
        f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{out['Encrypt']}]]></Encrypt>"
        f"<AgentID><![CDATA[{AGENT}]]></AgentID></xml>"
    ).encode()
    query = urlencode({"msg_signature": out["MsgSignature"], "timestamp": ts, "nonce": nonce})
    return f"/wecom/callback?{query}", body


def decrypt_reply(xml: str, nonce: str, ts: str) -> dict[str, Any]:
    import xmltodict

    env = xmltodict.parse(xml)["xml"]
    plain = wecom_crypto().decrypt_message(xml, env["MsgSignature"], env["TimeStamp"], env["Nonce"])
    return xmltodict.parse(plain)["xml"]


# --- the platform fake ---------------------------------------------------------------------


class FakePlatform:
    """Records every call. `script[path]` queues forced (status, json) answers; `down` makes
    every API answer 503; `expire_tokens()` invalidates issued tokens (42001 / HTTP 401).
    `media[ref]` holds the bytes behind a WeCom MediaId or a DingTalk downloadCode (served by
    media/get, and by messageFiles/download's downloadUrl); an unknown ref is errcode 40007."""

    def __init__(self) -> None:
        self.base = ""
        self.calls: list[tuple[str, dict, Any]] = []
        self.script: dict[str, deque] = defaultdict(deque)
        self.down = False
        self.tokens: set[str] = set()
        self.token_fetches = 0
        self.frames: list[dict] = []
        self.acks: list[dict] = []
        self.acked = asyncio.Event()
        self.expect_acks = 0
        self.media: dict[str, bytes] = {}

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def sent(self, path: str) -> list[Any]:
        return [body for p, _, body in self.calls if p == path]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self.wecom_token)
        app.router.add_post("/v1.0/oauth2/accessToken", self.ding_token)
        app.router.add_post("/v1.0/gateway/connections/open", self.gateway_open)
        app.router.add_get("/gateway/ws", self.gateway_ws)
        app.router.add_get("/cgi-bin/media/get", self.wecom_media)
        app.router.add_post("/v1.0/robot/messageFiles/download", self.ding_download)
        app.router.add_get("/files/{code}", self.ding_file)
        app.router.add_post("/{path:.*}", self.api)
        return app

    async def wecom_token(self, request: web.Request) -> web.Response:
        self.token_fetches += 1
        token = f"wt{self.token_fetches}"
        self.tokens.add(token)
        return web.json_response({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    async def ding_token(self, request: web.Request) -> web.Response:
        self.token_fetches += 1
        token = f"dt{self.token_fetches}"
        self.tokens.add(token)
        return web.json_response({"accessToken": token, "expireIn": 7200})

    async def api(self, request: web.Request) -> web.Response:
        path = request.path
        body = await request.json()
        if self.down:
            return web.json_response({"message": "down"}, status=503)
        if self.script[path]:
            status, answer = self.script[path].popleft()
            return web.json_response(answer, status=status)
        if path.startswith("/cgi-bin/") and path != "/cgi-bin/webhook/send":
            if request.query.get("access_token") not in self.tokens:
                return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        if path.startswith("/v1.0/robot/"):
            if request.headers.get("x-acs-dingtalk-access-token") not in self.tokens:
                return web.json_response({"code": "InvalidAuthentication", "message": "token"}, status=401)
        self.calls.append((path, dict(request.query), body))
        if path.startswith("/v1.0/robot/"):
            return web.json_response({"processQueryKey": "k"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _forced(self, path: str) -> web.Response | None:
        if self.down:
            return web.json_response({"message": "down"}, status=503)
        if self.script[path]:
            status, answer = self.script[path].popleft()
            return web.json_response(answer, status=status)
        return None

    async def wecom_media(self, request: web.Request) -> web.Response:
        self.calls.append((request.path, dict(request.query), None))
        forced = self._forced(request.path)
        if forced is not None:
            return forced
        if request.query.get("access_token") not in self.tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=data, content_type="application/octet-stream")

    async def ding_download(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append((request.path, {}, body))
        forced = self._forced(request.path)
        if forced is not None:
            return forced
        if request.headers.get("x-acs-dingtalk-access-token") not in self.tokens:
            return web.json_response({"code": "InvalidAuthentication", "message": "token"}, status=401)
        if body.get("downloadCode") not in self.media or body.get("robotCode") != "robot1":
            return web.json_response({"code": "invalidParameter", "message": "downloadCode"}, status=400)
        return web.json_response({"downloadUrl": f"{self.base}/files/{body['downloadCode']}?sig=1"})

    async def ding_file(self, request: web.Request) -> web.Response:
        self.calls.append((request.path, dict(request.query), None))
        return web.Response(body=self.media[request.match_info["code"]], content_type="application/octet-stream")

    async def gateway_open(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append((request.path, {}, body))
        return web.json_response({"endpoint": f"{self.base.replace('http', 'ws')}/gateway/ws", "ticket": "T+1"})

    async def gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("ticket") != "T+1":
            raise web.HTTPForbidden()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for frame in self.frames:
            await ws.send_str(json.dumps(frame, ensure_ascii=False))
        async for m in ws:
            if m.type == WSMsgType.TEXT:
                self.acks.append(json.loads(m.data))
                if len(self.acks) >= self.expect_acks:
                    self.acked.set()
        return ws
