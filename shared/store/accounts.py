"""Accounts: CRUD, status, token updates and secrets (counters from requests live in usage.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from msgspec import UNSET, UnsetType

from .base import (
    StoreCore,
    as_time,
    check_bool,
    check_choice,
    check_int,
    check_text,
    check_time,
    decode_json,
    encode_json,
    in_list,
)
from .database import Row
from .errors import ConflictError, InvalidValueError, NotFoundError
from .records import (
    ACCOUNT_STATUSES,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_WEIGHT,
    PROVIDERS,
    Account,
    AccountSecrets,
    AccountSort,
    AccountStatus,
    Provider,
    SortOrder,
)

_COLUMNS = """id, label, provider, region, profile_arn, project, proxy_url, enabled, status, status_reason,
    status_at, max_concurrency, weight, success_count, error_count, total_error_count, last_used_at,
    last_refresh_at, access_token_expires_at, client_id_sealed, client_secret_sealed,
    refresh_token_sealed, access_token_sealed, api_key_sealed, other, version, created_at, updated_at"""


class AccountQueries(StoreCore):
    async def create_account(
        self,
        provider: Provider,
        *,
        label: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        refresh_token: str | None = None,
        access_token: str | None = None,
        access_token_expires_at: float | None = None,
        api_key: str | None = None,
        region: str | None = None,
        profile_arn: str | None = None,
        project: str | None = None,
        proxy_url: str | None = None,
        enabled: bool = True,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        weight: int = DEFAULT_WEIGHT,
        other: dict[str, Any] | None = None,
        account_id: str | None = None,
        created_at: float | None = None,
    ) -> Account:
        """Add an account. ``account_id``/``created_at`` let an import keep the seed's values.

        Raises ConflictError if ``account_id`` is taken, InvalidValueError on a bad value.
        """
        check_choice("provider", provider, PROVIDERS)
        for name, value in (("label", label), ("region", region), ("profile_arn", profile_arn),
                            ("project", project), ("proxy_url", proxy_url), ("account_id", account_id)):
            check_text(name, value)
        secrets = dict(client_id=client_id, client_secret=client_secret, refresh_token=refresh_token,
                       access_token=access_token, api_key=api_key)
        for name, value in secrets.items():
            check_text(name, value)
        check_bool("enabled", enabled)
        check_int("max_concurrency", max_concurrency, minimum=1)
        check_int("weight", weight, minimum=0)
        other_json = encode_json("other", _check_other(other if other is not None else {}))
        expires = check_time("access_token_expires_at", access_token_expires_at)
        now = self._clock()
        created = now if created_at is None else check_time("created_at", created_at)
        new_id = account_id or str(uuid.uuid4())
        sealed = [self._seal(new_id, name, value) for name, value in secrets.items()]
        row = await self._db.fetchrow(
            f"""INSERT INTO accounts (id, label, provider, region, profile_arn, project, proxy_url, enabled,
                max_concurrency, weight, access_token_expires_at, other, created_at, updated_at,
                client_id_sealed, client_secret_sealed, refresh_token_sealed, access_token_sealed,
                api_key_sealed)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
            ON CONFLICT (id) DO NOTHING
            RETURNING {_COLUMNS}""",
            new_id, label, provider, region, profile_arn, project, proxy_url, enabled,
            max_concurrency, weight, expires, other_json, created, now, *sealed,
        )
        if row is None:
            raise ConflictError(f"an account with id {new_id!r} already exists")
        return self._account(row)

    async def get_account(self, account_id: str) -> Account | None:
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM accounts WHERE id = $1", account_id)
        return None if row is None else self._account(row)

    async def list_accounts(
        self,
        *,
        provider: Provider | None = None,
        enabled: bool | None = None,
        status: AccountStatus | None = None,
        sort: AccountSort = "created_at",
        order: SortOrder = "asc",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Account]:
        """Accounts matching every given filter, sorted (ties broken by id, so paging is stable)."""
        check_choice("sort", sort, ("created_at", "success_count", "id"))
        check_choice("order", order, ("asc", "desc"))
        where: list[str] = []
        args: list[Any] = []
        if provider is not None:
            check_choice("provider", provider, PROVIDERS)
            args.append(provider)
            where.append(f"provider = ${len(args)}")
        if enabled is not None:
            check_bool("enabled", enabled)
            args.append(enabled)
            where.append(f"enabled = ${len(args)}")
        if status is not None:
            check_choice("status", status, ACCOUNT_STATUSES)
            args.append(status)
            where.append(f"status = ${len(args)}")
        sql = f"SELECT {_COLUMNS} FROM accounts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        direction = "DESC" if order == "desc" else "ASC"
        sql += f" ORDER BY {sort} {direction}" + ("" if sort == "id" else f", id {direction}")
        check_int("offset", offset, minimum=0)
        check_int("limit", limit, minimum=0, nullable=True)
        if limit is not None:
            args.append(limit)
            sql += f" LIMIT ${len(args)}"
        if offset:
            if limit is None:
                sql += " LIMIT -1" if self._db.dialect == "sqlite" else " LIMIT ALL"
            args.append(offset)
            sql += f" OFFSET ${len(args)}"
        return [self._account(row) for row in await self._db.fetch(sql, *args)]

    async def update_account(
        self,
        account_id: str,
        *,
        label: str | UnsetType | None = UNSET,
        region: str | UnsetType | None = UNSET,
        profile_arn: str | UnsetType | None = UNSET,
        project: str | UnsetType | None = UNSET,
        proxy_url: str | UnsetType | None = UNSET,
        enabled: bool | UnsetType = UNSET,
        max_concurrency: int | UnsetType = UNSET,
        weight: int | UnsetType = UNSET,
        other: dict[str, Any] | UnsetType = UNSET,
        client_id: str | UnsetType | None = UNSET,
        client_secret: str | UnsetType | None = UNSET,
        refresh_token: str | UnsetType | None = UNSET,
        access_token: str | UnsetType | None = UNSET,
        access_token_expires_at: float | UnsetType | None = UNSET,
        api_key: str | UnsetType | None = UNSET,
    ) -> Account:
        """Change only the given fields (an explicit None clears a nullable one) in one statement.

        Turning ``enabled`` back on also clears the consecutive-error count, so a re-enabled account
        is not disabled again by its next single failure (seed bug §10.2.4). Raises NotFoundError.
        """
        sets: list[str] = []
        args: list[Any] = [account_id]

        def put(column: str, value: Any) -> None:
            args.append(value)
            sets.append(f"{column} = ${len(args)}")

        for name, value in (("label", label), ("region", region), ("profile_arn", profile_arn),
                            ("project", project), ("proxy_url", proxy_url)):
            if value is not UNSET:
                check_text(name, value)
                put(name, value)
        if enabled is not UNSET:
            check_bool("enabled", enabled)
            put("enabled", enabled)
            if enabled:
                sets.append("error_count = CASE WHEN enabled THEN error_count ELSE 0 END")
        if max_concurrency is not UNSET:
            check_int("max_concurrency", max_concurrency, minimum=1)
            put("max_concurrency", max_concurrency)
        if weight is not UNSET:
            check_int("weight", weight, minimum=0)
            put("weight", weight)
        if other is not UNSET:
            put("other", encode_json("other", _check_other(other)))
        if access_token_expires_at is not UNSET:
            put("access_token_expires_at", check_time("access_token_expires_at", access_token_expires_at))
        for name, value in (("client_id", client_id), ("client_secret", client_secret),
                            ("refresh_token", refresh_token), ("access_token", access_token),
                            ("api_key", api_key)):
            if value is not UNSET:
                check_text(name, value)
                put(f"{name}_sealed", self._seal(account_id, name, value))
        if not sets:
            return await self._existing(account_id)
        return await self._update(account_id, sets, args)

    async def set_account_status(
        self, account_id: str, status: AccountStatus, reason: str | None = None
    ) -> Account:
        """Record the system's verdict on an account (suspended, invalid grant, cooling, …).

        Setting ``active`` clears the consecutive-error count: re-activation starts afresh.
        """
        check_choice("status", status, ACCOUNT_STATUSES)
        check_text("reason", reason)
        args: list[Any] = [account_id, status, reason, self._clock()]
        sets = ["status = $2", "status_reason = $3", "status_at = $4"]
        if status == "active":
            sets.append("error_count = 0")
        return await self._update(account_id, sets, args)

    async def update_tokens(
        self,
        account_id: str,
        access_token: str,
        expires_at: float | None,
        refresh_token: str | None = None,
    ) -> Account:
        """Store a refreshed access token (and a rotated refresh token, when given) in one write.

        A single UPDATE, so a concurrent reader never sees a new access token paired with a
        refresh token that has already been rotated away. Raises NotFoundError.
        """
        check_text("access_token", access_token, nullable=False)
        check_text("refresh_token", refresh_token)
        now = self._clock()
        args: list[Any] = [account_id, self._seal(account_id, "access_token", access_token),
                           check_time("expires_at", expires_at), now]
        sets = ["access_token_sealed = $2", "access_token_expires_at = $3", "last_refresh_at = $4"]
        if refresh_token is not None:
            args.append(self._seal(account_id, "refresh_token", refresh_token))
            sets.append("refresh_token_sealed = $5")
        return await self._update(account_id, sets, args)

    async def delete_account(self, account_id: str) -> bool:
        """True if the account existed. Its usage rows stay: they are history."""
        return await self._db.execute("DELETE FROM accounts WHERE id = $1", account_id) > 0

    async def get_account_secrets(self, account_id: str) -> AccountSecrets | None:
        """Decrypted credentials; raises CredentialsKeyError if the key is not the one used to write."""
        row = await self._db.fetchrow(f"SELECT {_COLUMNS} FROM accounts WHERE id = $1", account_id)
        return None if row is None else self._secrets(row)

    async def list_account_secrets(self, account_ids: Sequence[str] | None = None) -> list[AccountSecrets]:
        """Decrypted credentials of the given accounts (all when None), for rebuilding Redis."""
        if account_ids is None:
            rows = await self._db.fetch(f"SELECT {_COLUMNS} FROM accounts ORDER BY id")
        elif not account_ids:
            return []
        else:
            rows = await self._db.fetch(
                f"SELECT {_COLUMNS} FROM accounts WHERE id IN {in_list(account_ids, 1)} ORDER BY id",
                *account_ids,
            )
        return [self._secrets(row) for row in rows]

    # -- helpers --------------------------------------------------------------------------------

    async def _update(self, account_id: str, sets: list[str], args: list[Any]) -> Account:
        args.append(self._clock())
        sets += ["version = version + 1", f"updated_at = ${len(args)}"]
        row = await self._db.fetchrow(
            f"UPDATE accounts SET {', '.join(sets)} WHERE id = $1 RETURNING {_COLUMNS}", *args
        )
        if row is None:
            raise NotFoundError(f"no account with id {account_id!r}")
        return self._account(row)

    async def _existing(self, account_id: str) -> Account:
        account = await self.get_account(account_id)
        if account is None:
            raise NotFoundError(f"no account with id {account_id!r}")
        return account

    def _seal(self, account_id: str, field: str, value: str | None) -> str | None:
        if value is None:
            return None
        return self._cipher.encrypt(value, context=f"account:{account_id}:{field}")

    def _open(self, row: Row, field: str) -> str | None:
        sealed = row[f"{field}_sealed"]
        if sealed is None:
            return None
        return self._cipher.decrypt(sealed, context=f"account:{row['id']}:{field}")

    def _secrets(self, row: Row) -> AccountSecrets:
        return AccountSecrets(
            account_id=row["id"],
            client_id=self._open(row, "client_id"),
            client_secret=self._open(row, "client_secret"),
            refresh_token=self._open(row, "refresh_token"),
            access_token=self._open(row, "access_token"),
            access_token_expires_at=as_time(row["access_token_expires_at"]),
            api_key=self._open(row, "api_key"),
        )

    def _account(self, row: Row) -> Account:
        refresh_token = self._open(row, "refresh_token")
        api_key = self._open(row, "api_key")
        return Account(
            id=row["id"],
            label=row["label"],
            provider=row["provider"],
            region=row["region"],
            profile_arn=row["profile_arn"],
            project=row["project"],
            proxy_url=row["proxy_url"],
            enabled=bool(row["enabled"]),
            status=row["status"],
            status_reason=row["status_reason"],
            status_at=as_time(row["status_at"]),
            max_concurrency=row["max_concurrency"],
            weight=row["weight"],
            success_count=row["success_count"],
            error_count=row["error_count"],
            total_error_count=row["total_error_count"],
            last_used_at=as_time(row["last_used_at"]),
            last_refresh_at=as_time(row["last_refresh_at"]),
            access_token_expires_at=as_time(row["access_token_expires_at"]),
            has_client_id=row["client_id_sealed"] is not None,
            has_client_secret=row["client_secret_sealed"] is not None,
            has_refresh_token=refresh_token is not None,
            has_access_token=row["access_token_sealed"] is not None,
            has_api_key=api_key is not None,
            refresh_token_last4=_last4(refresh_token),
            api_key_last4=_last4(api_key),
            other=decode_json(row["other"]),
            version=row["version"],
            created_at=as_time(row["created_at"]),
            updated_at=as_time(row["updated_at"]),
        )


def _check_other(other: object) -> dict[str, Any]:
    if not isinstance(other, dict):
        raise InvalidValueError(f"other must be a JSON object; got {type(other).__name__}")
    return other


def _last4(secret: str | None) -> str | None:
    # Only for secrets long enough that four characters reveal nothing useful.
    return secret[-4:] if secret is not None and len(secret) >= 16 else None
