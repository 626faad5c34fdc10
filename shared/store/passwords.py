"""Admin password hashing: scrypt with a random salt, parameters kept in the hash string.

scrypt is memory-hard, so a stolen hash is expensive to brute-force; it is in the standard library,
so no dependency. The encoded form ``scrypt$n=…,r=…,p=…$<salt>$<hash>`` lets the parameters be
raised later without invalidating existing hashes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~50 ms per hash: fine for a login, costly for an attacker
_SALT_BYTES = 16
_HASH_BYTES = 32
_MAX_N = 2**20  # refuse absurd parameters in a tampered hash instead of exhausting memory


def hash_password(password: str) -> str:
    """Hash ``password`` for storage (e.g. under the ``admin_password_hash`` meta key)."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, _N, _R, _P, _HASH_BYTES)
    return f"scrypt$n={_N},r={_R},p={_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches ``encoded``; a malformed hash is simply no match."""
    try:
        scheme, params, salt_text, digest_text = encoded.split("$")
        fields = dict(item.split("=", 1) for item in params.split(","))
        n, r, p = int(fields["n"]), int(fields["r"]), int(fields["p"])
        salt, expected = _unb64(salt_text), _unb64(digest_text)
    except (ValueError, KeyError, binascii.Error):
        return False
    if scheme != "scrypt" or not (1 < n <= _MAX_N and 0 < r <= 32 and 0 < p <= 16) or not expected:
        return False
    try:
        actual = _scrypt(password, salt, n, r, p, len(expected))
    except ValueError:  # e.g. n not a power of two
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    maxmem = 128 * r * (n + p + 2) + 1024 * 1024
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=maxmem)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
