"""Resolve an outbox row to a platform address at send time.

The row's columns are read back into a `storage.notice` Address (`address_of`, the one
inverse of `columns`), and the address becomes a Route:
    CadreAddress          → WeCom userid if WeCom can send and the cadre has one, else
                            DingTalk staffId/userId, else the console when no platform is
                            configured
    GroupAddress          → the binding's platform: its webhook if set, else WeCom appchat /
                            DingTalk groupMessages (the console when no platform is configured)
    PlatformAddress       → that platform's user, group (appchat) or webhook
    DingTalkSession       → sessionWebhook while valid, else the OpenAPI to the same person
                            or group
    ConsoleAddress        → printed by the console
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from handlers.errors import ApiError
from storage.models import Outbox
from storage.notice import (
    BadAddress,
    CadreAddress,
    ConsoleAddress,
    DingTalkSession,
    GroupAddress,
    PlatformAddress,
    address_of,
)
from storage.roster import accounts, get_cadre, get_group
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
    """True when WeCom is configured for sending (callbacks configured, plus secret and agent_id)."""
    return cfg.wecom.enabled and bool(cfg.wecom.secret and cfg.wecom.agent_id)


def dingtalk_can_send(cfg: Config) -> bool:
    """True when DingTalk is configured (it both receives and sends)."""
    return cfg.dingtalk.enabled


def console_only(cfg: Config) -> bool:
    """True when no platform can send: outgoing messages then only reach the console."""
    return not wecom_can_send(cfg) and not dingtalk_can_send(cfg)


def _webhook_secret(cfg: Config, channel: str, *, chat_id: str | None = None, url: str | None = None) -> str | None:
    for g in cfg.groups:
        if g.channel == channel and ((chat_id and g.chat_id == chat_id) or (url and g.webhook == url)):
            return g.webhook_secret
    return None


async def resolve(row: Outbox, session: Tx, cfg: Config) -> Route:
    """The platform address of `row` now (raises Unroutable when there is none)."""
    try:
        to = address_of(row.channel, row.target_kind, row.target)
    except BadAddress as exc:
        raise Unroutable(str(exc)) from None
    match to:
        case ConsoleAddress(name):
            return Route("console", name, name=name)
        case CadreAddress(cadre_id):
            return await _cadre(session, cfg, cadre_id)
        case GroupAddress(binding_id):
            return await _group(session, cfg, binding_id)
        case PlatformAddress("wecom", "user" | "group" | "webhook" as kind, target):
            return Route({"user": "wecom_user", "group": "wecom_appchat", "webhook": "wecom_webhook"}[kind], target)
        case PlatformAddress("dingtalk", "webhook", url):
            return Route("dingtalk_webhook", url, secret=_webhook_secret(cfg, "dingtalk", url=url))
        case PlatformAddress("dingtalk", "user" | "group" as kind, target):
            return Route(f"dingtalk_{kind}", target)
        case DingTalkSession(url, expires_ms, user, chat):
            fallback = Route("dingtalk_group", chat) if chat else Route("dingtalk_user", user)
            return Route("dingtalk_session", url, expires_ms=expires_ms, fallback=fallback)
    raise Unroutable(f"unknown target {row.channel}/{row.target_kind}")


async def _cadre(session: Tx, cfg: Config, cadre_id: int) -> Route:
    cadre = await get_cadre(session, cadre_id)
    if cadre is None:
        raise Unroutable(f"cadre {cadre_id} not found")
    ids = await accounts(session, cadre.id)
    if wecom_can_send(cfg) and "wecom" in ids:
        return Route("wecom_user", ids["wecom"], name=cadre.name)
    if dingtalk_can_send(cfg) and "dingtalk" in ids:
        return Route("dingtalk_user", ids["dingtalk"], name=cadre.name)
    if console_only(cfg):
        return Route("console", str(cadre.id), name=cadre.name)
    raise Unroutable(f"cadre {cadre.id} has no id on an enabled platform")


async def _group(session: Tx, cfg: Config, binding_id: int) -> Route:
    g = await get_group(session, binding_id)
    if g is None:
        raise Unroutable(f"group binding {binding_id} not found")
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
