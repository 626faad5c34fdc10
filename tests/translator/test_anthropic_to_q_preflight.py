"""The preflight refuses, with a message that says what to do, what Amazon Q would answer with a bare
"Improperly formed request." (amazonq.md §2.8, §8)."""

from __future__ import annotations

from typing import Any

import pytest
from test_anthropic_to_q_support import body, conversion, png_base64, tool, tool_result, tool_use

from services.translator.errors import ConversionError
from services.translator.q_preflight import check_request
from shared.schemas import amazonq as q

# -- size limits, through the converter --------------------------------------------------------------------------


def test_a_prompt_over_600000_characters_is_refused_with_its_size() -> None:
    with pytest.raises(ConversionError, match=r"^prompt is too long for Amazon Q: 600,001 characters > 600,000 maximum"):
        conversion(body([{"role": "user", "content": "x" * 600_001}]))


def test_a_prompt_of_exactly_600000_characters_is_accepted() -> None:
    conversion(body([{"role": "user", "content": "x" * 600_000}]))


def test_the_system_prompt_counts_toward_the_prompt_limit() -> None:
    with pytest.raises(ConversionError, match="prompt is too long"):
        conversion(body([{"role": "user", "content": "x" * 300_000}], system="s" * 300_000))


def test_a_history_user_message_over_600000_characters_is_refused() -> None:
    request = body([
        {"role": "user", "content": "x" * 600_001},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "next"},
    ])
    with pytest.raises(ConversionError, match=r"history\[0\].*too long for Amazon Q: 600,001 characters"):
        conversion(request)


def test_a_tool_result_over_800000_characters_is_refused_naming_the_call() -> None:
    request = body([
        {"role": "user", "content": "cat it"},
        {"role": "assistant", "content": [tool_use("t1", "Bash")]},
        {"role": "user", "content": [tool_result("t1", "y" * 800_001)]},
    ], tools=[tool("Bash")])
    with pytest.raises(ConversionError, match="tool result for t1 is too long for Amazon Q: 800,001 characters > 800,000"):
        conversion(request)


def test_a_history_over_10000_entries_is_refused() -> None:
    messages: list[dict[str, Any]] = []
    for n in range(5_001):
        messages += [{"role": "user", "content": f"q{n}"}, {"role": "assistant", "content": f"a{n}"}]
    messages.append({"role": "user", "content": "last"})
    with pytest.raises(ConversionError, match="10,002 history entries > 10,000 maximum"):
        conversion(body(messages))


# -- structural rules, on hand-built bodies ------------------------------------------------------------------------


def _user(content: str = "hi", *, results: list[q.ToolResult] | None = None, model: str | None = None,
          images: list[q.ImageBlock] | None = None, tools: list[q.Tool] | None = None) -> q.ChatMessage:
    context = q.UserInputMessageContext(tool_results=results, tools=tools) if results or tools else None
    return q.ChatMessage(user_input_message=q.UserInputMessage(
        content=content, user_input_message_context=context, model_id=model, images=images))


def _assistant(*ids: str, name: str = "Bash", tool_input: dict[str, Any] | None = None) -> q.ChatMessage:
    uses = [q.ToolUse(tool_use_id=i, name=name, input=tool_input or {}) for i in ids] or None
    return q.ChatMessage(assistant_response_message=q.AssistantResponseMessage(content="ok", tool_uses=uses))


def _result(tool_use_id: str) -> q.ToolResult:
    return q.ToolResult(tool_use_id=tool_use_id, content=[q.ToolResultContentBlock(text="r")], status="success")


def _tool(name: str = "Bash", description: str = "d", schema: dict[str, Any] | None = None) -> q.Tool:
    return q.Tool(tool_specification=q.ToolSpecification(
        name=name, description=description, input_schema=q.ToolInputSchema(json=schema or {"type": "object"})))


def _request(history: list[q.ChatMessage], current: q.ChatMessage) -> q.GenerateAssistantResponseRequest:
    return q.GenerateAssistantResponseRequest(conversation_state=q.ConversationState(
        conversation_id="c", history=history, current_message=current, chat_trigger_type="MANUAL"))


VALID_TOOLS = [_tool()]


@pytest.mark.parametrize(
    ("history", "current", "message"),
    [
        ([_user(), _user()], _user(), "alternation"),
        ([_user()], _user(), "alternation|end with an assistant"),
        ([_user(), _assistant("t1")], _user(tools=VALID_TOOLS), "not answered \\['t1'\\]"),
        ([_user(), _assistant()], _user(results=[_result("t9")]), "results without a tool use \\['t9'\\]"),
        ([_user(), _assistant("t1")], _user(results=[_result("t1"), _result("t1")], tools=VALID_TOOLS), "twice"),
        ([_user(), _assistant("t1"), _user(results=[_result("t1")]), _assistant("t1")],
         _user(results=[_result("t1")], tools=VALID_TOOLS), "occurs twice"),
        ([_user(), _assistant("t1")], _user(results=[_result("t1")]), "not defined: Bash"),
        ([_user(), _assistant("t1", tool_input={"": 1})], _user(results=[_result("t1")], tools=VALID_TOOLS), "empty-string key"),
        ([_user(model="claude-sonnet-4.5"), _assistant()], _user(), "current message only"),
        ([], _user("  "), "empty content"),
        ([], _user(tools=[_tool("my-tool")]), "my-tool"),
        ([], _user(tools=[_tool("a" * 64)]), "at most 63"),
        ([], _user(tools=[_tool("Bash"), _tool("bash")]), "defined twice"),
        ([], _user(tools=[_tool(description="")]), "empty description"),
        ([], _user(tools=[_tool(description="d" * 10_001)]), "over 10,000 bytes"),
        ([], _user(tools=[_tool(schema={"type": "object", "required": None})]), "required"),
        ([], _user(tools=[_tool(schema={"type": "object", "properties": None})]), "properties"),
        ([], _user(tools=[_tool(schema={"type": ["object"]})]), "non-string type"),
        ([], _user(images=[q.ImageBlock(format="png", source=q.ImageSource(bytes=png_base64()))] * 11), "11 images"),
        ([], _user(images=[q.ImageBlock(format="png", source=q.ImageSource(bytes="A" * 14_000_000))]), "10 MiB"),
    ],
    ids=[
        "two users", "history ends with user", "unanswered use", "orphan result", "duplicate result",
        "tool id reused", "undefined tool", "empty input key", "model id in history", "empty content",
        "invalid tool name", "long tool name", "names equal but for case", "empty description",
        "long description", "required null", "properties null", "type list", "eleven images", "image over 10 MiB",
    ],
)
def test_a_body_breaking_a_q_rule_is_refused_with_the_rule_named(
    history: list[q.ChatMessage], current: q.ChatMessage, message: str
) -> None:
    with pytest.raises(ConversionError, match=message):
        check_request(_request(history, current))


def test_a_well_formed_body_passes() -> None:
    check_request(_request([_user(), _assistant("t1")], _user("", results=[_result("t1")], tools=VALID_TOOLS)))
