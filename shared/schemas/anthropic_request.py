"""Anthropic Messages request bodies: ``POST /v1/messages`` and ``POST /v1/messages/count_tokens``.

Facts from /work/shared/protocols/client-apis.md §1.1, §1.5 and Claude Code's shape in §4.2. Decode with
``shared.schemas.decoding.decode_client_body(body, MessagesRequest)``.

Tolerance rules (§0, §5 list what broke peers):

* unknown top-level members are ignored, so new betas do not 400;
* ``role: "system"`` messages are accepted anywhere in ``messages`` (Claude Code's
  ``mid-conversation-system`` beta);
* unknown content-block types, server tools and unknown thinking modes are kept raw (``UnknownBlock``,
  ``ServerTool``, ``UnknownThinking``) — see the open unions in ``shared.schemas.decoding``;
* ``context_management`` and ``container`` are opaque JSON: no upstream has an equivalent, the translator
  only needs to know whether they were sent.

What is enforced is what the real API enforces and msgspec can say precisely: ``model`` and ``messages``
present, ``messages`` non-empty, ``max_tokens`` an integer ≥ 1, roles in the known set. Cross-field rules
such as ``thinking.budget_tokens < max_tokens`` are deliberately *not* checked: interleaved thinking
(a beta Claude Code sends) lifts exactly that rule.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from .anthropic_blocks import CacheControl, ContentBlock, TextBlock
from .decoding import OpenUnion, register_open_union

__all__ = [
    "AnyThinkingConfig",
    "AnyToolDefinition",
    "CountTokensRequest",
    "CustomTool",
    "MessageParam",
    "MessagesRequest",
    "Metadata",
    "OutputConfig",
    "Role",
    "ServerTool",
    "ThinkingAdaptive",
    "ThinkingBetweenTools",
    "ThinkingConfig",
    "ThinkingDisabled",
    "ThinkingEnabled",
    "ToolChoice",
    "ToolChoiceAny",
    "ToolChoiceAuto",
    "ToolChoiceNone",
    "ToolChoiceTool",
    "ToolDefinition",
    "UnknownThinking",
]

Role = Literal["user", "assistant", "system"]


class MessageParam(msgspec.Struct, omit_defaults=True):
    """One turn. ``content`` is a string or a list of blocks; ``system`` turns come from Claude Code (§4.2)."""

    role: Role
    content: str | list[ContentBlock]


# -- tools ---------------------------------------------------------------------------------------------


class ToolDefinition(OpenUnion):
    """Annotation type for an entry of ``tools``: ``CustomTool`` or a raw ``ServerTool``."""

    __slots__ = ()


class CustomTool(msgspec.Struct, ToolDefinition, kw_only=True, omit_defaults=True):
    """A client-defined tool ``{name, description?, input_schema}``; ``type`` is absent or ``"custom"``.

    ``input_schema`` is arbitrary JSON Schema (Claude Code sends draft 2020-12 with ``$schema`` and
    ``additionalProperties: false``, §4.2); upstream translators clean it, so it stays a plain dict.
    """

    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    type: str | None = None
    cache_control: CacheControl | None = None
    strict: bool | None = None
    input_examples: list[Any] | None = None
    defer_loading: bool | None = None
    eager_input_streaming: bool | None = None
    allowed_callers: list[str] | None = None


class ServerTool(dict[str, Any], ToolDefinition):
    """A server tool such as ``{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}``.

    Kept raw because every server tool has its own options; the translator drops, emulates or rejects it.
    """

    __slots__ = ()

    @property
    def type(self) -> str:
        return self["type"]

    @property
    def name(self) -> str | None:
        name = self.get("name")
        return name if isinstance(name, str) else None


register_open_union(ToolDefinition, {"custom": CustomTool}, unknown=ServerTool, missing_tag=CustomTool)

#: What a ``ToolDefinition`` value can be, for ``match``/``isinstance`` dispatch.
AnyToolDefinition = CustomTool | ServerTool


class _ToolChoice(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


class ToolChoiceAuto(_ToolChoice, tag="auto"):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceAny(_ToolChoice, tag="any"):
    disable_parallel_tool_use: bool | None = None


class ToolChoiceNone(_ToolChoice, tag="none"):
    pass


class ToolChoiceTool(_ToolChoice, tag="tool"):
    name: str
    disable_parallel_tool_use: bool | None = None


ToolChoice = ToolChoiceAuto | ToolChoiceAny | ToolChoiceNone | ToolChoiceTool


# -- thinking ------------------------------------------------------------------------------------------


class ThinkingConfig(OpenUnion):
    """Annotation type for ``thinking``: one of the Structs below, or ``UnknownThinking``.

    Open, like content blocks: Claude Code adopts new thinking modes as soon as they ship (the SDK 2.12
    already knows ``between_tools``), and refusing every request for a mode no upstream can honour anyway
    helps nobody; the translator maps the known ones and treats an unknown one as "no thinking".
    """

    __slots__ = ()


class _Thinking(msgspec.Struct, ThinkingConfig, tag_field="type", omit_defaults=True):
    pass


class ThinkingEnabled(_Thinking, tag="enabled"):
    """Sent by Claude Code for Sonnet 4.5: ``{"type": "enabled", "budget_tokens": 31999}`` (§4.2)."""

    budget_tokens: int
    display: str | None = None


class ThinkingAdaptive(_Thinking, tag="adaptive"):
    """Sent by Claude Code for its default model: the model chooses; ``output_config.effort`` hints (§4.2)."""

    display: str | None = None


class ThinkingDisabled(_Thinking, tag="disabled"):
    pass


class ThinkingBetweenTools(_Thinking, tag="between_tools"):
    pass


class UnknownThinking(dict[str, Any], ThinkingConfig):
    """A thinking mode this gateway does not model, kept as sent."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return self["type"]


