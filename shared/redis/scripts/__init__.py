"""Lua scripts; each file's header comment documents KEYS, ARGV and what it returns."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


@cache
def script_source(name: str) -> str:
    return (_HERE / f"{name}.lua").read_text(encoding="utf-8")
