"""The two types every channel speaks: one normalised inbound message, a few reply kinds.

Flow is one-way: channel → IncomingMessage → handlers.dispatch → list[Reply] → channel/sender.
A message to anyone else (a notice to another cadre, a file, a reminder) is a
`storage.notice.Notice`, queued in the outbox (see `handlers.context.Ctx.notify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class Media:
    """A picture, file or location in a message (handlers/attach.py attaches it).

    kind: "image" | "file" | "location"; `source` is the platform's download reference
    (WeCom MediaId, DingTalk downloadCode), None for a location; latitude/longitude in degrees."""

    kind: str
    source: str | None = None
    file_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    label: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    channel: str  # "wecom" | "dingtalk" | "console"
    msg_id: str  # the platform's dedupe key part (MsgId, msgId, or a console counter)
    user_id: str  # platform user id: WeCom userid, DingTalk staffId/userId, console id
    text: str
    received_at: datetime  # naive local time, from the injected clock
    chat_id: str | None = None  # group chat id, None for a 1:1 chat
    is_group: bool = False
    chat_name: str | None = None
    media: tuple[Media, ...] = ()  # pictures, files, locations; `text` is then their caption

    @property
    def dedupe_key(self) -> str:
        """「channel:chat:user:msg_id」 (chat 「-」 in a 1:1 chat): the same platform message gives the same key."""
        return f"{self.channel}:{self.chat_id or '-'}:{self.user_id}:{self.msg_id}"


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class MarkdownReply:
    text: str
    title: str = "民情通"


@dataclass(frozen=True)
class FileReply:
    path: Path
    caption: str = ""


Reply = TextReply | MarkdownReply | FileReply
