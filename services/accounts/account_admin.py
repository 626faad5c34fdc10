"""What the admin API does to accounts: each change is written to the store, then mirrored to Redis at
once, so edge serves (or stops serving) the account on its next request.

Both route families (ours and the seeds') go through here, so they behave the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.accounts.pool_mirror import PoolMirror
from shared.store import Account, AccountSecrets, NotFoundError, Store


class AccountAdmin:
    def __init__(self, store: Store, mirror: PoolMirror) -> None:
        self.store = store
        self.mirror = mirror

    async def get(self, account_id: str) -> Account:
        account = await self.store.get_account(account_id)
        if account is None:
            raise NotFoundError(f"no account with id {account_id!r}")
        return account

    async def secrets_of(self, accounts: Sequence[Account]) -> dict[str, AccountSecrets]:
        if not accounts:
            return {}
        return {s.account_id: s for s in await self.store.list_account_secrets([a.id for a in accounts])}

    async def create(self, provider: str, fields: dict[str, Any]) -> Account:
        fields = {k: v for k, v in fields.items() if v is not None}  # None: the store's default
        account = await self.store.create_account(provider, **fields)  # type: ignore[arg-type]
        await self.mirror.push(account.id)
        return account

    async def update(self, account_id: str, changes: dict[str, Any]) -> Account:
        """Apply the changes; switching an account on also re-activates it (see `enable`)."""
        account = await self.store.update_account(account_id, **changes)
        enabling = changes.get("enabled") is True
        if enabling:
            account = await self.store.set_account_status(account_id, "active")
        await self.mirror.push(account_id, reset_streaks=enabling)
        return account

    async def enable(self, account_id: str) -> Account:
        """Back into service: enabled, status active, consecutive errors forgotten (store and Redis),
        so the next single failure does not disable it again (seed bug §10.2.4)."""
        return await self.update(account_id, {"enabled": True})

    async def disable(self, account_id: str) -> Account:
        return await self.update(account_id, {"enabled": False})

    async def delete(self, account_id: str) -> bool:
        deleted = await self.store.delete_account(account_id)
        await self.mirror.remove(account_id)
        return deleted
