"""The records the store hands out.

Public records are frozen ``msgspec.Struct``s: cheap to build, typed, and directly encodable by the
admin API (``msgspec.json.encode(account)``). None of them carries a secret.

Decrypted credentials come only in :class:`AccountSecrets`, a plain slotted class that msgspec and
orjson both refuse to encode and whose ``repr`` is masked — so a secret cannot reach a JSON response
or a log line by accident; a caller must read the attributes on purpose.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

Provider = Literal["amazonq", "gemini", "gemini_api"]
PROVIDERS: tuple[Provider, ...] = ("amazonq", "gemini", "gemini_api")

# `enabled` is the operator's switch; `status` is the system's view of the account's health.
# An account serves only when enabled and active (or cooling and its cooldown has passed).
AccountStatus = Literal["active", "cooling", "disabled", "suspended", "invalid"]
ACCOUNT_STATUSES: tuple[AccountStatus, ...] = ("active", "cooling", "disabled", "suspended", "invalid")

AccountSort = Literal["created_at", "success_count", "id"]
SortOrder = Literal["asc", "desc"]

# What a finished request means for the account that served it (see UsageEvent.outcome).
Outcome = Literal["success", "error", "client_error", "cancelled"]
OUTCOMES: tuple[Outcome, ...] = ("success", "error", "client_error", "cancelled")

UsageDimension = Literal["day", "key", "account", "model"]
USAGE_DIMENSIONS: tuple[UsageDimension, ...] = ("day", "key", "account", "model")

# Seeds had no cap at all; 4 in-flight streams per account lets an agent's parallel calls share one
# account while a burst still spreads across the pool. Operators tune it per account.
DEFAULT_MAX_CONCURRENCY = 4
DEFAULT_WEIGHT = 1
DEFAULT_SESSION_TTL = 30 * 24 * 3600.0


class Account(msgspec.Struct, frozen=True, kw_only=True):
    """The public view of an upstream account: everything but the credentials themselves.

    ``has_*`` and ``*_last4`` tell an operator which credentials are present and let them tell two
    accounts apart, without exposing a usable secret.
    """

    id: str
    label: str | None
    provider: Provider
    region: str | None
    profile_arn: str | None
    project: str | None
    proxy_url: str | None
    enabled: bool
    status: AccountStatus
    status_reason: str | None
    status_at: float | None
    max_concurrency: int
    weight: int
    success_count: int
    # Consecutive errors, reset by a success or by re-activation (seed Q semantics, §3.4).
    error_count: int
    total_error_count: int
    last_used_at: float | None
    last_refresh_at: float | None
    access_token_expires_at: float | None
    has_client_id: bool
    has_client_secret: bool
    has_refresh_token: bool
    has_access_token: bool
    has_api_key: bool
    refresh_token_last4: str | None
    api_key_last4: str | None
    # The seeds' free-form object (notes, source, quota info); kept verbatim.
    other: dict[str, Any]
    # Incremented by every change Redis mirrors (not by request counters, which flow Redis → store).
    version: int
    created_at: float
    updated_at: float


class AccountSecrets:
    """Decrypted credentials of one account, fetched explicitly with ``get_account_secrets``.

    Deliberately not a Struct or dataclass: JSON encoders reject it and ``repr`` hides the values.
    """

    __slots__ = (
        "access_token",
        "access_token_expires_at",
        "account_id",
        "api_key",
        "client_id",
        "client_secret",
        "refresh_token",
    )

    def __init__(
        self,
        *,
        account_id: str,
        client_id: str | None,
        client_secret: str | None,
        refresh_token: str | None,
        access_token: str | None,
        access_token_expires_at: float | None,
        api_key: str | None,
    ) -> None:
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.access_token_expires_at = access_token_expires_at
        self.api_key = api_key

    _SECRET_NAMES = ("client_id", "client_secret", "refresh_token", "access_token", "api_key")

    def __repr__(self) -> str:
        present = [name for name in self._SECRET_NAMES if getattr(self, name) is not None]
        return f"AccountSecrets(account_id={self.account_id!r}, present={present!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AccountSecrets):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """A client API key as stored: its hash never leaves the store, its plaintext is never stored.

    Expiry and ``enabled`` are data here; edge decides what they mean for a request.
    """

    id: str
    name: str
    prefix: str
    enabled: bool
    expires_at: float | None
    allowed_models: list[str] | None  # None: every model
    requests_per_minute: int | None  # None: unlimited
    tokens_per_minute: int | None
    max_concurrent: int | None
    is_admin: bool  # may pin an account with X-Account-ID
    last_used_at: float | None
    version: int
    created_at: float
    updated_at: float


class UsageEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One finished request, as the translator reports it on the Redis event stream.

    ``outcome``:
      * ``success`` – counts a success and resets the account's consecutive errors;
      * ``error`` – an account-side failure: consecutive and total error counters go up;
      * ``client_error`` – the client's fault (bad request): counted as an error in usage, not
        against the account;
      * ``cancelled`` – the client went away: usage only, never an account error (seed bug §10.2.2).
    """

    event_id: str  # the Redis stream entry id; the idempotency key
    at: float  # epoch seconds when the request finished; its UTC date is the usage day
    account_id: str | None
    key_id: str | None
    model: str
    outcome: Outcome
    input_tokens: int = 0
    output_tokens: int = 0


class UsageApplyResult(msgspec.Struct, frozen=True, kw_only=True):
    applied: int  # events counted now
    duplicates: int  # events already counted earlier (redelivered) and skipped
    disabled_account_ids: list[str]  # accounts this batch pushed over the error threshold


class UsageRow(msgspec.Struct, frozen=True, kw_only=True):
    """One group of usage; a dimension not grouped by is None."""

    day: str | None = None
    key_id: str | None = None
    account_id: str | None = None
    model: str | None = None
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    errors: int = 0


class UsageTotals(msgspec.Struct, frozen=True, kw_only=True):
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    errors: int = 0


class AdminSession(msgspec.Struct, frozen=True, kw_only=True):
    """A valid admin console session (the token itself is only ever in the cookie)."""

    created_at: float
    expires_at: float
