"""The store over either SQL backend: the query mixins combined, plus opening and closing."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

from .accounts import AccountQueries
from .admin import AdminQueries
from .api_keys import ApiKeyQueries
from .base import Clock
from .crypto import CredentialCipher
from .database import Database
from .postgres import PostgresDatabase
from .sqlite import SqliteDatabase
from .usage import UsageQueries


class SqlStore(AccountQueries, ApiKeyQueries, UsageQueries, AdminQueries):
    """Implements :class:`shared.store.interface.Store`; the queries are shared by both backends."""

    @classmethod
    async def _open_on(cls, db: Database, cipher: CredentialCipher, clock: Clock) -> Self:
        store = cls(db, cipher, clock)
        try:
            await db.migrate()
            await store._init_meta()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class SqliteStore(SqlStore):
    """The default store: one SQLite file (WAL), usable by several processes at once."""

    @classmethod
    async def open(
        cls, path: str, *, cipher: CredentialCipher, clock: Clock = time.time, busy_timeout: float = 10.0
    ) -> SqliteStore:
        db = await SqliteDatabase.open(path, busy_timeout=busy_timeout)
        return await cls._open_on(db, cipher, clock)


class PostgresStore(SqlStore):
    """The store on PostgreSQL, for replicated deployments."""

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        cipher: CredentialCipher,
        clock: Clock = time.time,
        min_size: int = 1,
        max_size: int = 10,
    ) -> PostgresStore:
        db = await PostgresDatabase.open(dsn, min_size=min_size, max_size=max_size)
        return await cls._open_on(db, cipher, clock)
