"""A request body shaped like Claude Code 2.1.197's second turn (client-apis.md §4.2).

Structure copied from the capture description: 3 system blocks (billing header without cache_control,
identity line and main prompt with it), 24 tools with draft 2020-12 schemas and no cache_control, a user turn
of text blocks with cache_control on the last, a ``role: "system"`` message, the assistant turn echoed back
(thinking + signature, text, tool_use) and a tool_result with cache_control. Texts are filler sized so the
body lands near the observed ~77 KB.
"""

from __future__ import annotations

import json
from typing import Any

_SCHEMA = "https://json-schema.org/draft/2020-12/schema"

_TOOL_NAMES = [
    "Agent", "Bash", "Edit", "Glob", "Grep", "NotebookEdit", "Read", "Write", "WebFetch", "WebSearch",
    "TaskCreate", "TaskGet", "TaskList", "TaskUpdate", "TaskOutput", "TaskStop", "CronCreate", "CronDelete",
    "CronList", "ExitPlanMode", "EnterPlanMode", "Skill", "AskUserQuestion", "TodoWrite",
]  # fmt: skip


def _filler(topic: str, size: int) -> str:
    sentence = (
        f"Use the {topic} tool when it is the most direct way to make progress; explain briefly what you "
        "are about to do, prefer absolute paths, never guess at file contents, and report failures verbatim. "
    )
    return (sentence * (size // len(sentence) + 1))[:size]


def _tool(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": _filler(name, 2300),
        "input_schema": {
            "$schema": _SCHEMA,
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": f"The {name} argument"},
                "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 600000},
                "options": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                },
                "mode": {"type": "string", "enum": ["default", "plan", "acceptEdits"]},
            },
            "required": ["command"],
            "additionalProperties": False,
        },
    }


def claude_code_body(*, sonnet: bool = False) -> dict[str, Any]:
    """The body as a dict. ``sonnet=True`` gives the ``--model claude-sonnet-4-5-20250929`` variant."""
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-5-20250929" if sonnet else "claude-opus-4-8",
        "max_tokens": 32000 if sonnet else 64000,
        "stream": True,
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=sdk-cli;"},
            {
                "type": "text",
                "text": "You are Claude Code, Anthropic's official CLI for Claude.",
                "cache_control": {"type": "ephemeral"},
            },
            {"type": "text", "text": _filler("system", 5700), "cache_control": {"type": "ephemeral"}},
        ],
        "tools": [_tool(name) for name in _TOOL_NAMES],
        "metadata": {
            "user_id": json.dumps(
                {"device_id": "d" * 64, "account_uuid": "", "session_id": "0b8f5a3c-7d6e-4f1a-9c2b-3e4d5f6a7b8c"}
            )
        },
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>\n" + _filler("context", 1500) + "\n</system-reminder>"},
                    {"type": "text", "text": "Run `echo hi` and tell me what it printed.", "cache_control": {"type": "ephemeral"}},
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {"type": "thinking", "thinking": "The user wants me to run echo hi.", "signature": "EqQBCkYIBxgCKkA" + "s" * 300},
                    {"type": "text", "text": "I'll run that command."},
                    {
                        "type": "tool_use",
                        "id": "toolu_01A09q90qw90lq917835lq9",
                        "name": "Bash",
                        "input": {"command": "echo hi", "description": "Print hi"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
                        "content": "hi",
                        "is_error": False,
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            },
        ],
    }  # fmt: skip
    if sonnet:
        body["thinking"] = {"type": "enabled", "budget_tokens": 31999}
    else:
        body["thinking"] = {"type": "adaptive"}
        body["output_config"] = {"effort": "high"}
        body["context_management"] = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}
        # The mid-conversation system message follows the first user turn (§4.2).
        body["messages"].insert(
            1, {"role": "system", "content": "Available agent types: general-purpose, Explore, Plan."}
        )
    return body


def claude_code_bytes(*, sonnet: bool = False) -> bytes:
    return json.dumps(claude_code_body(sonnet=sonnet)).encode()
