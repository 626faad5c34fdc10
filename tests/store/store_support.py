"""Helpers the store tests import (conftest.py holds the fixtures)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.store import Store

# open another store on the test's database: opener(key=..., clock=...)
Opener = Callable[..., Awaitable[Store]]
# run SQL straight on the test's database
RawFetch = Callable[[str], Awaitable[list[tuple[Any, ...]]]]


class FakeClock:
    """A clock the test moves by hand; the store reads time only through it."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Target:
    """Where a test's store lives: the DATABASE_URL plus the data dir (key file, SQLite file)."""

    backend: str
    database_url: str
    data_dir: Path
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
