"""What every part of the SQL store shares: the database, the cipher, the clock, input checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from .crypto import CredentialCipher
from .database import Database
from .errors import InvalidValueError

Clock = Callable[[], float]


class StoreCore:
    """State shared by the query mixins; ``SqlStore`` combines them."""

    def __init__(self, db: Database, cipher: CredentialCipher, clock: Clock) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgres"``."""
        return self._db.dialect


def check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InvalidValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def check_int(name: str, value: object, *, minimum: int, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValueError(f"{name} must be an integer ≥ {minimum}{' or null' if nullable else ''}; got {value!r}")


def check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidValueError(f"{name} must be true or false; got {value!r}")


def check_text(name: str, value: object, *, nullable: bool = True) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        raise InvalidValueError(f"{name} must be a string{' or null' if nullable else ''}; got {type(value).__name__}")


def check_time(name: str, value: object, *, nullable: bool = True) -> float | None:
    """Epoch seconds as float (ints are accepted and widened)."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValueError(f"{name} must be epoch seconds; got {value!r}")
    return float(value)


def as_time(value: Any) -> float | None:
    """A timestamp column as float: SQLite's RETURNING can hand back a whole REAL as an int."""
    return None if value is None else float(value)


def encode_json(name: str, value: Any) -> str:
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError) as exc:
        raise InvalidValueError(f"{name} is not JSON-serialisable: {exc}") from None


def decode_json(text: str | None) -> Any:
    return None if text is None else msgspec.json.decode(text)


def in_list(values: Sequence[Any], first: int) -> str:
    """``($first, $first+1, …)`` for an ``IN`` list; both dialects accept it."""
    return "(" + ", ".join(f"${i}" for i in range(first, first + len(values))) + ")"
