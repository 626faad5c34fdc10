"""Preflight: the built Q body checked against amazonq.md §2.8 and the §8 invariants before it is sent.

Amazon Q answers every violation with a bare 400 "Improperly formed request."; this check answers the
client instead with what is wrong and what to do. After the converter's repairs only the size limits
can normally fire (a prompt or tool result too long); the structural checks are a safety net that turns
a converter bug into a clear 400 rather than an upstream round trip and an opaque error.

The context-window guard (tokens) is the caller's: it knows the route's window.
"""

from __future__ import annotations

import orjson

from services.translator.errors import ConversionError
from services.translator.q_tools import MAX_DESCRIPTION_BYTES, MAX_TOOL_NAME, VALID_TOOL_NAME
from shared.schemas import amazonq

MAX_CONTENT_CHARS = 600_000  # QCLI consts.rs: "Actual service limit is 600_000"
MAX_TOOL_RESULT_CHARS = 800_000  # same file
MAX_HISTORY_ENTRIES = 10_000  # QCLI MAX_CONVERSATION_STATE_HISTORY_LEN
MAX_IMAGES = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})


def _invalid(detail: str) -> ConversionError:
    return ConversionError(f"the request cannot be sent to Amazon Q: {detail}")


def check_request(body: amazonq.GenerateAssistantResponseRequest) -> None:
    """Raise ``ConversionError`` for the first rule ``body`` breaks."""
    state = body.conversation_state
    if state.chat_trigger_type != "MANUAL":
        raise _invalid(f"chatTriggerType {state.chat_trigger_type!r} is not MANUAL")
    if not state.conversation_id:
        raise _invalid("conversationId is empty")
    history = state.history or []
    if len(history) > MAX_HISTORY_ENTRIES:
        raise ConversionError(
            f"the conversation is too long for Amazon Q: {len(history):,} history entries > "
            f"{MAX_HISTORY_ENTRIES:,} maximum; compact the conversation or start a new one"
        )
    for index, entry in enumerate(history):
        expected_user = index % 2 == 0
        if (entry.user_input_message is not None) != expected_user:
            raise _invalid(f"history[{index}] breaks the user/assistant alternation")
    if history and history[-1].assistant_response_message is None:
        raise _invalid("history does not end with an assistant entry")
    current = state.current_message.user_input_message
    if current is None:
        raise _invalid("currentMessage is not a user message")

    defined = _check_tools(current)
    seen_ids: set[str] = set()
    used_names: set[str] = set()
    calls: list[str] = []
    images = 0
    messages = [*history, state.current_message]
    for index, entry in enumerate(messages):
        is_current = index == len(messages) - 1
        where = "the current message" if is_current else f"history[{index}]"
        assistant = entry.assistant_response_message
        if assistant is not None:
            calls = _check_assistant(assistant, where, seen_ids, used_names)
            continue
        user = entry.user_input_message
        assert user is not None
        _check_user(user, where, calls, is_current)
        images += len(user.images or ())
        calls = []
    if images > MAX_IMAGES:
        raise ConversionError(f"the request has {images} images; Amazon Q accepts at most {MAX_IMAGES}")
    undefined = sorted(name for name in used_names if name.lower() not in defined)
    if undefined:
        raise _invalid(f"history uses tools that are not defined: {', '.join(undefined)}")


