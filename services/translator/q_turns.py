"""Anthropic ``messages`` read into plain turns, the intermediate form of the Anthropic → Amazon Q direction.

A turn is what Q can carry: a user turn holds text and images (``UserTurn.parts``, in the order the client
sent them) plus tool results; an assistant turn holds text and tool uses. Nothing is merged or paired
here (that is ``q_history``); this module only reads blocks, one message at a time, and refuses what
cannot be carried faithfully (URL images, PDFs, unknown user blocks) with a ``ConversionError`` naming
the block.

Choices (amazonq.md §8 table; seeds.md §5.2–§5.6):

* Text blocks of one message and texts of merged messages are joined by a blank line.
* A ``role: "system"`` message becomes a user turn holding its text between the same neutral markers as
  the top-level system prompt; merging then folds it into the adjacent user turn where it occurred.
* Assistant ``thinking`` becomes ``<thinking>…</thinking>`` text in block order (so it precedes the text
  it preceded); ``redacted_thinking`` and server-tool blocks (``server_tool_use``, ``web_search_tool_result``
  and unknown assistant blocks) cannot be replayed to Q and are dropped with a repair note.
* Tool-result content: text stays text, images move to the user turn's images, plain-text documents
  become text, anything else is kept as a Q ``json`` block (Q's result union allows any JSON), so nothing
  the tool returned is lost.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field
from typing import Any

import msgspec

from services.translator.errors import ConversionError
from shared.prompt_hints import THINKING_CLOSE, THINKING_OPEN
from shared.schemas import amazonq
from shared.schemas import anthropic as a

SYSTEM_BEGIN = "--- SYSTEM PROMPT BEGIN ---"
SYSTEM_END = "--- SYSTEM PROMPT END ---"

# amazonq.md §2.6: Anthropic media_type → Q ImageFormat; QCLI MAX_IMAGE_SIZE.
IMAGE_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@dataclass
class Image:
    """A base64 image bound for ``images`` of the Q user message; ``where`` is its client path."""

    format: str
    data: str
    where: str


@dataclass
class Result:
    tool_use_id: str
    content: list[amazonq.ToolResultContentBlock]
    is_error: bool


@dataclass
class UserTurn:
    parts: list[str | Image] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    from_system: bool = False  # read from a role "system" message


@dataclass
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]


@dataclass
class AssistantTurn:
    parts: list[str] = field(default_factory=list)
    tool_uses: list[ToolCall] = field(default_factory=list)


Turn = UserTurn | AssistantTurn


def system_section(text: str) -> str:
    """The system text verbatim between neutral markers (Q has no system field; Q2A's markers)."""
    return f"{SYSTEM_BEGIN}\n{text}\n{SYSTEM_END}"


def system_text(system: str | list[a.TextBlock] | None) -> str:
    """The top-level ``system`` as one string; blocks are joined by a blank line, cache_control ignored."""
    if system is None:
        return ""
    if isinstance(system, str):
        return system
    return "\n\n".join(block.text for block in system if block.text)


def read_messages(messages: list[a.MessageParam], repairs: list[str]) -> list[Turn]:
    """One turn per message, in order; empty system messages are skipped."""
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if message.role == "user":
            turns.append(_read_user(message.content, where))
        elif message.role == "assistant":
            turns.append(_read_assistant(message.content, where, repairs))
        else:
            text = _read_system_message(message.content, where)
            if text:
                turns.append(UserTurn(parts=[system_section(text)], from_system=True))
    return turns


def _read_system_message(content: str | list[a.ContentBlock], where: str) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for position, block in enumerate(content):
        if not isinstance(block, a.TextBlock):
            raise ConversionError(
                f"{where}.content[{position}]: a role \"system\" message may only contain text blocks, "
                f"got {_block_type(block)!r}",
                param=f"{where}.content[{position}]",
            )
        if block.text:
            texts.append(block.text)
    return "\n\n".join(texts)


def _read_user(content: str | list[a.ContentBlock], where: str) -> UserTurn:
    turn = UserTurn()
    if isinstance(content, str):
        turn.parts.append(content)
        return turn
    for position, block in enumerate(content):
        path = f"{where}.content[{position}]"
        match block:
            case a.TextBlock():
                turn.parts.append(block.text)
            case a.ImageBlock():
                turn.parts.append(read_image(block, path))
            case a.DocumentBlock():
                turn.parts.extend(_read_document(block, path))
            case a.ToolResultBlock():
                turn.results.append(_read_tool_result(block, path, turn))
            case _:
                raise ConversionError(
                    f"{path}: content block type {_block_type(block)!r} is not supported in a user message "
                    "by the Amazon Q upstream",
                    param=path,
                )
    return turn


def _read_assistant(content: str | list[a.ContentBlock], where: str, repairs: list[str]) -> AssistantTurn:
    turn = AssistantTurn()
    if isinstance(content, str):
        turn.parts.append(content)
        return turn
    for position, block in enumerate(content):
        path = f"{where}.content[{position}]"
        match block:
            case a.TextBlock():
                turn.parts.append(block.text)
            case a.ThinkingBlock():
                if block.thinking:
                    turn.parts.append(f"{THINKING_OPEN}{block.thinking}{THINKING_CLOSE}")
            case a.ToolUseBlock():
                turn.tool_uses.append(ToolCall(block.id, block.name, dict(block.input)))
            case a.RedactedThinkingBlock():
                repairs.append(f"{path}: redacted_thinking dropped (encrypted; Amazon Q cannot replay it)")
            case a.ServerToolUseBlock() | a.WebSearchToolResultBlock() | a.UnknownBlock():
                repairs.append(
                    f"{path}: {_block_type(block)} dropped (a server-side tool block Amazon Q cannot replay)"
                )
            case _:
                raise ConversionError(
                    f"{path}: content block type {_block_type(block)!r} is not valid in an assistant message",
                    param=path,
                )
    return turn


def read_image(block: a.ImageBlock, path: str) -> Image:
    source = block.source
    if isinstance(source, a.UrlSource):
        raise ConversionError(
            f"{path}: image source type \"url\" is not supported: the gateway does not fetch URLs; "
            "send the image as base64 data",
            param=f"{path}.source",
        )
    if isinstance(source, a.FileSource):
        raise ConversionError(
            f"{path}: image source type \"file\" (Files API) is not supported by this gateway; "
            "send the image as base64 data",
            param=f"{path}.source",
        )
    image_format = IMAGE_FORMATS.get(source.media_type)
    if image_format is None:
        raise ConversionError(
            f"{path}: image media_type {source.media_type!r} is not supported; "
            "Amazon Q accepts image/jpeg, image/png, image/gif and image/webp",
            param=f"{path}.source.media_type",
        )
    try:
        size = len(binascii.a2b_base64(source.data, strict_mode=True))
    except binascii.Error:
        raise ConversionError(
            f"{path}: image data is not valid base64 (send bare base64, without a data: URL prefix)",
            param=f"{path}.source.data",
        ) from None
    if size == 0:
        raise ConversionError(f"{path}: image data is empty", param=f"{path}.source.data")
    if size > MAX_IMAGE_BYTES:
        raise ConversionError(
            f"{path}: image is too large for Amazon Q: {size:,} bytes > {MAX_IMAGE_BYTES:,} (10 MiB) maximum; "
            "downscale or recompress it",
            param=f"{path}.source.data",
        )
    return Image(image_format, source.data, path)


def _read_document(block: a.DocumentBlock, path: str) -> list[str | Image]:
    """A plain-text or custom-content document becomes text (and images); PDFs, URLs, files are refused."""
    source = block.source
    header = [f"Document: {block.title}"] if block.title else []
    if block.context:
        header.append(f"Document context: {block.context}")
    if isinstance(source, a.PlainTextSource):
        return ["\n".join([*header, source.data])]
    if isinstance(source, a.ContentSource):
        parts: list[str | Image] = ["\n".join(header)] if header else []
        if isinstance(source.content, str):
            parts.append(source.content)
            return parts
        for position, inner in enumerate(source.content):
            inner_path = f"{path}.source.content[{position}]"
            if isinstance(inner, a.TextBlock):
                parts.append(inner.text)
            elif isinstance(inner, a.ImageBlock):
                parts.append(read_image(inner, inner_path))
            else:
                raise ConversionError(
                    f"{inner_path}: document content block type {_block_type(inner)!r} is not supported",
                    param=inner_path,
                )
        return parts
    kind = source.media_type if isinstance(source, a.Base64Source) else f"source type {_source_type(source)!r}"
    raise ConversionError(
        f"{path}: document ({kind}) is not supported by the Amazon Q upstream; only plain-text documents "
        "(source type \"text\") can be sent — extract the text and send it as a text block",
        param=f"{path}.source",
    )


def _read_tool_result(block: a.ToolResultBlock, path: str, turn: UserTurn) -> Result:
    content: list[amazonq.ToolResultContentBlock] = []
    if isinstance(block.content, str):
        content.append(amazonq.ToolResultContentBlock(text=block.content))
    else:
        for position, inner in enumerate(block.content):
            inner_path = f"{path}.content[{position}]"
            if isinstance(inner, a.TextBlock):
                content.append(amazonq.ToolResultContentBlock(text=inner.text))
            elif isinstance(inner, a.ImageBlock):
                # Q results carry only text/json (amazonq.md §2.4): the image rides on the user message.
                turn.parts.append(read_image(inner, inner_path))
            elif isinstance(inner, a.DocumentBlock):
                for part in _read_document(inner, inner_path):
                    if isinstance(part, Image):
                        turn.parts.append(part)
                    else:
                        content.append(amazonq.ToolResultContentBlock(text=part))
            else:
                content.append(amazonq.ToolResultContentBlock(json=msgspec.to_builtins(inner)))
    return Result(block.tool_use_id, content, bool(block.is_error))


def _block_type(block: object) -> str:
    kind = getattr(block, "type", None)
    if isinstance(kind, str):
        return kind
    config = getattr(type(block), "__struct_config__", None)
    tag = getattr(config, "tag", None)
    return tag if isinstance(tag, str) else type(block).__name__


def _source_type(source: object) -> str:
    tag = getattr(type(source).__struct_config__, "tag", None)
    return tag if isinstance(tag, str) else type(source).__name__
