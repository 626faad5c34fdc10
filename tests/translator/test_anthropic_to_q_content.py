"""System prompt, user content, images, documents, thinking and the request's fixed shape (amazonq.md §2.2–§2.6,
§8; seeds.md §5.2, §5.4, §5.6, §5.8)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from test_anthropic_to_q_support import (
    CONVERSATION_ID,
    SYSTEM_MARKERS,
    assistant,
    body,
    conversation,
    conversion,
    current,
    current_message,
    image,
    png_base64,
    q_image,
    result,
    simulator_verdict,
    spec,
    state,
    text,
    tool,
    tool_result,
    tool_use,
    user,
    wire,
)

from services.translator.errors import ConversionError
from shared import prompt_hints

SYSTEM = SYSTEM_MARKERS
GOLDEN: dict[str, dict[str, Any]] = {}


def golden(name: str, request: dict[str, Any]) -> dict[str, Any]:
    GOLDEN[name] = request
    return request


SYSTEM_STRING = golden("system string", body([{"role": "user", "content": "Hello"}], system="You are terse."))
SYSTEM_BLOCKS = golden("system blocks with cache_control", body(
    [{"role": "user", "content": "Hello"}],
    system=[text("billing header"), text("You are Claude Code.", cache_control={"type": "ephemeral"})],
))
SYSTEM_ON_RESULT_TURN = golden("system on a tool-result-only turn", body([
    {"role": "user", "content": "List"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", {"command": "ls"})]},
    {"role": "user", "content": [tool_result("t1", "a.txt")]},
], system="You are terse.", tools=[tool("Bash")]))
IMAGES_MERGED = golden("images in merged user turns", body([
    {"role": "user", "content": [text("first"), image()]},
    {"role": "user", "content": [image(png_base64(2, 2)), text("second")]},
]))
IMAGE_IN_RESULT = golden("image inside a tool result", body([
    {"role": "user", "content": "Screenshot please"},
    {"role": "assistant", "content": [tool_use("t1", "Screenshot")]},
    {"role": "user", "content": [tool_result("t1", [text("captured"), image()])]},
], tools=[tool("Screenshot")]))
ELEVEN_IMAGES = golden("eleven images", body([
    {"role": "user", "content": [image(png_base64(n + 1, 1)) for n in range(6)]},
    {"role": "assistant", "content": "Seen."},
    {"role": "user", "content": [text("more"), *[image(png_base64(n + 1, 2)) for n in range(5)]]},
]))
THINKING_ENABLED = golden("thinking enabled", body(
    [{"role": "user", "content": "Think"}], thinking={"type": "enabled", "budget_tokens": 2048}
))
THINKING_REPLAY = golden("thinking replayed in history", body([
    {"role": "user", "content": "Why?"},
    {"role": "assistant", "content": [{"type": "thinking", "thinking": "Because.", "signature": "c2ln"},
                                      {"type": "redacted_thinking", "data": "ZW5j"}, text("Answer.")]},
    {"role": "user", "content": "And?"},
], thinking={"type": "adaptive"}))


# -- system prompt ---------------------------------------------------------------------------------------------


def test_a_system_string_is_passed_verbatim_inside_neutral_markers_at_the_start() -> None:
    assert state(SYSTEM_STRING) == conversation([], current(SYSTEM.format("You are terse.") + "\n\nHello"))


def test_system_blocks_are_joined_by_a_blank_line_and_cache_control_is_ignored() -> None:
    assert current_message(SYSTEM_BLOCKS)["content"] == (
        SYSTEM.format("billing header\n\nYou are Claude Code.") + "\n\nHello"
    )


def test_the_system_prompt_is_sent_on_a_tool_result_only_turn_too() -> None:
    assert state(SYSTEM_ON_RESULT_TURN) == conversation(
        [user("List"), assistant("", ("t1", "Bash", {"command": "ls"}))],
        current(SYSTEM.format("You are terse."), results=[result("t1", "a.txt")],
                tools=[spec("Bash", "A tool")]),
    )


def test_the_system_prompt_goes_only_into_the_current_message() -> None:
    history = state(SYSTEM_ON_RESULT_TURN)["history"]
    assert all("SYSTEM PROMPT" not in entry.get("userInputMessage", {}).get("content", "") for entry in history)


def test_user_text_is_passed_as_is_without_context_or_user_message_wrappers() -> None:
    content = current_message(body([{"role": "user", "content": "  Hello\n\nthere \n"}]))["content"]
    assert content == "  Hello\n\nthere \n"


def test_text_blocks_of_one_message_are_joined_by_a_blank_line() -> None:
    request = body([{"role": "user", "content": [text("<system-reminder>x</system-reminder>"), text("Do it")]}])
    assert current_message(request)["content"] == "<system-reminder>x</system-reminder>\n\nDo it"


def test_an_empty_user_message_gets_a_neutral_placeholder_and_a_repair_note() -> None:
    request = body([{"role": "user", "content": ""}])
    assert current_message(request)["content"] == "."
    assert any("no text" in note for note in conversion(request).repairs)


# -- fixed shape -------------------------------------------------------------------------------------------------


def test_model_id_and_tools_go_on_the_current_message_only() -> None:
    history = state(SYSTEM_ON_RESULT_TURN)["history"]
    assert all("modelId" not in entry.get("userInputMessage", {}) for entry in history)
    assert all("tools" not in entry.get("userInputMessage", {}).get("userInputMessageContext", {}) for entry in history)
    assert current_message(SYSTEM_ON_RESULT_TURN)["modelId"] == "claude-sonnet-4.5"


def test_the_origin_parameter_goes_on_every_user_message() -> None:
    entries = [*state(SYSTEM_ON_RESULT_TURN, origin="CLI")["history"],
               state(SYSTEM_ON_RESULT_TURN, origin="CLI")["currentMessage"]]
    assert [entry["userInputMessage"]["origin"] for entry in entries if "userInputMessage" in entry] == ["CLI", "CLI"]


def test_no_env_state_is_invented() -> None:
    assert "envState" not in str(wire(conversion(SYSTEM_ON_RESULT_TURN)))


def test_the_given_conversation_id_and_manual_trigger_are_used() -> None:
    converted = state(SINGLE := body([{"role": "user", "content": "x"}]), conversation_id="fresh-id")
    assert (converted["conversationId"], converted["chatTriggerType"]) == ("fresh-id", "MANUAL")
    assert state(SINGLE)["conversationId"] == CONVERSATION_ID


def test_profile_arn_is_top_level_only_when_given() -> None:
    arn = "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC"
    assert wire(conversion(SYSTEM_STRING, profile_arn=arn))["profileArn"] == arn
    assert "profileArn" not in wire(conversion(SYSTEM_STRING))


def test_a_tool_result_only_turn_gets_placeholder_text_for_origins_that_reject_empty_content() -> None:
    request = body([
        {"role": "user", "content": "List"},
        {"role": "assistant", "content": [tool_use("t1", "Bash")]},
        {"role": "user", "content": [tool_result("t1", "a.txt")]},
    ], tools=[tool("Bash")])
    assert current_message(request, origin="AI_EDITOR")["content"] == "Tool results provided."
    assert current_message(request, origin="KIRO_CLI")["content"] == ""


def test_unsupported_parameters_are_not_sent() -> None:
    request = body([{"role": "user", "content": "x"}], temperature=0.2, top_p=0.9, top_k=5, stop_sequences=["END"],
                   metadata={"user_id": "u"}, context_management={"edits": []}, stream=True)
    assert state(request) == conversation([], current("x"))


def test_structured_output_format_is_noted_as_not_enforced() -> None:
    request = body([{"role": "user", "content": "title?"}], output_config={"format": {"type": "json_schema"}})
    assert any("output_config.format" in note for note in conversion(request).repairs)


def test_mcp_servers_are_refused_with_a_clear_message() -> None:
    request = body([{"role": "user", "content": "x"}], mcp_servers=[{"type": "url", "url": "https://m", "name": "m"}])
    with pytest.raises(ConversionError, match="mcp_servers"):
        conversion(request)


def test_an_unknown_user_block_is_refused_by_name() -> None:
    request = body([{"role": "user", "content": [{"type": "search_result", "source": "s", "title": "t", "content": []}]}])
    with pytest.raises(ConversionError, match="search_result") as raised:
        conversion(request)
    assert raised.value.param == "messages[0].content[0]"


def test_server_tool_blocks_in_assistant_history_are_dropped_and_noted() -> None:
    request = body([
        {"role": "user", "content": "search"},
        {"role": "assistant", "content": [
            {"type": "server_tool_use", "id": "srv1", "name": "web_search", "input": {"query": "q"}},
            {"type": "web_search_tool_result", "tool_use_id": "srv1", "content": []},
            text("Found it."),
        ]},
        {"role": "user", "content": "thanks"},
    ])
    converted = conversion(request)
    assert wire(converted)["conversationState"]["history"][1] == assistant("Found it.")
    assert sum("server-side tool block" in note for note in converted.repairs) == 2


# -- images ------------------------------------------------------------------------------------------------------


def test_images_of_merged_user_turns_are_all_kept_in_order() -> None:
    assert state(IMAGES_MERGED) == conversation(
        [], current("first\n\nsecond", images=[q_image(), q_image(png_base64(2, 2))])
    )


@pytest.mark.parametrize(("media_type", "image_format"),
                         [("image/jpeg", "jpeg"), ("image/png", "png"), ("image/gif", "gif"), ("image/webp", "webp")])
def test_image_media_types_map_to_q_formats(media_type: str, image_format: str) -> None:
    request = body([{"role": "user", "content": [text("look"), image(media_type=media_type)]}])
    assert current_message(request)["images"] == [q_image(image_format=image_format)]


def test_an_image_inside_a_tool_result_moves_to_the_user_message_images() -> None:
    assert state(IMAGE_IN_RESULT) == conversation(
        [user("Screenshot please"), assistant("", ("t1", "Screenshot", {}))],
        current("", results=[result("t1", "captured")], tools=[spec("Screenshot", "A tool")], images=[q_image()]),
    )


def test_other_blocks_inside_a_tool_result_are_kept_as_text_or_json() -> None:
    search = {"type": "search_result", "source": "s", "title": "t", "content": [text("c")]}
    document = {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc"}}
    request = body([
        {"role": "user", "content": "find"},
        {"role": "assistant", "content": [tool_use("t1", "Find")]},
        {"role": "user", "content": [tool_result("t1", [document, search])]},
    ], tools=[tool("Find")])
    assert current_message(request)["userInputMessageContext"]["toolResults"] == [
        {"toolUseId": "t1", "content": [{"text": "doc"}, {"json": search}], "status": "success"}
    ]


def test_an_image_only_message_gets_a_placeholder_text_and_keeps_its_image() -> None:
    request = body([{"role": "user", "content": [image()]}])
    assert state(request) == conversation([], current(".", images=[q_image()]))


def test_over_ten_images_the_oldest_become_a_visible_placeholder() -> None:
    converted = conversion(ELEVEN_IMAGES)
    history = wire(converted)["conversationState"]["history"]
    first = history[0]["userInputMessage"]
    assert first["content"] == "[image omitted: Amazon Q accepts at most 10 images per request]"
    assert [i["source"]["bytes"] for i in first["images"]] == [png_base64(n + 1, 1) for n in range(1, 6)]
    assert len(current_message(ELEVEN_IMAGES)["images"]) == 5
    assert any("placeholder" in note for note in converted.repairs)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"type": "url", "url": "https://example.com/a.png"}, "does not fetch URLs"),
        ({"type": "file", "file_id": "file_1"}, "Files API"),
        ({"type": "base64", "media_type": "image/bmp", "data": png_base64()}, "image/bmp"),
        ({"type": "base64", "media_type": "image/png", "data": "data:image/png;base64,AAAA"}, "not valid base64"),
    ],
    ids=["url", "file", "bmp", "data url"],
)
def test_an_image_that_cannot_be_sent_is_refused_with_a_clear_message(source: dict[str, Any], message: str) -> None:
    request = body([{"role": "user", "content": [{"type": "image", "source": source}]}])
    with pytest.raises(ConversionError, match=message) as raised:
        conversion(request)
    assert raised.value.param is not None and raised.value.param.startswith("messages[0].content[0].source")


def test_an_image_over_ten_mebibytes_is_refused() -> None:
    data = base64.b64encode(b"\0" * (10 * 1024 * 1024 + 1)).decode()
    request = body([{"role": "user", "content": [image(data)]}])
    with pytest.raises(ConversionError, match="too large"):
        conversion(request)


# -- documents ---------------------------------------------------------------------------------------------------


def test_a_plain_text_document_is_sent_as_text() -> None:
    document = {"type": "document", "title": "notes.txt",
                "source": {"type": "text", "media_type": "text/plain", "data": "line one"}}
    request = body([{"role": "user", "content": [document, text("Summarise")]}])
    assert current_message(request)["content"] == "Document: notes.txt\nline one\n\nSummarise"


def test_a_pdf_document_is_refused_with_a_clear_message() -> None:
    document = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}}
    with pytest.raises(ConversionError, match="application/pdf"):
        conversion(body([{"role": "user", "content": [document]}]))


# -- thinking ----------------------------------------------------------------------------------------------------


def test_enabled_thinking_appends_the_budget_hint_at_the_very_end() -> None:
    converted = conversion(THINKING_ENABLED)
    content = wire(converted)["conversationState"]["currentMessage"]["userInputMessage"]["content"]
    assert content == "Think\n\n" + prompt_hints.thinking_enabled_hint(2048)
    assert converted.thinking is True


@pytest.mark.parametrize(("output_config", "effort"), [(None, "high"), ({"effort": "low"}, "low")])
def test_adaptive_thinking_appends_the_effort_hint(output_config: dict[str, Any] | None, effort: str) -> None:
    extra = {"output_config": output_config} if output_config else {}
    request = body([{"role": "user", "content": "Think"}], thinking={"type": "adaptive"}, **extra)
    assert current_message(request)["content"] == "Think\n\n" + prompt_hints.thinking_adaptive_hint(effort)
    assert conversion(request).thinking is True


@pytest.mark.parametrize("thinking", [None, {"type": "disabled"}])
def test_without_thinking_there_is_no_hint_and_the_flag_is_off(thinking: dict[str, Any] | None) -> None:
    request = body([{"role": "user", "content": "Hi"}], **({"thinking": thinking} if thinking else {}))
    converted = conversion(request)
    assert current_message(request)["content"] == "Hi"
    assert converted.thinking is False


def test_the_thinking_hint_appears_once_after_every_other_section_even_for_merged_turns() -> None:
    request = body([
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "system", "content": "three"},
    ], system="sys", tools=[tool("Bash")], tool_choice={"type": "any"}, thinking={"type": "enabled", "budget_tokens": 99})
    hint = prompt_hints.thinking_enabled_hint(99)
    assert current_message(request)["content"] == "\n\n".join(
        [SYSTEM.format("sys"), "one", "two", SYSTEM.format("three"), prompt_hints.TOOL_CHOICE_ANY, hint]
    )


def test_previous_thinking_is_replayed_as_tags_before_the_text_and_redacted_thinking_is_dropped() -> None:
    converted = conversion(THINKING_REPLAY)
    assert wire(converted)["conversationState"]["history"] == [
        user("Why?"), assistant("<thinking>Because.</thinking>\n\nAnswer.")
    ]
    assert any("redacted_thinking" in note for note in converted.repairs)


def test_thinking_hints_are_not_added_to_history() -> None:
    history = state(THINKING_REPLAY)["history"]
    assert "thinking_mode" not in str(history)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_golden_output_passes_the_simulator_validator(name: str) -> None:
    assert simulator_verdict(wire(conversion(GOLDEN[name]))) is None
