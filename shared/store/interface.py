"""The store of record, as every service sees it.

One Protocol, implemented by ``SqlStore`` over SQLite or PostgreSQL and checked by one set of
contract tests against both. Services depend on this type, never on a backend. Timestamps are float
epoch seconds; missing records read as None, while updates of a missing record raise NotFoundError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from msgspec import UnsetType

from .records import (
    Account,
    AccountSecrets,
    AccountSort,
    AccountStatus,
    AdminSession,
    ApiKey,
    Provider,
    SortOrder,
    UsageApplyResult,
    UsageDimension,
    UsageEvent,
    UsageRow,
    UsageTotals,
)


@runtime_checkable
class Store(Protocol):
    @property
    def dialect(self) -> str: ...

    async def close(self) -> None: ...

    # -- accounts -------------------------------------------------------------------------------
    async def create_account(
        self,
        provider: Provider,
        *,
        label: str | None = ...,
        client_id: str | None = ...,
        client_secret: str | None = ...,
        refresh_token: str | None = ...,
        access_token: str | None = ...,
        access_token_expires_at: float | None = ...,
        api_key: str | None = ...,
        region: str | None = ...,
        profile_arn: str | None = ...,
        project: str | None = ...,
        proxy_url: str | None = ...,
        enabled: bool = ...,
        max_concurrency: int = ...,
        weight: int = ...,
        other: dict[str, Any] | None = ...,
        account_id: str | None = ...,
        created_at: float | None = ...,
    ) -> Account: ...

    async def get_account(self, account_id: str) -> Account | None: ...

    async def list_accounts(
        self,
        *,
        provider: Provider | None = ...,
        enabled: bool | None = ...,
        status: AccountStatus | None = ...,
        sort: AccountSort = ...,
        order: SortOrder = ...,
        limit: int | None = ...,
        offset: int = ...,
    ) -> list[Account]: ...

    async def update_account(
        self,
        account_id: str,
        *,
        label: str | UnsetType | None = ...,
        region: str | UnsetType | None = ...,
        profile_arn: str | UnsetType | None = ...,
        project: str | UnsetType | None = ...,
        proxy_url: str | UnsetType | None = ...,
        enabled: bool | UnsetType = ...,
        max_concurrency: int | UnsetType = ...,
        weight: int | UnsetType = ...,
        other: dict[str, Any] | UnsetType = ...,
        client_id: str | UnsetType | None = ...,
        client_secret: str | UnsetType | None = ...,
        refresh_token: str | UnsetType | None = ...,
        access_token: str | UnsetType | None = ...,
        access_token_expires_at: float | UnsetType | None = ...,
        api_key: str | UnsetType | None = ...,
    ) -> Account: ...

    async def set_account_status(
        self, account_id: str, status: AccountStatus, reason: str | None = ...
    ) -> Account: ...

    async def update_tokens(
        self, account_id: str, access_token: str, expires_at: float | None, refresh_token: str | None = ...
    ) -> Account: ...

    async def delete_account(self, account_id: str) -> bool: ...

    async def get_account_secrets(self, account_id: str) -> AccountSecrets | None: ...

    async def list_account_secrets(self, account_ids: Sequence[str] | None = ...) -> list[AccountSecrets]: ...

    # -- client API keys ------------------------------------------------------------------------
    async def create_api_key(
        self,
        name: str,
        *,
        enabled: bool = ...,
        expires_at: float | None = ...,
        allowed_models: list[str] | None = ...,
        requests_per_minute: int | None = ...,
        tokens_per_minute: int | None = ...,
        max_concurrent: int | None = ...,
        is_admin: bool = ...,
        plaintext: str | None = ...,
    ) -> tuple[ApiKey, str]: ...

    async def get_api_key(self, key_id: str) -> ApiKey | None: ...

    async def get_api_key_by_plaintext(self, plaintext: str) -> ApiKey | None: ...

    async def list_api_keys(self) -> list[ApiKey]: ...

    async def api_key_hashes(self) -> dict[str, str]: ...

    async def update_api_key(
        self,
        key_id: str,
        *,
        name: str | UnsetType = ...,
        enabled: bool | UnsetType = ...,
        expires_at: float | UnsetType | None = ...,
        allowed_models: list[str] | UnsetType | None = ...,
        requests_per_minute: int | UnsetType | None = ...,
        tokens_per_minute: int | UnsetType | None = ...,
        max_concurrent: int | UnsetType | None = ...,
        is_admin: bool | UnsetType = ...,
    ) -> ApiKey: ...

    async def delete_api_key(self, key_id: str) -> bool: ...

    async def touch_api_key(self, key_id: str, at: float | None = ...) -> None: ...

    # -- usage ----------------------------------------------------------------------------------
    async def record_usage_events(
        self, events: Sequence[UsageEvent], *, disable_after_errors: int | None = ...
    ) -> UsageApplyResult: ...

    async def query_usage(
        self,
        *,
        since: str | None = ...,
        until: str | None = ...,
        group_by: Sequence[UsageDimension] = ...,
        key_id: str | None = ...,
        account_id: str | None = ...,
        model: str | None = ...,
    ) -> list[UsageRow]: ...

    async def usage_totals(
        self,
        *,
        since: str | None = ...,
        until: str | None = ...,
        key_id: str | None = ...,
        account_id: str | None = ...,
        model: str | None = ...,
    ) -> UsageTotals: ...

    async def purge_applied_events(self, before: float) -> int: ...

    # -- admin ----------------------------------------------------------------------------------
    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...

    async def delete_meta(self, key: str) -> bool: ...

    async def generation(self) -> str: ...

    async def create_session(self, *, ttl: float = ...) -> str: ...

    async def validate_session(self, token: str) -> AdminSession | None: ...

    async def revoke_session(self, token: str) -> bool: ...

    async def revoke_all_sessions(self) -> int: ...

    async def purge_sessions(self) -> int: ...
