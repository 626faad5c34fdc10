"""Tools → toolSpecifications: reversible names, descriptions, schemas, placeholders, server tools and the
tool_choice emulation (amazonq.md §2.4, §2.8, §8, §9; shared.prompt_hints)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_anthropic_to_q_support import (
    ROUTE,
    SYSTEM_MARKERS,
    assistant,
    body,
    conversation,
    conversion,
    current,
    current_message,
    decode,
    result,
    simulator_verdict,
    spec,
    state,
    tool,
    tool_result,
    tool_use,
    user,
    wire,
)

from services.translator.anthropic_to_q import build_q_request
from services.translator.errors import ConversionError
from services.translator.q_tools import build_name_map, is_valid_tool_name
from shared import prompt_hints

GOLDEN: dict[str, dict[str, Any]] = {}


def golden(name: str, request: dict[str, Any]) -> dict[str, Any]:
    GOLDEN[name] = request
    return request


MCP_NAME = "mcp__github-server__create.pull-request"
LONG_NAME = "mcp__" + "very_long_server_name_" * 4 + "tool"
RENAMED = golden("tool names Q rejects", body([
    {"role": "user", "content": "open a PR"},
    {"role": "assistant", "content": [tool_use("t1", MCP_NAME, {"title": "x"})]},
    {"role": "user", "content": [tool_result("t1", "done")]},
], tools=[tool(MCP_NAME), tool(LONG_NAME), tool("9lives")], tool_choice={"type": "tool", "name": MCP_NAME}))

LONG_DESCRIPTION = "Überprüfe alles. " * 700  # 2 bytes per Ü: forces a cut inside a character if done naively
LONG_DOC = golden("description over 10,000 bytes", body(
    [{"role": "user", "content": "go"}], system="sys", tools=[tool("Big", LONG_DESCRIPTION)]
))
HISTORY_ONLY_TOOL = golden("tool used in history but no longer defined", body([
    {"role": "user", "content": "read it"},
    {"role": "assistant", "content": [tool_use("t1", "Read", {"path": "/a"})]},
    {"role": "user", "content": [tool_result("t1", "contents")]},
    {"role": "assistant", "content": "Done."},
    {"role": "user", "content": "thanks"},
]))
SERVER_TOOL = golden("server tool", body(
    [{"role": "user", "content": "search"}],
    tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}, tool("Bash")],
))
BAD_SCHEMA = golden("schema with nulls", body([{"role": "user", "content": "x"}], tools=[
    tool("Mcp", "An MCP tool", {"type": ["object"], "properties": None, "required": None}),
]))


# -- names -------------------------------------------------------------------------------------------------------


def test_valid_tool_names_are_kept_unchanged() -> None:
    names = build_name_map(["Bash", "mcp__server__tool", "Read"])
    assert dict(names.to_q) == {"Bash": "Bash", "mcp__server__tool": "mcp__server__tool", "Read": "Read"}


@pytest.mark.parametrize("name", [MCP_NAME, LONG_NAME, "9lives", "_private", "résumé", "", "a" * 64])
def test_a_name_q_rejects_is_rewritten_to_a_valid_name_of_at_most_63_characters(name: str) -> None:
    q_name = build_name_map([name]).q_name(name)
    assert is_valid_tool_name(q_name) and len(q_name) <= 63
    assert q_name != name


def test_rewriting_is_deterministic_and_reversible() -> None:
    first, second = build_name_map([MCP_NAME]), build_name_map([MCP_NAME])
    assert first.q_name(MCP_NAME) == second.q_name(MCP_NAME)
    assert first.client_name(first.q_name(MCP_NAME)) == MCP_NAME


def test_a_name_the_map_does_not_know_is_returned_unchanged() -> None:
    assert build_name_map(["Bash"]).client_name("Unknown") == "Unknown"


def test_names_equal_but_for_case_get_distinct_q_names() -> None:
    names = build_name_map(["Read", "read"])
    assert names.q_name("Read") == "Read"
    assert names.q_name("read").lower() != "read"


@given(st.lists(st.text(max_size=80), unique=True, max_size=12))
def test_the_name_map_is_one_to_one_and_valid_for_any_names(client_names: list[str]) -> None:
    names = build_name_map(client_names)
    q_names = [names.q_name(name) for name in client_names]
    assert len({q.lower() for q in q_names}) == len(client_names)
    assert all(is_valid_tool_name(q) for q in q_names)
    assert [names.client_name(q) for q in q_names] == client_names


def test_the_same_map_renames_tools_history_uses_and_tool_choice() -> None:
    converted = conversion(RENAMED)
    names = converted.tool_names
    q_mcp = names.q_name(MCP_NAME)
    out = wire(converted)["conversationState"]
    assert out["history"][1] == assistant("", ("t1", q_mcp, {"title": "x"}))
    specs = [t["toolSpecification"]["name"] for t in out["currentMessage"]["userInputMessage"]["userInputMessageContext"]["tools"]]
    assert specs == [q_mcp, names.q_name(LONG_NAME), names.q_name("9lives")]
    assert out["currentMessage"]["userInputMessage"]["content"] == prompt_hints.tool_choice_tool(q_mcp)
    assert names.client_name(q_mcp) == MCP_NAME


def test_duplicate_tool_names_are_refused() -> None:
    with pytest.raises(ConversionError, match="defined twice"):
        conversion(body([{"role": "user", "content": "x"}], tools=[tool("Bash"), tool("Bash")]))


# -- descriptions ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("description", [None, "", "   "])
def test_an_empty_description_is_replaced_by_the_tool_name(description: str | None) -> None:
    definition = {"name": "Bash", "input_schema": {"type": "object"}}
    if description is not None:
        definition["description"] = description
    request = body([{"role": "user", "content": "x"}], tools=[definition])
    assert current_message(request)["userInputMessageContext"]["tools"] == [spec("Bash", "Bash")]


def test_a_long_description_is_cut_at_a_character_boundary_with_a_pointer() -> None:
    described = current_message(LONG_DOC)["userInputMessageContext"]["tools"][0]["toolSpecification"]["description"]
    assert len(described.encode()) <= 10_000
    assert described.endswith("the full text is in the TOOL DOCUMENTATION section of the prompt.]")
    assert LONG_DESCRIPTION.startswith(described.split("\n\n[Description truncated")[0])


def test_a_long_description_moves_in_full_into_the_prompt_after_the_system_prompt() -> None:
    content = current_message(LONG_DOC)["content"]
    assert content == (
        SYSTEM_MARKERS.format("sys") + "\n\n--- TOOL DOCUMENTATION BEGIN ---\n## Big\n" + LONG_DESCRIPTION
        + "\n--- TOOL DOCUMENTATION END ---\n\ngo"
    )


def test_a_description_of_exactly_ten_thousand_bytes_is_kept() -> None:
    request = body([{"role": "user", "content": "x"}], tools=[tool("T", "d" * 10_000)])
    described = current_message(request)["userInputMessageContext"]["tools"][0]["toolSpecification"]["description"]
    assert described == "d" * 10_000


# -- schemas -----------------------------------------------------------------------------------------------------


def test_schema_nulls_and_a_non_string_type_are_fixed() -> None:
    assert current_message(BAD_SCHEMA)["userInputMessageContext"]["tools"] == [
        spec("Mcp", "An MCP tool", {"type": "object", "properties": {}})
    ]


def test_a_missing_schema_type_becomes_object() -> None:
    request = body([{"role": "user", "content": "x"}], tools=[tool("T", "d", {"properties": {"a": {"type": "string"}}})])
    schema = current_message(request)["userInputMessageContext"]["tools"][0]["toolSpecification"]["inputSchema"]["json"]
    assert schema == {"properties": {"a": {"type": "string"}}, "type": "object"}


def test_nested_required_nulls_are_removed_and_everything_else_is_kept() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "required": {"type": "string"},  # a property *named* required
            "opts": {"type": "object", "properties": {"x": {"type": ["string", "null"]}}, "required": None},
            "list": {"type": "array", "items": {"anyOf": [{"type": "object", "properties": None}, {"type": "null"}]}},
        },
        "required": ["required"],
    }
    request = body([{"role": "user", "content": "x"}], tools=[tool("T", "d", copy.deepcopy(schema))])
    fixed = current_message(request)["userInputMessageContext"]["tools"][0]["toolSpecification"]["inputSchema"]["json"]
    expected = copy.deepcopy(schema)
    del expected["properties"]["opts"]["required"]
    del expected["properties"]["list"]["items"]["anyOf"][0]["properties"]
    assert fixed == expected


def test_the_clients_schema_is_not_modified() -> None:
    request = decode(BAD_SCHEMA)
    before = copy.deepcopy(request.tools[0].input_schema)
    build_q_request(request, ROUTE, conversation_id="c")
    assert request.tools[0].input_schema == before


# -- tools used in history, server tools ------------------------------------------------------------------------------


def test_a_tool_used_in_history_but_not_defined_gets_a_placeholder_definition() -> None:
    assert state(HISTORY_ONLY_TOOL) == conversation(
        [user("read it"), assistant("", ("t1", "Read", {"path": "/a"})),
         user("", results=[result("t1", "contents")]), assistant("Done.")],
        current("thanks", tools=[spec("Read", "Tool used earlier in this conversation; no longer available")]),
    )


def test_a_server_tool_is_not_forwarded_and_is_noted() -> None:
    converted = conversion(SERVER_TOOL)
    assert wire(converted)["conversationState"]["currentMessage"]["userInputMessage"]["userInputMessageContext"] == {
        "tools": [spec("Bash", "A tool")]
    }
    assert any("web_search" in note and "not forwarded" in note for note in converted.repairs)


def test_forcing_a_server_tool_is_refused() -> None:
    request = dict(SERVER_TOOL, tool_choice={"type": "tool", "name": "web_search"})
    with pytest.raises(ConversionError, match="server tool 'web_search'") as raised:
        conversion(request)
    assert raised.value.param == "tool_choice.name"


def test_tool_choice_any_with_only_server_tools_is_refused() -> None:
    request = body([{"role": "user", "content": "x"}], tools=[{"type": "web_search_20250305", "name": "web_search"}],
                   tool_choice={"type": "any"})
    with pytest.raises(ConversionError, match="only server tools"):
        conversion(request)


def test_a_tool_input_member_with_an_empty_name_is_removed() -> None:
    request = body([
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [tool_use("t1", "Bash", {"": 1, "command": "ls"})]},
        {"role": "user", "content": [tool_result("t1", "ok")]},
    ], tools=[tool("Bash")])
    assert state(request)["history"][1] == assistant("", ("t1", "Bash", {"command": "ls"}))


# -- tool_choice -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tool_choice", "suffix"),
    [
        ({"type": "auto"}, ""),
        ({"type": "any"}, prompt_hints.TOOL_CHOICE_ANY),
        ({"type": "none"}, prompt_hints.TOOL_CHOICE_NONE),
        ({"type": "tool", "name": "Bash"}, prompt_hints.tool_choice_tool("Bash")),
    ],
    ids=["auto", "any", "none", "tool"],
)
def test_tool_choice_is_emulated_by_the_shared_instruction_after_the_user_text(tool_choice: dict[str, Any], suffix: str) -> None:
    request = body([{"role": "user", "content": "Hi"}], tools=[tool("Bash")], tool_choice=tool_choice)
    assert current_message(request)["content"] == "Hi" + (f"\n\n{suffix}" if suffix else "")


def test_tool_choice_naming_an_unknown_tool_is_refused_naming_it() -> None:
    request = body([{"role": "user", "content": "Hi"}], tools=[tool("Bash")], tool_choice={"type": "tool", "name": "Nope"})
    with pytest.raises(ConversionError, match="'Nope'"):
        conversion(request)


def test_tool_choice_any_without_tools_is_refused() -> None:
    with pytest.raises(ConversionError, match="no tools"):
        conversion(body([{"role": "user", "content": "Hi"}], tool_choice={"type": "any"}))


def test_tools_go_on_the_current_message_only() -> None:
    out = state(RENAMED)
    assert all("tools" not in e.get("userInputMessage", {}).get("userInputMessageContext", {}) for e in out["history"])


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_golden_output_passes_the_simulator_validator(name: str) -> None:
    assert simulator_verdict(wire(conversion(GOLDEN[name]))) is None
