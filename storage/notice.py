"""The one outbound model: a `Notice` to an `Address`, queued with `storage.outbox.enqueue`.

Every message the bot sends that is not the passive answer to a callback is a Notice: a
reply queued after the platform's deadline, a notice to another cadre (转办, 回访), a
scheduler reminder or digest, a download failure told to its sender, a file to a cadre.

Addresses say who, never how; the outbox worker (bot/outbound/routes.py) finds the way at
send time:

    CadreAddress(cadre_id)        a person on the roster: WeCom, else DingTalk, else the console
    GroupAddress(binding_id)      a bound group chat (group_bindings row): webhook or app chat
    PlatformAddress(channel, kind, id)
                                  a platform account the bot already knows: channel a platform
                                  ("wecom", "dingtalk", …); kind "user" | "group" | "webhook"; id the userid,
                                  chat id or webhook URL (replies to a callback's sender)
    DingTalkSession(url, expires_ms, user, chat)
                                  a DingTalk robot message's sessionWebhook, valid until
                                  `expires_ms` (epoch milliseconds); after that the OpenAPI to
                                  `chat` (group) or `user`
    ConsoleAddress(name)          printed by the console as 「[→ name] …」 (practice and laptops)

`columns` and `address_of` are the only translation between an Address and the outbox row's
(channel, target_kind, target) strings. This module imports nothing from the project, so
storage, handlers, scheduler and bot may all use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

PLATFORM_KINDS = ("user", "group", "webhook")


@dataclass(frozen=True)
class CadreAddress:
    """A cadre by roster id (resolved to their platform account when sent)."""

    cadre_id: int


@dataclass(frozen=True)
class GroupAddress:
    """A group chat by group binding id (resolved to its webhook or app chat when sent)."""

    binding_id: int


@dataclass(frozen=True)
class PlatformAddress:
    """An account on one platform: channel "wecom" | "dingtalk", kind "user" | "group" |
    "webhook", `id` the userid, chat id or webhook URL."""

    channel: str
    kind: str
    id: str


@dataclass(frozen=True)
class DingTalkSession:
    """The sessionWebhook of a DingTalk robot message (replies without an access token),
    valid until `expires_ms` (epoch milliseconds, None: unknown); afterwards the OpenAPI to
    the group `chat`, or to `user` in a 1:1 chat."""

    url: str
    expires_ms: int | None
    user: str
    chat: str | None = None


@dataclass(frozen=True)
class ConsoleAddress:
    """Someone at the console (`minqing serve --console`), printed as 「[→ name] …」."""

    name: str


Address = CadreAddress | GroupAddress | PlatformAddress | DingTalkSession | ConsoleAddress

NoticeKind = Literal["text", "markdown", "file"]


@dataclass(frozen=True)
class Notice:
    """One outbound message.

    kind: "text"; "markdown" (sent as markdown where the platform supports it); "file": `body`
    is a file request (JSON, see handlers/console_access.py) made into a file when sent.
    dedupe_key: at most one queued row per key (a retry never sends twice); None: no dedupe.
    not_before: the earliest send time (naive local time; None: now).
    subject: what a reminder is about (JSON-able dict, see scheduler/held.py): re-checked and
    rendered again at delivery.
    """

    to: Address
    body: str
    dedupe_key: str | None = None
    kind: NoticeKind = "text"
    not_before: datetime | None = None
    subject: dict[str, Any] | None = None

    def describe(self, names: dict[Address, str] | None = None) -> str:
        """One preview block for `minqing jobs run` (to whom, when, what). `names` maps an
        address to a readable name such as 张老师 or 计算机学院群."""
        recheck = "，发送前重新核对" if self.subject is not None else ""
        when = f"（{self.not_before:%Y-%m-%d %H:%M} 后发送{recheck}）" if self.not_before else ""
        _channel, kind, target = columns(self.to)
        who = (names or {}).get(self.to, f"{kind}:{target}")
        return f"→ {who}{when}\n{self.body}"


def user_address(channel: str, user_id: str) -> Address:
    """The sender of a message on `channel` as an address (the console by name)."""
    if channel == "console":
        return ConsoleAddress(user_id)
    return PlatformAddress(channel, "user", user_id)


def columns(to: Address) -> tuple[str, str, str]:
    """(channel, target_kind, target) of the outbox row for `to`."""
    match to:
        case CadreAddress(cadre_id):
            return "auto", "cadre", str(cadre_id)
        case GroupAddress(binding_id):
            return "auto", "group", str(binding_id)
        case PlatformAddress(channel, kind, id_):
            return channel, kind, id_
        case DingTalkSession(url, expires_ms, user, chat):
            target = json.dumps(
                {"url": url, "expires_ms": expires_ms, "user": user, "chat": chat},
                separators=(",", ":"),
                ensure_ascii=False,
            )
            return "dingtalk", "session", target
        case ConsoleAddress(name):
            return "console", "user", name
    raise TypeError(f"not an address: {to!r}")


class BadAddress(ValueError):
    """Outbox columns that name no address (unknown kind, malformed id or session)."""


def address_of(channel: str, target_kind: str, target: str) -> Address:
    """The address an outbox row's columns name (the inverse of `columns`). Long kinds of
    older rows ("wecom_user", "dingtalk_session", …) are read too. Raises BadAddress."""
    if "_" in target_kind:
        channel, _, target_kind = target_kind.partition("_")
    if channel == "console":
        return ConsoleAddress(target)
    if channel == "auto" and target_kind in ("cadre", "group"):
        if not target.isdigit():
            raise BadAddress(f"{target_kind} id is not a number")
        return CadreAddress(int(target)) if target_kind == "cadre" else GroupAddress(int(target))
    if channel in ("wecom", "dingtalk") and target_kind == "cadre" and target.isdigit():
        return CadreAddress(int(target))
    if channel and channel not in ("auto", "console") and target_kind in PLATFORM_KINDS:
        return PlatformAddress(channel, target_kind, target)  # any platform package's (bot/<name>/)
    if channel == "dingtalk" and target_kind == "session":
        try:
            d = json.loads(target)
            session = DingTalkSession(str(d["url"]), d.get("expires_ms"), str(d.get("user") or ""), d.get("chat"))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BadAddress("malformed session target") from None
        if not (session.chat or session.user):
            raise BadAddress("session target names nobody")
        return session
    raise BadAddress(f"unknown target {channel}/{target_kind}")
