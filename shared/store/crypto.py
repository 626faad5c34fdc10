"""Encryption of account credentials at rest, and where its key comes from.

Each value is sealed on its own with AES-256-GCM under a fresh random 96-bit nonce, and bound (as
associated data) to the account and column it belongs to, so a ciphertext copied into another row or
column fails to decrypt instead of silently becoming someone else's token. The stored text is
``v1:<base64url(nonce ‖ ciphertext ‖ tag)>``; the version prefix leaves room for key rotation.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import time
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import CredentialsKeyError, StoreConfigError, StoreError

log = logging.getLogger(__name__)

KEY_BYTES = 32
KEY_FILE_NAME = "credentials.key"
_VERSION = "v1"
_NONCE_BYTES = 12
# Sealed into the store's meta table at first open, so a wrong key is caught when the store opens
# rather than on the first request that needs a token.
_KEY_CHECK_PLAINTEXT = "q2api credentials key check"
_KEY_CHECK_CONTEXT = "meta:credentials_key_check"
_KEY_HELP = (
    "CREDENTIALS_KEY must be 32 random bytes written as base64 (or 64 hex digits); make one with: "
    "python -c \"import base64,secrets;print(base64.b64encode(secrets.token_bytes(32)).decode())\""
)


class CredentialCipher:
    """Seals and opens credential strings with one AES-256-GCM key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise StoreConfigError(f"the credentials key is {len(key)} bytes; {_KEY_HELP}")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Seal ``plaintext``; ``context`` names where it will be stored (e.g. ``account:<id>:refresh_token``)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}:{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Open a value sealed by :meth:`encrypt` with the same ``context``.

        Raises CredentialsKeyError when the key (or the context) differs — never returns garbage.
        """
        version, sep, body = token.partition(":")
        if not sep or version != _VERSION:
            raise StoreError(f"unsupported credential format {version!r} (this q2api reads {_VERSION})")
        try:
            raw = _b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise StoreError("a stored credential is corrupt (not base64)") from exc
        try:
            plain = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise CredentialsKeyError() from None
        return plain.decode()

    def key_check(self) -> str:
        """A sealed constant that proves, later, which key the store was first opened with."""
        return self.encrypt(_KEY_CHECK_PLAINTEXT, context=_KEY_CHECK_CONTEXT)

    def verify_key_check(self, token: str) -> None:
        """Raise CredentialsKeyError unless ``token`` came from :meth:`key_check` under this key."""
        if self.decrypt(token, context=_KEY_CHECK_CONTEXT) != _KEY_CHECK_PLAINTEXT:
            raise CredentialsKeyError()


def parse_credentials_key(text: str) -> bytes:
    """Decode the CREDENTIALS_KEY setting: base64 (standard or URL-safe, padding optional) or hex."""
    value = text.strip()
    if len(value) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    try:
        key = _b64decode(value)
    except (binascii.Error, ValueError):
        raise StoreConfigError(f"CREDENTIALS_KEY is not valid base64; {_KEY_HELP}") from None
    if len(key) != KEY_BYTES:
        raise StoreConfigError(f"CREDENTIALS_KEY decodes to {len(key)} bytes, not {KEY_BYTES}; {_KEY_HELP}")
    return key


def load_or_create_key_file(data_dir: Path) -> bytes:
    """Return the key in ``<data_dir>/credentials.key``, creating it (mode 0600) on first use.

    Several processes may start at once: the key is written to a private temporary file created with
    O_CREAT|O_EXCL and mode 0600, then hard-linked into place, which succeeds for exactly one of them
    and never exposes a half-written file. The losers read the winner's key. The file holds the key in
    the same base64 form CREDENTIALS_KEY takes, so moving it into the environment is a copy-paste.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


def _create_key_file(path: Path) -> None:
    content = (base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n").encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won the race; its key is the key
    except OSError:
        # A filesystem without hard links: fall back to creating the file itself exclusively.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            try:
                os.write(fd, content)
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        tmp.unlink(missing_ok=True)


def _read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("credentials key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    # Only the no-hard-link fallback can expose a file before it is written; give its writer a moment.
    deadline = time.monotonic() + 2.0
    while True:
        text = path.read_text().strip()
        if text or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    try:
        return parse_credentials_key(text)
    except StoreConfigError as exc:
        raise StoreConfigError(f"the credentials key file {path} is unusable: {exc}") from None


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    """Strict decode of URL-safe or standard base64, padding optional."""
    text = text.rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
