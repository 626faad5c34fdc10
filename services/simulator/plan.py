"""What the simulated model answers, independent of any upstream's wire format.

Each upstream module (Amazon Q, Gemini Code Assist, Gemini API) reduces its request to a `PromptView`,
asks `plan_answer` for a `Plan` — an ordered list of steps plus pacing — and renders the steps in its own
wire format. So every upstream answers the same prompt the same way, and the directive vocabulary below
is understood everywhere.

Directives in the newest user text (exactly this vocabulary; tests and the demo speak it):

    [[tool_use:NAME {json}]]   call the request's tool NAME with that input (no {json}: built from its schema)
    [[status:NNN]]             answer with that upstream error
    [[status:NNN*K]]           …only for the first K tries of the same conversation
    [[midstream_error]]        an upstream exception after some output
    [[truncate_stream]]        the connection drops after some output
    [[max_tokens]]             a long answer that ends with the upstream's output-limit error
    [[thinking]]               reasoning first, then the answer

Pacing knobs (benchmarks and slow-stream faults):

    [[frames:N]] [[frame_bytes:N]] [[delay_first_ms:N]] [[delay_ms:N]]

The translator's emulation of a forced `tool_choice` (shared.prompt_hints) and of thinking are
recognised too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from shared.prompt_hints import asks_for_thinking, parse_tool_choice

# ------------------------------------------------------------------ the request, reduced


@dataclass(frozen=True)
class PromptView:
    """What the simulated model looks at."""

    newest_user_text: str
    tool_results: tuple[str, ...] = ()
    tools: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # name -> JSON schema
    history_turns: int = 0
    system_text: str = ""

    @property
    def conversation_key(self) -> str:
        """Stable across retries of one request (bridges mint a fresh conversation id per try)."""
        digest = hashlib.sha256()
        digest.update(self.newest_user_text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00%d" % self.history_turns)
        for result in self.tool_results:
            digest.update(b"\x00" + result.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:32]


# ------------------------------------------------------------------ the answer, as steps


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Thinking:
    text: str


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class UpstreamError:
    """An HTTP error before any output; each upstream renders its canonical body for the status."""

    status: int


@dataclass(frozen=True)
class MidstreamError:
    """An in-band failure after some output (Q: an exception frame; Gemini: an error event)."""


@dataclass(frozen=True)
class Truncate:
    """The connection drops mid-stream (Q: inside a frame; Gemini: without finishReason)."""


@dataclass(frozen=True)
class OutputLimit:
    """The upstream's own output limit ends the answer (amazonq.md §4.3, Gemini MAX_TOKENS)."""


Step = Text | Thinking | ToolCall | UpstreamError | MidstreamError | Truncate | OutputLimit


@dataclass(frozen=True)
class Pacing:
    delay_first_ms: float = 0.0
    delay_ms: float = 0.0


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    pacing: Pacing = Pacing()

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.steps if isinstance(s, Text))


# ------------------------------------------------------------------ directives

_TOOL_USE = re.compile(r"\[\[tool_use:([^\s\]]+)(?:\s+(\{.*?\}))?\]\]", re.S)
_STATUS = re.compile(r"\[\[status:(\d{3})(?:\*(\d+))?\]\]")
_KNOB = re.compile(r"\[\[(frames|frame_bytes|delay_first_ms|delay_ms):(\d+(?:\.\d+)?)\]\]")
_FLAGS = ("midstream_error", "truncate_stream", "max_tokens", "thinking")

# Multi-byte characters in every default reply, so UTF-8 splitting bugs show up in tests.
_FLAVOUR = "naïve café — ünïcödé ✓ 你好 🙂"


def _directive_flags(text: str) -> set[str]:
    return {flag for flag in _FLAGS if f"[[{flag}]]" in text}


def strip_directives(text: str) -> str:
    text = _TOOL_USE.sub("", text)
    text = _STATUS.sub("", text)
    text = _KNOB.sub("", text)
    for flag in _FLAGS:
        text = text.replace(f"[[{flag}]]", "")
    return " ".join(text.split())


