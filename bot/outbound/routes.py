"""Resolve an outbox row to a platform address at send time.

Row addressing is (channel, target_kind, target):
    ("auto", "cadre", cadre_id)        → WeCom userid if WeCom can send and the cadre has
                                         one, else DingTalk staffId/userId, else the console
                                         when no platform is configured
    ("auto", "group", group_binding_id) → the binding's platform: its webhook if set, else
                                         WeCom appchat / DingTalk groupMessages
    ("wecom", "user"|"group"|"webhook", id-or-url)
    ("dingtalk", "user"|"group"|"webhook", id-or-url)
    ("dingtalk", "session", JSON {url, expires_ms, user, chat}) → sessionWebhook while valid,
                                         else the OpenAPI to the same person or group
    ("console", "user", name)
Long aliases ("wecom_user", "dingtalk_session", …) in target_kind are accepted too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.config import Config
from bot.errors import ApiError
from storage.models import Cadre, GroupBinding, Outbox
from storage.tx import Tx


@dataclass(frozen=True)
class Route:
    kind: str  # wecom_user|wecom_appchat|wecom_webhook|dingtalk_user|dingtalk_group|dingtalk_webhook|
    #            dingtalk_session|console
    address: str
    name: str = ""
    secret: str | None = None
    expires_ms: int | None = None
    fallback: Route | None = None


class Unroutable(ApiError):
    """No address for this row: permanent, the row fails at once."""

    def __init__(self, why: str) -> None:
        super().__init__("outbox", "unroutable", why)


def wecom_can_send(cfg: Config) -> bool:
    return cfg.wecom.enabled and bool(cfg.wecom.secret and cfg.wecom.agent_id)


def dingtalk_can_send(cfg: Config) -> bool:
    return cfg.dingtalk.enabled


def console_only(cfg: Config) -> bool:
    return not wecom_can_send(cfg) and not dingtalk_can_send(cfg)


def _channel_kind(row: Outbox) -> tuple[str, str]:
    kind = row.target_kind
    if "_" in kind:
        channel, _, kind = kind.partition("_")
        return channel, kind
    return row.channel, kind


def _webhook_secret(cfg: Config, channel: str, *, chat_id: str | None = None,
                    url: str | None = None) -> str | None:
    for g in cfg.groups:
        if g.channel == channel and ((chat_id and g.chat_id == chat_id) or (url and g.webhook == url)):
            return g.webhook_secret
    return None


async def resolve(row: Outbox, session: Tx, cfg: Config) -> Route:
    """The platform address of `row` now (raises Unroutable when there is none)."""
    channel, kind = _channel_kind(row)
    if channel == "console":
        return Route("console", row.target, name=row.target)
    if kind == "cadre":
        return await _cadre(session, cfg, row.target)
    if kind == "group" and channel == "auto":
        return await _group(session, cfg, row.target)
    if channel == "wecom" and kind in ("user", "group", "webhook"):
        return Route({"user": "wecom_user", "group": "wecom_appchat", "webhook": "wecom_webhook"}[kind],
                     row.target)
    if channel == "dingtalk" and kind in ("user", "group"):
        return Route(f"dingtalk_{kind}", row.target)
    if channel == "dingtalk" and kind == "webhook":
        return Route("dingtalk_webhook", row.target, secret=_webhook_secret(cfg, "dingtalk", url=row.target))
    if channel == "dingtalk" and kind == "session":
        return _session(row.target)
    raise Unroutable(f"unknown target {channel}/{kind}")


async def _cadre(session: Tx, cfg: Config, target: str) -> Route:
    cadre = await session.get(Cadre, int(target)) if target.isdigit() else None
    if cadre is None:
        raise Unroutable(f"cadre {target} not found")
    if wecom_can_send(cfg) and cadre.wecom_userid:
        return Route("wecom_user", cadre.wecom_userid, name=cadre.name)
    ding = cadre.dingtalk_staffid or cadre.dingtalk_userid
    if dingtalk_can_send(cfg) and ding:
        return Route("dingtalk_user", ding, name=cadre.name)
    if console_only(cfg):
        return Route("console", str(cadre.id), name=cadre.name)
    raise Unroutable(f"cadre {cadre.id} has no id on an enabled platform")


async def _group(session: Tx, cfg: Config, target: str) -> Route:
    g = await session.get(GroupBinding, int(target)) if target.isdigit() else None
    if g is None:
        raise Unroutable(f"group binding {target} not found")
    if g.webhook:  # a group robot webhook needs no app credentials: used whenever configured
        if g.channel == "wecom":
            return Route("wecom_webhook", g.webhook)
        if g.channel == "dingtalk":
            return Route("dingtalk_webhook", g.webhook, secret=_webhook_secret(cfg, "dingtalk", chat_id=g.chat_id))
    if console_only(cfg):
        return Route("console", g.chat_id, name=f"群 {g.chat_id}")
    if g.channel == "wecom":
        if wecom_can_send(cfg):
            return Route("wecom_appchat", g.chat_id)
    if g.channel == "dingtalk":
        if dingtalk_can_send(cfg):
            return Route("dingtalk_group", g.chat_id)
    raise Unroutable(f"group binding {g.id} ({g.channel}) has no way to send")


def session_target(url: str, expires_ms: int | None, user: str, chat: str | None) -> str:
    """The `target` string of a ("dingtalk", "session") row."""
    return json.dumps({"url": url, "expires_ms": expires_ms, "user": user, "chat": chat},
                      separators=(",", ":"), ensure_ascii=False)


def _session(target: str) -> Route:
    try:
        d = json.loads(target)
        fallback = Route("dingtalk_group", d["chat"]) if d.get("chat") else Route("dingtalk_user", d["user"])
        return Route("dingtalk_session", d["url"], expires_ms=d.get("expires_ms"), fallback=fallback)
    except (ValueError, KeyError, TypeError):
        raise Unroutable("malformed session target") from None
