"""WeCom callback crypto, delegated to wechatpy (never re-implemented here).

Every failure maps to the channel exception tree: a wrong signature or a wrong receive id
(CorpID) is a SignatureError (HTTP 403); a body that cannot be parsed or decrypted is a
BadRequest (HTTP 400). Exceptions never carry the payload.
"""

from __future__ import annotations

import binascii
import struct
import time
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import TextReply as WxTextReply
from wechatpy.exceptions import InvalidSignatureException

from bot.config import WeComConfig
from bot.errors import BadRequest, SignatureError

_DECRYPT_ERRORS = (ValueError, TypeError, KeyError, IndexError, struct.error, binascii.Error,
                   UnicodeDecodeError, ExpatError, AttributeError)


class WeComCrypto:
    def __init__(self, cfg: WeComConfig) -> None:
        self.cfg = cfg
        self._crypto = WeChatCrypto(cfg.token, cfg.encoding_aes_key, cfg.corp_id)

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): check the signature and decrypt `echostr`."""
        try:
            return self._crypto.check_signature(signature, timestamp, nonce, echostr)
        except InvalidSignatureException:
            raise SignatureError("bad msg_signature") from None
        except InvalidCorpIdException:
            raise SignatureError("echostr for another CorpID") from None
        except _DECRYPT_ERRORS:
            raise BadRequest("undecryptable echostr") from None

    def decrypt(self, body: bytes, signature: str, timestamp: str, nonce: str) -> Any:
        """Verify and decrypt a message POST; returns a wechatpy message object."""
        try:
            outer = xmltodict.parse(body)
            envelope = outer.get("xml") if isinstance(outer, dict) else None
            if not isinstance(envelope, dict) or not isinstance(envelope.get("Encrypt"), str):
                raise BadRequest("no Encrypt element")
        except _DECRYPT_ERRORS:
            raise BadRequest("malformed XML envelope") from None
        try:
            plain = self._crypto.decrypt_message(envelope, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise SignatureError("bad msg_signature") from None
        except InvalidCorpIdException:
            raise SignatureError("message for another CorpID") from None
        except _DECRYPT_ERRORS:
            raise BadRequest("undecryptable message") from None
        try:
            message = parse_message(plain)
        except _DECRYPT_ERRORS:
            raise BadRequest("malformed message XML") from None
        if message is None:
            raise BadRequest("empty message")
        return message

    def encrypt_reply(self, *, to_user: str, text: str, nonce: str, agent_id: str = "",
                      timestamp: str | None = None) -> str:
        """An encrypted passive text reply (XML) for `to_user`."""
        reply = WxTextReply(source=self.cfg.corp_id, target=to_user, content=text,
                            agent=int(agent_id) if agent_id.isdigit() else 0)
        return self._crypto.encrypt_message(reply.render(), nonce, timestamp or str(int(time.time())))
