"""OpenAI Chat Completions request body (``POST /v1/chat/completions``).

Facts from /work/shared/protocols/client-apis.md §2.1. Every documented request parameter is decoded, even
the ones no upstream supports (``n``, ``logprobs``, ``logit_bias``, audio …), so the translator can name
the parameter it rejects instead of silently ignoring it; ``sent_fields`` lists what a client set.

Messages are a tagged union on ``role`` (``system``/``developer``/``user``/``assistant``/``tool`` and the
legacy ``function``), so "a tool message needs ``tool_call_id``" is a precise decode error. Content parts
and tools are *open* unions (``shared.schemas.decoding``): an unknown part/tool type is kept raw as
``UnknownContentPart`` / ``UnknownTool`` for the translator to reject by name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from .decoding import OpenUnion, register_open_union

__all__ = [
    "AnyContentPart",
    "AnyToolDefinition",
    "AssistantMessage",
    "ChatCompletionRequest",
    "ContentPart",
    "DeveloperMessage",
    "FileData",
    "FilePart",
    "FunctionCall",
    "FunctionCallOption",
    "FunctionDefinition",
    "FunctionMessage",
    "FunctionTool",
    "ImagePart",
    "ImageUrl",
    "InputAudio",
    "InputAudioPart",
    "JsonSchemaFormat",
    "MessageParam",
    "NamedFunction",
    "NamedToolChoice",
    "RefusalPart",
    "ResponseFormat",
    "ResponseFormatJsonObject",
    "ResponseFormatJsonSchema",
    "ResponseFormatText",
    "StreamOptions",
    "SystemMessage",
    "TextPart",
    "ToolCall",
    "ToolChoiceOption",
    "ToolDefinition",
    "ToolMessage",
    "UnknownContentPart",
    "UnknownTool",
    "UserMessage",
]

# -- content parts ---------------------------------------------------------------------------------------


class ContentPart(OpenUnion):
    """Annotation type for an element of a list ``content``."""

    __slots__ = ()


class _Part(msgspec.Struct, ContentPart, tag_field="type", omit_defaults=True):
    pass


class TextPart(_Part, tag="text"):
    text: str


class ImageUrl(msgspec.Struct, omit_defaults=True):
    """``url`` is a ``data:<mime>;base64,…`` URL or an https URL (§2.1)."""

    url: str
    detail: str | None = None


class ImagePart(_Part, tag="image_url"):
    image_url: ImageUrl


class InputAudio(msgspec.Struct):
    data: str
    format: str


class InputAudioPart(_Part, tag="input_audio"):
    input_audio: InputAudio


class FileData(msgspec.Struct, omit_defaults=True):
    file_data: str | None = None
    file_id: str | None = None
    filename: str | None = None


class FilePart(_Part, tag="file"):
    file: FileData


class RefusalPart(_Part, tag="refusal"):
    """Only valid in assistant content: a refusal the model produced earlier."""

    refusal: str


class UnknownContentPart(dict[str, Any], ContentPart):
    """A content part of a type not modelled here, kept as sent."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return self["type"]


register_open_union(
    ContentPart,
    {
        "text": TextPart,
        "image_url": ImagePart,
        "input_audio": InputAudioPart,
        "file": FilePart,
        "refusal": RefusalPart,
    },
    unknown=UnknownContentPart,
)

#: What a ``ContentPart`` value can be, for ``match``/``isinstance`` dispatch.
AnyContentPart = TextPart | ImagePart | InputAudioPart | FilePart | RefusalPart | UnknownContentPart


# -- messages --------------------------------------------------------------------------------------------


class FunctionCall(msgspec.Struct):
    """``arguments`` is a JSON *string* (the model's output), not an object (§2.1)."""

    name: str
    arguments: str


