"""Gemini ``Content``/``Part``, tools and generation config — the Vertex ``GenerateContentRequest`` pieces.

Facts from /work/shared/protocols/gemini-code-assist.md §3.3 and §5. Members are camelCase on the wire
(``rename="camel"``); ``omit_defaults=True`` keeps ``null`` off the wire. Booleans default to ``None`` so an
explicit ``False`` is still written.

A ``Part`` holds exactly one *data* member (``text``, ``inlineData``, ``fileData``, ``functionCall``,
``functionResponse``, ``executableCode``, ``codeExecutionResult``) plus optional metadata (``thought``,
``thoughtSignature``). The server answers a part with no data member with 400 "required oneof field
'data' must have one initialized field" (§3.3); ``Part.data_fields()`` lets the translator and the
simulator check that rule without this Struct enforcing it on every decode.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "Blob",
    "CodeExecutionResult",
    "Content",
    "ExecutableCode",
    "FileData",
    "FunctionCall",
    "FunctionCallingConfig",
    "FunctionDeclaration",
    "FunctionResponse",
    "GenerationConfig",
    "Part",
    "SafetySetting",
    "ThinkingConfig",
    "Tool",
    "ToolConfig",
]


class _G(msgspec.Struct, rename="camel", omit_defaults=True):
    pass


class Blob(_G):
    """``inlineData``: base64 ``data`` (no ``data:`` prefix)."""

    mime_type: str
    data: str


class FileData(_G, kw_only=True):
    mime_type: str | None = None
    file_uri: str


class FunctionCall(_G):
    """The server normally sends no ``id`` (§5.3); ``args`` arrive complete, never as deltas (§11.3)."""

    name: str
    args: dict[str, Any] | None = None
    id: str | None = None


class FunctionResponse(_G):
    """``name`` must be non-empty (§5.1); ``response`` is an object, e.g. ``{"output": "<text>"}``."""

    name: str
    response: dict[str, Any]
    id: str | None = None


class ExecutableCode(_G, kw_only=True):
    language: str | None = None
    code: str


class CodeExecutionResult(_G):
    outcome: str | None = None
    output: str | None = None


_DATA_FIELDS = (
    "text",
    "inline_data",
    "file_data",
    "function_call",
    "function_response",
    "executable_code",
    "code_execution_result",
)


class Part(_G, kw_only=True):
    """One part; see the module docstring for the one-data-member rule.

    ``thoughtSignature`` must be replayed on the same part it came on (§5.4); ``thought: true`` marks a
    thought summary. A trailing ``{"text": "", "thoughtSignature": …}`` is a legal part (``text`` is set).
    """

    text: str | None = None
    thought: bool | None = None
    thought_signature: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    executable_code: ExecutableCode | None = None
    code_execution_result: CodeExecutionResult | None = None
    video_metadata: dict[str, Any] | None = None

    def data_fields(self) -> list[str]:
        """Wire names of the data members that are set (exactly one in a valid part)."""
        fields = msgspec.structs.fields(self)
        by_name = {f.name: f.encode_name for f in fields}
        return [by_name[name] for name in _DATA_FIELDS if getattr(self, name) is not None]


class Content(_G):
    """``role`` is ``"user"`` or ``"model"`` (CPA also sends ``"function"``); optional on ``systemInstruction``.

    A candidate's content may come without ``parts`` on SAFETY/MALFORMED endings, hence the default.
    """

    role: str | None = None
    parts: list[Part] = msgspec.field(default_factory=list)


# -- tools (§3.3, §5) ------------------------------------------------------------------------------------


class FunctionDeclaration(_G, kw_only=True):
    """Exactly one of ``parameters`` (OpenAPI-subset Schema, strict keys) or ``parametersJsonSchema`` (any
    JSON Schema, what the CLI sends) — sending both is a 400 (§5.1)."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    parameters_json_schema: Any = None
    response: dict[str, Any] | None = None
    response_json_schema: Any = None


class Tool(_G):
    """``{functionDeclarations: [...]}`` or a built-in like ``{googleSearch: {}}``."""

    function_declarations: list[FunctionDeclaration] | None = None
    google_search: dict[str, Any] | None = None
    url_context: dict[str, Any] | None = None
    code_execution: dict[str, Any] | None = None


class FunctionCallingConfig(_G):
    """``mode``: AUTO | ANY | NONE | VALIDATED; Claude ``tool_choice: tool`` → ANY + one allowed name (§3.3)."""

    mode: str | None = None
    allowed_function_names: list[str] | None = None


class ToolConfig(_G):
    function_calling_config: FunctionCallingConfig | None = None


class SafetySetting(_G):
    category: str
    threshold: str


class ThinkingConfig(_G):
    """Gemini 2.5 takes ``thinkingBudget`` (-1 dynamic, 0 off); Gemini 3 takes ``thinkingLevel``; never both.
    Without ``includeThoughts`` no thought parts come back (§3.3)."""

    include_thoughts: bool | None = None
    thinking_budget: int | None = None
    thinking_level: str | None = None


class GenerationConfig(_G):
    """The keys the CLI forwards (§3.3). ``responseMimeType: application/json`` together with tools is a 400."""

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    response_logprobs: bool | None = None
    logprobs: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None
    response_json_schema: Any = None
    response_modalities: list[str] | None = None
    media_resolution: str | None = None
    thinking_config: ThinkingConfig | None = None
