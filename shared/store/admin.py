"""Admin state: a small key-value table and console sessions.

Session tokens are random 256-bit values, so (like API keys) a SHA-256 of the token is what is stored;
a leaked database does not yield a usable session.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from .base import StoreCore, check_text, check_time
from .errors import InvalidValueError
from .records import DEFAULT_SESSION_TTL, AdminSession

META_ADMIN_PASSWORD_HASH = "admin_password_hash"
META_STORE_GENERATION = "store_generation"
META_CREDENTIALS_KEY_CHECK = "credentials_key_check"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AdminQueries(StoreCore):
    async def get_meta(self, key: str) -> str | None:
        return await self._db.fetchval("SELECT value FROM meta WHERE key = $1", key)

    async def set_meta(self, key: str, value: str) -> None:
        check_text("key", key, nullable=False)
        check_text("value", value, nullable=False)
        await self._db.execute(
            """INSERT INTO meta (key, value, updated_at) VALUES ($1, $2, $3)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at""",
            key, value, self._clock(),
        )

    async def delete_meta(self, key: str) -> bool:
        return await self._db.execute("DELETE FROM meta WHERE key = $1", key) > 0

    async def generation(self) -> str:
        """A random id fixed when the store was created.

        Redis keeps the generation it was built from; a different one (a restored or swapped
        database) tells the accounts service to rebuild Redis from the store.
        """
        value = await self.get_meta(META_STORE_GENERATION)
        assert value is not None, "set when the store is opened"
        return value

    async def _init_meta(self) -> None:
        """Write the generation and the key check once; every later opener verifies the key check."""
        now = self._clock()
        for key, value in ((META_STORE_GENERATION, str(uuid.uuid4())),
                           (META_CREDENTIALS_KEY_CHECK, self._cipher.key_check())):
            await self._db.execute(
                "INSERT INTO meta (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
                key, value, now,
            )
        check = await self.get_meta(META_CREDENTIALS_KEY_CHECK)
        assert check is not None
        self._cipher.verify_key_check(check)

    async def create_session(self, *, ttl: float = DEFAULT_SESSION_TTL) -> str:
        """Start an admin session; returns its token (to put in a cookie), stored only as a hash."""
        ttl = check_time("ttl", ttl, nullable=False)  # type: ignore[assignment]
        if ttl <= 0:
            raise InvalidValueError(f"a session's ttl must be positive; got {ttl}")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        await self._db.execute(
            "INSERT INTO admin_sessions (token_hash, created_at, expires_at) VALUES ($1, $2, $3)",
            _token_hash(token), now, now + ttl,
        )
        return token

    async def validate_session(self, token: str) -> AdminSession | None:
        """The session if the token is known, not revoked and not expired; otherwise None."""
        row = await self._db.fetchrow(
            """SELECT created_at, expires_at FROM admin_sessions
               WHERE token_hash = $1 AND NOT revoked AND expires_at > $2""",
            _token_hash(token), self._clock(),
        )
        return None if row is None else AdminSession(created_at=float(row["created_at"]), expires_at=float(row["expires_at"]))

    async def revoke_session(self, token: str) -> bool:
        """Log a session out; True if it was live."""
        return await self._db.execute(
            "UPDATE admin_sessions SET revoked = TRUE WHERE token_hash = $1 AND NOT revoked",
            _token_hash(token),
        ) > 0

    async def revoke_all_sessions(self) -> int:
        """Log every session out (e.g. after the admin password changes)."""
        return await self._db.execute("UPDATE admin_sessions SET revoked = TRUE WHERE NOT revoked")

    async def purge_sessions(self) -> int:
        """Delete expired and revoked sessions; returns how many."""
        return await self._db.execute(
            "DELETE FROM admin_sessions WHERE revoked OR expires_at <= $1", self._clock()
        )
