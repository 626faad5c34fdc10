"""How accounts look in answers: our view and the seeds' view — neither carries a usable secret.

Our view is the store's `Account` record (presence flags and last four characters of long secrets)
plus the client id, which is an identifier rather than a secret (the seed console shows it).

The seed view keeps the seeds' field names so their consoles and scripts keep working, but each
secret field (`clientSecret`, `refreshToken`, `accessToken`) holds a *mask*: `"••••"` followed by the
secret's last four characters (only for secrets of 16+ characters), or null when absent. A mask is
truthy, so the seed console's "has token" column stays right; and a mask sent back (the seed console
pre-fills its edit fields) is recognised and means "unchanged", so it can never overwrite a secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from shared.store import Account, AccountSecrets

MASK_PREFIX = "••••"
_LAST4_MIN_LENGTH = 16  # the store's rule: shorter secrets show no characters at all


def last4(secret: str | None) -> str | None:
    return secret[-4:] if secret is not None and len(secret) >= _LAST4_MIN_LENGTH else None


def mask(secret: str | None) -> str | None:
    if secret is None:
        return None
    return MASK_PREFIX + (last4(secret) or "")


def is_mask(value: object) -> bool:
    return isinstance(value, str) and value.startswith(MASK_PREFIX)


def account_view(account: Account, secrets: AccountSecrets | None) -> dict[str, Any]:
    """GET /admin/api/accounts/{id} and friends."""
    view = msgspec.structs.asdict(account)
    view["client_id"] = secrets.client_id if secrets else None
    view["client_secret_last4"] = last4(secrets.client_secret) if secrets else None
    view["access_token_last4"] = last4(secrets.access_token) if secrets else None
    return view


def seed_time(epoch: float | None) -> str | None:
    """The seeds' timestamp format: UTC, ``YYYY-MM-DDTHH:MM:SS``, no zone suffix (seeds §3.1)."""
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_seed_time(text: object) -> float | None:
    """A seed timestamp (naive ISO, taken as UTC; a zone suffix is honoured) as epoch seconds."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def seed_refresh_status(account: Account) -> str:
    """The seeds' `last_refresh_status`: never | success | failed."""
    if account.status == "invalid":
        return "failed"
    return "success" if account.last_refresh_at is not None else "never"


def seed_other(account: Account) -> dict[str, Any]:
    """`other` as the seeds kept it: our typed fields go back under the keys they came from."""
    other = dict(account.other)
    for name, value in (("profileArn", account.profile_arn), ("project", account.project),
                        ("region", account.region)):
        if value is not None:
            other[name] = value
    return other


def seed_view(account: Account, secrets: AccountSecrets | None) -> dict[str, Any]:
    """/v2/accounts rows (seeds §3.1 columns, plus `type` from seed A and our status)."""
    return {
        "id": account.id,
        "label": account.label,
        "clientId": secrets.client_id if secrets else None,
        "clientSecret": mask(secrets.client_secret) if secrets else None,
        "refreshToken": mask(secrets.refresh_token) if secrets else None,
        "accessToken": mask(secrets.access_token) if secrets else None,
        "other": seed_other(account),
        "last_refresh_time": seed_time(account.last_refresh_at),
        "last_refresh_status": seed_refresh_status(account),
        "created_at": seed_time(account.created_at),
        "updated_at": seed_time(account.updated_at),
        "enabled": account.enabled,
        "error_count": account.error_count,
        "success_count": account.success_count,
        "expires_at": seed_time(account.access_token_expires_at),
        "type": account.provider,
        "status": account.status,
        "status_reason": account.status_reason,
    }
