"""OpenAI chat ``messages`` → Anthropic ``system`` blocks and turns: the message half of
``openai_to_anthropic``.

Facts: client-apis.md §2.1 (what OpenAI clients send) and §1.1 (what an Anthropic request may hold).
Rules kept here:

* ``system`` / ``developer`` messages *before* the first conversational message become the top-level
  ``system`` (one text block per text part, in order). One that comes later stays where it is, as an
  Anthropic ``role: "system"`` turn — the shape Claude Code's mid-conversation-system beta uses, which our
  Anthropic path accepts (§0.4) — so an instruction given mid-conversation keeps its position.
* ``user`` text and ``image_url`` parts with ``data:`` URLs become text and base64 image blocks; remote
  image URLs are refused (this gateway does not fetch), as are audio and file parts.
* ``assistant`` text / refusal / ``tool_calls`` / legacy ``function_call`` become text and ``tool_use``
  blocks; ``arguments`` (a JSON string) is parsed into the ``input`` object.
* consecutive ``tool`` (and legacy ``function``) messages become one user turn of ``tool_result`` blocks.
  Like OpenAI itself, a tool message must answer a pending call of an earlier assistant message, and every
  call must be answered before the next user or assistant message (Anthropic has the same rule).
* ``name`` members are dropped: Anthropic has no per-message author name.
* Empty text parts and messages that end up with no content are skipped (Anthropic rejects empty text
  blocks); message order is otherwise kept exactly — role alternation is repaired further down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from shared.schemas import anthropic as ant
from shared.schemas import openai as oai

from .errors import ConversionError

__all__ = ["ConvertedMessages", "convert_messages"]

#: Image types Anthropic accepts (§1.1); ``image/jpg`` is a common misspelling of ``image/jpeg``.
_IMAGE_TYPES = {
    "image/jpeg": "image/jpeg",
    "image/jpg": "image/jpeg",
    "image/png": "image/png",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
}

_REFUSED_PARTS = {
    "input_audio": "audio input is not supported by this gateway",
    "file": "file parts are not supported by this gateway; send the file's text as a text part",
    "refusal": "refusal parts are only valid in assistant messages",
}


@dataclass
class ConvertedMessages:
    system: list[ant.TextBlock] = field(default_factory=list)
    messages: list[ant.MessageParam] = field(default_factory=list)


def convert_messages(messages: list[oai.MessageParam]) -> ConvertedMessages:
    """Convert the whole ``messages`` list, or raise ``ConversionError`` naming the offending member."""
    builder = _TurnBuilder()
    for i, message in enumerate(messages):
        builder.add(i, message)
    builder.close()
    if not builder.out.messages:
        raise ConversionError(
            "messages: at least one user or assistant message with content is required", param="messages"
        )
    return builder.out


class _TurnBuilder:
    def __init__(self) -> None:
        self.out = ConvertedMessages()
        self._conversation_started = False
        #: The open user turn collecting ``tool_result`` blocks, while tool messages keep coming.
        self._results: list[ant.ContentBlock] | None = None
        #: Calls of earlier assistant messages still waiting for their tool message: id → where it was made.
        self._pending: dict[str, str] = {}
        #: Legacy ``function_call``s by function name, oldest first (a ``function`` message names, not ids).
        self._legacy_pending: dict[str, list[str]] = {}

    def add(self, i: int, message: oai.MessageParam) -> None:
        match message:
            case oai.SystemMessage() | oai.DeveloperMessage():
                self._system(i, message)
            case oai.UserMessage():
                self._require_answers()
                self._user(i, message)
            case oai.AssistantMessage():
                self._require_answers()
                self._assistant(i, message)
            case oai.ToolMessage():
                self._tool(i, message)
            case oai.FunctionMessage():
                self._function(i, message)

    def close(self) -> None:
        self._require_answers()

    # -- roles -----------------------------------------------------------------------------------------

    def _system(self, i: int, message: oai.SystemMessage | oai.DeveloperMessage) -> None:
        blocks = _text_blocks(message.content, f"messages[{i}]")
        if not blocks:
            return
        if not self._conversation_started:
            self.out.system.extend(blocks)
            return
        content: str | list[ant.ContentBlock] = (
            message.content if isinstance(message.content, str) else blocks
        )
        self._append(ant.MessageParam(role="system", content=content))

    def _user(self, i: int, message: oai.UserMessage) -> None:
        self._conversation_started = True
        if isinstance(message.content, str):
            if message.content:
                self._append(ant.MessageParam(role="user", content=message.content))
            return
        blocks: list[ant.ContentBlock] = []
        for j, part in enumerate(message.content):
            path = f"messages[{i}].content[{j}]"
            match part:
                case oai.TextPart(text=text):
                    if text:
                        blocks.append(ant.TextBlock(text=text))
                case oai.ImagePart(image_url=image_url):
                    blocks.append(_image_block(image_url.url, f"{path}.image_url"))
                case _:
                    raise _refused_part(part, path)
        if blocks:
            self._append(ant.MessageParam(role="user", content=blocks))

    def _assistant(self, i: int, message: oai.AssistantMessage) -> None:
        self._conversation_started = True
        if message.audio is not None:
            raise ConversionError(
                f"messages[{i}].audio: audio responses are not supported by this gateway",
                param=f"messages[{i}].audio",
            )
        blocks: list[ant.ContentBlock] = []
        content = message.content
        if isinstance(content, list):
            for j, part in enumerate(content):
                match part:
                    case oai.TextPart(text=text) | oai.RefusalPart(refusal=text):
                        if text:
                            blocks.append(ant.TextBlock(text=text))
                    case _:
                        raise _refused_part(part, f"messages[{i}].content[{j}]")
        elif content:
            blocks.append(ant.TextBlock(text=content))
        if message.refusal:
            # A refusal the model produced earlier is what it said: keep it as text.
            blocks.append(ant.TextBlock(text=message.refusal))
        for k, call in enumerate(message.tool_calls or ()):
            path = f"messages[{i}].tool_calls[{k}]"
            blocks.append(_tool_use(call.id, call.function, path))
            self._pending[call.id] = path
        if message.function_call is not None:
            # Legacy calls have no id; the answering ``function`` message names the function instead.
            call_id = f"call_legacy_{i}"
            blocks.append(_tool_use(call_id, message.function_call, f"messages[{i}].function_call"))
            self._pending[call_id] = f"messages[{i}].function_call"
            self._legacy_pending.setdefault(message.function_call.name, []).append(call_id)
        if not blocks:
            return
        if isinstance(content, str) and content and len(blocks) == 1:
            self._append(ant.MessageParam(role="assistant", content=content))
        else:
            self._append(ant.MessageParam(role="assistant", content=blocks))

    def _tool(self, i: int, message: oai.ToolMessage) -> None:
        if self._pending.pop(message.tool_call_id, None) is None:
            raise ConversionError(
                f"messages[{i}].tool_call_id: `{message.tool_call_id}` does not answer a pending tool call "
                "of an earlier assistant message",
                param=f"messages[{i}].tool_call_id",
            )
        for ids in self._legacy_pending.values():
            if message.tool_call_id in ids:
                ids.remove(message.tool_call_id)
        if isinstance(message.content, str):
            result: str | list[ant.ContentBlock] = message.content
        else:
            result = list(_text_blocks(message.content, f"messages[{i}]")) or ""
        self._add_result(ant.ToolResultBlock(tool_use_id=message.tool_call_id, content=result))

    def _function(self, i: int, message: oai.FunctionMessage) -> None:
        ids = self._legacy_pending.get(message.name)
        if not ids:
            raise ConversionError(
                f"messages[{i}]: this function message answers no earlier assistant function_call named "
                f"`{message.name}`",
                param=f"messages[{i}].name",
            )
        call_id = ids.pop(0)
        del self._pending[call_id]
        self._add_result(ant.ToolResultBlock(tool_use_id=call_id, content=message.content or ""))

    # -- bookkeeping -------------------------------------------------------------------------------------

    def _add_result(self, block: ant.ToolResultBlock) -> None:
        if self._results is None:
            self._results = []
            self.out.messages.append(ant.MessageParam(role="user", content=self._results))
        self._results.append(block)

    def _append(self, message: ant.MessageParam) -> None:
        self._results = None
        self.out.messages.append(message)

    def _require_answers(self) -> None:
        if self._pending:
            call_id, where = next(iter(self._pending.items()))
            raise ConversionError(
                f"{where}: tool call `{call_id}` has no tool message answering it; an assistant message "
                "with tool_calls must be followed by a tool message for each tool_call_id",
                param=where,
            )


# -- parts ---------------------------------------------------------------------------------------------


def _text_blocks(content: str | list[oai.ContentPart], path: str) -> list[ant.TextBlock]:
    """Text-only content (system, developer and tool messages): one block per non-empty text part."""
    if isinstance(content, str):
        return [ant.TextBlock(text=content)] if content else []
    blocks: list[ant.TextBlock] = []
    for j, part in enumerate(content):
        if not isinstance(part, oai.TextPart):
            raise ConversionError(
                f"{path}.content[{j}]: only text parts are allowed in this message, got `{_part_type(part)}`",
                param=f"{path}.content[{j}]",
            )
        if part.text:
            blocks.append(ant.TextBlock(text=part.text))
    return blocks


def _image_block(url: str, path: str) -> ant.ImageBlock:
    """``data:<media type>;base64,<data>`` → a base64 image block."""
    scheme = url[:8].lower()
    if scheme.startswith(("http://", "https://")):
        raise ConversionError(
            f"{path}: remote URLs are not fetched by this gateway; send the image as a data: URL", param=path
        )
    if not scheme.startswith("data:"):
        raise ConversionError(f"{path}: expected a data: URL (data:image/png;base64,…)", param=path)
    header, comma, data = url[5:].partition(",")
    media_type, *params = header.split(";")
    media_type = media_type.strip().lower()
    if not comma or "base64" not in (p.strip().lower() for p in params):
        raise ConversionError(
            f"{path}: the data: URL must be base64-encoded (data:{media_type};base64,…)", param=path
        )
    normalized = _IMAGE_TYPES.get(media_type)
    if normalized is None:
        raise ConversionError(
            f"{path}: image type `{media_type or 'unspecified'}` is not supported; "
            "use image/jpeg, image/png, image/gif or image/webp",
            param=path,
        )
    if not data:
        raise ConversionError(f"{path}: the data: URL holds no image data", param=path)
    return ant.ImageBlock(source=ant.Base64Source(media_type=normalized, data=data))


def _part_type(part: oai.ContentPart) -> str:
    """The wire ``type`` of a part: a Struct's tag, or the raw value of an unknown part."""
    if isinstance(part, oai.UnknownContentPart):
        return part.type
    return type(part).__struct_config__.tag  # type: ignore[attr-defined]


def _refused_part(part: oai.ContentPart, path: str) -> ConversionError:
    kind = _part_type(part)
    reason = _REFUSED_PARTS.get(kind, "this content part type is not supported by this gateway")
    return ConversionError(f"{path}: `{kind}` parts: {reason}", param=path)


def _tool_use(call_id: str, function: oai.FunctionCall, path: str) -> ant.ToolUseBlock:
    """A call's ``arguments`` is the model's JSON text; Anthropic wants the object (``""`` means ``{}``)."""
    text = function.arguments
    if text.strip():
        try:
            arguments = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ConversionError(
                f"{path}.function.arguments: the arguments of call `{call_id}` (`{function.name}`) are not "
                f"valid JSON: {exc}",
                param=f"{path}.function.arguments",
            ) from None
    else:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ConversionError(
            f"{path}.function.arguments: the arguments of call `{call_id}` (`{function.name}`) must be a JSON "
            "object",
            param=f"{path}.function.arguments",
        )
    return ant.ToolUseBlock(id=call_id, name=function.name, input=arguments)
