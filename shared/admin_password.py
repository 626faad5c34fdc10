"""The admin password: the operator's ADMIN_PASSWORD, or one generated on first start and kept hashed.

Seed q2api shipped `ADMIN_PASSWORD=admin` (seeds §10.1.1). Here an empty ADMIN_PASSWORD means: on the
first start generate a strong password, store only its scrypt hash in the store's meta table, and
hand the plaintext back exactly once so the caller can print it. `q2api up` does this before its
children start (and prints the password in its banner); a standalone accounts service does it at
start and prints to stderr.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from pathlib import Path

from shared.settings import Settings
from shared.store import (
    Store,
    StoreError,
    hash_password,
    open_store,
    parse_credentials_key,
    verify_password,
)
from shared.store.admin import META_ADMIN_PASSWORD_HASH

# 18 random bytes → 24 URL-safe characters, 144 bits: beyond brute force even without the slow-down.
_GENERATED_BYTES = 18


def admin_password_notice(password: str) -> str:
    return (f"Admin password (shown once, stored hashed; set ADMIN_PASSWORD to choose your own): "
            f"{password}")


async def ensure_admin_password(store: Store, settings: Settings) -> str | None:
    """Generate and store (hashed) an admin password when none is configured or stored yet.

    Returns the new plaintext, which is never retrievable again, or None when ADMIN_PASSWORD is set
    or a hash is already stored. When two processes race on a fresh store, only the one whose hash
    ended up stored returns a password.
    """
    if settings.admin_password:
        return None
    if await store.get_meta(META_ADMIN_PASSWORD_HASH):
        return None
    password = secrets.token_urlsafe(_GENERATED_BYTES)
    hashed = await asyncio.to_thread(hash_password, password)
    await store.set_meta(META_ADMIN_PASSWORD_HASH, hashed)
    if await store.get_meta(META_ADMIN_PASSWORD_HASH) != hashed:
        return None  # another process stored its own at the same moment; that one is printed
    return password


async def check_admin_password(store: Store, settings: Settings, candidate: str) -> bool:
    """True when ``candidate`` is the admin password; compared in constant time.

    ADMIN_PASSWORD wins when set (digests are compared, so not even the length leaks); otherwise the
    candidate is verified against the stored scrypt hash (off the event loop: ~50 ms of CPU).
    """
    if not isinstance(candidate, str) or not candidate:
        return False
    if settings.admin_password:
        expected = hashlib.sha256(settings.admin_password.encode()).digest()
        return hmac.compare_digest(hashlib.sha256(candidate.encode()).digest(), expected)
    stored = await store.get_meta(META_ADMIN_PASSWORD_HASH)
    if not stored:
        return False
    return await asyncio.to_thread(verify_password, candidate, stored)


async def open_settings_store(settings: Settings, *, database_url: str | None = None,
                              data_dir: Path | None = None) -> Store:
    """The store the services open for these settings (DATABASE_URL, DATA_DIR, CREDENTIALS_KEY)."""
    key = parse_credentials_key(settings.credentials_key) if settings.credentials_key else None
    return await open_store(
        settings.database_url if database_url is None else database_url,
        data_dir=Path(settings.data_dir) if data_dir is None else data_dir,
        credentials_key=key,
    )


async def prepare_admin_password(settings: Settings, *, database_url: str, data_dir: Path) -> str | None:
    """For `q2api up`: open the store briefly, ensure an admin password, close it.

    Returns the generated plaintext (to print once) or None. A store that cannot be opened is not
    fatal here: the accounts service reports it with its own error when it starts.
    """
    try:
        store = await open_settings_store(settings, database_url=database_url, data_dir=data_dir)
    except StoreError:
        return None
    try:
        return await ensure_admin_password(store, settings)
    finally:
        await store.close()
