"""Turns normalised into the conversation shape Amazon Q accepts (amazonq.md §8 invariants (a)–(d), (f)).

``normalise_turns`` returns turns that alternate ``user, assistant, …, user``: the last one is the
current message, everything before it is history (which therefore starts with a user entry and ends
with an assistant entry). Every repair is appended to ``repairs`` as a sentence.

Nothing the client sent is lost on the way (seeds.md §5.4): consecutive turns of one role merge (texts,
images, *all* tool results — the Q2A infinite-loop bug was losing the later results), tool results are
paired with the tool uses of the assistant turn just before them, de-duplicated by id (distinct contents
concatenated, ``error`` winning) and put in the assistant's call order; an unanswered call gets the
cancelled result QCLI synthesises. The only things dropped are orphan results (no matching call in the
previous assistant turn — Q rejects them and the model never made that call) and empty assistant turns.
"""

from __future__ import annotations

from services.translator.q_turns import AssistantTurn, Image, Result, ToolCall, Turn, UserTurn
from shared.schemas import amazonq

# QCLI `new_cancelled_tool_uses` (amazonq.md §8): the result Q expects for a call the client never answered.
CANCELLED_TEXT = "Tool use was cancelled by the user"
# A user turn Q needs but the client did not send (history starting with an assistant turn, an empty
# user message): a neutral one-character text, because Q rejects empty content without tool results (§2.8).
EMPTY_USER_TEXT = "."
# A trailing assistant message (prefill) moves into history and the model is asked to go on (AIC's choice).
PREFILL_CONTINUE_TEXT = "Continue"
# QCLI MAX_NUMBER_OF_IMAGES_PER_REQUEST (§2.6); older images become this visible text.
MAX_IMAGES = 10
IMAGE_OMITTED_TEXT = "[image omitted: Amazon Q accepts at most 10 images per request]"


def normalise_turns(turns: list[Turn], repairs: list[str]) -> list[Turn]:
    turns = _drop_empty_assistant_turns(turns, repairs)
    turns = _merge_consecutive(turns, repairs)
    if not turns:
        turns = [UserTurn(parts=[EMPTY_USER_TEXT])]
        repairs.append(f"the request had no content Amazon Q can carry; sent {EMPTY_USER_TEXT!r}")
    if isinstance(turns[0], AssistantTurn):
        turns.insert(0, UserTurn(parts=[EMPTY_USER_TEXT]))
        repairs.append(
            f"the conversation starts with an assistant turn; a user turn {EMPTY_USER_TEXT!r} was put before it"
        )
    if isinstance(turns[-1], AssistantTurn):
        turns.append(UserTurn(parts=[PREFILL_CONTINUE_TEXT]))
        repairs.append(
            "the last message is an assistant prefill; Amazon Q cannot continue a prefill, so it was moved "
            f"into history and the current message is {PREFILL_CONTINUE_TEXT!r}"
        )
    _make_tool_use_ids_unique(turns, repairs)
    for index, turn in enumerate(turns):
        if isinstance(turn, UserTurn):
            previous = turns[index - 1] if index > 0 else None
            calls = previous.tool_uses if isinstance(previous, AssistantTurn) else []
            turn.results = _pair_results(turn.results, calls, repairs)
    _limit_images(turns, repairs)
    return turns


def _drop_empty_assistant_turns(turns: list[Turn], repairs: list[str]) -> list[Turn]:
    kept: list[Turn] = []
    for turn in turns:
        if isinstance(turn, AssistantTurn) and not turn.tool_uses and not "".join(turn.parts):
            repairs.append("an assistant turn with nothing Amazon Q can carry was removed")
            continue
        kept.append(turn)
    return kept


def _merge_consecutive(turns: list[Turn], repairs: list[str]) -> list[Turn]:
    merged: list[Turn] = []
    for turn in turns:
        last = merged[-1] if merged else None
        if isinstance(last, UserTurn) and isinstance(turn, UserTurn):
            if last.from_system or turn.from_system:
                repairs.append('a role "system" message folded into the adjacent user turn')
            else:
                repairs.append("consecutive user turns merged")
            last.parts.extend(turn.parts)
            last.results.extend(turn.results)
            last.from_system = last.from_system and turn.from_system
        elif isinstance(last, AssistantTurn) and isinstance(turn, AssistantTurn):
            last.parts.extend(turn.parts)
            last.tool_uses.extend(turn.tool_uses)
            repairs.append("consecutive assistant turns merged")
        else:
            # Copies, so merging never writes into another turn's lists.
            if isinstance(turn, UserTurn):
                merged.append(UserTurn(list(turn.parts), list(turn.results), turn.from_system))
            else:
                merged.append(AssistantTurn(list(turn.parts), list(turn.tool_uses)))
    return merged


