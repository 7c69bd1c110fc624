"""DingTalk pictures and files: what a robot message carries (downloads: the sender's `download`).

Inbound: `picture` and `file` (content.downloadCode, fileName) and the pictures inside
`richText` (parts with a downloadCode).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.media.inbound import media_name
from handlers.types import Media

if TYPE_CHECKING:
    from bot.dingtalk.payload import RobotMessage


def media_of(m: RobotMessage) -> tuple[Media, ...]:
    """The media of a DingTalk picture, file or richText message (its pictures); () for others."""
    c = m.content
    if c is None:
        return ()
    if m.msgtype == "picture" and c.downloadCode:
        return (Media("image", c.downloadCode),)
    if m.msgtype == "file" and c.downloadCode:
        return (Media("file", c.downloadCode, media_name(c.fileName)),)
    if m.msgtype == "richText" and c.richText:
        return tuple(Media("image", p.downloadCode) for p in c.richText if p.downloadCode and not p.text)
    return ()
