"""GenerateAssistantResponse validation: amazonq.md §2.8 limits and the §8 conversation invariants.

`validate_generate_request(body)` is pure: parsed JSON in, the `QError` the real service answers (or
None) out. The real service only says "Improperly formed request."; the error's `detail` names the
rule that fired, for the request log and for tests.

Order: shape and invariants, then the model id, then sizes.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Mapping
from typing import Any

from services.simulator.amazonq_errors import QError, input_too_long, invalid_model, malformed
from services.simulator.amazonq_models import model_is_valid
from services.simulator.amazonq_request import tool_result_text

CHAT_TRIGGER_TYPES = frozenset({"MANUAL", "DIAGNOSTIC", "INLINE_CHAT"})  # §2.2: no AUTO
IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})  # §2.6
TOOL_RESULT_STATUSES = frozenset({"success", "error"})
TOOL_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")  # §2.8, QCLI VALID_TOOL_NAME
MAX_TOOL_NAME_CHARS = 64
MAX_TOOL_DESCRIPTION_BYTES = 10_240  # CPA+/Q2A/AMQ "Kiro API limit is 10240 bytes"
MAX_CONTENT_CHARS = 600_000  # QCLI: "Actual service limit is 600_000"
MAX_TOOL_RESULT_CHARS = 800_000
MAX_IMAGES = 10  # per message (QCLI MAX_NUMBER_OF_IMAGES_PER_REQUEST)
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_HISTORY_ENTRIES = 10_000  # QCLI MAX_CONVERSATION_STATE_HISTORY_LEN
# The 200k-token context window, estimated generously (4 chars a token, 25 % slack) so that a
# request under the per-message limits is not refused for a tokenizer's rounding.
MAX_TOTAL_CHARS = 1_000_000

_USER = "userInputMessage"
_ASSISTANT = "assistantResponseMessage"


class _Invalid(Exception):
    def __init__(self, error: QError) -> None:
        self.error = error


def _fail(detail: str) -> _Invalid:
    return _Invalid(malformed(detail))


def validate_generate_request(body: Any) -> QError | None:
    try:
        _check(body)
    except _Invalid as invalid:
        return invalid.error
    return None


def _check(body: Any) -> None:
    if not isinstance(body, dict):
        raise _fail("the body is not a JSON object")
    state = body.get("conversationState")
    if not isinstance(state, dict):
        raise _fail("conversationState is missing")
    trigger = state.get("chatTriggerType")
    if trigger not in CHAT_TRIGGER_TYPES:
        raise _fail(f"chatTriggerType {trigger!r} is not one of MANUAL, DIAGNOSTIC, INLINE_CHAT")
    conversation_id = state.get("conversationId")
    if conversation_id is not None and (not isinstance(conversation_id, str) or not conversation_id):
        raise _fail("conversationId is present but not a non-empty string")

    kind, current = _chat_message(state.get("currentMessage"), "currentMessage")
    if kind != _USER:
        raise _fail("currentMessage is not a userInputMessage")

    history = state.get("history")
    if history is None:
        history = []
    if not isinstance(history, list):
        raise _fail("history is not a list")
    if len(history) > MAX_HISTORY_ENTRIES:
        raise _fail(f"history has more than {MAX_HISTORY_ENTRIES} entries")
    entries = [_chat_message(entry, f"history[{i}]") for i, entry in enumerate(history)]
    for index, (entry_kind, _) in enumerate(entries):
        expected = _USER if index % 2 == 0 else _ASSISTANT
        if entry_kind != expected:
            raise _fail(f"history[{index}] is a {entry_kind}; history must alternate user, assistant, … from a user entry")
    if entries and entries[-1][0] != _ASSISTANT:
        raise _fail("history does not end with an assistantResponseMessage")
    entries.append((_USER, current))

    tool_names = _check_tools(current)
    seen_tool_ids: set[str] = set()
    used_names: set[str] = set()
    previous_uses: list[str] = []
    total_chars = 0
    for index, (entry_kind, message) in enumerate(entries):
        where = "currentMessage" if index == len(entries) - 1 else f"history[{index}]"
        if entry_kind == _ASSISTANT:
            previous_uses, names, chars = _check_assistant(message, where, seen_tool_ids)
            used_names.update(names)
        else:
            chars = _check_user(message, where, previous_uses)
            previous_uses = []
        total_chars += chars

    unknown = sorted(name for name in used_names if name.lower() not in tool_names)
    if unknown:
        raise _fail(f"history uses tools not defined in the current tools: {', '.join(unknown)}")

    model_id = current.get("modelId")
    if model_id is not None and (not isinstance(model_id, str) or not model_is_valid(model_id, current.get("origin"))):
        raise _Invalid(invalid_model(f"modelId {model_id!r} (origin {current.get('origin')!r})"))
    if total_chars > MAX_TOTAL_CHARS:
        raise _Invalid(input_too_long(f"the conversation has {total_chars} characters"))


def _chat_message(value: Any, where: str) -> tuple[str, dict[str, Any]]:
    """ChatMessage is a union: exactly one of userInputMessage / assistantResponseMessage (§2.2)."""
    if not isinstance(value, dict):
        raise _fail(f"{where} is not a ChatMessage object")
    members = [key for key in (_USER, _ASSISTANT) if value.get(key) is not None]
    if len(members) != 1 or not set(value) <= {_USER, _ASSISTANT}:
        raise _fail(f"{where} must hold exactly one of userInputMessage, assistantResponseMessage")
    message = value[members[0]]
    if not isinstance(message, dict):
        raise _fail(f"{where}.{members[0]} is not an object")
    return members[0], message


def _check_user(message: dict[str, Any], where: str, previous_uses: list[str]) -> int:
    """Shape, pairing with the previous assistant entry's toolUses, sizes; returns its characters."""
    content = message.get("content")
    if not isinstance(content, str):
        raise _fail(f"{where}.content is missing or not a string")
    context = message.get("userInputMessageContext")
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise _fail(f"{where}.userInputMessageContext is not an object")
    results = context.get("toolResults")
    if results is None:
        results = []
    if not isinstance(results, list):
        raise _fail(f"{where}.toolResults is not a list")
    if not content.strip() and not results:
        raise _fail(f"{where} has empty content and no toolResults")

    chars = len(content)
    result_ids: list[str] = []
    for position, result in enumerate(results):
        if not isinstance(result, dict):
            raise _fail(f"{where}.toolResults[{position}] is not an object")
        tool_use_id = result.get("toolUseId")
        if not isinstance(tool_use_id, str) or not tool_use_id:
            raise _fail(f"{where}.toolResults[{position}] has no toolUseId")
        blocks = result.get("content")
        if not isinstance(blocks, list):
            raise _fail(f"{where}.toolResults[{position}].content is missing or not a list")
        for block in blocks:
            if not isinstance(block, dict) or len(block) != 1 or not (
                isinstance(block.get("text"), str) or "json" in block
            ):
                raise _fail(f"{where}.toolResults[{position}] has a content block that is not exactly one of text, json")
        status = result.get("status")
        if status is not None and status not in TOOL_RESULT_STATUSES:
            raise _fail(f"{where}.toolResults[{position}].status {status!r} is not success or error")
        size = len(tool_result_text(result))
        if size > MAX_TOOL_RESULT_CHARS:
            raise _Invalid(input_too_long(f"{where}.toolResults[{position}] has {size} characters"))
        chars += size
        result_ids.append(tool_use_id)

    if len(set(result_ids)) != len(result_ids):
        raise _fail(f"{where}.toolResults repeats a toolUseId")
    if set(result_ids) != set(previous_uses):
        unanswered = sorted(set(previous_uses) - set(result_ids))
        orphans = sorted(set(result_ids) - set(previous_uses))
        raise _fail(f"{where}: toolUses not answered in the next toolResults {unanswered}, results without a toolUse {orphans}")

    if len(content) > MAX_CONTENT_CHARS:
        raise _Invalid(input_too_long(f"{where}.content has {len(content)} characters"))
    _check_images(message.get("images"), where)
    return chars


