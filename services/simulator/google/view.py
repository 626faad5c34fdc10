"""Reading a Gemini ``GenerateContentRequest`` (already validated) into what the planner looks at.

The JSON front end accepts both the camelCase JSON names and the snake_case proto names of every field
(§3.3: proxies send ``system_instruction``, ``function_declarations``, ``include_thoughts``), so every
lookup here goes through `member`.

Also here, because it depends on request fields rather than on the prompt: the token estimate used for
``usageMetadata`` and ``countTokens``, and how ``toolConfig.functionCallingConfig.mode`` and
``thinkingConfig`` bend the plan (Gemini has real fields for both, so the prompt hints plan.py reads for
Amazon Q are not what a Gemini bridge sends).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import orjson

from services.simulator.plan import Plan, PromptView, Text, Thinking, ToolCall, example_input

_CAMEL_HUMP = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL_HUMP.sub("_", name).lower()


def member(obj: Any, camel: str, default: Any = None) -> Any:
    """``obj[camel]`` or ``obj[snake(camel)]`` — either spelling is valid protobuf JSON."""
    if not isinstance(obj, Mapping):
        return default
    if camel in obj:
        return obj[camel]
    return obj.get(snake(camel), default)


def data_kind(part: Mapping[str, Any]) -> str | None:
    """Which oneof ``data`` member a part carries ("text", "functionCall", …), None when none."""
    for camel in ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
                  "codeExecutionResult"):
        if member(part, camel) is not None:
            return camel
    return None


def estimate_tokens(text: str) -> int:
    """About four characters a token — deterministic, which is all the simulator needs."""
    return math.ceil(len(text) / 4) if text else 0


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def request_tokens(body: Mapping[str, Any]) -> int:
    """``promptTokenCount``: every string in contents, system instruction and tool declarations.

    Thought signatures are opaque bytes, not prompt text, so they are left out.
    """
    count = 0
    for content in member(body, "contents") or []:
        for part in member(content, "parts") or []:
            if isinstance(part, Mapping):
                stripped = {k: v for k, v in part.items() if k not in ("thoughtSignature", "thought_signature")}
                count += estimate_tokens(" ".join(_texts(stripped)))
    count += estimate_tokens(" ".join(_texts(member(body, "systemInstruction"))))
    count += estimate_tokens(" ".join(_texts(member(body, "tools"))))
    return max(count, 1)


def _lower_types(schema: Any) -> Any:
    """Gemini ``Schema`` spells types in upper case; plan.example_input expects JSON Schema's lower case."""
    if isinstance(schema, Mapping):
        return {k: (v.lower() if k == "type" and isinstance(v, str) else _lower_types(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_lower_types(v) for v in schema]
    return schema


def declared_tools(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    tools: dict[str, Mapping[str, Any]] = {}
    for tool in member(body, "tools") or []:
        for decl in member(tool, "functionDeclarations") or []:
            if isinstance(decl, Mapping) and isinstance(decl.get("name"), str):
                schema = member(decl, "parametersJsonSchema")
                if schema is None:
                    schema = _lower_types(member(decl, "parameters") or {})
                tools[decl["name"]] = schema if isinstance(schema, Mapping) else {}
    return tools


def _tool_result_text(response: Any) -> str:
    if isinstance(response, Mapping):
        for key in ("output", "result", "content", "error"):
            value = response.get(key)
            if isinstance(value, str):
                return value
        if len(response) == 1:
            only = next(iter(response.values()))
            return only if isinstance(only, str) else orjson.dumps(only).decode()
    return orjson.dumps(response).decode()


def prompt_view(body: Mapping[str, Any]) -> PromptView:
    """The newest turn's text and tool results, the declared tools, the system text.

    Only the *last* content counts as "newest": in a tool loop it holds just functionResponse parts, so
    the directive that asked for the call is not seen again and the loop ends.
    """
    contents = [c for c in member(body, "contents") or [] if isinstance(c, Mapping)]
    last = contents[-1] if contents else {}
    texts: list[str] = []
    results: list[str] = []
    if member(last, "role", "user") in ("user", "function"):
        for part in member(last, "parts") or []:
            if not isinstance(part, Mapping) or part.get("thought"):
                continue
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
            response = member(part, "functionResponse")
            if isinstance(response, Mapping):
                results.append(_tool_result_text(response.get("response")))
    system = " ".join(p.get("text", "") for p in member(member(body, "systemInstruction"), "parts") or []
                      if isinstance(p, Mapping) and isinstance(p.get("text"), str))
    return PromptView(newest_user_text="\n".join(texts), tool_results=tuple(results), tools=declared_tools(body),
                      history_turns=max(0, len(contents) - 1), system_text=system)


def generation_config(body: Mapping[str, Any]) -> Mapping[str, Any]:
    config = member(body, "generationConfig")
    return config if isinstance(config, Mapping) else {}


def include_thoughts(body: Mapping[str, Any]) -> bool:
    """Without ``includeThoughts`` no thought parts come back even if the model thinks (§3.3)."""
    return bool(member(member(generation_config(body), "thinkingConfig"), "includeThoughts", False))


def max_output_tokens(body: Mapping[str, Any]) -> int | None:
    value = member(generation_config(body), "maxOutputTokens")
    return value if isinstance(value, int) and value > 0 else None


def thinking_budget(body: Mapping[str, Any]) -> int | None:
    value = member(member(generation_config(body), "thinkingConfig"), "thinkingBudget")
    return value if isinstance(value, int) else None


def apply_thinking(plan: Plan, body: Mapping[str, Any]) -> Plan:
    """A thinking model asked for thought summaries returns some even without ``[[thinking]]`` (§3.3):
    a bridge that maps Claude ``thinking`` to ``includeThoughts`` sees thought parts come back.
    ``thinkingBudget: 0`` turns thinking off."""
    if not include_thoughts(body) or thinking_budget(body) == 0 or not plan.steps:
        return plan
    if any(isinstance(s, Thinking) for s in plan.steps) or not isinstance(plan.steps[0], Text | ToolCall):
        return plan
    return Plan((Thinking("Considering the request before answering it."), *plan.steps), plan.pacing)


def apply_tool_config(plan: Plan, view: PromptView, body: Mapping[str, Any]) -> Plan:
    """``mode: ANY`` makes the model call a function; ``NONE`` keeps it from calling one (§3.3 toolConfig)."""
    config = member(member(body, "toolConfig"), "functionCallingConfig") or {}
    mode = str(member(config, "mode", "AUTO")).upper()
    calls = [s for s in plan.steps if isinstance(s, ToolCall)]
    if mode == "NONE" and calls:
        names = ", ".join(c.name for c in calls)
        steps = [s for s in plan.steps if not isinstance(s, ToolCall)]
        steps.append(Text(f" (I would have called {names}, but function calling is off.)"))
        return Plan(tuple(steps), plan.pacing)
    if mode == "ANY" and not calls and view.tools and all(isinstance(s, Text | Thinking) for s in plan.steps):
        allowed = [n for n in member(config, "allowedFunctionNames") or [] if n in view.tools] or list(view.tools)
        thinking = [s for s in plan.steps if isinstance(s, Thinking)]
        return Plan((*thinking, ToolCall(allowed[0], example_input(view.tools[allowed[0]]))), plan.pacing)
    return plan
