"""What Amazon Q has no field for, carried as labelled text in the current user message.

Layout of the current message content, sections separated by a blank line (seeds.md §5.2 minus the
seeds' CONTEXT ENTRY / USER MESSAGE wrappers, which we do not add — user text is passed as is):

1. the top-level system prompt, verbatim, between ``--- SYSTEM PROMPT BEGIN/END ---`` (on every turn,
   tool-result-only turns included — the seeds dropped it there);
2. the ``--- TOOL DOCUMENTATION BEGIN/END ---`` section, when a description was too long for Q;
3. the user's own content (merged turns, mid-conversation system sections, in order);
4. the ``tool_choice`` instruction (``shared.prompt_hints``), after all other sections;
5. the thinking hint, once, at the very end (seeds.md §5.4 "Thinking hint placement").
"""

from __future__ import annotations

from dataclasses import dataclass

from services.translator.errors import ConversionError
from services.translator.q_tools import QTools
from shared import prompt_hints
from shared.schemas import anthropic as a


@dataclass(frozen=True)
class ThinkingChoice:
    enabled: bool
    hint: str  # "" when disabled
    note: str | None = None  # a repair note, when the mode was approximated


def thinking_choice(request: a.CountTokensRequest) -> ThinkingChoice:
    """``enabled`` → budget hint; ``adaptive`` → effort hint (``output_config.effort``, else ``high``)."""
    effort = request.output_config.effort if request.output_config and request.output_config.effort else "high"
    match request.thinking:
        case a.ThinkingEnabled(budget_tokens=budget):
            return ThinkingChoice(True, prompt_hints.thinking_enabled_hint(budget))
        case a.ThinkingAdaptive():
            return ThinkingChoice(True, prompt_hints.thinking_adaptive_hint(effort))
        case a.ThinkingBetweenTools():
            return ThinkingChoice(
                True, prompt_hints.thinking_adaptive_hint(effort), "thinking between_tools sent as adaptive thinking"
            )
        case a.UnknownThinking() as unknown:
            return ThinkingChoice(False, "", f"unknown thinking type {unknown.type!r} treated as disabled")
        case _:
            return ThinkingChoice(False, "")


def tool_choice_hint(tool_choice: a.ToolChoice | None, tools: QTools) -> str:
    """The instruction emulating ``tool_choice`` (Q has none, amazonq.md §8); ``auto`` adds nothing."""
    match tool_choice:
        case None | a.ToolChoiceAuto():
            return ""
        case a.ToolChoiceNone():
            return prompt_hints.TOOL_CHOICE_NONE
        case a.ToolChoiceAny():
            if not tools.custom_names:
                server = ", ".join(sorted(tools.server_names))
                reason = f"only server tools ({server}), which Amazon Q cannot run" if server else "no tools"
                raise ConversionError(
                    f"tool_choice \"any\" requires a tool to call, but the request has {reason}",
                    param="tool_choice",
                )
            return prompt_hints.TOOL_CHOICE_ANY
        case a.ToolChoiceTool(name=name):
            if name in tools.server_names:
                raise ConversionError(
                    f"tool_choice forces the server tool {name!r}, which Amazon Q cannot run",
                    param="tool_choice.name",
                )
            if name not in tools.custom_names:
                raise ConversionError(
                    f"tool_choice names the tool {name!r}, which is not defined in tools", param="tool_choice.name"
                )
            return prompt_hints.tool_choice_tool(tools.names.q_name(name))
    raise AssertionError(f"unhandled tool_choice {tool_choice!r}")  # pragma: no cover


def current_content(*, system: str, documentation: str, user_text: str, tool_choice: str, thinking: str) -> str:
    return "\n\n".join(section for section in (system, documentation, user_text, tool_choice, thinking) if section)
