"""A GenerateAssistantResponse body (amazonq.md §2), reduced to what the simulated model looks at.

Works on the parsed JSON as plain data: the simulator must see exactly what a client sent, malformed
shapes included, so the body is not forced through a schema first. `amazonq_validate` has run before
any of this is called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from services.simulator.plan import PromptView


def tool_result_text(result: Mapping[str, Any]) -> str:
    """The text of one `toolResults` entry: its text blocks, and its json blocks as compact JSON."""
    parts: list[str] = []
    for block in result.get("content") or ():
        if not isinstance(block, Mapping):
            continue
        text = block.get("text")
        if isinstance(text, str):
            parts.append(text)
        elif "json" in block:
            parts.append(orjson.dumps(block["json"]).decode())
    return "\n".join(parts)


def current_message(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return body["conversationState"]["currentMessage"]["userInputMessage"]


def prompt_view(body: Mapping[str, Any]) -> PromptView:
    """newest user text = currentMessage content; tool results and tools from its context;
    Q has no system field, so system_text is empty."""
    state = body["conversationState"]
    message = state["currentMessage"]["userInputMessage"]
    context = message.get("userInputMessageContext") or {}
    results = tuple(tool_result_text(r) for r in context.get("toolResults") or () if isinstance(r, Mapping))
    tools: dict[str, Mapping[str, Any]] = {}
    for tool in context.get("tools") or ():
        spec = tool.get("toolSpecification") if isinstance(tool, Mapping) else None
        if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
            schema = (spec.get("inputSchema") or {}).get("json")
            tools[spec["name"]] = schema if isinstance(schema, Mapping) else {}
    return PromptView(
        newest_user_text=message.get("content") or "",
        tool_results=results,
        tools=tools,
        history_turns=len(state.get("history") or ()),
        system_text="",
    )
