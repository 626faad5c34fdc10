"""Amazon Q management calls: ``ListAvailableModels`` and ``GetUsageLimits`` (amazonq.md §7).

Both are ``AmazonCodeWhispererService.<Op>`` over awsJson1_0 with the same bearer token. Responses are
decoded leniently (every member optional but the model id) because these are upstream payloads we only
read; timestamps are awsJson epoch seconds, but a REST (Kiro) variant may send strings, so both decode.
Usage amounts are ``float``: the service models some as long and others as double ("…WithPrecision").
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "FreeTrialInfo",
    "GetUsageLimitsRequest",
    "GetUsageLimitsResponse",
    "ListAvailableModelsRequest",
    "ListAvailableModelsResponse",
    "ModelInfo",
    "OverageConfiguration",
    "SubscriptionInfo",
    "TokenLimits",
    "UsageBreakdown",
    "UsageLimit",
    "UserInfo",
]

Timestamp = float | str


class _Q(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    pass


# -- ListAvailableModels ---------------------------------------------------------------------------------


class ListAvailableModelsRequest(_Q):
    """QCLI sends ``origin: "CLI"`` plus ``profileArn`` when it has one, and paginates with ``nextToken``."""

    origin: str | None = None
    max_results: int | None = None
    next_token: str | None = None
    profile_arn: str | None = None
    model_provider: str | None = None


class TokenLimits(_Q):
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None


class ModelInfo(_Q):
    """A ``Model`` entry; ``tokenLimits.maxInputTokens`` is the real context window (§2.8)."""

    model_id: str
    model_name: str | None = None
    description: str | None = None
    rate_multiplier: float | None = None
    rate_unit: str | None = None
    token_limits: TokenLimits | None = None
    supported_input_types: list[str] | None = None
    supports_prompt_cache: bool | None = None


class ListAvailableModelsResponse(_Q):
    models: list[ModelInfo] = msgspec.field(default_factory=list)
    default_model: ModelInfo | None = None
    next_token: str | None = None


# -- GetUsageLimits ----------------------------------------------------------------------------------------


class GetUsageLimitsRequest(_Q):
    profile_arn: str | None = None
    origin: str | None = None
    resource_type: str | None = None
    is_email_required: bool | None = None


class UsageLimit(_Q):
    type: str | None = None
    current_usage: float | None = None
    total_usage_limit: float | None = None
    percent_used: float | None = None


class FreeTrialInfo(_Q):
    free_trial_status: str | None = None
    free_trial_expiry: Timestamp | None = None
    current_usage: float | None = None
    current_usage_with_precision: float | None = None
    usage_limit: float | None = None
    usage_limit_with_precision: float | None = None


class UsageBreakdown(_Q):
    """Remaining credits = (usageLimitWithPrecision − currentUsageWithPrecision) + active free-trial
    remainder, as Kiro bridges compute it (§7)."""

    resource_type: str | None = None
    display_name: str | None = None
    display_name_plural: str | None = None
    current_usage: float | None = None
    current_usage_with_precision: float | None = None
    current_overages: float | None = None
    current_overages_with_precision: float | None = None
    usage_limit: float | None = None
    usage_limit_with_precision: float | None = None
    unit: str | None = None
    overage_charges: float | None = None
    currency: str | None = None
    overage_rate: float | None = None
    next_date_reset: Timestamp | None = None
    overage_cap: float | None = None
    overage_cap_with_precision: float | None = None
    free_trial_info: FreeTrialInfo | None = None


class SubscriptionInfo(_Q):
    type: str | None = None
    subscription_title: str | None = None
    upgrade_capability: str | None = None
    overage_capability: str | None = None
    subscription_management_target: str | None = None


class OverageConfiguration(_Q):
    overage_status: str | None = None


class UserInfo(_Q):
    user_id: str | None = None
    email: str | None = None


class GetUsageLimitsResponse(_Q):
    limits: list[UsageLimit] | None = None
    next_date_reset: Timestamp | None = None
    days_until_reset: int | None = None
    usage_breakdown: dict[str, Any] | None = None
    usage_breakdown_list: list[UsageBreakdown] | None = None
    subscription_info: SubscriptionInfo | None = None
    overage_configuration: OverageConfiguration | None = None
    user_info: UserInfo | None = None
