"""Instructions the translator adds to a prompt where an upstream lacks an API field, and that the
simulator recognises.

Amazon Q has no `tool_choice` and no `thinking` field. The translator emulates them with a clear,
clearly-labelled instruction appended to the newest user turn — it never tries to override the
upstream's own system prompt. Both sides import these texts from here so they cannot drift apart.
"""

from __future__ import annotations

import re

TOOL_CHOICE_MARK = "[q2api tool_choice]"

TOOL_CHOICE_ANY = f"{TOOL_CHOICE_MARK} Respond by calling one of the provided tools; do not answer with text alone."
TOOL_CHOICE_NONE = f"{TOOL_CHOICE_MARK} Do not call any tool; answer with text only."


def tool_choice_tool(name: str) -> str:
    return f"{TOOL_CHOICE_MARK} Respond by calling the tool `{name}`."


_TOOL_CHOICE_RE = re.compile(re.escape(TOOL_CHOICE_MARK) + r" Respond by calling (?:the tool `([^`]+)`|one of the provided tools)")


def parse_tool_choice(text: str) -> tuple[str, str | None] | None:
    """("any", None), ("tool", name), ("none", None), or None when the text carries no such instruction."""
    if TOOL_CHOICE_NONE in text:
        return ("none", None)
    match = _TOOL_CHOICE_RE.search(text)
    if match is None:
        return None
    return ("tool", match.group(1)) if match.group(1) else ("any", None)


# Thinking (amazonq.md §3.7): the prompt-side switch the Q-based bridges use; the model then answers
# with <thinking>…</thinking> at the start of its text.
THINKING_OPEN = "<thinking>"
THINKING_CLOSE = "</thinking>"


def thinking_enabled_hint(budget_tokens: int) -> str:
    return f"<thinking_mode>enabled</thinking_mode><max_thinking_length>{budget_tokens}</max_thinking_length>"


def thinking_adaptive_hint(effort: str = "high") -> str:
    return f"<thinking_mode>adaptive</thinking_mode><thinking_effort>{effort}</thinking_effort>"


_THINKING_MODE_RE = re.compile(r"<thinking_mode>(enabled|adaptive|interleaved)</thinking_mode>")


def asks_for_thinking(text: str) -> bool:
    return _THINKING_MODE_RE.search(text) is not None
