"""WeCom callback crypto, delegated to wechatpy (never re-implemented here).

Every failure maps to the channel exception tree: a wrong signature or a wrong receive id
(CorpID) is a SignatureError (HTTP 403); a body that cannot be parsed or decrypted is a
BadRequest (HTTP 400). Exceptions never carry the payload.
"""

from __future__ import annotations

import binascii
import re
import struct
import time
from xml.parsers.expat import ExpatError

from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import TextReply as WxTextReply
from wechatpy.exceptions import InvalidSignatureException

from bot.wecom.config import WeComConfig
from bot.wecom.message import WeComMessage, parse_plaintext
from handlers.errors import BadRequest, SignatureError

# The envelope's Encrypt value (base64), with or without CDATA; at most one megabyte of it.
_ENCRYPT = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[)?([A-Za-z0-9+/=]{1,1400000})(?:\]\]>)?\s*</Encrypt>")

_DECRYPT_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    struct.error,
    binascii.Error,
    UnicodeDecodeError,
    ExpatError,
    AttributeError,
)


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

    def decrypt(self, body: bytes, signature: str, timestamp: str, nonce: str) -> WeComMessage:
        """Verify and decrypt a message POST; returns the validated message.

        The signature is checked on the envelope's Encrypt value, found without parsing the
        body as XML (a hostile declaration or entity never reaches a parser unsigned)."""
        m = _ENCRYPT.search(body)
        if m is None:
            raise BadRequest("no Encrypt element")
        encrypt = m.group(1).decode("ascii")
        try:
            plain = self._crypto.decrypt_message({"Encrypt": encrypt}, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise SignatureError("bad msg_signature") from None
        except InvalidCorpIdException:
            raise SignatureError("message for another CorpID") from None
        except _DECRYPT_ERRORS:
            raise BadRequest("undecryptable message") from None
        if not isinstance(plain, str):
            raise BadRequest("undecryptable message")
        return parse_plaintext(plain)

    def encrypt_reply(
        self, *, to_user: str, text: str, nonce: str, agent_id: str = "", timestamp: str | None = None
    ) -> str:
        """An encrypted passive text reply (XML) for `to_user`."""
        reply = WxTextReply(
            source=self.cfg.corp_id, target=to_user, content=text, agent=int(agent_id) if agent_id.isdigit() else 0
        )
        return self._crypto.encrypt_message(reply.render(), nonce, timestamp or str(int(time.time())))
