"""The `signature` of the thinking blocks q2api builds from Amazon Q's `<thinking>` text.

Anthropic clients require a non-empty `signature` on every thinking block and echo it back unchanged in
the next request (client-apis.md §1.1, §1.3). Amazon Q has no signature for tag-based thinking, so q2api
makes one: base64 of HMAC-SHA256 over the thinking text's UTF-8 bytes. It is deterministic (the same
thinking always gets the same signature, so streaming and non-streaming agree and tests can pin it) and
opaque; the request half may recompute it to check that echoed thinking was not edited.

The key is a fixed label, not a secret: the signature proves provenance to q2api only as far as a
client does not know this file.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b64encode

THINKING_SIGNATURE_KEY = b"q2api thinking signature v1"


class ThinkingSigner:
    """Incremental: `update()` with each thinking delta, `signature()` at the block's end."""

    __slots__ = ("_mac",)

    def __init__(self) -> None:
        self._mac = hmac.new(THINKING_SIGNATURE_KEY, digestmod=hashlib.sha256)

    def update(self, text: str) -> None:
        self._mac.update(text.encode())

    def signature(self) -> str:
        return b64encode(self._mac.digest()).decode("ascii")


def thinking_signature(thinking: str) -> str:
    """The signature of a whole thinking text (same value as `ThinkingSigner` fed in pieces)."""
    signer = ThinkingSigner()
    signer.update(thinking)
    return signer.signature()
