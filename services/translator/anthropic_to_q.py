"""Anthropic Messages request → Amazon Q ``GenerateAssistantResponse`` body (the request half of the
Anthropic ⇄ Amazon Q direction). Pure: typed request in, typed Q body out, or a ``ConversionError``.

Pipeline: ``q_turns`` reads the messages into turns → ``q_history`` merges, pairs and limits them →
``q_tools`` builds the tool specs and the reversible name map → this module lays out the Q messages
(``q_prompt`` for the current content) → ``q_preflight`` checks the result against amazonq.md §2.8
before anything is sent.

Shape choices (amazonq.md §2, §8): ``chatTriggerType`` MANUAL; the caller's fresh ``conversationId``;
``origin`` on every user message; ``modelId`` and ``tools`` on the current message only; no ``envState``
(we know nothing true about the client's OS or cwd, and Q does not need it); no ``messageId`` on
assistant entries (optional member); ``history`` omitted when empty; ``profileArn`` at the top level
only when given. Parameters with no Q equivalent (``max_tokens``, ``temperature``, ``top_p``,
``top_k``, ``stop_sequences``, ``metadata``, ``context_management``, ``cache_control``) are not sent;
``output_config.format`` is noted as a repair because the answer will not be schema-constrained.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.translator import q_prompt, request_tokens
from services.translator.errors import ConversionError
from services.translator.q_history import EMPTY_USER_TEXT, normalise_turns
from services.translator.q_preflight import check_request
from services.translator.q_tools import QTools, ToolNameMap, build_tools
from services.translator.q_turns import (
    AssistantTurn,
    Image,
    Result,
    UserTurn,
    read_messages,
    system_section,
    system_text,
)
from shared.models import ModelRoute
from shared.schemas import amazonq
from shared.schemas import anthropic as a

__all__ = ["QConversion", "ToolNameMap", "build_q_request", "count_request_tokens"]

# Q requires toolResults on user turns to be answered, and accepts `content: ""` beside them for the
# CLI origins (amazonq.md §2.8, §9); for other origins (Kiro / AI_EDITOR) a placeholder is required.
_EMPTY_CONTENT_ORIGINS = frozenset({"CLI", "KIRO_CLI"})
TOOL_RESULTS_PLACEHOLDER = "Tool results provided."
# seeds.md §5.4: empty result text by status.
EMPTY_SUCCESS_TEXT = "Command executed successfully"
EMPTY_ERROR_TEXT = "Tool use was cancelled by the user"


@dataclass(frozen=True)
class QConversion:
    body: amazonq.GenerateAssistantResponseRequest
    tool_names: ToolNameMap
    thinking: bool  # the client asked for thinking: the response side parses <thinking>…</thinking>
    repairs: tuple[str, ...]


def count_request_tokens(request: a.CountTokensRequest, multiplier: float = 1.0) -> int:
    """Input tokens over every part of the request (see ``request_tokens``)."""
    return request_tokens.count_request_tokens(request, multiplier)


def build_q_request(
    request: a.MessagesRequest | a.CountTokensRequest,
    route: ModelRoute,
    *,
    conversation_id: str,
    profile_arn: str | None = None,
    origin: str = "KIRO_CLI",
) -> QConversion:
    if request.mcp_servers:
        raise ConversionError(
            "mcp_servers is not supported: Amazon Q cannot call remote MCP servers; define the MCP tools as "
            "client tools instead",
            param="mcp_servers",
        )
    repairs: list[str] = []
    turns = normalise_turns(read_messages(request.messages, repairs), repairs)
    history_tool_names = [call.name for turn in turns if isinstance(turn, AssistantTurn) for call in turn.tool_uses]
    tools = build_tools(request.tools, history_tool_names, repairs)
    thinking = q_prompt.thinking_choice(request)
    if thinking.note:
        repairs.append(thinking.note)
    if request.output_config and request.output_config.format:
        repairs.append("output_config.format not enforced: Amazon Q has no structured-output mode")

    *history_turns, current_turn = turns
    history = [_history_entry(turn, tools, origin, repairs) for turn in history_turns]
    assert isinstance(current_turn, UserTurn)  # normalise_turns ends with the current user turn
    system = system_text(request.system)
    content = q_prompt.current_content(
        system=system_section(system) if system else "",
        documentation=tools.documentation,
        user_text=_user_text(current_turn),
        tool_choice=q_prompt.tool_choice_hint(request.tool_choice, tools),
        thinking=thinking.hint,
    )
    content = _non_empty_content(content, current_turn, origin, "the current message", repairs)
    context = amazonq.UserInputMessageContext(
        tool_results=_tool_results(current_turn.results) or None, tools=tools.specs or None
    )
    current = amazonq.UserInputMessage(
        content=content,
        user_input_message_context=context if context.tool_results or context.tools else None,
        origin=origin,
        images=_images(current_turn) or None,
        model_id=route.upstream_model,
    )
    body = amazonq.GenerateAssistantResponseRequest(
        conversation_state=amazonq.ConversationState(
            conversation_id=conversation_id,
            history=history or None,
            current_message=amazonq.ChatMessage(user_input_message=current),
            chat_trigger_type="MANUAL",
        ),
        profile_arn=profile_arn,
    )
    check_request(body)
    return QConversion(body, tools.names, thinking.enabled, tuple(repairs))


def _history_entry(
    turn: UserTurn | AssistantTurn, tools: QTools, origin: str, repairs: list[str]
) -> amazonq.ChatMessage:
    if isinstance(turn, AssistantTurn):
        uses = [
            amazonq.ToolUse(
                tool_use_id=call.id, name=tools.names.q_name(call.name), input=_tool_input(call.input, call.id, repairs)
            )
            for call in turn.tool_uses
        ]
        return amazonq.ChatMessage(
            assistant_response_message=amazonq.AssistantResponseMessage(
                content="\n\n".join(part for part in turn.parts if part), tool_uses=uses or None
            )
        )
    results = _tool_results(turn.results)
    return amazonq.ChatMessage(
        user_input_message=amazonq.UserInputMessage(
            content=_non_empty_content(_user_text(turn), turn, origin, "a history user message", repairs),
            user_input_message_context=amazonq.UserInputMessageContext(tool_results=results) if results else None,
            origin=origin,
            images=_images(turn) or None,
        )
    )


def _user_text(turn: UserTurn) -> str:
    return "\n\n".join(part for part in turn.parts if isinstance(part, str) and part)


def _images(turn: UserTurn) -> list[amazonq.ImageBlock]:
    return [
        amazonq.ImageBlock(format=part.format, source=amazonq.ImageSource(bytes=part.data))  # type: ignore[arg-type]
        for part in turn.parts
        if isinstance(part, Image)
    ]


def _non_empty_content(content: str, turn: UserTurn, origin: str, where: str, repairs: list[str]) -> str:
    """Q rejects an empty user content unless the message carries tool results (amazonq.md §2.8, §8 (f))."""
    if content.strip():
        return content
    if turn.results:
        return content if origin in _EMPTY_CONTENT_ORIGINS else TOOL_RESULTS_PLACEHOLDER
    repairs.append(f"{where} had no text; sent {EMPTY_USER_TEXT!r} because Amazon Q rejects empty content")
    return EMPTY_USER_TEXT


def _tool_results(results: list[Result]) -> list[amazonq.ToolResult]:
    return [
        amazonq.ToolResult(
            tool_use_id=result.tool_use_id,
            content=_result_content(result),
            status="error" if result.is_error else "success",
        )
        for result in results
    ]


def _result_content(result: Result) -> list[amazonq.ToolResultContentBlock]:
    """Non-empty items are kept unchanged; a result with no text at all gets the status's placeholder."""
    has_payload = any(
        (block.text is not None and block.text.strip()) or block.text is None for block in result.content
    )
    if has_payload:
        return result.content
    return [amazonq.ToolResultContentBlock(text=EMPTY_ERROR_TEXT if result.is_error else EMPTY_SUCCESS_TEXT)]


def _tool_input(value: dict, tool_use_id: str, repairs: list[str]) -> dict:
    """Q rejects a tool input object with an empty-string key (amazonq.md §2.5)."""
    if "" not in value:
        return value
    repairs.append(f"tool_use {tool_use_id}: input member with an empty name removed")
    return {key: item for key, item in value.items() if key != ""}
