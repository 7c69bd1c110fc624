"""WeCom pictures, files and locations: what a message carries (downloads: the sender's `download`).

Inbound: `image` and `file` (MediaId), `location` (Location_X = latitude, Location_Y =
longitude, Label).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.media.inbound import media_name
from handlers.types import Media

if TYPE_CHECKING:
    from bot.wecom.message import WeComMessage


def media_of(m: WeComMessage) -> tuple[Media, ...]:
    """The media of a WeCom image, file or location message (locations out of range dropped); () for others."""
    if m.MsgType in ("image", "file") and m.MediaId:
        return (Media("image" if m.MsgType == "image" else "file", m.MediaId, media_name(m.FileName)),)
    if m.MsgType == "location" and m.Location_X and m.Location_Y:
        lat, lng = float(m.Location_X), float(m.Location_Y)
        if -90 <= lat <= 90 and -180 <= lng <= 180:
            return (Media("location", latitude=lat, longitude=lng, label=media_name(m.Label)),)
    return ()
