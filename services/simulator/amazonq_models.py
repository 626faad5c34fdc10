"""The simulated service's model catalogue and the management answers (amazonq.md §2.9, §7)."""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QModel:
    model_id: str
    name: str
    description: str
    rate_multiplier: float
    max_input_tokens: int = 200_000  # §2.8: 200k context per model
    max_output_tokens: int = 64_000

    def as_json(self) -> dict[str, Any]:
        # Keys as in the CW model's Model shape (§7).
        return {
            "modelId": self.model_id,
            "modelName": self.name,
            "description": self.description,
            "rateMultiplier": self.rate_multiplier,
            "rateUnit": "credit",
            "tokenLimits": {"maxInputTokens": self.max_input_tokens, "maxOutputTokens": self.max_output_tokens},
            "supportedInputTypes": ["TEXT", "IMAGE"],
            "supportsPromptCache": True,
        }


MODELS: tuple[QModel, ...] = (
    QModel("claude-sonnet-4.5", "Claude Sonnet 4.5", "The latest Claude Sonnet model", 1.3),
    QModel("claude-sonnet-4", "Claude Sonnet 4", "Hybrid reasoning and coding for regular use", 1.3),
    QModel("claude-haiku-4.5", "Claude Haiku 4.5", "The latest Claude Haiku model", 0.4),
    QModel("claude-opus-4.5", "Claude Opus 4.5", "The Claude Opus 4.5 model", 2.2, max_output_tokens=32_000),
    QModel("claude-sonnet-4.6", "Claude Sonnet 4.6", "The Claude Sonnet 4.6 model", 1.3),
    QModel("claude-opus-4.6", "Claude Opus 4.6", "The Claude Opus 4.6 model", 2.2, max_output_tokens=32_000),
    QModel("claude-3.7-sonnet", "Claude 3.7 Sonnet", "Claude 3.7 Sonnet (legacy)", 1.0),
)
MODEL_IDS = frozenset(m.model_id for m in MODELS)
DEFAULT_MODEL = MODELS[0]
CONTEXT_WINDOW_TOKENS = 200_000
# The upper-case internal spelling of some of these ids is accepted too (§2.9 [A]); never listed.
INTERNAL_MODEL_IDS = frozenset({
    "CLAUDE_SONNET_4_20250514_V1_0",
    "CLAUDE_3_7_SONNET_20250219_V1_0",
    "CLAUDE_SONNET_4_5_20250929_V1_0",
})
AUTO_MODEL_ID = "auto"
# Q2A: Amazon Q doesn't accept `auto` on the CLI path; Kiro-side clients (AI_EDITOR) use it (§2.9).
AUTO_REJECTING_ORIGINS = frozenset({"CLI", "KIRO_CLI"})
# Shown as the monthly limit when the user's limit is not enforced.
UNENFORCED_LIMIT = 1_000_000


def model_is_valid(model_id: str, origin: str | None) -> bool:
    if model_id in MODEL_IDS or model_id in INTERNAL_MODEL_IDS:
        return True
    return model_id == AUTO_MODEL_ID and origin not in AUTO_REJECTING_ORIGINS


def list_available_models(max_results: int | None, next_token: str | None) -> dict[str, Any] | None:
    """The ListAvailableModels output, paginated; None for a next token this service did not issue."""
    start = 0
    if next_token:
        if not next_token.isdigit() or int(next_token) >= len(MODELS):
            return None
        start = int(next_token)
    end = len(MODELS) if not max_results or max_results <= 0 else min(len(MODELS), start + max_results)
    answer: dict[str, Any] = {
        "models": [m.as_json() for m in MODELS[start:end]],
        "defaultModel": DEFAULT_MODEL.as_json(),
    }
    if end < len(MODELS):
        answer["nextToken"] = str(end)
    return answer


def usage_limits(
    *,
    user_id: str,
    email: str,
    requests_used: int,
    credits_used: float,
    monthly_limit: int | None,
    include_email: bool,
    now: float,
) -> dict[str, Any]:
    """The GetUsageLimits output (§7 shape) for one simulated user."""
    limit = monthly_limit if monthly_limit is not None else UNENFORCED_LIMIT
    year, month = time.gmtime(now)[:2]
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    reset_at = calendar.timegm((next_year, next_month, 1, 0, 0, 0))
    days_until_reset = max(0, int((reset_at - now) // 86400))
    answer: dict[str, Any] = {
        "limits": [{
            "type": "AGENTIC_REQUEST",
            "currentUsage": requests_used,
            "totalUsageLimit": limit,
            "percentUsed": round(100.0 * requests_used / limit, 4) if limit else 100.0,
        }],
        "nextDateReset": reset_at,
        "daysUntilReset": days_until_reset,
        "usageBreakdownList": [{
            "resourceType": "CREDIT",
            "displayName": "Credit",
            "displayNamePlural": "Credits",
            "currentUsage": int(credits_used),
            "currentUsageWithPrecision": round(credits_used, 6),
            "currentOverages": 0,
            "currentOveragesWithPrecision": 0.0,
            "usageLimit": limit,
            "usageLimitWithPrecision": float(limit),
            "unit": "INVOCATIONS",
            "overageCharges": 0.0,
            "currency": "USD",
            "overageRate": 0.04,
            "nextDateReset": reset_at,
            "overageCap": 0,
            "overageCapWithPrecision": 0.0,
        }],
        "subscriptionInfo": {
            "type": "Q_DEVELOPER_STANDALONE_FREE",
            "subscriptionTitle": "Amazon Q Developer Free",
            "upgradeCapability": "UPGRADE_CAPABLE",
            "overageCapability": "OVERAGE_INCAPABLE",
            "subscriptionManagementTarget": "PURCHASE",
        },
        "overageConfiguration": {"overageStatus": "DISABLED"},
    }
    if include_email:
        answer["userInfo"] = {"userId": user_id, "email": email}
    return answer
