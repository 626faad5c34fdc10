"""Client API keys: only a SHA-256 of each key is stored; the plaintext is shown once, at creation.

A fast hash is the right tool here: generated keys carry 256 bits of randomness, so nothing is gained
from a slow hash, and edge can hash every request's key cheaply.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from msgspec import UNSET, UnsetType

from .base import StoreCore, as_time, check_bool, check_int, check_text, check_time, decode_json, encode_json
from .database import Row
from .errors import ConflictError, InvalidValueError, NotFoundError
from .records import ApiKey

KEY_PREFIX = "sk-q2a-"
_VISIBLE_RANDOM_CHARS = 4  # `sk-q2a-AbCd`: enough to tell keys apart in a list

_COLUMNS = """id, name, prefix, key_hash, enabled, expires_at, allowed_models, requests_per_minute,
    tokens_per_minute, max_concurrent, is_admin, last_used_at, version, created_at, updated_at"""


def hash_api_key(plaintext: str) -> str:
    """The stored form of a key (hex SHA-256); edge computes the same to look a key up in Redis."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def generate_api_key() -> str:
    """``sk-q2a-`` and 43 URL-safe characters (32 random bytes)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyQueries(StoreCore):
    async def create_api_key(
        self,
        name: str,
        *,
        enabled: bool = True,
        expires_at: float | None = None,
        allowed_models: list[str] | None = None,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        max_concurrent: int | None = None,
        is_admin: bool = False,
        plaintext: str | None = None,
    ) -> tuple[ApiKey, str]:
        """Create a key; returns the record and the plaintext, which is never retrievable again.

        ``plaintext`` imports an existing key (e.g. a seed's OPENAI_KEYS entry) instead of generating
        one, so its clients keep working; only its first characters are kept visible.
        """
        check_text("name", name, nullable=False)
        values = _checked(enabled=enabled, expires_at=expires_at, allowed_models=allowed_models,
                          requests_per_minute=requests_per_minute, tokens_per_minute=tokens_per_minute,
                          max_concurrent=max_concurrent, is_admin=is_admin)
        if plaintext is None:
            plaintext = generate_api_key()
            prefix = plaintext[: len(KEY_PREFIX) + _VISIBLE_RANDOM_CHARS]
        else:
            if not isinstance(plaintext, str) or not plaintext or plaintext != plaintext.strip():
                raise InvalidValueError("an imported API key must be a non-empty string without surrounding spaces")
            prefix = plaintext[: min(len(KEY_PREFIX) + _VISIBLE_RANDOM_CHARS, len(plaintext) // 3)]
        now = self._clock()
        row = await self._db.fetchrow(
            f"""INSERT INTO api_keys (id, name, prefix, key_hash, enabled, expires_at, allowed_models,
                requests_per_minute, tokens_per_minute, max_concurrent, is_admin, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
            ON CONFLICT (key_hash) DO NOTHING
            RETURNING {_COLUMNS}""",
            str(uuid.uuid4()), name, prefix, hash_api_key(plaintext), values["enabled"],
            values["expires_at"], values["allowed_models"], values["requests_per_minute"],
            values["tokens_per_minute"], values["max_concurrent"], values["is_admin"], now,
        )
        if row is None:
            raise ConflictError("this API key already exists")
        return _api_key(row), plaintext

    async def get_api_key(self, key_id: str) -> ApiKey | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1", key_id)
        return None if row is None else _api_key(row)

    async def get_api_key_by_plaintext(self, plaintext: str) -> ApiKey | None:
        """The key a client presented, or None. Expiry and ``enabled`` are for the caller to judge."""
        digest = hash_api_key(plaintext)
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = $1", digest)
        if row is None or not hmac.compare_digest(row["key_hash"], digest):
            return None
        return _api_key(row)

    async def list_api_keys(self) -> list[ApiKey]:
        rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, id")
        return [_api_key(row) for row in rows]

    async def api_key_hashes(self) -> dict[str, str]:
        """``{key id: key hash}`` for filling edge's key cache in Redis (kept out of ApiKey on purpose)."""
        rows = await self._db.fetch("SELECT id, key_hash FROM api_keys")
        return {row["id"]: row["key_hash"] for row in rows}

    async def update_api_key(
        self,
        key_id: str,
        *,
        name: str | UnsetType = UNSET,
        enabled: bool | UnsetType = UNSET,
        expires_at: float | UnsetType | None = UNSET,
        allowed_models: list[str] | UnsetType | None = UNSET,
        requests_per_minute: int | UnsetType | None = UNSET,
        tokens_per_minute: int | UnsetType | None = UNSET,
        max_concurrent: int | UnsetType | None = UNSET,
        is_admin: bool | UnsetType = UNSET,
    ) -> ApiKey:
        """Change only the given fields (None clears a limit or expiry). Raises NotFoundError."""
        given = {k: v for k, v in dict(
            enabled=enabled, expires_at=expires_at, allowed_models=allowed_models,
            requests_per_minute=requests_per_minute, tokens_per_minute=tokens_per_minute,
            max_concurrent=max_concurrent, is_admin=is_admin).items() if v is not UNSET}
        changes = _checked(**given)
        if name is not UNSET:
            check_text("name", name, nullable=False)
            changes["name"] = name
        if not changes:
            found = await self.get_api_key(key_id)
            if found is None:
                raise NotFoundError(f"no API key with id {key_id!r}")
            return found
        args: list[Any] = [key_id, *changes.values(), self._clock()]
        sets = [f"{column} = ${i}" for i, column in enumerate(changes, start=2)]
        sets += ["version = version + 1", f"updated_at = ${len(args)}"]
        row = await self._db.fetchrow(
            f"UPDATE api_keys SET {', '.join(sets)} WHERE id = $1 RETURNING {_COLUMNS}", *args
        )
        if row is None:
            raise NotFoundError(f"no API key with id {key_id!r}")
        return _api_key(row)

    async def delete_api_key(self, key_id: str) -> bool:
        return await self._db.execute("DELETE FROM api_keys WHERE id = $1", key_id) > 0

    async def touch_api_key(self, key_id: str, at: float | None = None) -> None:
        """Record use; never moves ``last_used_at`` backwards (events may arrive out of order)."""
        when = self._clock() if at is None else check_time("at", at)
        await self._db.execute(
            """UPDATE api_keys SET last_used_at = CASE
                   WHEN last_used_at IS NULL OR last_used_at < $2 THEN $2 ELSE last_used_at END
               WHERE id = $1""",
            key_id, when,
        )


def _checked(**values: Any) -> dict[str, Any]:
    """Validate the given settable fields and convert them to column values."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in ("enabled", "is_admin"):
            check_bool(name, value)
            out[name] = value
        elif name == "expires_at":
            out[name] = check_time(name, value)
        elif name == "allowed_models":
            if value is not None and (
                not isinstance(value, list) or not all(isinstance(m, str) and m for m in value)
            ):
                raise InvalidValueError("allowed_models must be a list of model names or null")
            out[name] = None if value is None else encode_json(name, value)
        else:  # the limits: positive or null (unlimited)
            check_int(name, value, minimum=1, nullable=True)
            out[name] = value
    return out


def _api_key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        enabled=bool(row["enabled"]),
        expires_at=as_time(row["expires_at"]),
        allowed_models=decode_json(row["allowed_models"]),
        requests_per_minute=row["requests_per_minute"],
        tokens_per_minute=row["tokens_per_minute"],
        max_concurrent=row["max_concurrent"],
        is_admin=bool(row["is_admin"]),
        last_used_at=as_time(row["last_used_at"]),
        version=row["version"],
        created_at=as_time(row["created_at"]),
        updated_at=as_time(row["updated_at"]),
    )