def _check_images(images: Any, where: str) -> None:
    if images is None:
        return
    if not isinstance(images, list):
        raise _fail(f"{where}.images is not a list")
    if len(images) > MAX_IMAGES:
        raise _fail(f"{where} has {len(images)} images; at most {MAX_IMAGES}")
    for position, image in enumerate(images):
        if not isinstance(image, dict) or image.get("format") not in IMAGE_FORMATS:
            raise _fail(f"{where}.images[{position}] has no format among gif, jpeg, png, webp")
        source = image.get("source")
        data = source.get("bytes") if isinstance(source, dict) else None
        if not isinstance(data, str) or not data:
            raise _fail(f"{where}.images[{position}].source.bytes is not base64 text")
        if len(data) * 3 // 4 > MAX_IMAGE_BYTES + 2:
            raise _fail(f"{where}.images[{position}] is larger than 10 MiB")
        try:
            decoded = binascii.a2b_base64(data, strict_mode=True)
        except binascii.Error:
            raise _fail(f"{where}.images[{position}].source.bytes is not base64 (no data-URL prefix)") from None
        if len(decoded) > MAX_IMAGE_BYTES:
            raise _fail(f"{where}.images[{position}] is larger than 10 MiB")


def _check_assistant(message: dict[str, Any], where: str, seen_tool_ids: set[str]) -> tuple[list[str], set[str], int]:
    """Shape of an assistant entry; returns its toolUse ids, tool names and characters."""
    content = message.get("content")
    if not isinstance(content, str):
        raise _fail(f"{where}.content is missing or not a string")
    uses = message.get("toolUses")
    if uses is None:
        uses = []
    if not isinstance(uses, list):
        raise _fail(f"{where}.toolUses is not a list")
    ids: list[str] = []
    names: set[str] = set()
    for position, use in enumerate(uses):
        if not isinstance(use, dict):
            raise _fail(f"{where}.toolUses[{position}] is not an object")
        tool_use_id, name, tool_input = use.get("toolUseId"), use.get("name"), use.get("input")
        if not isinstance(tool_use_id, str) or not tool_use_id or not isinstance(name, str) or not name:
            raise _fail(f"{where}.toolUses[{position}] needs toolUseId and name")
        if not isinstance(tool_input, dict):
            raise _fail(f"{where}.toolUses[{position}].input is not a JSON object")
        if "" in tool_input:
            raise _fail(f"{where}.toolUses[{position}].input has an empty-string key")
        if tool_use_id in seen_tool_ids:
            raise _fail(f"toolUseId {tool_use_id} is used twice in the conversation")
        seen_tool_ids.add(tool_use_id)
        ids.append(tool_use_id)
        names.add(name)
    return ids, names, len(content)


