"""The seeds' account rows (q2api and amq2api), read into our store's fields.

Both seeds send `{label, clientId, clientSecret, refreshToken, accessToken, other, enabled}`; amq2api
adds `type` (amazonq | gemini; we also accept gemini_api). Typed values the seeds kept inside `other`
move to our columns — `profileArn`/`profile_arn`, `project`/`project_id`, `region`, `api_key`/`apiKey`,
`proxy_url`/`proxyUrl` — and the rest of `other` is kept verbatim. Rows exported from a seed's
database may also carry `id`, `created_at` and `expires_at` (UTC), which are kept.

Unknown fields are ignored (like the seeds' FastAPI models); a masked secret (see views.py) counts as
absent, so a seed view posted back never overwrites a real secret.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from services.accounts.api_errors import ApiError
from services.accounts.views import is_mask, parse_seed_time
from shared.store.records import PROVIDERS

# other-key aliases → our column (first alias found wins)
_OTHER_FIELDS: dict[str, tuple[str, ...]] = {
    "profile_arn": ("profileArn", "profile_arn"),
    "project": ("project", "project_id", "projectId"),
    "region": ("region",),
    "api_key": ("api_key", "apiKey"),
    "proxy_url": ("proxy_url", "proxyUrl"),
}
_SECRET_NAMES = {"clientSecret": "client_secret", "refreshToken": "refresh_token",
                 "accessToken": "access_token"}


class SeedAccountIn(msgspec.Struct, kw_only=True):
    """POST /v2/accounts (seeds §1.2 EP-Q-16, §1.5 EP-A-12) and rows of a seed export."""

    label: str | None = None
    clientId: str | None = None
    clientSecret: str | None = None
    refreshToken: str | None = None
    accessToken: str | None = None
    # q2api keeps `other` as JSON text and hands back the text when it is not valid JSON
    other: dict[str, Any] | str | None = None
    enabled: bool | int | None = True
    type: str | None = None
    id: str | None = None
    created_at: str | None = None
    expires_at: str | None = None


class SeedAccountPatch(msgspec.Struct, kw_only=True):
    """PATCH /v2/accounts/{id}: a null (or masked) field means "no change" (seeds §1.2 EP-Q-20)."""

    label: str | None = None
    clientId: str | None = None
    clientSecret: str | None = None
    refreshToken: str | None = None
    accessToken: str | None = None
    other: dict[str, Any] | str | None = None
    enabled: bool | int | None = None


class SeedFeedIn(msgspec.Struct, kw_only=True):
    """POST /v2/accounts/feed (seeds §1.2 EP-Q-17)."""

    accounts: list[SeedAccountIn]


def provider_of(type_: str | None) -> str:
    provider = (type_ or "amazonq").strip().lower()
    if provider not in PROVIDERS:
        raise ApiError(422, "invalid_body", f"type must be one of {', '.join(PROVIDERS)}; got {type_!r}")
    return provider


def split_other(other: dict[str, Any] | str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """(the free-form rest of `other`, our typed fields found in it)."""
    if other is None:
        return {}, {}
    if isinstance(other, str):
        try:
            decoded = orjson.loads(other) if other.strip() else {}
        except orjson.JSONDecodeError:
            decoded = {"note": other}
        other = decoded if isinstance(decoded, dict) else {"note": other}
    rest = dict(other)
    typed: dict[str, str] = {}
    for column, aliases in _OTHER_FIELDS.items():
        for alias in aliases:
            value = rest.get(alias)
            if isinstance(value, str) and value:
                typed.setdefault(column, value)
                del rest[alias]
    return rest, typed


def _secret(value: str | None) -> str | None:
    return None if value is None or value == "" or is_mask(value) else value


def seed_create_fields(row: SeedAccountIn, *, require_client: bool = True) -> tuple[str, dict[str, Any]]:
    """(provider, keyword arguments for `Store.create_account`) for one seed row.

    ``require_client``: Amazon Q rows need clientId and clientSecret (the seeds' 422), as without them
    the account can never refresh.
    """
    provider = provider_of(row.type)
    rest, typed = split_other(row.other)
    fields: dict[str, Any] = {
        "label": row.label or None,
        "client_id": row.clientId or None,
        "client_secret": _secret(row.clientSecret),
        "refresh_token": _secret(row.refreshToken),
        "access_token": _secret(row.accessToken),
        "enabled": bool(row.enabled) if row.enabled is not None else True,
        "other": rest,
        **typed,
    }
    if is_mask(typed.get("api_key")):
        fields["api_key"] = None
    if provider == "amazonq" and require_client and not (fields["client_id"] and fields["client_secret"]):
        raise ApiError(422, "invalid_body", "an Amazon Q account needs clientId and clientSecret")
    if provider == "gemini_api" and not fields.get("api_key"):
        raise ApiError(422, "invalid_body", "a gemini_api account needs other.api_key")
    if row.id:
        fields["account_id"] = row.id
    created = parse_seed_time(row.created_at)
    if created is not None:
        fields["created_at"] = created
    expires = parse_seed_time(row.expires_at)
    if expires is not None and fields["access_token"] is not None:
        fields["access_token_expires_at"] = expires
    return provider, fields


def seed_patch_fields(patch: SeedAccountPatch) -> dict[str, Any]:
    """Keyword arguments for `Store.update_account`: only the fields the seed body set.

    `other` replaces the free-form object (seed semantics); the typed values inside it update their
    columns, and leaving one out keeps it (the seeds lost it — keeping it is kinder).
    """
    changes: dict[str, Any] = {}
    if patch.label is not None:
        changes["label"] = patch.label
    if patch.clientId:
        changes["client_id"] = patch.clientId
    for seed_name, ours in _SECRET_NAMES.items():
        value = _secret(getattr(patch, seed_name))
        if value is not None:
            changes[ours] = value
    if patch.other is not None:
        rest, typed = split_other(patch.other)
        changes["other"] = rest
        for column, value in typed.items():
            if not is_mask(value):
                changes[column] = value
    if patch.enabled is not None:
        changes["enabled"] = bool(patch.enabled)
    return changes
