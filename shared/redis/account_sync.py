"""The store's view of an account, as the Redis pool serves it.

accounts calls `sync_account` on start, on every change and after Redis lost its state; the refresher
calls it after writing a new access token to the store (store first, then Redis). Refresh tokens and
client secrets never reach Redis — only the access token the translator needs.
"""

from __future__ import annotations

from shared.redis.pool import AccountPool
from shared.store.records import Account

POOL_STATUSES = ("active", "cooling")


def pool_score(account: Account, *, order_by: str = "created_at", descending: bool = False) -> float:
    """The account's place in its provider's pool (the lazy pool serves the first ones)."""
    if order_by == "success_count":
        value = float(account.success_count)
    elif order_by == "id":
        value = float(int(account.id.replace("-", "")[:12], 16)) if account.id else 0.0
    else:
        value = account.created_at
    return -value if descending else value


def serving_fields(account: Account, access_token: str | None, default_max_concurrency: int = 8) -> dict[str, str]:
    expires = account.access_token_expires_at
    return {
        "provider": account.provider,
        "label": account.label or "",
        "enabled": "1" if account.enabled else "0",
        "status": account.status,
        "status_reason": account.status_reason or "",
        "token": access_token or "",
        # 0: expiry unknown — used until the upstream rejects it (then refreshed on demand).
        "token_exp": "0" if expires is None else repr(float(expires)),
        "region": account.region or "",
        "profile_arn": account.profile_arn or "",
        "project": account.project or "",
        "proxy_url": account.proxy_url or "",
        "max_conc": str(account.max_concurrency or default_max_concurrency),
        "weight": str(account.weight),
    }


async def sync_account(pool: AccountPool, account: Account, access_token: str | None, *,
                       order_by: str = "created_at", descending: bool = False,
                       default_max_concurrency: int = 8) -> bool:
    return await pool.sync_account(
        account.id,
        version=account.version,
        score=pool_score(account, order_by=order_by, descending=descending),
        in_pool=account.enabled and account.status in POOL_STATUSES,
        fields=serving_fields(account, access_token, default_max_concurrency),
    )