class ToolCall(msgspec.Struct, kw_only=True):
    """Used both in requests (assistant history) and responses; ``type`` is always written."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class _Message(msgspec.Struct, tag_field="role", omit_defaults=True, kw_only=True):
    pass


class SystemMessage(_Message, tag="system"):
    content: str | list[ContentPart]
    name: str | None = None


class DeveloperMessage(_Message, tag="developer"):
    """The o-series name for a system message."""

    content: str | list[ContentPart]
    name: str | None = None


class UserMessage(_Message, tag="user"):
    content: str | list[ContentPart]
    name: str | None = None


class AssistantMessage(_Message, tag="assistant"):
    """``content`` may be null when the turn only called tools."""

    content: str | list[ContentPart] | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None
    audio: dict[str, Any] | None = None


class ToolMessage(_Message, tag="tool"):
    content: str | list[ContentPart]
    tool_call_id: str


class FunctionMessage(_Message, tag="function", kw_only=True):
    """Legacy answer to ``function_call`` (pre-``tools`` API)."""

    content: str | None = None
    name: str


MessageParam = (
    SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage
)


# -- tools -----------------------------------------------------------------------------------------------


class FunctionDefinition(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Also the element type of the legacy ``functions`` list."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDefinition(OpenUnion):
    """Annotation type for an entry of ``tools``: ``FunctionTool`` or a raw ``UnknownTool``."""

    __slots__ = ()


class FunctionTool(msgspec.Struct, ToolDefinition, tag_field="type", tag="function"):
    function: FunctionDefinition


class UnknownTool(dict[str, Any], ToolDefinition):
    """A tool type other than ``function`` (e.g. ``custom``), kept as sent for rejection by name."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return self["type"]


register_open_union(ToolDefinition, {"function": FunctionTool}, unknown=UnknownTool)

#: What a ``ToolDefinition`` value can be.
AnyToolDefinition = FunctionTool | UnknownTool


class NamedFunction(msgspec.Struct):
    name: str


class NamedToolChoice(msgspec.Struct, tag_field="type", tag="function"):
    """``{"type": "function", "function": {"name": …}}``: force this tool."""

    function: NamedFunction


ToolChoiceOption = Literal["none", "auto", "required"] | NamedToolChoice


class FunctionCallOption(msgspec.Struct):
    """Legacy ``function_call: {"name": …}``."""

    name: str


# -- misc options ----------------------------------------------------------------------------------------


class StreamOptions(msgspec.Struct, omit_defaults=True):
    """With ``include_usage`` the stream gains a final ``choices: []`` usage chunk — only then (§0.8)."""

    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class _ResponseFormat(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


class ResponseFormatText(_ResponseFormat, tag="text"):
    pass


class ResponseFormatJsonObject(_ResponseFormat, tag="json_object"):
    pass


class JsonSchemaFormat(msgspec.Struct, kw_only=True, omit_defaults=True):
    name: str
    description: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


class ResponseFormatJsonSchema(_ResponseFormat, tag="json_schema"):
    json_schema: JsonSchemaFormat


ResponseFormat = ResponseFormatText | ResponseFormatJsonObject | ResponseFormatJsonSchema

_PositiveInt = Annotated[int, msgspec.Meta(ge=1)]


class ChatCompletionRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The whole body. Only ``model`` and a non-empty ``messages`` are required.

    Optional members accept an explicit ``null`` (the OpenAI spec marks them nullable and some client
    libraries send ``"stream": null``), so ``stream`` is ``bool | None``: test it with ``if request.stream``.
    """

    model: str
    messages: Annotated[list[MessageParam], msgspec.Meta(min_length=1)]
    tools: list[ToolDefinition] | None = None
    tool_choice: ToolChoiceOption | None = None
    parallel_tool_calls: bool | None = None
    functions: list[FunctionDefinition] | None = None
    function_call: Literal["none", "auto"] | FunctionCallOption | None = None
    max_tokens: _PositiveInt | None = None
    max_completion_tokens: _PositiveInt | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    n: _PositiveInt | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = None
    service_tier: str | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    reasoning_effort: str | None = None
    modalities: list[str] | None = None
    audio: dict[str, Any] | None = None
    prediction: dict[str, Any] | None = None
    web_search_options: dict[str, Any] | None = None
    verbosity: str | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