def example_input(schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """An input object that satisfies the common shapes of a tool's JSON schema."""
    if not isinstance(schema, Mapping):
        return {}
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    required = schema.get("required")
    names = [n for n in (required if isinstance(required, list) else list(properties)) if n in properties]
    return {name: _example_value(properties[name]) for name in names}


def _example_value(schema: Any) -> Any:
    if not isinstance(schema, Mapping):
        return "example"
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return {
        "string": "example",
        "integer": 1,
        "number": 1,
        "boolean": True,
        "array": [],
        "object": example_input(schema),
        "null": None,
    }.get(kind, "example")


def split_text(text: str, pieces: int) -> list[str]:
    """`text` in `pieces` roughly equal chunks (by characters, never splitting one)."""
    pieces = max(1, min(pieces, len(text) or 1))
    size, extra = divmod(len(text), pieces)
    out, start = [], 0
    for index in range(pieces):
        end = start + size + (1 if index < extra else 0)
        out.append(text[start:end])
        start = end
    return [p for p in out if p] or [text]


def _last_said(text: str) -> str:
    """The user's own words: the last paragraph that is neither a directive nor a gateway hint."""
    for paragraph in reversed(re.split(r"\n\s*\n", text)):
        said = strip_directives(paragraph)
        if said and parse_tool_choice(said) is None and not asks_for_thinking(said):
            return said
    return ""


def default_reply(view: PromptView) -> str:
    said = _last_said(view.newest_user_text)
    if view.tool_results:
        quoted = " ".join(view.tool_results[-1].split())[:80]
        return f"The tool returned: «{quoted}». That settles it — {_FLAVOUR}."
    quoted = said[:60] if said else "(nothing)"
    return f"You said: «{quoted}». Here is a deterministic answer from the simulator — {_FLAVOUR}."


# ------------------------------------------------------------------ the planner


def plan_answer(view: PromptView, attempt: int = 1) -> Plan:
    """The answer to `view` on the `attempt`-th try of the same conversation (1-based)."""
    text = view.newest_user_text
    knobs = {name: float(value) for name, value in _KNOB.findall(text)}
    pacing = Pacing(delay_first_ms=knobs.get("delay_first_ms", 0.0), delay_ms=knobs.get("delay_ms", 0.0))

    status = _STATUS.search(text)
    if status is not None:
        limit = status.group(2)
        if limit is None or attempt <= int(limit):
            return Plan((UpstreamError(int(status.group(1))),), pacing)

    flags = _directive_flags(text)
    steps: list[Step] = []
    if "thinking" in flags or asks_for_thinking(text) or asks_for_thinking(view.system_text):
        steps.append(Thinking(f"The user wrote {len(strip_directives(text))} characters; I answer deterministically."))

    tool_calls = _tool_calls(view)
    frames = int(knobs.get("frames", 0))
    if tool_calls:
        names = ", ".join(f"`{call.name}`" for call in tool_calls)
        steps.extend(Text(piece) for piece in split_text(f"I will call {names} — ✓.", 2))
    elif frames:
        size = int(knobs.get("frame_bytes", 24))
        body = ("simulated token " * (1 + size // 16))[:size]
        steps.extend(Text(body) for _ in range(frames))
    elif "max_tokens" in flags:
        steps.extend(Text(f"Long answer part {i}. ") for i in range(40))
    else:
        steps.extend(Text(piece) for piece in split_text(default_reply(view), 6))

    steps.extend(tool_calls)

    if "midstream_error" in flags:
        steps = [*steps[:3], MidstreamError()]
    elif "truncate_stream" in flags:
        steps = [*steps[:3], Truncate()]
    elif "max_tokens" in flags:
        steps.append(OutputLimit())
    return Plan(tuple(steps), pacing)


def _tool_calls(view: PromptView) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for name, raw in _TOOL_USE.findall(view.newest_user_text):
        if raw:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = {"raw": raw}
            calls.append(ToolCall(name, value if isinstance(value, dict) else {"value": value}))
        else:
            calls.append(ToolCall(name, example_input(view.tools.get(name))))
    if calls:
        return calls
    choice = parse_tool_choice(view.newest_user_text) or parse_tool_choice(view.system_text)
    if choice is None or choice[0] == "none" or not view.tools or view.tool_results:
        return []
    name = choice[1] if choice[0] == "tool" and choice[1] in view.tools else next(iter(view.tools))
    return [ToolCall(name, example_input(view.tools.get(name)))]
