"""Migrations: applied once, recorded, safe when many processes open one database at once."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time
from pathlib import Path

import pytest
from store_support import Opener, RawFetch, Target

from shared.store import SchemaVersionError, Store
from shared.store.migrations import MIGRATIONS

REPO = Path(__file__).resolve().parents[2]

# Each child opens the store at the same instant (a shared start time), with no configured key, so
# the key file, the migrations and the meta rows are all raced.
CHILD = textwrap.dedent("""
    import asyncio, sys, time
    from pathlib import Path
    from shared.store import open_store

    async def main() -> None:
        url, data_dir, start = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
        time.sleep(max(0.0, start - time.time()))
        store = await open_store(url, data_dir=data_dir, credentials_key=None)
        try:
            print(await store.generation())
        finally:
            await store.close()

    asyncio.run(main())
""")
OPENERS = 6


async def test_many_processes_opening_a_new_database_at_once_migrate_it_once(
    target: Target, raw_fetch: RawFetch
) -> None:
    start = time.time() + 1.5  # enough for every child to import and wait at the line
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", CHILD, target.database_url, str(target.data_dir), str(start),
            cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(OPENERS)
    ]
    outputs = [await child.communicate() for child in children]

    for child, (_, stderr) in zip(children, outputs, strict=True):
        assert child.returncode == 0, stderr.decode()
    generations = {stdout.decode().strip() for stdout, _ in outputs}
    assert len(generations) == 1
    applied = await raw_fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [row[0] for row in applied] == [m.version for m in MIGRATIONS]


async def test_many_stores_opening_in_one_process_at_once_agree(target: Target, open_target: Opener) -> None:
    stores = await asyncio.gather(*(open_target() for _ in range(5)))
    assert len({await s.generation() for s in stores}) == 1


async def test_reopening_applies_nothing_and_keeps_data(store: Store, open_target: Opener, raw_fetch: RawFetch) -> None:
    account = await store.create_account("amazonq", label="kept")

    again = await open_target()

    assert await again.get_account(account.id) == account
    assert len(await raw_fetch("SELECT * FROM schema_migrations")) == len(MIGRATIONS)


async def test_a_database_from_a_newer_q2api_is_refused(store: Store, open_target: Opener, target: Target) -> None:
    newer = MIGRATIONS[-1].version + 1
    await _execute(target, "INSERT INTO schema_migrations (version, name, applied_at) "
                           f"VALUES ({newer}, 'from the future', 0)")

    with pytest.raises(SchemaVersionError, match=f"schema is at version {newer}, newer than this q2api"):
        await open_target()


async def _execute(target: Target, sql: str) -> None:
    if target.backend == "sqlite":
        import sqlite3
        from contextlib import closing

        with closing(sqlite3.connect(target.database_url.removeprefix("sqlite:///"))) as conn:
            conn.execute(sql)
            conn.commit()
        return
    import asyncpg

    conn = await asyncpg.connect(target.database_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()