def _check_user(message: amazonq.UserInputMessage, where: str, calls: list[str], is_current: bool) -> None:
    context = message.user_input_message_context
    results = (context.tool_results if context else None) or []
    if not is_current and (message.model_id is not None or (context is not None and context.tools)):
        raise _invalid(f"{where} carries modelId or tools, which belong on the current message only")
    if not message.content.strip() and not results:
        raise _invalid(f"{where} has empty content and no tool results")
    if len(message.content) > MAX_CONTENT_CHARS:
        what = "prompt" if is_current else f"{where} (a user message of the conversation)"
        raise ConversionError(
            f"{what} is too long for Amazon Q: {len(message.content):,} characters > {MAX_CONTENT_CHARS:,} maximum "
            "(system prompt and tool documentation included); shorten it"
        )
    ids = [result.tool_use_id for result in results]
    if len(set(ids)) != len(ids):
        raise _invalid(f"{where} answers a tool use twice")
    if set(ids) != set(calls):
        raise _invalid(
            f"{where}: tool uses not answered {sorted(set(calls) - set(ids))}, results without a tool use "
            f"{sorted(set(ids) - set(calls))}"
        )
    for result in results:
        if not result.tool_use_id or not result.content:
            raise _invalid(f"{where} has a tool result without toolUseId or content")
        size = len(_result_text(result))
        if size > MAX_TOOL_RESULT_CHARS:
            raise ConversionError(
                f"the tool result for {result.tool_use_id} is too long for Amazon Q: {size:,} characters > "
                f"{MAX_TOOL_RESULT_CHARS:,} maximum; truncate the tool output"
            )
    for position, image in enumerate(message.images or ()):
        if image.format not in IMAGE_FORMATS:
            raise _invalid(f"{where}.images[{position}] has format {image.format!r}")
        # The converter decoded every image once (q_turns.read_image); the size follows from the length.
        data = image.source.bytes
        size = len(data) * 3 // 4 - data[-2:].count("=")
        if not size or size > MAX_IMAGE_BYTES:
            raise _invalid(f"{where}.images[{position}] is empty or larger than 10 MiB")


def _check_assistant(
    message: amazonq.AssistantResponseMessage, where: str, seen_ids: set[str], used_names: set[str]
) -> list[str]:
    calls: list[str] = []
    for use in message.tool_uses or ():
        if not use.tool_use_id or not use.name:
            raise _invalid(f"{where} has a tool use without toolUseId or name")
        if use.tool_use_id in seen_ids:
            raise _invalid(f"tool use id {use.tool_use_id} occurs twice in the conversation")
        if "" in use.input:
            raise _invalid(f"{where}: tool use {use.tool_use_id} input has an empty-string key")
        seen_ids.add(use.tool_use_id)
        used_names.add(use.name)
        calls.append(use.tool_use_id)
    return calls


def _check_tools(current: amazonq.UserInputMessage) -> set[str]:
    """The tool specs' shape (§2.8); returns their names, lower-cased (Q matches case-insensitively)."""
    context = current.user_input_message_context
    names: set[str] = set()
    for tool in (context.tools if context else None) or ():
        spec = tool.tool_specification
        if spec is None:
            continue
        if not VALID_TOOL_NAME.fullmatch(spec.name) or len(spec.name) > MAX_TOOL_NAME:
            raise _invalid(
                f"tool name {spec.name!r} is not ^[a-zA-Z][a-zA-Z0-9_]*$ of at most {MAX_TOOL_NAME} characters"
            )
        if spec.name.lower() in names:
            raise _invalid(f"tool name {spec.name!r} is defined twice (Amazon Q ignores case)")
        if not spec.description:
            raise _invalid(f"tool {spec.name} has an empty description")
        if len(spec.description.encode("utf-8", "surrogatepass")) > MAX_DESCRIPTION_BYTES:
            raise _invalid(f"tool {spec.name} has a description over {MAX_DESCRIPTION_BYTES:,} bytes")
        schema = spec.input_schema.json
        if not isinstance(schema.get("type", ""), str):
            raise _invalid(f"tool {spec.name} input schema has a non-string type")
        if "properties" in schema and not isinstance(schema["properties"], dict):
            raise _invalid(f"tool {spec.name} input schema properties is not an object")
        if "required" in schema and not isinstance(schema["required"], list):
            raise _invalid(f"tool {spec.name} input schema required is not a list")
        names.add(spec.name.lower())
    return names


def _result_text(result: amazonq.ToolResult) -> str:
    parts = [block.text if block.text is not None else orjson.dumps(block.json).decode() for block in result.content]
    return "\n".join(parts)
