"""Amazon Q ``GenerateAssistantResponse`` request body (what the gateway sends upstream).

Every member is from /work/shared/protocols/amazonq.md §2.1–§2.7 (the generated CodeWhisperer-streaming
client, "CWS"). Python attributes are snake_case; ``rename="camel"`` makes ``msgspec.json.encode`` write the
exact wire names (``conversationState``, ``userInputMessageContext``, ``toolUseId`` …), and
``omit_defaults=True`` keeps ``null`` off the wire: an unset optional member is simply absent, as the AWS
SDKs send it. Required members (``content``, ``chatTriggerType``, ``currentMessage``) have no default, so
they are always written — ``content: ""`` included, which §2.8 allows on a tool-result turn.

Smithy unions (``ChatMessage``, ``Tool``, ``ToolResultContentBlock``, ``ReasoningContent``) are objects
with exactly one member set. msgspec has no untagged union of objects, so each is a Struct of optional
members whose ``__post_init__`` enforces "exactly one" — both when a translator builds one and when the
simulator decodes one (the error then carries the wire path, e.g. ``conversationState.history[1]``).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET

__all__ = [
    "AdditionalContentEntry",
    "AgentTaskType",
    "AssistantResponseMessage",
    "CachePoint",
    "ChatMessage",
    "ChatTriggerType",
    "ClientCacheConfig",
    "ConversationState",
    "EnvState",
    "EnvironmentVariable",
    "GenerateAssistantResponseRequest",
    "ImageBlock",
    "ImageFormat",
    "ImageSource",
    "ReasoningContent",
    "ReasoningText",
    "Tool",
    "ToolInputSchema",
    "ToolResult",
    "ToolResultContentBlock",
    "ToolResultStatus",
    "ToolSpecification",
    "ToolUse",
    "UserInputMessage",
    "UserInputMessageContext",
]

# §2.7. ``AUTO`` is not a ChatTriggerType (§2.2: one bridge sends it and gets 400s); bridges send MANUAL.
ChatTriggerType = Literal["MANUAL", "DIAGNOSTIC", "INLINE_CHAT"]
AgentTaskType = Literal["vibe", "spectask"]
ToolResultStatus = Literal["success", "error"]
ImageFormat = Literal["gif", "jpeg", "png", "webp"]


def _require_exactly_one(obj: msgspec.Struct, *attrs: str) -> None:
    """Smithy-union rule; the message names wire members so it reads well as a decode error too."""
    present = sum(1 for attr in attrs if getattr(obj, attr) is not None)
    if present != 1:
        wire = ", ".join(f"`{msgspec.structs.fields(obj)[_index(obj, a)].encode_name}`" for a in attrs)
        raise ValueError(f"Expected exactly one of {wire}, got {present}")


def _index(obj: msgspec.Struct, attr: str) -> int:
    return type(obj).__struct_fields__.index(attr)


class _Q(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    pass


class CachePoint(msgspec.Struct):
    """``{"type": "default"}``: a prompt-cache marker. Not ``omit_defaults``: ``type`` must be written."""

    type: Literal["default"] = "default"


class ClientCacheConfig(_Q):
    use_client_caching_only: bool


# -- images (§2.6) -------------------------------------------------------------------------------------------


class ImageSource(_Q):
    """``bytes`` is base64 text with no ``data:`` prefix (a Smithy blob in JSON)."""

    bytes: str


class ImageBlock(_Q):
    """Anthropic ``media_type: image/png`` becomes ``format: png`` (all bridges, §2.6)."""

    format: ImageFormat
    source: ImageSource


# -- user message context (§2.4) -----------------------------------------------------------------------------


class EnvironmentVariable(_Q):
    key: str
    value: str


class EnvState(_Q):
    """Bridges send ``{"operatingSystem": "macos", "currentWorkingDirectory": "/"}``; QCLI caps the cwd at 256."""

    operating_system: str | None = None
    current_working_directory: str | None = None
    environment_variables: list[EnvironmentVariable] | None = None
    timezone_offset: int | None = None


class AdditionalContentEntry(_Q):
    name: str
    description: str
    inner_context: str | None = None


class ToolInputSchema(_Q):
    """``json`` is a Smithy document: any JSON Schema object, after the translator normalised it (§2.8)."""

    json: dict[str, Any]


class ToolSpecification(_Q, kw_only=True):
    """Name ``^[a-zA-Z][a-zA-Z0-9_]*$`` ≤ 64 chars, description non-empty ≤ ~10 KB (§2.8) — the translator
    enforces those; this Struct only carries them."""

    name: str
    description: str | None = None
    input_schema: ToolInputSchema


class Tool(_Q):
    """Union: exactly one of ``toolSpecification`` / ``cachePoint`` (§2.4)."""

    tool_specification: ToolSpecification | None = None
    cache_point: CachePoint | None = None

    def __post_init__(self) -> None:
        _require_exactly_one(self, "tool_specification", "cache_point")


class ToolResultContentBlock(_Q):
    """Union: exactly one of ``text`` / ``json``. ``json`` may be any JSON value, including ``null``, so its
    "absent" marker is ``UNSET`` rather than ``None``."""

    text: str | None = None
    json: Any = UNSET

    def __post_init__(self) -> None:
        present = (self.text is not None) + (self.json is not UNSET)
        if present != 1:
            raise ValueError(f"Expected exactly one of `text`, `json`, got {present}")


class ToolResult(_Q):
    tool_use_id: str
    content: list[ToolResultContentBlock]
    status: ToolResultStatus | None = None


class UserInputMessageContext(_Q):
    """Bridges use only ``envState``, ``tools`` and ``toolResults``; the IDE-only members are opaque JSON.

    ``tools`` belongs on the current message only; QCLI sends none in history (§2.4).
    """

    editor_state: dict[str, Any] | None = None
    shell_state: dict[str, Any] | None = None
    git_state: dict[str, Any] | None = None
    env_state: EnvState | None = None
    app_studio_context: dict[str, Any] | None = None
    diagnostic: dict[str, Any] | None = None
    console_state: dict[str, Any] | None = None
    user_settings: dict[str, Any] | None = None
    additional_context: list[AdditionalContentEntry] | None = None
    tool_results: list[ToolResult] | None = None
    tools: list[Tool] | None = None


# -- messages (§2.3, §2.5) -----------------------------------------------------------------------------------


class UserInputMessage(_Q):
    """``content`` is required but may be ``""`` when ``toolResults`` are present (§2.8).

    ``origin`` is a string, not a Literal: ``KIRO_CLI`` and ``AI_EDITOR`` are used in practice but are
    missing from the older generated enum (§2.3). ``modelId`` goes on the current message only.
    """

    content: str
    user_input_message_context: UserInputMessageContext | None = None
    user_intent: str | None = None
    origin: str | None = None
    images: list[ImageBlock] | None = None
    model_id: str | None = None
    cache_point: CachePoint | None = None
    client_cache_config: ClientCacheConfig | None = None


class ToolUse(_Q):
    """``input`` is a JSON object, never a string (§2.5)."""

    tool_use_id: str
    name: str
    input: dict[str, Any]


class ReasoningText(_Q):
    text: str
    signature: str | None = None


class ReasoningContent(_Q):
    """Union: ``{"reasoningText": {text, signature?}}`` or ``{"redactedContent": <base64>}`` (§2.5)."""

    reasoning_text: ReasoningText | None = None
    redacted_content: str | None = None

    def __post_init__(self) -> None:
        _require_exactly_one(self, "reasoning_text", "redacted_content")


class AssistantResponseMessage(_Q, kw_only=True):
    """``content`` may be ``""`` when the turn only called tools (§2.5)."""

    message_id: str | None = None
    content: str
    tool_uses: list[ToolUse] | None = None
    supplementary_web_links: list[dict[str, Any]] | None = None
    references: list[dict[str, Any]] | None = None
    followup_prompt: dict[str, Any] | None = None
    cache_point: CachePoint | None = None
    reasoning_content: ReasoningContent | None = None


class ChatMessage(_Q):
    """Union: exactly one of ``userInputMessage`` / ``assistantResponseMessage`` (§2.2).

    Build with ``ChatMessage(user_input_message=…)``; construction with neither or both raises ValueError.
    """

    user_input_message: UserInputMessage | None = None
    assistant_response_message: AssistantResponseMessage | None = None

    def __post_init__(self) -> None:
        _require_exactly_one(self, "user_input_message", "assistant_response_message")


class ConversationState(_Q, kw_only=True):
    """``history`` oldest first; ``None`` omits it, ``[]`` sends ``"history": []`` (both accepted, §9).

    ``currentMessage`` must be the user variant: every client does this and the Kiro validator enforces
    it (§2.2), so it is checked here.
    """

    conversation_id: str | None = None
    workspace_id: str | None = None
    history: list[ChatMessage] | None = None
    current_message: ChatMessage
    chat_trigger_type: ChatTriggerType
    customization_arn: str | None = None
    agent_continuation_id: str | None = None
    agent_task_type: AgentTaskType | None = None

    def __post_init__(self) -> None:
        if self.current_message.user_input_message is None:
            raise ValueError("Expected a `userInputMessage` - at `$.currentMessage`")


class GenerateAssistantResponseRequest(_Q):
    """Top level (§2.1). ``profileArn`` is omitted for Builder ID accounts (§1.4); ``agentMode`` is also sent
    as the ``x-amzn-kiro-agent-mode`` header."""

    conversation_state: ConversationState
    profile_arn: str | None = None
    agent_mode: str | None = None
