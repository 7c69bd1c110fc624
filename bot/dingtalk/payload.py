"""A DingTalk robot message payload (HTTP callback body or Stream `data`), validated.

Every field we use is checked by type and size; fields we do not use are ignored. A body that
is not JSON, nests too deep, or carries a wrong type (text as a list, a numeric richText part,
conversationId as an object) is a BadRequest before anything reaches the handlers.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec

from handlers.errors import BadRequest

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Short = Annotated[str, msgspec.Meta(max_length=256)]
Text = Annotated[str, msgspec.Meta(max_length=200_000)]
Url = Annotated[str, msgspec.Meta(max_length=2048)]


class TextBody(msgspec.Struct):
    content: Text = ""


class RichPart(msgspec.Struct):
    text: Text | None = None  # parts without text are pictures (downloadCode) or mentions
    type: Short | None = None  # "picture" for pictures
    downloadCode: Url | None = None


class Content(msgspec.Struct):
    """`content` of audio (recognition), richText (richText parts), picture and file
    (downloadCode, fileName); other kinds ignored."""

    recognition: Text | None = None
    richText: list[RichPart] | None = None
    downloadCode: Url | None = None
    fileName: Short | None = None


class RobotMessage(msgspec.Struct):
    msgtype: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_]{1,40}\Z")]
    msgId: Id
    senderStaffId: Id | None = None
    senderId: Id | None = None
    conversationType: Annotated[str, msgspec.Meta(pattern=r"^[12]\Z")] | None = None
    conversationId: Id | None = None
    conversationTitle: Short | None = None
    sessionWebhook: Url | None = None
    sessionWebhookExpiredTime: Annotated[int, msgspec.Meta(ge=0, le=10**14)] | None = None
    text: TextBody | None = None
    content: Content | None = None

    @property
    def sender(self) -> str | None:
        """The sender's staff id, else the DingTalk user id; None when the payload has neither."""
        return self.senderStaffId or self.senderId

    @property
    def is_group(self) -> bool:
        """True for a group conversation (conversationType "2")."""
        return self.conversationType == "2"


_DECODER = msgspec.json.Decoder(RobotMessage)


def decode(body: bytes) -> RobotMessage:
    """The validated message from an HTTP body (BadRequest naming the bad field, no value)."""
    try:
        return _DECODER.decode(body)
    except msgspec.ValidationError as exc:
        raise BadRequest(f"field invalid ({_where(exc)})") from None
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    except (msgspec.DecodeError, RecursionError):
        pass
    # msgspec refuses lone UTF-16 surrogates ("\ud83d"), which DingTalk does send: the
    # standard parser keeps them and handlers.inbound_text replaces them before storage
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("malformed JSON") from None
    return convert(data)


def convert(data: Any) -> RobotMessage:
    """The validated message from an already-decoded Stream frame."""
    try:
        return msgspec.convert(data, RobotMessage)
    except msgspec.ValidationError as exc:
        raise BadRequest(f"field invalid ({_where(exc)})") from None
    except RecursionError:
        raise BadRequest("nested too deep") from None
    except UnicodeEncodeError:  # a lone surrogate in a field checked by pattern (ids, msgtype)
        raise BadRequest("field invalid (lone surrogate in an id)") from None


def _where(exc: msgspec.ValidationError) -> str:
    """msgspec's message names the field and the expected type, never the value."""
    return str(exc)[:200]


def webhook_allowed(url: str, api_base: str, hosts: tuple[str, ...]) -> bool:
    """True when `url` is an https URL on one of the platform's `hosts` (default port), or on
    exactly the scheme, host and port of the configured `api_base`."""
    try:
        u, base = urlsplit(url), urlsplit(api_base)
        port, base_port = u.port, base.port
    except ValueError:
        return False
    if not u.hostname or u.username or u.password:
        return False
    if (u.scheme, u.hostname, port) == (base.scheme, base.hostname, base_port):
        return True
    return u.scheme == "https" and port in (None, 443) and u.hostname.lower() in {h.lower() for h in hosts}
