"""The media in a validated platform message, as `handlers.types.Media` (empty when none).

WeCom: `image` and `file` (MediaId), `location` (Location_X = latitude, Location_Y = longitude,
Label). DingTalk: `picture` and `file` (content.downloadCode, fileName) and the pictures
inside `richText` (parts with a downloadCode). Names are cleaned like message text.
"""

from __future__ import annotations

from bot.dingtalk.payload import RobotMessage
from bot.wecom.message import WeComMessage
from handlers.inbound_text import clean
from handlers.types import Media


def _name(raw: str | None) -> str | None:
    name = clean(raw or "").strip()
    return name[:200] or None


def wecom_media(m: WeComMessage) -> tuple[Media, ...]:
    """The media of a WeCom image, file or location message (locations out of range dropped); () for others."""
    if m.MsgType in ("image", "file") and m.MediaId:
        return (Media("image" if m.MsgType == "image" else "file", m.MediaId, _name(m.FileName)),)
    if m.MsgType == "location" and m.Location_X and m.Location_Y:
        lat, lng = float(m.Location_X), float(m.Location_Y)
        if -90 <= lat <= 90 and -180 <= lng <= 180:
            return (Media("location", latitude=lat, longitude=lng, label=_name(m.Label)),)
    return ()


def dingtalk_media(m: RobotMessage) -> tuple[Media, ...]:
    """The media of a DingTalk picture, file or richText message (its pictures); () for others."""
    c = m.content
    if c is None:
        return ()
    if m.msgtype == "picture" and c.downloadCode:
        return (Media("image", c.downloadCode),)
    if m.msgtype == "file" and c.downloadCode:
        return (Media("file", c.downloadCode, _name(c.fileName)),)
    if m.msgtype == "richText" and c.richText:
        return tuple(Media("image", p.downloadCode) for p in c.richText if p.downloadCode and not p.text)
    return ()
