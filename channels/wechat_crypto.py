"""WeChat's message signatures, safe-mode (安全模式) encryption and safe XML.

Written from WeChat's published algorithm (WXBizMsgCrypt), with ``cryptography``
(already locked for Rasa) rather than ``wechatpy``, which is not in the locks:

* ``signature``: SHA-1 of the token, timestamp and nonce (and, in safe mode, the
  encrypted text: ``msg_signature``), sorted and joined, in hex;
* AES-256-CBC with key ``base64decode(EncodingAESKey + "=")`` and IV ``key[:16]``,
  PKCS#7 padding to 32-byte blocks; the plaintext is 16 random bytes, the message's
  length (4 bytes, big-endian), the message and the AppID.

XML comes from the internet: :func:`parse_xml` refuses a body over a size cap and
any DOCTYPE or ENTITY declaration before parsing (no entity expansion, no external
entities; ``defusedxml`` is not installed in production), and reads only the flat
fields of a message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
import time
from typing import Dict
from xml.etree import ElementTree

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

#: WeChat pads to 32-byte blocks (not AES's 16).
BLOCK = 32
#: The largest webhook body read (a WeChat message is a few hundred bytes).
MAX_BODY = 64 * 1024
#: Seconds a request's timestamp may differ from our clock (replays are refused).
REPLAY_WINDOW = 300

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class BadMessage(ValueError):
    """A request that is not a well-formed, correctly signed WeChat message.

    The text says what was wrong, never what the request contained.
    """


def signature(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """SHA-1 (hex) of the sorted, concatenated token, timestamp, nonce (and extra)."""
    parts = sorted([token, timestamp, nonce, *extra])
    return hashlib.sha1("".join(parts).encode()).hexdigest()  # noqa: S324 - WeChat's


def same(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a given signature with the expected one."""
    return bool(given) and hmac.compare_digest(
        (given or "").lower().encode(), expected.encode()
    )


def fresh(timestamp: str | None, now: float | None = None, window: int = 0) -> bool:
    """Whether ``timestamp`` (Unix seconds) is within ``window`` of now."""
    if not timestamp or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    now = time.time() if now is None else now
    return abs(now - int(timestamp)) <= (window or REPLAY_WINDOW)


def parse_xml(body: bytes, max_bytes: int = MAX_BODY) -> Dict[str, str]:
    """The flat fields of a WeChat XML message, ``{"MsgType": "text", ...}``.

    Raises:
        BadMessage: too large, declares a DOCTYPE or ENTITY, not XML, or not a
            ``<xml>`` element.
    """
    if len(body) > max_bytes:
        raise BadMessage("body too large")
    if _DECLARATION.search(body):
        raise BadMessage("DOCTYPE or ENTITY declaration")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise BadMessage("malformed XML") from None
    if root.tag != "xml":
        raise BadMessage("not a WeChat message")
    fields: Dict[str, str] = {}
    for child in root:
        if len(child) == 0:
            fields[child.tag] = (child.text or "").strip()
    return fields


class WeChatCrypto:
    """Safe-mode encryption of one Official Account (WXBizMsgCrypt)."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        """Raises ValueError when the EncodingAESKey is not 43 base64 characters."""
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise ValueError("EncodingAESKey is not base64") from None
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise ValueError("EncodingAESKey must be 43 characters (32 bytes)")
        self.token = token
        self.key = key
        self.app_id = app_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, text: str, random: bytes | None = None) -> str:
        """``text`` encrypted as WeChat does, base64-encoded."""
        message = text.encode()
        plain = (
            (random or os.urandom(16))
            + struct.pack(">I", len(message))
            + message
            + self.app_id.encode()
        )
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        """The message inside ``encrypted``; BadMessage if it is not for this AppID."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise BadMessage("encrypted text is not base64") from None
        if not data or len(data) % 16:
            raise BadMessage("encrypted text has a wrong length")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise BadMessage("bad padding (wrong key?)")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise BadMessage("decrypted text too short")
        (length,) = struct.unpack(">I", plain[16:20])
        message, app_id = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length or not hmac.compare_digest(
            app_id, self.app_id.encode()
        ):
            raise BadMessage("not for this AppID (wrong key?)")
        try:
            return message.decode()
        except UnicodeDecodeError:
            raise BadMessage("decrypted text is not UTF-8") from None

    def encrypted_xml(self, text: str, timestamp: str, nonce: str) -> str:
        """A safe-mode message envelope, as WeChat posts it (for tests and replies)."""
        encrypted = self.encrypt(text)
        sign = signature(self.token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{sign}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
