"""Input tokens of an Anthropic request, over every part of it (cl100k via ``token_count``).

Used for ``/v1/messages/count_tokens`` and for ``usage.input_tokens`` of ``/v1/messages``: both pass
the same fields (``max_tokens`` and ``stream`` are not parts of the prompt), so the same body gives the
same number on both paths. Deterministic: no clock, no randomness, JSON written in the client's order.

What is counted:

* text of the system prompt (string or blocks), of every message of every role, and of every block:
  ``text``; ``tool_use`` name + input JSON; ``tool_result`` content, nested blocks included;
  ``thinking`` text; ``redacted_thinking`` data (≈ 4 characters a token); documents (plain text as text,
  base64 PDFs ≈ 16 bytes a token, custom content recursively); server-tool blocks and unknown blocks as
  their JSON;
* images by Anthropic's published approximation, tokens ≈ width × height / 750 after its resize (long
  edge ≤ 1568 px, ≤ 1.15 megapixels), dimensions read from the PNG/JPEG/GIF/WebP header; without a
  readable header ≈ 200 bytes a token; URL/file sources (no bytes) at the resize cap;
* tool definitions: name, description and ``input_schema`` JSON (server tools: their JSON);
* ``tool_choice`` and ``thinking`` as the instruction text the Amazon Q path appends for them;
* structure: ``MESSAGE_OVERHEAD`` per message, ``BLOCK_OVERHEAD`` per block, ``TOOL_OVERHEAD`` per tool.

Anthropic's own tool-use preamble is not modelled. The total is scaled by the operator's multiplier.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from services.translator.image_header import base64_image_dimensions
from services.translator.q_prompt import thinking_choice
from services.translator.token_count import count_text_tokens, scale_input
from shared import prompt_hints
from shared.schemas import anthropic as a

MESSAGE_OVERHEAD = 3
BLOCK_OVERHEAD = 1
TOOL_OVERHEAD = 3
IMAGE_PIXELS_PER_TOKEN = 750
IMAGE_MAX_EDGE = 1568
IMAGE_MAX_PIXELS = 1_150_000
IMAGE_TOKEN_CAP = math.ceil(IMAGE_MAX_PIXELS / IMAGE_PIXELS_PER_TOKEN)
IMAGE_BYTES_PER_TOKEN = 200
PDF_BYTES_PER_TOKEN = 16
REDACTED_CHARS_PER_TOKEN = 4


def count_request_tokens(request: a.CountTokensRequest, multiplier: float = 1.0) -> int:
    total = _system_tokens(request.system)
    for message in request.messages:
        total += MESSAGE_OVERHEAD + _content_tokens(message.content)
    for tool in request.tools or ():
        total += TOOL_OVERHEAD + _tool_tokens(tool)
    total += count_text_tokens(_tool_choice_text(request.tool_choice))
    total += count_text_tokens(thinking_choice(request).hint)
    return scale_input(total, multiplier)


def image_tokens(width: int, height: int) -> int:
    """Anthropic: tokens ≈ width × height / 750, after downscaling to its limits."""
    if width <= 0 or height <= 0:
        return 1
    scale = min(1.0, IMAGE_MAX_EDGE / max(width, height), math.sqrt(IMAGE_MAX_PIXELS / (width * height)))
    scaled = max(1, int(width * scale)) * max(1, int(height * scale))
    return max(1, math.ceil(scaled / IMAGE_PIXELS_PER_TOKEN))


def _system_tokens(system: str | list[a.TextBlock] | None) -> int:
    if system is None:
        return 0
    if isinstance(system, str):
        return count_text_tokens(system)
    return sum(BLOCK_OVERHEAD + count_text_tokens(block.text) for block in system)


def _content_tokens(content: str | list[a.ContentBlock]) -> int:
    if isinstance(content, str):
        return count_text_tokens(content)
    return sum(BLOCK_OVERHEAD + _block_tokens(block) for block in content)


def _block_tokens(block: a.ContentBlock) -> int:
    match block:
        case a.TextBlock():
            return count_text_tokens(block.text)
        case a.ImageBlock():
            return _image_source_tokens(block.source)
        case a.DocumentBlock():
            return _document_tokens(block)
        case a.ToolUseBlock() | a.ServerToolUseBlock():
            return count_text_tokens(block.name) + count_text_tokens(_json(block.input))
        case a.ToolResultBlock():
            return _content_tokens(block.content)
        case a.ThinkingBlock():
            return count_text_tokens(block.thinking)
        case a.RedactedThinkingBlock():
            return math.ceil(len(block.data) / REDACTED_CHARS_PER_TOKEN)
        case a.WebSearchToolResultBlock():
            return count_text_tokens(_json(block.content))
        case _:
            return count_text_tokens(_json(block))


def _image_source_tokens(source: a.ImageSource) -> int:
    if not isinstance(source, a.Base64Source):
        return IMAGE_TOKEN_CAP
    dimensions = base64_image_dimensions(source.data)
    if dimensions is not None:
        return image_tokens(*dimensions)
    return max(1, min(IMAGE_TOKEN_CAP, math.ceil(_decoded_size(source.data) / IMAGE_BYTES_PER_TOKEN)))


def _document_tokens(block: a.DocumentBlock) -> int:
    tokens = count_text_tokens(block.title or "") + count_text_tokens(block.context or "")
    source = block.source
    match source:
        case a.PlainTextSource():
            return tokens + count_text_tokens(source.data)
        case a.ContentSource():
            return tokens + _content_tokens(source.content)
        case a.Base64Source():
            return tokens + max(1, math.ceil(_decoded_size(source.data) / PDF_BYTES_PER_TOKEN))
        case _:
            return tokens + IMAGE_TOKEN_CAP


def _tool_tokens(tool: a.ToolDefinition) -> int:
    if isinstance(tool, a.CustomTool):
        return (
            count_text_tokens(tool.name)
            + count_text_tokens(tool.description or "")
            + count_text_tokens(_json(tool.input_schema))
        )
    return count_text_tokens(_json(tool))


def _tool_choice_text(tool_choice: a.ToolChoice | None) -> str:
    match tool_choice:
        case a.ToolChoiceAny():
            return prompt_hints.TOOL_CHOICE_ANY
        case a.ToolChoiceNone():
            return prompt_hints.TOOL_CHOICE_NONE
        case a.ToolChoiceTool(name=name):
            return prompt_hints.tool_choice_tool(name)
        case _:
            return ""


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _decoded_size(encoded: str) -> int:
    return len(encoded) * 3 // 4 - encoded[-2:].count("=")
