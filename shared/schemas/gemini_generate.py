"""Code Assist generation: the ``v1internal`` envelopes around Vertex ``GenerateContent``, and countTokens.

Facts from /work/shared/protocols/gemini-code-assist.md §3.3–§3.7 and the examples file (Appendix C).

* Request envelope ``{model, project, user_prompt_id?, request: {…, session_id?}}`` — note the two
  snake_case members (``user_prompt_id`` at the top, ``session_id`` inside ``request``) amid camelCase.
* Every SSE event and the unary body is ``{"response": GenerateContentResponse, "traceId": …}``; the public
  Gemini API returns the bare ``GenerateContentResponse``. Forgetting to unwrap yields "no candidates"
  (§11.1). A mid-stream failure arrives as an event carrying ``error`` instead of ``response`` (§6.4), so
  the envelope decodes both.
* Usage is complete only on the last chunk; earlier ones may carry only ``{trafficType}`` (§3.4).
"""

from __future__ import annotations

from typing import Any

import msgspec

from .gemini_content import Content, GenerationConfig, SafetySetting, Tool, ToolConfig
from .gemini_errors import GeminiError

__all__ = [
    "Candidate",
    "CodeAssistRequest",
    "CodeAssistResponse",
    "CountTokensBody",
    "CountTokensRequest",
    "CountTokensResponse",
    "Credit",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "ModalityTokenCount",
    "PromptFeedback",
    "SafetyRating",
    "UsageMetadata",
]


class _G(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class GenerateContentRequest(_G, kw_only=True):
    """The Vertex request *without* ``model`` (the envelope carries it)."""

    contents: list[Content]
    system_instruction: Content | None = None
    cached_content: str | None = None
    tools: list[Tool] | None = None
    tool_config: ToolConfig | None = None
    labels: dict[str, str] | None = None
    safety_settings: list[SafetySetting] | None = None
    generation_config: GenerationConfig | None = None
    session_id: str | None = msgspec.field(default=None, name="session_id")


class CodeAssistRequest(_G, kw_only=True):
    """Body of ``:streamGenerateContent?alt=sse`` and ``:generateContent``. ``model`` is a bare id (no
    ``models/`` prefix); ``project`` is the ``cloudaicompanionProject`` from setup (§2)."""

    model: str
    project: str | None = None
    user_prompt_id: str | None = msgspec.field(default=None, name="user_prompt_id")
    request: GenerateContentRequest
    enabled_credit_types: list[str] | None = msgspec.field(default=None, name="enabled_credit_types")


# -- response ------------------------------------------------------------------------------------------------


class SafetyRating(_G):
    category: str | None = None
    probability: str | None = None
    probability_score: float | None = None
    severity: str | None = None
    severity_score: float | None = None
    blocked: bool | None = None


class Candidate(_G):
    """``finishReason`` only on a candidate's last chunk, and ``STOP`` even after function calls (§11.3);
    ``index`` is usually absent (§3.4)."""

    content: Content | None = None
    finish_reason: str | None = None
    finish_message: str | None = None
    index: int | None = None
    safety_ratings: list[SafetyRating] | None = None
    citation_metadata: dict[str, Any] | None = None
    grounding_metadata: dict[str, Any] | None = None
    avg_logprobs: float | None = None
    logprobs_result: dict[str, Any] | None = None


class ModalityTokenCount(_G):
    modality: str | None = None
    token_count: int | None = None


class UsageMetadata(_G):
    """``promptTokenCount`` includes ``cachedContentTokenCount``; ``candidatesTokenCount`` excludes
    ``thoughtsTokenCount``; total = prompt + candidates + thoughts (+ toolUsePrompt) (§3.4, §11.6)."""

    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    thoughts_token_count: int | None = None
    cached_content_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    traffic_type: str | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    cache_tokens_details: list[ModalityTokenCount] | None = None


class PromptFeedback(_G):
    """Replaces ``candidates`` when the prompt itself was blocked."""

    block_reason: str | None = None
    block_reason_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None


class GenerateContentResponse(_G):
    """One chunk (or the unary body) of the Vertex / public Gemini API response."""

    candidates: list[Candidate] = msgspec.field(default_factory=list)
    prompt_feedback: PromptFeedback | None = None
    usage_metadata: UsageMetadata | None = None
    model_version: str | None = None
    create_time: str | None = None
    response_id: str | None = None
    automatic_function_calling_history: list[Content] | None = None


class Credit(_G):
    """``{creditType: "GOOGLE_ONE_AI", creditAmount: "<int64 as string>"}`` (§2.2, §7.2)."""

    credit_type: str | None = None
    credit_amount: str | None = None


class CodeAssistResponse(_G):
    """One SSE event / the unary body. Exactly one of ``response`` (success) or ``error`` (a failure
    reported after the 200, §6.4) is expected."""

    response: GenerateContentResponse | None = None
    trace_id: str | None = None
    consumed_credits: list[Credit] | None = None
    remaining_credits: list[Credit] | None = None
    error: GeminiError | None = None


# -- countTokens (§3.7, Appendix C2) -------------------------------------------------------------------------


class CountTokensBody(_G, kw_only=True):
    """``model`` here *has* the ``models/`` prefix, unlike the generate envelope."""

    model: str
    contents: list[Content]
    system_instruction: Content | None = None
    tools: list[Tool] | None = None
    generation_config: GenerationConfig | None = None


class CountTokensRequest(_G):
    """``{"request": {"model": "models/<id>", "contents": [...]}}`` — no ``project``, no top-level ``model``."""

    request: CountTokensBody


class CountTokensResponse(_G):
    """``totalTokens`` may be missing; the CLI then assumes 0."""

    total_tokens: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
