"""Numbered schema migrations, one list for both backends.

Each migration is SQL in the subset SQLite and PostgreSQL share (BOOLEAN, BIGINT, DOUBLE PRECISION and
TEXT mean the same to both here); a migration that needs dialect-specific SQL sets ``postgres`` or
``sqlite`` to override. Applied versions are recorded in ``schema_migrations``. The backends run
:func:`pending` and the statements under a cross-process lock (a PostgreSQL advisory lock, a SQLite
``BEGIN IMMEDIATE`` transaction), so any number of processes may open the store at once.

Never edit a released migration; append a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .errors import SchemaVersionError

Dialect = Literal["sqlite", "postgres"]

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at DOUBLE PRECISION NOT NULL
)"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    postgres: str | None = None
    sqlite: str | None = None

    def statements(self, dialect: Dialect) -> list[str]:
        """The statements to run, in order (statements are separated by ``;``)."""
        text = {"postgres": self.postgres, "sqlite": self.sqlite}[dialect] or self.sql
        return [stmt.strip() for stmt in text.split(";") if stmt.strip()]


_INITIAL = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    label TEXT,
    provider TEXT NOT NULL CHECK (provider IN ('amazonq', 'gemini', 'gemini_api')),
    client_id_sealed TEXT,
    client_secret_sealed TEXT,
    refresh_token_sealed TEXT,
    access_token_sealed TEXT,
    api_key_sealed TEXT,
    access_token_expires_at DOUBLE PRECISION,
    region TEXT,
    profile_arn TEXT,
    project TEXT,
    proxy_url TEXT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'cooling', 'disabled', 'suspended', 'invalid')),
    status_reason TEXT,
    status_at DOUBLE PRECISION,
    max_concurrency INTEGER NOT NULL DEFAULT 4 CHECK (max_concurrency >= 1),
    weight INTEGER NOT NULL DEFAULT 1 CHECK (weight >= 0),
    success_count BIGINT NOT NULL DEFAULT 0,
    error_count BIGINT NOT NULL DEFAULT 0,
    total_error_count BIGINT NOT NULL DEFAULT 0,
    last_used_at DOUBLE PRECISION,
    last_refresh_at DOUBLE PRECISION,
    other TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX accounts_provider_enabled ON accounts (provider, enabled);
CREATE INDEX accounts_created_at ON accounts (created_at);
CREATE INDEX accounts_success_count ON accounts (success_count);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at DOUBLE PRECISION,
    allowed_models TEXT,
    requests_per_minute INTEGER,
    tokens_per_minute BIGINT,
    max_concurrent INTEGER,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at DOUBLE PRECISION,
    version BIGINT NOT NULL DEFAULT 1,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE usage_daily (
    day TEXT NOT NULL,
    key_id TEXT NOT NULL DEFAULT '',
    account_id TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    requests BIGINT NOT NULL DEFAULT 0,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, key_id, account_id, model)
);

CREATE TABLE usage_events_applied (
    event_id TEXT PRIMARY KEY,
    applied_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX usage_events_applied_at ON usage_events_applied (applied_at);

CREATE TABLE admin_sessions (
    token_hash TEXT PRIMARY KEY,
    created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX admin_sessions_expires_at ON admin_sessions (expires_at)
"""

MIGRATIONS: tuple[Migration, ...] = (Migration(1, "initial", _INITIAL),)


def latest_version() -> int:
    return MIGRATIONS[-1].version


def pending(applied: Iterable[int]) -> list[Migration]:
    """The migrations still to apply, given the versions already recorded.

    Raises SchemaVersionError when the database knows versions this code does not: a newer q2api
    migrated it, and running older code against it could corrupt data.
    """
    done = set(applied)
    unknown = sorted(done - {m.version for m in MIGRATIONS})
    if unknown:
        raise SchemaVersionError(
            f"the database schema is at version {max(unknown)}, newer than this q2api understands "
            f"(up to {latest_version()}); upgrade q2api or point DATABASE_URL at another database"
        )
    return [m for m in MIGRATIONS if m.version not in done]
