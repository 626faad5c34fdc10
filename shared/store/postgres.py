"""PostgreSQL backend: an asyncpg pool.

Transactions run at READ COMMITTED; the store's writes are single statements with relative updates
(``x = x + $1``) or ``INSERT … ON CONFLICT``, which are atomic at that level. Migrations run under a
session-level advisory lock so several processes opening one database at once take turns.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from .database import Database, Executor, Row
from .errors import StoreConfigError
from .migrations import CREATE_SCHEMA_MIGRATIONS, pending

T = TypeVar("T")

# Any fixed 64-bit number; advisory locks are scoped to the current database.
_MIGRATION_LOCK_KEY = 0x71_32_61_70_69_5F_6D_67  # "q2api_mg"
_TRANSIENT = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
_ATTEMPTS = 4


def redact_dsn(dsn: str) -> str:
    """The DSN with its password replaced, fit for error messages and logs."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def _rowcount(status: str) -> int:
    # asyncpg returns the command tag: "UPDATE 3", "INSERT 0 1", "DELETE 0"
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresDatabase(Database):
    dialect = "postgres"

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def open(
        cls, dsn: str, *, min_size: int = 1, max_size: int = 10, connect_timeout: float = 10.0
    ) -> PostgresDatabase:
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, timeout=connect_timeout
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StoreConfigError(
                f"cannot connect to PostgreSQL at {redact_dsn(dsn)} (DATABASE_URL): {exc}"
            ) from exc
        return cls(pool)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._pool.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        return await self._pool.fetchrow(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        return _rowcount(await self._pool.execute(sql, *args))

    async def transact(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                async with self._pool.acquire() as conn, conn.transaction():
                    return await work(_PostgresConnection(conn))
            except _TRANSIENT:
                if attempt == _ATTEMPTS:
                    raise
                await asyncio.sleep(random.uniform(0.005, 0.02) * attempt)
        raise AssertionError("unreachable")

    async def migrate(self) -> list[int]:
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
            try:
                await conn.execute(CREATE_SCHEMA_MIGRATIONS)
                applied = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
                todo = pending(applied)
                for migration in todo:
                    async with conn.transaction():
                        for statement in migration.statements("postgres"):
                            await conn.execute(statement)
                        await conn.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                            migration.version, migration.name, time.time(),
                        )
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
        return [m.version for m in todo]

    async def close(self) -> None:
        await self._pool.close()


class _PostgresConnection(Executor):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        return await self._conn.fetchrow(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        return _rowcount(await self._conn.execute(sql, *args))
