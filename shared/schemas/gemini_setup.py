"""Code Assist account setup and quota: ``loadCodeAssist``, ``onboardUser``, ``retrieveUserQuota``.

Facts from /work/shared/protocols/gemini-code-assist.md §2 and §7.1 (examples C4, C5). The trap (§11.2):
``cloudaicompanionProject`` is a plain **string** in loadCodeAssist but an **object** ``{id, name}`` in the
onboardUser operation's ``response``; AMQ accepts either in both places, so both decode everywhere and
``project_id`` reads whichever came.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .gemini_generate import Credit

__all__ = [
    "ClientMetadata",
    "IneligibleTier",
    "LoadCodeAssistRequest",
    "LoadCodeAssistResponse",
    "OnboardUserOperation",
    "OnboardUserRequest",
    "OnboardUserResult",
    "PrivacyNotice",
    "ProjectRef",
    "QuotaBucket",
    "RetrieveUserQuotaRequest",
    "RetrieveUserQuotaResponse",
    "UserTier",
]


class _G(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class ProjectRef(_G):
    id: str | None = None
    name: str | None = None


def _project_id(value: str | ProjectRef | None) -> str | None:
    if isinstance(value, ProjectRef):
        return value.id or None
    return value or None


class ClientMetadata(_G):
    """The setup path sends only ``ideType``/``platform``/``pluginType`` (+ ``duetProject``), e.g.
    ``IDE_UNSPECIFIED`` / ``PLATFORM_UNSPECIFIED`` / ``GEMINI`` (§2.1)."""

    ide_type: str | None = None
    ide_version: str | None = None
    plugin_version: str | None = None
    platform: str | None = None
    update_channel: str | None = None
    duet_project: str | None = None
    plugin_type: str | None = None
    ide_name: str | None = None


class LoadCodeAssistRequest(_G, kw_only=True):
    cloudaicompanion_project: str | None = None
    metadata: ClientMetadata
    mode: str | None = None


class PrivacyNotice(_G):
    show_notice: bool | None = None
    notice_text: str | None = None


class UserTier(_G):
    """``free-tier``, ``legacy-tier``, ``standard-tier`` and more; ``userDefinedCloudaicompanionProject: true``
    means the caller must bring its own GCP project (§2.2)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    user_defined_cloudaicompanion_project: bool | None = None
    is_default: bool | None = None
    privacy_notice: PrivacyNotice | None = None
    has_accepted_tos: bool | None = None
    has_onboarded_previously: bool | None = None
    available_credits: list[Credit] | None = None


class IneligibleTier(_G):
    """``reasonCode: VALIDATION_REQUIRED`` with ``validationUrl`` means the user must verify first (§2.3)."""

    reason_code: str | None = None
    reason_message: str | None = None
    tier_id: str | None = None
    tier_name: str | None = None
    validation_error_message: str | None = None
    validation_url: str | None = None
    validation_url_link_text: str | None = None
    validation_learn_more_url: str | None = None
    validation_learn_more_link_text: str | None = None


class LoadCodeAssistResponse(_G):
    """``currentTier`` present ⇔ already onboarded; then ``cloudaicompanionProject`` is the project to use."""

    current_tier: UserTier | None = None
    allowed_tiers: list[UserTier] | None = None
    ineligible_tiers: list[IneligibleTier] | None = None
    cloudaicompanion_project: str | ProjectRef | None = None
    paid_tier: UserTier | None = None
    manage_subscription_uri: str | None = None

    @property
    def project_id(self) -> str | None:
        return _project_id(self.cloudaicompanion_project)

    def default_tier(self) -> UserTier | None:
        """The allowed tier marked ``isDefault`` — what the CLI onboards to (§2.3 step 4)."""
        return next((tier for tier in self.allowed_tiers or () if tier.is_default), None)


class OnboardUserRequest(_G, kw_only=True):
    """Free tier: **omit** the project, sending one fails with Precondition Failed (§2.3, §11.2)."""

    tier_id: str
    cloudaicompanion_project: str | None = None
    metadata: ClientMetadata


class OnboardUserResult(_G):
    cloudaicompanion_project: ProjectRef | str | None = None

    @property
    def project_id(self) -> str | None:
        return _project_id(self.cloudaicompanion_project)


class OnboardUserOperation(_G):
    """A google.longrunning Operation: ``{"name", "done": false}`` then ``{"done": true, "response": …}``.

    ``done`` is ``bool | None`` so the simulator can write an explicit ``false``; absent means not done.
    """

    name: str | None = None
    done: bool | None = None
    response: OnboardUserResult | None = None
    error: dict[str, Any] | None = None


class RetrieveUserQuotaRequest(_G, kw_only=True):
    project: str
    user_agent: str | None = None


class QuotaBucket(_G):
    """``remainingAmount`` is an int64 *string*; ``resetTime`` RFC 3339 (§7.1)."""

    model_id: str | None = None
    token_type: str | None = None
    remaining_fraction: float | None = None
    remaining_amount: str | None = None
    reset_time: str | None = None


class RetrieveUserQuotaResponse(_G):
    buckets: list[QuotaBucket] = msgspec.field(default_factory=list)