def _make_tool_use_ids_unique(turns: list[Turn], repairs: list[str]) -> None:
    """Q rejects a toolUseId used twice in a conversation (§2.8).

    A repeat inside one assistant turn cannot be told apart by its results, so the second call is
    dropped; a repeat in a later turn is renamed ``<id>_2`` (… ``_3``), and so are the results that
    answer it in the next user turn.
    """
    seen: set[str] = set()
    for index, turn in enumerate(turns):
        if not isinstance(turn, AssistantTurn):
            continue
        in_turn: set[str] = set()
        kept: list[ToolCall] = []
        renames: dict[str, str] = {}
        for call in turn.tool_uses:
            if call.id in in_turn:
                repairs.append(f"tool_use {call.id} repeated in one assistant turn; the repeat was dropped")
                continue
            in_turn.add(call.id)
            if call.id in seen:
                suffix = 2
                while f"{call.id}_{suffix}" in seen or f"{call.id}_{suffix}" in in_turn:
                    suffix += 1
                new_id = f"{call.id}_{suffix}"
                repairs.append(f"tool_use id {call.id} reused from an earlier turn; renamed {new_id}")
                renames[call.id] = new_id
                call = ToolCall(new_id, call.name, call.input)
            seen.add(call.id)
            kept.append(call)
        turn.tool_uses = kept
        following = turns[index + 1] if index + 1 < len(turns) else None
        if renames and isinstance(following, UserTurn):
            following.results = [
                Result(renames.get(r.tool_use_id, r.tool_use_id), r.content, r.is_error) for r in following.results
            ]


def _pair_results(results: list[Result], calls: list[ToolCall], repairs: list[str]) -> list[Result]:
    """Exactly one result per call of the previous assistant turn, in the calls' order."""
    expected = [call.id for call in calls]
    wanted = set(expected)
    by_id: dict[str, Result] = {}
    arrival: list[str] = []
    for result in results:
        if result.tool_use_id not in wanted:
            repairs.append(
                f"tool_result for {result.tool_use_id} dropped: no matching tool_use in the preceding assistant turn"
            )
            continue
        existing = by_id.get(result.tool_use_id)
        if existing is None:
            by_id[result.tool_use_id] = Result(result.tool_use_id, list(result.content), result.is_error)
            arrival.append(result.tool_use_id)
            continue
        repairs.append(f"duplicate tool_result for {result.tool_use_id} merged into one")
        existing.content.extend(block for block in result.content if block not in existing.content)
        existing.is_error = existing.is_error or result.is_error
    paired: list[Result] = []
    for tool_use_id in expected:
        result = by_id.get(tool_use_id)
        if result is None:
            repairs.append(f"tool_use {tool_use_id} had no tool_result; answered as cancelled")
            result = Result(tool_use_id, [amazonq.ToolResultContentBlock(text=CANCELLED_TEXT)], True)
        paired.append(result)
    if arrival != [tool_use_id for tool_use_id in expected if tool_use_id in by_id]:
        repairs.append("tool_results reordered to the order of the tool_use calls")
    return paired


def _limit_images(turns: list[Turn], repairs: list[str]) -> None:
    """Keep the newest ``MAX_IMAGES`` images of the request; older ones become a visible placeholder."""
    kept = 0
    omitted = 0
    for turn in reversed(turns):
        if not isinstance(turn, UserTurn):
            continue
        for position in range(len(turn.parts) - 1, -1, -1):
            if not isinstance(turn.parts[position], Image):
                continue
            if kept < MAX_IMAGES:
                kept += 1
            else:
                turn.parts[position] = IMAGE_OMITTED_TEXT
                omitted += 1
    if omitted:
        repairs.append(
            f"{omitted} older image(s) replaced by a placeholder: Amazon Q accepts at most {MAX_IMAGES} per request"
        )
