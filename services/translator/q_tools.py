"""Anthropic tool definitions → Amazon Q ``toolSpecification``s (amazonq.md §2.4, §2.8, §8 table, §9).

* Names: Q accepts ``^[a-zA-Z][a-zA-Z0-9_]*$``, at most 64 characters; §9 says ≤ 63 is safe. A valid
  name is kept; any other is rewritten deterministically to ``<sanitised prefix>_<sha256 prefix>``
  (≤ 63 characters), and so is a valid name that equals an earlier one but for case (Q compares names
  ignoring case). A rewritten name that meets another name of the request gets a longer digest, so the
  map is always one-to-one. The same map renames tool uses in history and maps the response back.
* Descriptions: never empty (the tool's own name stands in); over 10,000 UTF-8 bytes (§9 verdict) the
  description is cut at a character boundary with a pointer, and the full text goes into the prompt's
  ``--- TOOL DOCUMENTATION BEGIN ---`` section (Q2A's approach).
* Schemas: only what §2.8 says Q rejects is changed — a non-object ``properties`` or ``required``
  (``null`` in practice) and a non-string top-level ``type``; ``$schema``, ``additionalProperties``,
  ``anyOf`` and everything else are kept. ``required``/``properties`` nulls are removed at every depth.
* Tools used in history but not defined now get a placeholder spec (Q requires them, §2.8).
* Server tools (``web_search`` …) cannot run on Q: they are not forwarded (repair note).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.translator.errors import ConversionError
from shared.schemas import amazonq
from shared.schemas import anthropic as a

VALID_TOOL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
MAX_TOOL_NAME = 63
MAX_DESCRIPTION_BYTES = 10_000
PLACEHOLDER_DESCRIPTION = "Tool used earlier in this conversation; no longer available"
PLACEHOLDER_SCHEMA: dict[str, Any] = {"type": "object"}
DOCS_BEGIN = "--- TOOL DOCUMENTATION BEGIN ---"
DOCS_END = "--- TOOL DOCUMENTATION END ---"

_INVALID_CHARS = re.compile(r"[^A-Za-z0-9_]")
_DIGEST_WIDTHS = (8, 12, 16, 24, 32)


@dataclass(frozen=True)
class ToolNameMap:
    """Q tool name ↔ client tool name for one request."""

    to_client: Mapping[str, str]
    to_q: Mapping[str, str]

    def client_name(self, q_name: str) -> str:
        """The client's name for a tool Q called; a name this request did not map is returned unchanged."""
        return self.to_client.get(q_name, q_name)

    def q_name(self, client_name: str) -> str:
        return self.to_q.get(client_name, client_name)


@dataclass(frozen=True)
class QTools:
    specs: list[amazonq.Tool]
    names: ToolNameMap
    documentation: str  # the TOOL DOCUMENTATION section, "" when no description was moved
    custom_names: frozenset[str]  # client names of the forwarded (custom) tools
    server_names: frozenset[str]  # client names of the server tools that were not forwarded


def is_valid_tool_name(name: str) -> bool:
    return len(name) <= MAX_TOOL_NAME and VALID_TOOL_NAME.fullmatch(name) is not None


def _rewritten_name(name: str, digest_width: int) -> str:
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:digest_width]
    stem = _INVALID_CHARS.sub("_", name)
    if not stem or not stem[0].isascii() or not stem[0].isalpha():
        stem = "t_" + stem
    stem = stem[: MAX_TOOL_NAME - digest_width - 1].rstrip("_") or "t"
    return f"{stem}_{digest}"


def build_name_map(client_names: Iterable[str]) -> ToolNameMap:
    """Deterministic and one-to-one, ignoring case as Q does (§2.8); valid names map to themselves."""
    ordered = list(dict.fromkeys(client_names))
    to_q: dict[str, str] = {}
    taken: set[str] = set()  # lower-cased
    for name in ordered:
        if is_valid_tool_name(name) and name.lower() not in taken:
            to_q[name] = name
            taken.add(name.lower())
    for name in ordered:
        if name in to_q:
            continue
        for width in _DIGEST_WIDTHS:
            candidate = _rewritten_name(name, width)
            if candidate.lower() not in taken:
                break
        else:  # pragma: no cover - needs a 128-bit SHA-256 prefix collision
            raise ConversionError(f"tool name {name!r} cannot be mapped to a unique Amazon Q tool name")
        taken.add(candidate.lower())
        to_q[name] = candidate
    return ToolNameMap(to_client={q: c for c, q in to_q.items()}, to_q=to_q)


