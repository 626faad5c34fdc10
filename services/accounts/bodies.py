"""Request bodies of our admin API, as msgspec Structs decoded once at the edge of each handler.

Our routes are strict (an unknown field is a 400 naming it, so a typo never passes silently); the
seed-compatible shapes live in `seed_format.py` and are lenient like the seeds' FastAPI models.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from aiohttp import web
from msgspec import UNSET, UnsetType

from services.accounts.api_errors import ApiError, Family
from shared.store.records import Provider

T = TypeVar("T")


class AccountIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/api/accounts: a new account in our field names."""

    provider: Provider = "amazonq"
    label: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    access_token: str | None = None
    access_token_expires_at: float | None = None
    api_key: str | None = None
    region: str | None = None
    profile_arn: str | None = None
    project: str | None = None
    proxy_url: str | None = None
    enabled: bool = True
    max_concurrency: int | None = None
    weight: int | None = None
    other: dict[str, Any] = {}


class AccountRow(AccountIn, forbid_unknown_fields=False):
    """One row of an import (our format, e.g. an export with secrets): may keep its id and age.

    Unknown fields are ignored, so an export's extra columns do not stop its own re-import.
    """

    id: str | None = None
    created_at: float | None = None


class AccountPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """PATCH /admin/api/accounts/{id}: only the given fields change; null clears a nullable one."""

    label: str | UnsetType | None = UNSET
    client_id: str | UnsetType | None = UNSET
    client_secret: str | UnsetType | None = UNSET
    refresh_token: str | UnsetType | None = UNSET
    access_token: str | UnsetType | None = UNSET
    access_token_expires_at: float | UnsetType | None = UNSET
    api_key: str | UnsetType | None = UNSET
    region: str | UnsetType | None = UNSET
    profile_arn: str | UnsetType | None = UNSET
    project: str | UnsetType | None = UNSET
    proxy_url: str | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET
    max_concurrency: int | UnsetType = UNSET
    weight: int | UnsetType = UNSET
    other: dict[str, Any] | UnsetType = UNSET


class ExportRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/api/accounts/export: secrets only with the admin password, checked again."""

    include_secrets: bool = False
    password: str | None = None
    ids: list[str] | None = None


class ApiKeyIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """POST /admin/api/keys. ``key`` imports an existing plaintext (e.g. an OPENAI_KEYS entry)."""

    name: str
    enabled: bool = True
    expires_at: float | None = None
    allowed_models: list[str] | None = None
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    max_concurrent: int | None = None
    is_admin: bool = False
    key: str | None = None


class ApiKeyPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET
    expires_at: float | UnsetType | None = UNSET
    allowed_models: list[str] | UnsetType | None = UNSET
    requests_per_minute: int | UnsetType | None = UNSET
    tokens_per_minute: int | UnsetType | None = UNSET
    max_concurrent: int | UnsetType | None = UNSET
    is_admin: bool | UnsetType = UNSET


class LoginIn(msgspec.Struct, kw_only=True):
    password: str


def given(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually carried."""
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not UNSET}


async def read_body(request: web.Request, kind: type[T], family: Family, *, empty: T | None = None) -> T:
    """Decode the request body as ``kind``; a malformed body is the client's 400 (seeds: 422).

    ``empty`` is what an empty body means (None: a body is required).
    """
    raw = await request.read()
    if not raw.strip():
        if empty is not None:
            return empty
        raise _body_error(family, "a JSON body is required")
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as exc:
        raise _body_error(family, f"invalid body: {exc}") from None
    except msgspec.DecodeError:
        raise _body_error(family, "the body is not valid JSON") from None


def _body_error(family: Family, message: str) -> ApiError:
    # FastAPI answered body validation errors with 422; keep that for the seed routes
    return ApiError(422 if family == "seed" else 400, "invalid_body", message)
