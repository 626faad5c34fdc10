"""Claude Code's real request shapes (client-apis.md §4.2) convert without error, pass the preflight and the
simulator's validator, and keep everything Claude Code sent."""

from __future__ import annotations

import json
from typing import Any

from test_anthropic_to_q_support import (
    SYSTEM_MARKERS,
    assistant,
    conversation,
    conversion,
    current,
    result,
    simulator_verdict,
    spec,
    state,
    user,
    wire,
)

from shared import prompt_hints

SCHEMA_2020_12 = "https://json-schema.org/draft/2020-12/schema"
TOOL_NAMES = [
    "Agent", "Bash", "Edit", "Glob", "Grep", "NotebookEdit", "Read", "Write", "WebFetch", "WebSearch",
    "TaskCreate", "TaskGet", "TaskList", "TaskUpdate", "TaskOutput", "TaskStop", "CronCreate", "CronDelete",
    "CronList", "ExitPlanMode", "EnterPlanMode", "Skill", "AskUserQuestion", "TodoWrite",
]  # fmt: skip
BILLING = "x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=sdk-cli;"
IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
MAIN_PROMPT = "You are an interactive CLI tool that helps users with software engineering tasks. " * 70
REMINDER = "<system-reminder>\nAs you answer the user's questions, you can use the following context.\n</system-reminder>"
PROMPT = "Run `echo hi` and tell me what it printed."
AGENT_TYPES = "Available agent types: general-purpose, Explore, Plan."
THINKING = "The user wants me to run echo hi."
TOOL_ID = "toolu_01A09q90qw90lq917835lq9"
BASH_INPUT = {"command": "echo hi", "description": "Print hi"}


def _schema(name: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_2020_12,
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": f"The {name} argument"},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600000},
            "options": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        },
        "required": ["command"],
        "additionalProperties": False,
    }


def claude_code_request(*, follow_up: bool, sonnet: bool = False) -> dict[str, Any]:
    """The first request of a tool-using run, or the follow-up carrying the echoed assistant turn."""
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"type": "text", "text": REMINDER},
                                     {"type": "text", "text": PROMPT, "cache_control": {"type": "ephemeral"}}]},
    ]
    if not sonnet:
        messages.append({"role": "system", "content": AGENT_TYPES})
    if follow_up:
        messages += [
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": THINKING, "signature": "EqQBCkYIBxgCKkA" + "s" * 300},
                {"type": "text", "text": "I'll run that command."},
                {"type": "tool_use", "id": TOOL_ID, "name": "Bash", "input": BASH_INPUT},
            ]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": TOOL_ID, "content": "hi",
                                          "is_error": False, "cache_control": {"type": "ephemeral"}}]},
        ]
    request: dict[str, Any] = {
        "model": "claude-sonnet-4-5-20250929" if sonnet else "claude-opus-4-8",
        "max_tokens": 32000 if sonnet else 64000,
        "stream": True,
        "system": [
            {"type": "text", "text": BILLING},
            {"type": "text", "text": IDENTITY, "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": MAIN_PROMPT, "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [{"name": name, "description": f"The {name} tool.", "input_schema": _schema(name)} for name in TOOL_NAMES],
        "metadata": {"user_id": json.dumps({"device_id": "d" * 64, "account_uuid": "", "session_id": "s"})},
        "messages": messages,
    }
    if sonnet:
        request["thinking"] = {"type": "enabled", "budget_tokens": 31999}
    else:
        request["thinking"] = {"type": "adaptive"}
        request["output_config"] = {"effort": "high"}
        request["context_management"] = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
    return request


SYSTEM_SECTION = SYSTEM_MARKERS.format(f"{BILLING}\n\n{IDENTITY}\n\n{MAIN_PROMPT}")
FIRST_USER_TEXT = f"{REMINDER}\n\n{PROMPT}\n\n{SYSTEM_MARKERS.format(AGENT_TYPES)}"
TOOL_SPECS = [spec(name, f"The {name} tool.", _schema(name)) for name in TOOL_NAMES]
ADAPTIVE_HINT = prompt_hints.thinking_adaptive_hint("high")


def test_claude_codes_first_request_converts_with_system_prompt_text_and_hint_in_order() -> None:
    assert state(claude_code_request(follow_up=False)) == conversation(
        [], current(f"{SYSTEM_SECTION}\n\n{FIRST_USER_TEXT}\n\n{ADAPTIVE_HINT}", tools=TOOL_SPECS)
    )


def test_claude_codes_follow_up_replays_thinking_text_and_tool_use_and_answers_the_result() -> None:
    assert state(claude_code_request(follow_up=True)) == conversation(
        [user(FIRST_USER_TEXT),
         assistant(f"<thinking>{THINKING}</thinking>\n\nI'll run that command.", (TOOL_ID, "Bash", BASH_INPUT))],
        current(f"{SYSTEM_SECTION}\n\n{ADAPTIVE_HINT}", results=[result(TOOL_ID, "hi")], tools=TOOL_SPECS),
    )


def test_claude_codes_sonnet_variant_gets_the_budget_hint() -> None:
    converted = conversion(claude_code_request(follow_up=True, sonnet=True))
    content = wire(converted)["conversationState"]["currentMessage"]["userInputMessage"]["content"]
    assert content == f"{SYSTEM_SECTION}\n\n{prompt_hints.thinking_enabled_hint(31999)}"
    assert converted.thinking is True


def test_claude_codes_tool_names_pass_unchanged_and_map_back_to_themselves() -> None:
    names = conversion(claude_code_request(follow_up=True)).tool_names
    assert all(names.q_name(name) == name and names.client_name(name) == name for name in TOOL_NAMES)


def test_claude_codes_requests_only_note_the_folded_system_message() -> None:
    assert conversion(claude_code_request(follow_up=True)).repairs == (
        'a role "system" message folded into the adjacent user turn',
    )
    assert conversion(claude_code_request(follow_up=True, sonnet=True)).repairs == ()


def test_claude_codes_title_request_converts_without_tools_or_thinking() -> None:
    request = claude_code_request(follow_up=False)
    request.update(tools=[], thinking={"type": "disabled"}, output_config={"format": {"type": "json_schema"}})
    converted = conversion(request)
    message = wire(converted)["conversationState"]["currentMessage"]["userInputMessage"]
    assert "userInputMessageContext" not in message
    assert converted.thinking is False


def test_claude_codes_requests_pass_the_simulator_validator() -> None:
    for follow_up in (False, True):
        for sonnet in (False, True):
            assert simulator_verdict(wire(conversion(claude_code_request(follow_up=follow_up, sonnet=sonnet)))) is None
