"""The thin SQL layer the store's queries run on, implemented once per backend.

Queries are written once, with PostgreSQL's ``$1`` placeholders, in SQL both engines accept; a
backend only knows how to run a statement, how to run a unit of work as one transaction, and how to
migrate under its cross-process lock. Rows are read by column name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from .migrations import Dialect

T = TypeVar("T")


class Row(Protocol):
    """``sqlite3.Row`` or ``asyncpg.Record``: index by column name or position."""

    def __getitem__(self, key: str | int, /) -> Any: ...



class Executor(ABC):
    """Runs single statements; inside ``Database.transact`` all of them share one transaction."""

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns the number of rows it changed."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]


class Database(Executor):
    """A connection pool (PostgreSQL) or a connection on its own thread (SQLite)."""

    dialect: Dialect

    @abstractmethod
    async def transact(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        """Run ``work`` in one write transaction: committed if it returns, rolled back if it raises.

        ``work`` may be called again when the backend reports a transient conflict (deadlock), so it
        must not have side effects outside the database.
        """

    @abstractmethod
    async def migrate(self) -> list[int]:
        """Apply pending migrations under a cross-process lock; returns the versions this call applied."""

    @abstractmethod
    async def close(self) -> None: ...
