"""Anthropic history → Amazon Q history: merging, pairing and the loop-causing shapes (seeds.md §5.3, §5.4;
amazonq.md §8 invariants). Golden tests: request in, whole conversationState out, compared as dicts."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_anthropic_to_q_support import (
    assistant,
    body,
    conversation,
    conversion,
    current,
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

BASH = tool("Bash", "Run a shell command", {"type": "object", "properties": {"command": {"type": "string"}}})
BASH_SPEC = spec("Bash", "Run a shell command", {"type": "object", "properties": {"command": {"type": "string"}}})
LS = {"command": "ls"}
CANCELLED = "Tool use was cancelled by the user"
EXECUTED = "Command executed successfully"

GOLDEN: dict[str, dict[str, Any]] = {}


def golden(name: str, request: dict[str, Any]) -> dict[str, Any]:
    GOLDEN[name] = request
    return request


SINGLE_TURN = golden("single turn", body([{"role": "user", "content": "Hello"}]))

RESULT_THEN_TEXT = golden("tool result then a separate text turn", body([
    {"role": "user", "content": "List the files"},
    {"role": "assistant", "content": [text("Sure."), tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "a.txt\nb.txt")]},
    {"role": "user", "content": "Now count them"},
], tools=[BASH]))

RESULTS_ACROSS_TURNS = golden("results spread over several user turns", body([
    {"role": "user", "content": "Look around"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", {"command": "pwd"}), tool_use("t2", "Bash", LS),
                                      tool_use("t3", "Bash", {"command": "id"})]},
    {"role": "user", "content": [tool_result("t1", "/home/u")]},
    {"role": "user", "content": [tool_result("t2", "a.txt")]},
    {"role": "user", "content": [tool_result("t3", "uid=1000"), text("go on")]},
], tools=[BASH]))

DUPLICATE_RESULTS = golden("duplicate results for one call", body([
    {"role": "user", "content": "Run it"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "part one")]},
    {"role": "user", "content": [tool_result("t1", "part two", is_error=True), tool_result("t1", "part one")]},
], tools=[BASH]))

OUT_OF_ORDER = golden("parallel results out of order", body([
    {"role": "user", "content": "Three things"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS), tool_use("t2", "Bash", LS), tool_use("t3", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t3", "three"), tool_result("t1", "one"), tool_result("t2", "two")]},
], tools=[BASH]))

UNANSWERED = golden("unanswered tool use", body([
    {"role": "user", "content": "Two things"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS), tool_use("t2", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "one"), text("skip the second")]},
], tools=[BASH]))

UNANSWERED_IN_HISTORY = golden("unanswered tool use in history", body([
    {"role": "user", "content": "List"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": "never mind"},
    {"role": "assistant", "content": "OK."},
    {"role": "user", "content": "thanks"},
], tools=[BASH]))

ORPHAN = golden("orphan result", body([
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": [tool_result("t9", "stale output"), text("what now?")]},
]))

CANCELLED_TOOL = golden("cancelled tool", body([
    {"role": "user", "content": "Delete the logs"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", {"command": "rm *.log"})]},
    {"role": "user", "content": [tool_result("t1", "", is_error=True)]},
    {"role": "user", "content": "Don't delete anything; archive them instead"},
], tools=[BASH]))

INTERRUPTION_IN_HISTORY = golden("user interruption in history", body([
    {"role": "user", "content": "Build it"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", {"command": "make"})]},
    {"role": "user", "content": [tool_result("t1", [], is_error=True), text("Stop, run the tests instead")]},
    {"role": "assistant", "content": [tool_use("t2", "Bash", {"command": "make test"})]},
    {"role": "user", "content": [tool_result("t2", [text(""), text("Some result")])]},
], tools=[BASH]))

CONSECUTIVE_ASSISTANTS = golden("consecutive assistant turns", body([
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": "Let me look."},
    {"role": "assistant", "content": [text("Running ls."), tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "a.txt")]},
], tools=[BASH]))

SYSTEM_MID_CONVERSATION = golden("role system after a user turn", body([
    {"role": "user", "content": "hi"},
    {"role": "system", "content": "Available agent types: general-purpose."},
    {"role": "assistant", "content": "Hello."},
    {"role": "user", "content": "more"},
]))

SYSTEM_BEFORE_USER = golden("role system after an assistant turn", body([
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": "Hello."},
    {"role": "system", "content": [text("Be terse."), text("Answer in English.")]},
    {"role": "user", "content": "more"},
]))

PREFILL = golden("assistant prefill", body([
    {"role": "user", "content": "Say hi in JSON"},
    {"role": "assistant", "content": "{\"greeting\":"},
]))

STARTS_WITH_ASSISTANT = golden("conversation starting with an assistant turn", body([
    {"role": "assistant", "content": "How can I help?"},
    {"role": "user", "content": "Tell me a joke"},
]))

REUSED_ID = golden("tool use id reused in a later turn", body([
    {"role": "user", "content": "twice"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "first")]},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "second")]},
], tools=[BASH]))

REPEATED_CALLS = golden("the same call repeated with results between", body([
    {"role": "user", "content": "keep checking"},
    {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t1", "error: busy", is_error=True)]},
    {"role": "assistant", "content": [tool_use("t2", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t2", "error: busy", is_error=True)]},
    {"role": "assistant", "content": [tool_use("t3", "Bash", LS)]},
    {"role": "user", "content": [tool_result("t3", "a.txt")]},
], tools=[BASH]))


def test_a_single_user_message_becomes_the_current_message_without_history() -> None:
    assert state(SINGLE_TURN) == conversation([], current("Hello"))


def test_tool_result_and_the_following_text_turn_share_one_user_message() -> None:
    assert state(RESULT_THEN_TEXT) == conversation(
        [user("List the files"), assistant("Sure.", ("t1", "Bash", LS))],
        current("Now count them", results=[result("t1", "a.txt\nb.txt")], tools=[BASH_SPEC]),
    )


def test_results_spread_over_merged_user_turns_are_all_kept() -> None:
    assert state(RESULTS_ACROSS_TURNS) == conversation(
        [user("Look around"), assistant("", ("t1", "Bash", {"command": "pwd"}), ("t2", "Bash", LS),
                                        ("t3", "Bash", {"command": "id"}))],
        current("go on", results=[result("t1", "/home/u"), result("t2", "a.txt"), result("t3", "uid=1000")],
                tools=[BASH_SPEC]),
    )


def test_duplicate_results_become_one_with_distinct_contents_concatenated_and_error_winning() -> None:
    assert state(DUPLICATE_RESULTS) == conversation(
        [user("Run it"), assistant("", ("t1", "Bash", LS))],
        current("", results=[result("t1", "part one", "part two", status="error")], tools=[BASH_SPEC]),
    )


def test_duplicate_results_are_noted_as_repairs() -> None:
    repairs = conversion(DUPLICATE_RESULTS).repairs
    assert sum("duplicate tool_result for t1" in note for note in repairs) == 2


def test_parallel_results_are_reordered_to_the_order_of_the_calls() -> None:
    result_ids = [r["toolUseId"] for r in state(OUT_OF_ORDER)["currentMessage"]["userInputMessage"]
                  ["userInputMessageContext"]["toolResults"]]
    assert result_ids == ["t1", "t2", "t3"]
    assert any("reordered" in note for note in conversion(OUT_OF_ORDER).repairs)


def test_an_unanswered_tool_use_gets_a_cancelled_error_result() -> None:
    assert state(UNANSWERED) == conversation(
        [user("Two things"), assistant("", ("t1", "Bash", LS), ("t2", "Bash", LS))],
        current("skip the second", results=[result("t1", "one"), result("t2", CANCELLED, status="error")],
                tools=[BASH_SPEC]),
    )
    assert any("t2 had no tool_result" in note for note in conversion(UNANSWERED).repairs)


def test_an_unanswered_tool_use_in_history_is_answered_in_the_next_user_entry() -> None:
    assert state(UNANSWERED_IN_HISTORY) == conversation(
        [user("List"), assistant("", ("t1", "Bash", LS)),
         user("never mind", results=[result("t1", CANCELLED, status="error")]), assistant("OK.")],
        current("thanks", tools=[BASH_SPEC]),
    )


def test_an_orphan_result_is_dropped_and_noted() -> None:
    assert state(ORPHAN) == conversation([user("Hi"), assistant("Hello!")], current("what now?"))
    assert any("t9 dropped" in note for note in conversion(ORPHAN).repairs)


def test_a_user_turn_left_empty_by_an_orphan_result_gets_a_neutral_placeholder() -> None:
    request = body([
        {"role": "user", "content": [tool_result("t9", "stale")]},
        {"role": "assistant", "content": "OK."},
        {"role": "user", "content": "next"},
    ])
    assert state(request) == conversation([user("."), assistant("OK.")], current("next"))


def test_a_cancelled_tool_keeps_the_call_the_error_result_and_the_new_text() -> None:
    assert state(CANCELLED_TOOL) == conversation(
        [user("Delete the logs"), assistant("", ("t1", "Bash", {"command": "rm *.log"}))],
        current("Don't delete anything; archive them instead", results=[result("t1", CANCELLED, status="error")],
                tools=[BASH_SPEC]),
    )


def test_a_user_interruption_in_history_keeps_call_result_and_text_and_never_replaces_non_empty_items() -> None:
    assert state(INTERRUPTION_IN_HISTORY) == conversation(
        [user("Build it"), assistant("", ("t1", "Bash", {"command": "make"})),
         user("Stop, run the tests instead", results=[result("t1", CANCELLED, status="error")]),
         assistant("", ("t2", "Bash", {"command": "make test"}))],
        current("", results=[result("t2", "", "Some result")], tools=[BASH_SPEC]),
    )


@pytest.mark.parametrize(
    ("content", "is_error", "expected", "status"),
    [
        ("", None, EXECUTED, "success"),
        ("  \n", False, EXECUTED, "success"),
        ([], None, EXECUTED, "success"),
        ("", True, CANCELLED, "error"),
        ([{"type": "text", "text": " "}], True, CANCELLED, "error"),
    ],
    ids=["empty string", "whitespace", "empty list", "empty error", "blank block error"],
)
def test_an_empty_tool_result_gets_the_placeholder_of_its_status(
    content: Any, is_error: bool | None, expected: str, status: str
) -> None:
    extra = {} if is_error is None else {"is_error": is_error}
    request = body([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
        {"role": "user", "content": [tool_result("t1", content, **extra)]},
    ], tools=[BASH])
    context = state(request)["currentMessage"]["userInputMessage"]["userInputMessageContext"]
    assert context["toolResults"] == [result("t1", expected, status=status)]


def test_is_error_makes_the_status_error_even_with_output() -> None:
    request = body([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [tool_use("t1", "Bash", LS)]},
        {"role": "user", "content": [tool_result("t1", "ls: permission denied", is_error=True)]},
    ], tools=[BASH])
    context = state(request)["currentMessage"]["userInputMessage"]["userInputMessageContext"]
    assert context["toolResults"] == [result("t1", "ls: permission denied", status="error")]


def test_consecutive_assistant_turns_are_merged_without_losing_text_or_calls() -> None:
    assert state(CONSECUTIVE_ASSISTANTS) == conversation(
        [user("hi"), assistant("Let me look.\n\nRunning ls.", ("t1", "Bash", LS))],
        current("", results=[result("t1", "a.txt")], tools=[BASH_SPEC]),
    )


def test_a_mid_conversation_system_message_is_kept_where_it_occurs_inside_markers() -> None:
    assert state(SYSTEM_MID_CONVERSATION) == conversation(
        [user("hi\n\n--- SYSTEM PROMPT BEGIN ---\nAvailable agent types: general-purpose.\n--- SYSTEM PROMPT END ---"),
         assistant("Hello.")],
        current("more"),
    )


def test_a_system_message_after_an_assistant_turn_precedes_the_next_user_text() -> None:
    assert state(SYSTEM_BEFORE_USER) == conversation(
        [user("hi"), assistant("Hello.")],
        current("--- SYSTEM PROMPT BEGIN ---\nBe terse.\n\nAnswer in English.\n--- SYSTEM PROMPT END ---\n\nmore"),
    )


def test_a_system_message_as_the_last_message_becomes_the_current_content() -> None:
    request = body([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "system", "content": "The user left."},
    ])
    assert state(request)["currentMessage"]["userInputMessage"]["content"] == (
        "--- SYSTEM PROMPT BEGIN ---\nThe user left.\n--- SYSTEM PROMPT END ---"
    )


def test_a_prefill_moves_into_history_and_the_current_message_asks_to_continue() -> None:
    assert state(PREFILL) == conversation(
        [user("Say hi in JSON"), assistant("{\"greeting\":")], current("Continue")
    )
    assert any("prefill" in note for note in conversion(PREFILL).repairs)


def test_a_conversation_starting_with_an_assistant_turn_gets_a_user_turn_before_it() -> None:
    assert state(STARTS_WITH_ASSISTANT) == conversation(
        [user("."), assistant("How can I help?")], current("Tell me a joke")
    )


def test_a_tool_use_id_reused_in_a_later_turn_is_renamed_with_its_result() -> None:
    assert state(REUSED_ID) == conversation(
        [user("twice"), assistant("", ("t1", "Bash", LS)), user("", results=[result("t1", "first")]),
         assistant("", ("t1_2", "Bash", LS))],
        current("", results=[result("t1_2", "second")], tools=[BASH_SPEC]),
    )


def test_a_repeated_id_within_one_assistant_turn_keeps_the_first_call() -> None:
    request = body([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [tool_use("t1", "Bash", LS), tool_use("t1", "Bash", {"command": "pwd"})]},
        {"role": "user", "content": [tool_result("t1", "a.txt")]},
    ], tools=[BASH])
    assert state(request)["history"][1] == assistant("", ("t1", "Bash", LS))


def test_identical_calls_with_results_between_are_not_refused_as_a_loop() -> None:
    history = state(REPEATED_CALLS)["history"]
    assert [entry["assistantResponseMessage"]["toolUses"][0]["input"] for entry in history[1::2]] == [LS, LS, LS]


def test_an_empty_assistant_turn_is_removed_and_its_neighbours_merge() -> None:
    request = body([
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "abc"}]},
        {"role": "user", "content": "two"},
    ])
    assert state(request) == conversation([], current("one\n\ntwo"))


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_golden_output_passes_the_simulator_validator(name: str) -> None:
    assert simulator_verdict(wire(conversion(GOLDEN[name]))) is None


# -- any history at all converts to a body Q accepts ---------------------------------------------------------

_IDS = st.sampled_from(["t1", "t2", "t3", "t4"])
_USER_BLOCK = st.one_of(
    st.builds(lambda s: text(s), st.text(max_size=8)),
    st.builds(lambda i, s, e: tool_result(i, s, is_error=e), _IDS, st.text(max_size=8), st.booleans()),
)
_ASSISTANT_BLOCK = st.one_of(
    st.builds(lambda s: text(s), st.text(max_size=8)),
    st.builds(lambda i, n: tool_use(i, n, {"x": 1}), _IDS, st.sampled_from(["Bash", "Read", "mcp__srv__do-it"])),
    st.builds(lambda s: {"type": "thinking", "thinking": s, "signature": "sig"}, st.text(max_size=8)),
)
_MESSAGE = st.one_of(
    st.builds(lambda c: {"role": "user", "content": c}, st.one_of(st.text(max_size=8), st.lists(_USER_BLOCK, max_size=4))),
    st.builds(lambda c: {"role": "assistant", "content": c}, st.lists(_ASSISTANT_BLOCK, max_size=4)),
    st.builds(lambda c: {"role": "system", "content": c}, st.text(max_size=8)),
)


@settings(max_examples=300, deadline=None)
@given(messages=st.lists(_MESSAGE, min_size=1, max_size=8), with_tools=st.booleans())
def test_any_message_sequence_converts_to_a_body_the_simulator_accepts(
    messages: list[dict[str, Any]], with_tools: bool
) -> None:
    request = body(messages, tools=[BASH] if with_tools else [])
    assert simulator_verdict(wire(conversion(request))) is None
