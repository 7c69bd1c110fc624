"""The decrypted WeCom callback XML → one validated `WeComMessage` (or BadRequest).

The plaintext is parsed only after the signature verified and the AES layer decrypted. Before
parsing, characters XML 1.0 forbids (raw control characters from mobile keyboards, U+FFFE…)
are removed and any XML declaration dropped (an unknown `encoding=` must not reach the
parser); a DOCTYPE is refused. Every field is then checked by type and size: an element that
holds tags, repeats, or carries non-digits where WeCom sends numbers is a BadRequest.
"""

from __future__ import annotations

import re
from typing import Annotated
from xml.parsers.expat import ExpatError

import msgspec
import xmltodict

from handlers.errors import BadRequest

_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")

Digits = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,20}\Z")]
Name = Annotated[str, msgspec.Meta(max_length=128)]
Kind = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]{1,64}\Z")]
Text = Annotated[str, msgspec.Meta(max_length=200_000)]
MediaRef = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-@.=+/]{1,256}\Z")]
Coordinate = Annotated[str, msgspec.Meta(pattern=r"^-?[0-9]{1,3}(?:\.[0-9]{1,15})?\Z")]


class WeComMessage(msgspec.Struct, frozen=True):
    """The fields we use of a message or event (others are ignored). Empty elements are None."""

    MsgType: Kind
    ToUserName: Name | None = None
    FromUserName: Name | None = None
    CreateTime: Digits | None = None
    Content: Text | None = None
    MsgId: Digits | None = None
    AgentID: Digits | None = None
    Event: Kind | None = None
    Recognition: Text | None = None  # voice messages, when speech recognition is switched on
    MediaId: MediaRef | None = None  # image, file: downloaded with media/get (bot/media)
    FileName: Name | None = None
    Location_X: Coordinate | None = None  # location: latitude, degrees
    Location_Y: Coordinate | None = None  # longitude
    Label: Name | None = None  # the place's name


def parse_plaintext(plain: str) -> WeComMessage:
    """Validated message from the decrypted XML text (BadRequest when it is not one)."""
    plain = _XML_FORBIDDEN.sub("", _DECLARATION.sub("", plain, count=1))
    if "<!" in plain.replace("<![CDATA[", ""):
        raise BadRequest("DOCTYPE or comment in message XML")
    try:
        doc = xmltodict.parse(plain)
    except (ExpatError, ValueError, TypeError):
        raise BadRequest("malformed message XML") from None
    xml = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(xml, dict):
        raise BadRequest("no <xml> root")
    try:
        return msgspec.convert(xml, WeComMessage)
    except msgspec.ValidationError as exc:
        raise BadRequest(f"message field invalid ({_field(exc)})") from None


def _field(exc: msgspec.ValidationError) -> str:
    return str(exc)[:200]  # msgspec names the field and the expected type, never the value