register_open_union(
    ThinkingConfig,
    {
        "enabled": ThinkingEnabled,
        "adaptive": ThinkingAdaptive,
        "disabled": ThinkingDisabled,
        "between_tools": ThinkingBetweenTools,
    },
    unknown=UnknownThinking,
)

#: What a ``ThinkingConfig`` value can be.
AnyThinkingConfig = (
    ThinkingEnabled | ThinkingAdaptive | ThinkingDisabled | ThinkingBetweenTools | UnknownThinking
)


# -- small objects ---------------------------------------------------------------------------------------


class Metadata(msgspec.Struct, omit_defaults=True):
    """Claude Code's ``user_id`` is itself a JSON string with device_id, account_uuid, session_id (§4.2)."""

    user_id: str | None = None


class OutputConfig(msgspec.Struct, omit_defaults=True):
    """``{"effort": "high"}`` from Claude Code; ``format`` is a JSON-schema output format (title generation)."""

    effort: str | None = None
    format: dict[str, Any] | None = None


# -- the bodies ------------------------------------------------------------------------------------------


class CountTokensRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``/v1/messages/count_tokens``: the Messages body minus ``max_tokens`` and ``stream`` (§1.5).

    Members past ``mcp_servers`` (top-level ``cache_control``, ``speed``, ``user_profile_id``,
    ``workspace_id``) are what the anthropic SDK 2.12 can send; no upstream uses them.

    ``MessagesRequest`` subclasses it, so a token counter typed for this accepts a full request too.
    """

    model: str
    messages: Annotated[list[MessageParam], msgspec.Meta(min_length=1)]
    system: str | list[TextBlock] | None = None
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoice | None = None
    thinking: ThinkingConfig | None = None
    output_config: OutputConfig | None = None
    context_management: Any = None
    mcp_servers: list[dict[str, Any]] | None = None
    cache_control: CacheControl | None = None
    speed: str | None = None
    user_profile_id: str | None = None
    workspace_id: str | None = None


class MessagesRequest(CountTokensRequest, kw_only=True):
    """``/v1/messages``. ``stream`` absent means a JSON answer (Claude Code's fallback path, §0.10)."""

    max_tokens: Annotated[int, msgspec.Meta(ge=1)]
    stream: bool = False
    stop_sequences: list[str] | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    metadata: Metadata | None = None
    service_tier: str | None = None
    container: Any = None
    inference_geo: str | None = None
    diagnostics: Any = None
