"""Errors the store raises: typed values whose message can be shown to an operator as is."""

from __future__ import annotations


class StoreError(Exception):
    """Base class; ``str(error)`` is a complete, user-facing sentence."""


class StoreConfigError(StoreError):
    """The store cannot be opened as configured (bad DATABASE_URL, bad key, unreachable database)."""


class CredentialsKeyError(StoreError):
    """Account credentials cannot be decrypted with the configured key.

    Raised instead of returning garbage: AES-GCM authenticates every value, so a different key is
    always detected.
    """

    def __init__(self, detail: str | None = None) -> None:
        message = (
            "cannot decrypt account credentials: the credentials key differs from the one they were "
            "written with"
        )
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)


class SchemaVersionError(StoreError):
    """The database was migrated by a newer q2api than this one."""


class NotFoundError(StoreError, LookupError):
    """The record addressed by id does not exist."""


class ConflictError(StoreError):
    """A record with the same unique id or key already exists."""


class InvalidValueError(StoreError, ValueError):
    """A value handed to the store is out of its domain (unknown provider, negative weight, …)."""
