"""The store of record: accounts (credentials encrypted), API keys (hashed), usage, admin state.

``open_store`` is the one entry point services use; it picks the backend from DATABASE_URL, applies
migrations (safe from several processes at once) and checks the credentials key.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .api_keys import generate_api_key, hash_api_key
from .base import Clock
from .crypto import CredentialCipher, load_or_create_key_file, parse_credentials_key
from .errors import (
    ConflictError,
    CredentialsKeyError,
    InvalidValueError,
    NotFoundError,
    SchemaVersionError,
    StoreConfigError,
    StoreError,
)
from .interface import Store
from .passwords import hash_password, verify_password
from .postgres import redact_dsn
from .records import (
    Account,
    AccountSecrets,
    AdminSession,
    ApiKey,
    UsageApplyResult,
    UsageEvent,
    UsageRow,
    UsageTotals,
)
from .sql_store import PostgresStore, SqliteStore, SqlStore

__all__ = [
    "DEFAULT_SQLITE_FILE",
    "Account",
    "AccountSecrets",
    "AdminSession",
    "ApiKey",
    "ConflictError",
    "CredentialCipher",
    "CredentialsKeyError",
    "InvalidValueError",
    "NotFoundError",
    "PostgresStore",
    "SchemaVersionError",
    "SqlStore",
    "SqliteStore",
    "Store",
    "StoreConfigError",
    "StoreError",
    "UsageApplyResult",
    "UsageEvent",
    "UsageRow",
    "UsageTotals",
    "generate_api_key",
    "hash_api_key",
    "hash_password",
    "open_store",
    "parse_credentials_key",
    "resolve_database_url",
    "verify_password",
]

DEFAULT_SQLITE_FILE = "q2api.sqlite3"
_ACCEPTED = (
    "postgresql://user:password@host:5432/dbname (or postgres://) for PostgreSQL, "
    "sqlite:///relative/path.sqlite3 or sqlite:////absolute/path.sqlite3 for a SQLite file, "
    f"or leave it empty for <DATA_DIR>/{DEFAULT_SQLITE_FILE}"
)


def resolve_database_url(database_url: str | None, data_dir: Path) -> tuple[str, str]:
    """``("postgres", dsn)`` or ``("sqlite", path)`` for a DATABASE_URL value.

    SQLite URLs follow SQLAlchemy: three slashes and a relative path, four for an absolute one.
    Any other scheme is an error (seed Q silently fell back to SQLite, hiding the typo).
    """
    url = (database_url or "").strip()
    if not url:
        return "sqlite", str(data_dir / DEFAULT_SQLITE_FILE)
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("postgres", "postgresql"):
        return "postgres", url
    if scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) if url.lower().startswith("sqlite:///") else ""
        if not path:
            raise StoreConfigError(f"DATABASE_URL {url!r} names no SQLite file; use {_ACCEPTED}")
        return "sqlite", path
    shown = f"scheme {scheme!r}" if scheme else f"value {redact_dsn(url)!r}"
    raise StoreConfigError(f"DATABASE_URL {shown} is not supported; use {_ACCEPTED}")


async def open_store(
    database_url: str | None,
    *,
    data_dir: Path,
    credentials_key: bytes | None,
    clock: Clock = time.time,
    postgres_pool_size: int = 10,
    sqlite_busy_timeout: float = 10.0,
) -> Store:
    """Open (creating and migrating as needed) the store DATABASE_URL names.

    ``credentials_key`` is the 32-byte AES key (see :func:`parse_credentials_key` for the
    CREDENTIALS_KEY setting); None means the key in ``<data_dir>/credentials.key``, generated on
    first use. Raises StoreConfigError (bad URL, unreachable database), CredentialsKeyError (the key
    is not the one the store was created with) or SchemaVersionError (database from a newer q2api).
    """
    kind, target = resolve_database_url(database_url, data_dir)
    key = credentials_key if credentials_key is not None else load_or_create_key_file(data_dir)
    cipher = CredentialCipher(key)
    if kind == "postgres":
        return await PostgresStore.open(target, cipher=cipher, clock=clock, max_size=postgres_pool_size)
    return await SqliteStore.open(target, cipher=cipher, clock=clock, busy_timeout=sqlite_busy_timeout)
