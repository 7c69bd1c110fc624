"""Resolve an outbox row to a platform address at send time.

The row's columns are read back into a `storage.notice` Address (`address_of`, the one
inverse of `columns`), and the address becomes a Route through the registered platforms
(bot.platform, in preference order: WeCom, then DingTalk):
    CadreAddress          → the first platform that can send and has an account of the
                            cadre's; the console when no platform can send
    GroupAddress          → the binding's platform: its webhook if set, else the app's group
                            chat (the console when no platform can send)
    ConsoleAddress        → printed by the console
    any other address     → the platform its outbox channel names (PlatformAddress,
                            DingTalkSession, …): that platform's `address_route`
Rows written before platforms were packages ("wecom_user", "dingtalk_session", …) read the
same way: `address_of` understands their long kinds.
"""

from __future__ import annotations

from bot.config import Config
from bot.platform import Route, platforms, webhook_secret
from handlers.errors import ApiError
from storage.models import Outbox
from storage.notice import BadAddress, CadreAddress, ConsoleAddress, GroupAddress, address_of, columns
from storage.roster import accounts, get_cadre, get_group
from storage.tx import Tx

__all__ = ["Route", "Unroutable", "can_send", "console_only", "resolve"]


class Unroutable(ApiError):
    """No address for this row: permanent, the row fails at once."""

    def __init__(self, why: str) -> None:
        super().__init__("outbox", "unroutable", why)


def can_send(cfg: Config, platform: str) -> bool:
    """True when `platform` is registered and its app API is configured for sending."""
    found = platforms().get(platform)
    return found is not None and found.can_send(cfg.platforms[platform])


def console_only(cfg: Config) -> bool:
    """True when no platform can send: outgoing messages then only reach the console."""
    return not any(can_send(cfg, name) for name in platforms())


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
    channel = columns(to)[0]
    platform = platforms().get(channel)
    route = platform.address_route(to, cfg) if platform is not None else None
    if route is None:
        raise Unroutable(f"unknown target {row.channel}/{row.target_kind}")
    return route


async def _cadre(session: Tx, cfg: Config, cadre_id: int) -> Route:
    cadre = await get_cadre(session, cadre_id)
    if cadre is None:
        raise Unroutable(f"cadre {cadre_id} not found")
    ids = await accounts(session, cadre.id)
    for name, platform in platforms().items():
        if name in ids and platform.can_send(cfg.platforms[name]):
            route = platform.user_route(ids[name], cadre.name)
            if route is not None:
                return route
    if console_only(cfg):
        return Route("console", str(cadre.id), name=cadre.name)
    raise Unroutable(f"cadre {cadre.id} has no id on an enabled platform")


async def _group(session: Tx, cfg: Config, binding_id: int) -> Route:
    g = await get_group(session, binding_id)
    if g is None:
        raise Unroutable(f"group binding {binding_id} not found")
    platform = platforms().get(g.channel)
    if platform is not None and g.webhook:  # a group robot webhook needs no app credentials
        route = platform.webhook_route(g.webhook, webhook_secret(cfg, g.channel, chat_id=g.chat_id))
        if route is not None:
            return route
    if console_only(cfg):
        return Route("console", g.chat_id, name=f"群 {g.chat_id}")
    if platform is not None and platform.can_send(cfg.platforms[g.channel]):
        route = platform.group_route(g.chat_id)
        if route is not None:
            return route
    raise Unroutable(f"group binding {g.id} ({g.channel}) has no way to send")
