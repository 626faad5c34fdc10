"""Anthropic content blocks, shared by requests (``messages[].content``) and responses (``content``).

Facts from /work/shared/protocols/client-apis.md §1.1–§1.3. Blocks form an *open* tagged union on
``type`` (see ``shared.schemas.decoding``): the types below decode strictly, so a ``text`` block without
``text`` is a 400 naming the field; any other ``type`` (``search_result``, ``web_fetch_tool_result``,
``mcp_tool_use``, … and whatever Anthropic adds next) decodes to ``UnknownBlock``, a plain ``dict`` that
re-encodes unchanged. Translators decide per block whether to drop it or reject it by name.

Every request Struct uses ``omit_defaults=True`` so re-encoding a decoded request never invents
``null`` members; required members have no default and are therefore always written.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .decoding import OpenUnion, register_open_union

__all__ = [
    "AnyContentBlock",
    "Base64Source",
    "CacheControl",
    "ContentBlock",
    "ContentSource",
    "DocumentBlock",
    "DocumentSource",
    "FileSource",
    "ImageBlock",
    "ImageSource",
    "PlainTextSource",
    "RedactedThinkingBlock",
    "ServerToolUseBlock",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "UnknownBlock",
    "UrlSource",
    "WebSearchToolResultBlock",
]


class ContentBlock(OpenUnion):
    """Annotation type for "any content block": every block Struct below and ``UnknownBlock`` subclass it."""

    __slots__ = ()


class CacheControl(msgspec.Struct, omit_defaults=True):
    """``cache_control`` on any block or tool: ``{"type": "ephemeral", "ttl"?: "5m" | "1h"}`` (§1.1)."""

    type: str
    ttl: str | None = None


class _Block(msgspec.Struct, ContentBlock, tag_field="type", omit_defaults=True):
    """Common base: tagged on ``type``; any block may carry ``cache_control`` (§1.1)."""


# -- sources (closed unions: an unknown source type is a client error naming ``….source.type``) ------


class _Source(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


class Base64Source(_Source, tag="base64"):
    """Inline bytes: images (``image/jpeg|png|gif|webp``) and PDFs (``application/pdf``)."""

    media_type: str
    data: str


class UrlSource(_Source, tag="url"):
    url: str


class FileSource(_Source, tag="file"):
    """A Files-API reference; the gateway cannot resolve it, translators reject it by name."""

    file_id: str


class PlainTextSource(_Source, tag="text"):
    """Document given as plain text (``media_type: "text/plain"``)."""

    media_type: str
    data: str


class ContentSource(_Source, tag="content"):
    """Document given as content blocks (custom-content documents)."""

    content: str | list[ContentBlock]


ImageSource = Base64Source | UrlSource | FileSource
DocumentSource = Base64Source | PlainTextSource | ContentSource | UrlSource | FileSource


# -- blocks ------------------------------------------------------------------------------------------


class TextBlock(_Block, tag="text"):
    text: str
    citations: list[dict[str, Any]] | None = None
    cache_control: CacheControl | None = None


class ImageBlock(_Block, tag="image"):
    source: ImageSource
    cache_control: CacheControl | None = None


class DocumentBlock(_Block, tag="document"):
    source: DocumentSource
    title: str | None = None
    context: str | None = None
    citations: dict[str, Any] | None = None
    cache_control: CacheControl | None = None


class ToolUseBlock(_Block, tag="tool_use"):
    """Assistant tool call. ``input`` is a JSON object (streamed as ``input_json_delta`` fragments, §1.3)."""

    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControl | None = None


class ToolResultBlock(_Block, tag="tool_result"):
    """User's answer to a ``tool_use``. ``content`` may be omitted by clients; it then decodes as ``""``.

    Claude Code sends ``content`` as a string with ``is_error: false`` and ``cache_control`` (§4.2).
    """

    tool_use_id: str
    content: str | list[ContentBlock] = ""
    is_error: bool | None = None
    cache_control: CacheControl | None = None
    toolset_name: str | None = None


class ThinkingBlock(_Block, tag="thinking"):
    """Must be echoed back unchanged (§1.1); ``signature`` is required, as on the real API.

    A streamed thinking block starts as ``{"type":"thinking","thinking":"","signature":""}`` (§1.3),
    which this Struct encodes faithfully because neither member has a default.
    """

    thinking: str
    signature: str
    cache_control: CacheControl | None = None


class RedactedThinkingBlock(_Block, tag="redacted_thinking"):
    data: str
    cache_control: CacheControl | None = None


class ServerToolUseBlock(_Block, tag="server_tool_use"):
    """A server tool call (e.g. ``web_search``) the API ran itself; echoed back by clients."""

    id: str
    name: str
    input: dict[str, Any]
    cache_control: CacheControl | None = None


class WebSearchToolResultBlock(_Block, tag="web_search_tool_result"):
    """``content`` is a list of result objects or an error object; kept as raw JSON."""

    tool_use_id: str
    content: Any
    cache_control: CacheControl | None = None


class UnknownBlock(dict[str, Any], ContentBlock):
    """A block whose ``type`` this gateway does not model, kept exactly as the client sent it."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return self["type"]


_KNOWN_BLOCKS: dict[str, type] = {
    "text": TextBlock,
    "image": ImageBlock,
    "document": DocumentBlock,
    "tool_use": ToolUseBlock,
    "tool_result": ToolResultBlock,
    "thinking": ThinkingBlock,
    "redacted_thinking": RedactedThinkingBlock,
    "server_tool_use": ServerToolUseBlock,
    "web_search_tool_result": WebSearchToolResultBlock,
}
register_open_union(ContentBlock, _KNOWN_BLOCKS, unknown=UnknownBlock)

#: The concrete types a ``ContentBlock`` value can be, for exhaustive ``match`` statements.
AnyContentBlock = (
    TextBlock
    | ImageBlock
    | DocumentBlock
    | ToolUseBlock
    | ToolResultBlock
    | ThinkingBlock
    | RedactedThinkingBlock
    | ServerToolUseBlock
    | WebSearchToolResultBlock
    | UnknownBlock
)
