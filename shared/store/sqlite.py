"""SQLite backend: stdlib ``sqlite3`` on one dedicated thread per store.

One connection, owned by a single-thread executor, so the event loop never blocks on disk and the
connection is never shared between threads. An asyncio lock gives a transaction exclusive use of the
connection across its awaits. Every write transaction starts with ``BEGIN IMMEDIATE``, taking the
database's write lock up front: under WAL, a deferred transaction that reads and then writes can fail
with SQLITE_BUSY without waiting, while BEGIN IMMEDIATE waits (up to busy_timeout) for other processes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import sqlite3
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from .database import Database, Executor, Row
from .errors import StoreConfigError
from .migrations import CREATE_SCHEMA_MIGRATIONS, pending

log = logging.getLogger(__name__)
T = TypeVar("T")

# RETURNING arrived in 3.35 (2021); every query here relies on it.
_MIN_SQLITE = (3, 35, 0)
_PLACEHOLDER = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=512)
def _to_sqlite(sql: str) -> str:
    """``$1`` → ``?1``: SQLite's numbered parameters bind the same positional arguments."""
    return _PLACEHOLDER.sub(r"?\1", sql)


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="q2api-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str, *, busy_timeout: float = 10.0) -> SqliteDatabase:
        if sqlite3.sqlite_version_info < _MIN_SQLITE:
            raise StoreConfigError(
                f"SQLite {sqlite3.sqlite_version} is too old; q2api needs 3.35 or newer "
                "(or set DATABASE_URL to a PostgreSQL database)"
            )
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        db = cls(path, busy_timeout=busy_timeout)
        try:
            await db._run(db._connect)
        except sqlite3.Error as exc:
            db._thread.shutdown(wait=False)
            raise StoreConfigError(f"cannot open the SQLite database {path}: {exc}") from exc
        return db

    # -- on the worker thread -------------------------------------------------------------------

    def _connect(self) -> None:
        conn = sqlite3.connect(self._path, timeout=self._busy_timeout, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            self._enable_wal(conn)
            # under WAL, NORMAL survives a process crash; only a power cut can lose the last commits
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _enable_wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL (a persistent property of the file; a no-op once done).

        Several processes opening a new file at once race to switch it, and SQLite answers the
        losers SQLITE_BUSY at once, without consulting the busy handler — so retry here, up to the
        busy timeout.
        """
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
                time.sleep(random.uniform(0.005, 0.025))
        if mode.lower() != "wal" and self._path != ":memory:":
            log.warning("SQLite kept journal mode %r for %s; concurrent readers will wait on writers",
                        mode, self._path)

    def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Row]:
        assert self._conn is not None
        return self._conn.execute(_to_sqlite(sql), args).fetchall()

    def _execute(self, sql: str, args: tuple[Any, ...]) -> int:
        assert self._conn is not None
        return self._conn.execute(_to_sqlite(sql), args).rowcount

    def _begin(self) -> None:
        assert self._conn is not None
        if self._conn.in_transaction:  # cannot happen unless a job was lost; never build on it
            log.warning("rolling back a transaction left open on %s", self._path)
            self._conn.rollback()
        self._conn.execute("BEGIN IMMEDIATE")

    def _finish(self, commit: bool) -> None:
        assert self._conn is not None
        if self._conn.in_transaction:
            self._conn.execute("COMMIT" if commit else "ROLLBACK")

    def _migrate(self) -> list[int]:
        assert self._conn is not None
        conn = self._conn
        # check and apply in one write transaction, so concurrent openers take turns
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(CREATE_SCHEMA_MIGRATIONS)
            applied = [row[0] for row in conn.execute("SELECT version FROM schema_migrations")]
            todo = pending(applied)
            for migration in todo:
                for statement in migration.statements("sqlite"):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time.time()),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return [m.version for m in todo]

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- on the event loop ----------------------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        # Shielded: a cancelled caller must not drop a queued COMMIT or ROLLBACK. Jobs run in
        # submission order on the one thread, so a rollback queued after a cancelled statement
        # still runs after it.
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(self._thread, functools.partial(fn, *args)))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        async with self._lock:
            return await self._run(self._fetch, sql, args)

    async def execute(self, sql: str, *args: Any) -> int:
        async with self._lock:
            return await self._run(self._execute, sql, args)

    async def transact(self, work: Callable[[Executor], Awaitable[T]]) -> T:
        async with self._lock:
            await self._run(self._begin)
            try:
                result = await work(_SqliteTransaction(self))
            except BaseException:
                await self._run(self._finish, False)
                raise
            await self._run(self._finish, True)
            return result

    async def migrate(self) -> list[int]:
        async with self._lock:
            return await self._run(self._migrate)

    async def close(self) -> None:
        async with self._lock:
            await self._run(self._close)
        self._thread.shutdown(wait=True)


class _SqliteTransaction(Executor):
    """Statements of a transaction: the database lock is already held by ``transact``."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self._db._run(self._db._fetch, sql, args)

    async def execute(self, sql: str, *args: Any) -> int:
        return await self._db._run(self._db._execute, sql, args)