def _check_tools(current: dict[str, Any]) -> set[str]:
    """The current message's tool specifications (§2.4, §2.8); returns their names, lower-cased."""
    context = current.get("userInputMessageContext") or {}
    tools = context.get("tools") if isinstance(context, dict) else None
    if tools is None:
        return set()
    if not isinstance(tools, list):
        raise _fail("currentMessage tools is not a list")
    names: set[str] = set()
    for position, tool in enumerate(tools):
        where = f"tools[{position}]"
        if not isinstance(tool, dict) or len(tool) != 1:
            raise _fail(f"{where} must hold exactly one of toolSpecification, cachePoint")
        if "cachePoint" in tool:
            continue
        spec = tool.get("toolSpecification")
        if not isinstance(spec, dict):
            raise _fail(f"{where} must hold exactly one of toolSpecification, cachePoint")
        name = spec.get("name")
        if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
            raise _fail(f"{where}: tool name {name!r} does not match ^[a-zA-Z][a-zA-Z0-9_]*$")
        if len(name) > MAX_TOOL_NAME_CHARS:
            raise _fail(f"{where}: tool name {name!r} is longer than {MAX_TOOL_NAME_CHARS} characters")
        description = spec.get("description")
        if not isinstance(description, str) or not description:
            raise _fail(f"{where}: tool {name} has an empty description")
        if len(description.encode("utf-8", "surrogatepass")) > MAX_TOOL_DESCRIPTION_BYTES:
            raise _fail(f"{where}: tool {name} has a description over {MAX_TOOL_DESCRIPTION_BYTES} bytes")
        schema = spec.get("inputSchema")
        document = schema.get("json") if isinstance(schema, dict) else None
        if not isinstance(document, Mapping):
            raise _fail(f"{where}: tool {name} has no inputSchema.json object")
        if "required" in document and document["required"] is None:
            raise _fail(f"{where}: tool {name} inputSchema.json has required: null")
        if "properties" in document and document["properties"] is None:
            raise _fail(f"{where}: tool {name} inputSchema.json has properties: null")
        if "type" in document and not isinstance(document["type"], str):
            raise _fail(f"{where}: tool {name} inputSchema.json has a non-string type")
        names.add(name.lower())
    return names
