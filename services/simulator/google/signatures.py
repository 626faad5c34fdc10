"""Thought signatures the simulator issues and later recognises (gemini-code-assist.md §5.4).

A real signature is opaque protobuf bytes, base64 on the wire, hundreds of characters long. Ours are a
random nonce plus an HMAC of it under a per-process secret, padded to a realistic length: no memory of
issued values is needed, a client that mangles one is caught, and nothing but the literal bypass value
``skip_thought_signature_validator`` or an issued signature passes the Gemini 3 check.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from enum import Enum

SKIP_SENTINEL = "skip_thought_signature_validator"
_MAGIC = b"\x12\x20q2sim"
_PAD = 96  # bytes of filler, so signatures are ~200 base64 characters like short real ones


class SignatureCheck(Enum):
    ISSUED = "issued"
    SENTINEL = "sentinel"
    NOT_BASE64 = "not_base64"  # B4: "Base64 decoding failed"
    FOREIGN = "foreign"  # decodes, but the simulator never issued it


def issue_signature(secret: bytes) -> str:
    nonce = secrets.token_bytes(16)
    mac = hmac.new(secret, _MAGIC + nonce, hashlib.sha256).digest()
    filler = hashlib.sha256(mac).digest() * 3
    return base64.b64encode(_MAGIC + nonce + mac + filler[:_PAD]).decode()


def decode_bytes(value: str) -> bytes | None:
    """protobuf JSON ``bytes``: standard or URL-safe base64, padding optional."""
    padded = value + "=" * (-len(value) % 4)
    for alphabet in (None, b"-_"):
        try:
            return base64.b64decode(padded, altchars=alphabet, validate=True)
        except (binascii.Error, ValueError):
            continue
    return None


def check_signature(secret: bytes, value: str) -> SignatureCheck:
    if value == SKIP_SENTINEL:
        return SignatureCheck.SENTINEL
    raw = decode_bytes(value)
    if raw is None:
        return SignatureCheck.NOT_BASE64
    head = len(_MAGIC)
    if raw.startswith(_MAGIC) and len(raw) >= head + 48:
        nonce, mac = raw[head:head + 16], raw[head + 16:head + 48]
        if hmac.compare_digest(mac, hmac.new(secret, _MAGIC + nonce, hashlib.sha256).digest()):
            return SignatureCheck.ISSUED
    return SignatureCheck.FOREIGN