def fit_description(description: str) -> tuple[str, bool]:
    """``(text for the spec, moved)``: cut at a UTF-8 character boundary when over the limit."""
    encoded = description.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_DESCRIPTION_BYTES:
        return description, False
    pointer = "\n\n[Description truncated; the full text is in the TOOL DOCUMENTATION section of the prompt.]"
    budget = MAX_DESCRIPTION_BYTES - len(pointer.encode("utf-8"))
    head = encoded[:budget].decode("utf-8", "ignore")  # drops a partial trailing character
    return head + pointer, True


def documentation_section(entries: list[tuple[str, str]]) -> str:
    """``(q name, full description)`` pairs as one prompt section."""
    if not entries:
        return ""
    body = "\n\n".join(f"## {name}\n{text}" for name, text in entries)
    return f"{DOCS_BEGIN}\n{body}\n{DOCS_END}"


def normalise_schema(schema: Mapping[str, Any], tool: str, repairs: list[str]) -> dict[str, Any]:
    """A copy of ``schema`` that Q accepts (§2.8 "JSON schema shape"); everything else kept."""
    fixed = copy.deepcopy(dict(schema))
    kind = fixed.get("type")
    if not isinstance(kind, str):
        if "type" in fixed:
            repairs.append(f"tool {tool}: input_schema type {kind!r} replaced by \"object\"")
        fixed["type"] = "object"
    _drop_null_keywords(fixed, tool, repairs, top=True)
    return fixed


def _drop_null_keywords(schema: dict[str, Any], tool: str, repairs: list[str], *, top: bool = False) -> None:
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        repairs.append(f"tool {tool}: input_schema properties {properties!r} removed")
        del schema["properties"]
        if top:
            schema["properties"] = {}
    required = schema.get("required", [])
    if not isinstance(required, list):
        repairs.append(f"tool {tool}: input_schema required {required!r} removed")
        del schema["required"]
    elif any(not isinstance(item, str) for item in required):
        repairs.append(f"tool {tool}: non-string entries of input_schema required removed")
        schema["required"] = [item for item in required if isinstance(item, str)]
    for child in _subschemas(schema):
        _drop_null_keywords(child, tool, repairs)


def _subschemas(schema: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Schemas nested in keyword positions (not property *names*), per JSON Schema 2020-12."""
    for keyword in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
        members = schema.get(keyword)
        if isinstance(members, dict):
            yield from (value for value in members.values() if isinstance(value, dict))
    for keyword in ("items", "additionalProperties", "not", "if", "then", "else", "contains",
                    "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems"):
        value = schema.get(keyword)
        if isinstance(value, dict):
            yield value
        elif keyword == "items" and isinstance(value, list):
            yield from (item for item in value if isinstance(item, dict))
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        members = schema.get(keyword)
        if isinstance(members, list):
            yield from (item for item in members if isinstance(item, dict))


def _spec(name: str, description: str, schema: dict[str, Any]) -> amazonq.Tool:
    return amazonq.Tool(
        tool_specification=amazonq.ToolSpecification(
            name=name, description=description, input_schema=amazonq.ToolInputSchema(json=schema)
        )
    )


def build_tools(
    tools: list[a.ToolDefinition] | None, history_tool_names: Iterable[str], repairs: list[str]
) -> QTools:
    custom: list[a.CustomTool] = []
    server: list[str] = []
    for position, tool in enumerate(tools or ()):
        if isinstance(tool, a.CustomTool):
            custom.append(tool)
            continue
        label = tool.name or tool.type
        server.append(label)
        repairs.append(f"tools[{position}]: server tool {label} ({tool.type}) not forwarded: Amazon Q cannot run it")
    defined: set[str] = set()
    for tool in custom:
        if tool.name in defined:
            raise ConversionError(f"tools: tool name {tool.name!r} is defined twice", param="tools")
        defined.add(tool.name)
    history_only = [name for name in dict.fromkeys(history_tool_names) if name not in defined]
    names = build_name_map([*(tool.name for tool in custom), *history_only])

    specs: list[amazonq.Tool] = []
    docs: list[tuple[str, str]] = []
    for tool in custom:
        q_name = names.q_name(tool.name)
        description = tool.description if tool.description and tool.description.strip() else ""
        if not description:
            description = tool.name
            repairs.append(f"tool {tool.name}: empty description replaced by the tool name")
        description, moved = fit_description(description)
        if moved:
            docs.append((q_name, tool.description or ""))
            repairs.append(f"tool {tool.name}: description over {MAX_DESCRIPTION_BYTES:,} bytes moved into the prompt")
        specs.append(_spec(q_name, description, normalise_schema(tool.input_schema, tool.name, repairs)))
    for name in history_only:
        specs.append(_spec(names.q_name(name), PLACEHOLDER_DESCRIPTION, dict(PLACEHOLDER_SCHEMA)))
        repairs.append(f"tool {name} is used in history but not defined; a placeholder definition was added")
    return QTools(specs, names, documentation_section(docs), frozenset(defined), frozenset(server))
