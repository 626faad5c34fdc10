"""A `Plan` as Amazon Q's binary event stream, and the transport writes that carry it (amazonq.md §3).

Sans-IO: `render_answer` turns a plan into frames in the real order (§3.4) and `transport_writes`
cuts them into the writes the handler makes, pauses included. No sockets here.

Frame order: [initial-response] → assistantResponseEvent… (thinking first, as `<thinking>…</thinking>`
text, §3.7) → per tool call: start {name, toolUseId} → input fragments → stop (§3.6) → meteringEvent →
contextUsageEvent → EOF. No terminal event: the turn ends at EOF. A mid-stream failure is an `exception`
frame (§4.3) followed by EOF; a truncation is part of a frame and then a closed connection.

Transport chunking is deterministic and deliberately unkind, because real transport chunks split
frames anywhere: a frame whose payload holds a multi-byte UTF-8 character is written in two pieces cut
inside that character; the middle frame of an answer is cut at a pseudo-random offset (prelude, headers
or payload) unless it was cut already; the rest go up to FRAMES_PER_WRITE frames to a write. Few writes
also keep the simulator fast: each one is a send() system call.
"""

from __future__ import annotations

import itertools
import random
import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import orjson

from services.simulator.plan import (
    MidstreamError,
    OutputLimit,
    Pacing,
    Plan,
    Text,
    Thinking,
    ToolCall,
    Truncate,
)
from services.simulator.state import random_base62
from shared.prompt_hints import THINKING_CLOSE, THINKING_OPEN
from shared.wire.eventstream import encode_event, encode_exception

CONTEXT_WINDOW_TOKENS = 200_000
FRAMES_PER_WRITE = 8
_MULTIBYTE_LEAD = re.compile(rb"[\xc0-\xff]")

MIDSTREAM_MESSAGES = {
    "ThrottlingException": "Rate limit exceeded",
    "InternalServerException": "Encountered an unexpected error when processing the request, please try again.",
    "error": "Encountered an unexpected error when processing the request, please try again.",
}
OUTPUT_LIMIT_MESSAGE = "The response exceeded the maximum output length."  # wording unverified (§4.3)


@dataclass(frozen=True)
class Frame:
    data: bytes
    split: int | None = None  # an offset inside the payload's first multi-byte character


@dataclass(frozen=True)
class Pause:
    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection now, without finishing the body."""


Action = bytes | Pause | Drop


@dataclass(frozen=True)
class Answer:
    frames: tuple[Frame, ...]
    truncated: bool  # the last frame is partial and the connection drops after it
    outcome: str  # "ok", "midstream_error", "output_limit", "truncated"
    output_chars: int


def _frame(event_type: str, payload: bytes) -> Frame:
    data = encode_event(event_type, payload)
    lead = _MULTIBYTE_LEAD.search(payload)
    if lead is None:
        return Frame(data)
    return Frame(data, len(data) - 4 - len(payload) + lead.start() + 1)


@lru_cache(maxsize=4096)
def text_frame(content: str) -> Frame:
    # Answers repeat (benchmarks send the same prompt): a text frame is built once.
    return _frame("assistantResponseEvent", orjson.dumps({"content": content}))


def initial_response_frame(conversation_id: str) -> Frame:
    return _frame("initial-response", orjson.dumps({"conversationId": conversation_id}))


def new_tool_use_id() -> str:
    """`tooluse_` + 22 base62 characters, like Kiro CLI logs (§3.6)."""
    return "tooluse_" + random_base62(22)


def tool_input_fragments(input_json: str) -> list[str]:
    """The compact JSON text cut into arbitrary substrings (inside keys, values, escapes), the same cuts
    for the same text; when its length is even, an empty fragment follows the first (real streams have
    those, §3.6). Cuts fall between characters: each fragment is a whole JSON string value."""
    length = len(input_json)
    if length <= 1:
        return [input_json]
    rng = random.Random(zlib.crc32(input_json.encode("utf-8", "surrogatepass")))
    pieces = min(length, 2 + length // 24, 8)
    cuts = sorted(rng.sample(range(1, length), pieces - 1))
    bounds = [0, *cuts, length]
    fragments = [input_json[a:b] for a, b in itertools.pairwise(bounds)]
    if length % 2 == 0:
        fragments.insert(1, "")
    return fragments


def tool_frames(call: ToolCall, tool_use_id: str) -> list[Frame]:
    # Keys in alphabetical order, compact, as the real service writes them (§3.3).
    name = call.name
    frames = [_frame("toolUseEvent", orjson.dumps({"name": name, "toolUseId": tool_use_id}))]
    input_json = orjson.dumps(call.input, option=orjson.OPT_SORT_KEYS).decode()
    for fragment in tool_input_fragments(input_json):
        payload = orjson.dumps({"input": fragment, "name": name, "toolUseId": tool_use_id})
        frames.append(_frame("toolUseEvent", payload))
    frames.append(_frame("toolUseEvent", orjson.dumps({"name": name, "stop": True, "toolUseId": tool_use_id})))
    return frames


def thinking_pieces(text: str) -> list[str]:
    """`<thinking>text</thinking>` in three pieces that split both tags (`<thin` + `king>…`), as real
    streams do (§3.7)."""
    whole = f"{THINKING_OPEN}{text}{THINKING_CLOSE}"
    return [whole[:5], whole[5:-4], whole[-4:]]


def credits_for(input_chars: int, output_chars: int) -> float:
    """What an answer costs, in the credits of a meteringEvent (deterministic, not the real tariff)."""
    return 0.01 + input_chars * 1e-6 + output_chars * 2e-5


def metering_frame(input_chars: int, output_chars: int) -> Frame:
    usage = credits_for(input_chars, output_chars)
    return _frame("meteringEvent", orjson.dumps({"unit": "credit", "unitPlural": "credits", "usage": usage}))


def context_usage_frame(input_chars: int, output_chars: int) -> Frame:
    percentage = min(100.0, (input_chars + output_chars) / 4 / CONTEXT_WINDOW_TOKENS * 100)
    return _frame("contextUsageEvent", orjson.dumps({"contextUsagePercentage": percentage}))


def exception_frame(exception_type: str, message: str) -> Frame:
    return Frame(encode_exception(exception_type, orjson.dumps({"message": message})))


@dataclass(frozen=True)
class AnswerBody:
    """The frames between initial-response and metering, and how the answer ends."""

    frames: tuple[Frame, ...]
    outcome: str  # "ok", "midstream_error", "output_limit", "truncated"
    truncated: bool
    output_chars: int
    has_tool_calls: bool  # tool ids are fresh per answer: such a body must not be reused


def answer_body(plan: Plan, midstream_exception: str = "ThrottlingException") -> AnswerBody:
    steps = plan.steps
    frames: list[Frame] = []
    output_chars = 0
    tool_calls = False
    thinking = [step.text for step in steps if isinstance(step, Thinking)]
    if thinking:
        for piece in thinking_pieces("\n".join(thinking)):
            frames.append(text_frame(piece))
            output_chars += len(piece)
    for step in steps:
        if isinstance(step, Text):
            frames.append(text_frame(step.text))
            output_chars += len(step.text)
        elif isinstance(step, ToolCall):
            frames.extend(tool_frames(step, new_tool_use_id()))
            output_chars += len(step.name) + 16
            tool_calls = True
        elif isinstance(step, MidstreamError):
            message = MIDSTREAM_MESSAGES.get(midstream_exception, MIDSTREAM_MESSAGES["error"])
            frames.append(exception_frame(midstream_exception, message))
            return AnswerBody(tuple(frames), "midstream_error", False, output_chars, tool_calls)
        elif isinstance(step, OutputLimit):
            frames.append(exception_frame("ContentLengthExceededException", OUTPUT_LIMIT_MESSAGE))
            return AnswerBody(tuple(frames), "output_limit", False, output_chars, tool_calls)
        elif isinstance(step, Truncate):
            whole = text_frame("This sentence never arrives in full.").data
            frames.append(Frame(whole[: len(whole) // 2]))
            return AnswerBody(tuple(frames), "truncated", True, output_chars, tool_calls)
        # UpstreamError is only meaningful as the first step (an HTTP error instead); ignored here.
    return AnswerBody(tuple(frames), "ok", False, output_chars, tool_calls)


def render_answer(
    plan: Plan,
    *,
    conversation_id: str | None,
    input_chars: int,
    midstream_exception: str = "ThrottlingException",
    body: AnswerBody | None = None,
) -> Answer:
    """The frames for `plan` (whose steps contain no UpstreamError: that is an HTTP error instead).

    `conversation_id` None: no initial-response frame (REST flavour, or switched off). `body`: the
    plan's `answer_body`, when the caller has it already."""
    if body is None:
        body = answer_body(plan, midstream_exception)
    frames = body.frames
    if conversation_id is not None:
        frames = (initial_response_frame(conversation_id), *frames)
    if body.outcome == "ok":
        frames = (*frames, *_closing_frames(input_chars, body.output_chars))
    return Answer(frames, body.truncated, body.outcome, body.output_chars)


@lru_cache(maxsize=1024)
def _closing_frames(input_chars: int, output_chars: int) -> tuple[Frame, Frame]:
    return metering_frame(input_chars, output_chars), context_usage_frame(input_chars, output_chars)


def transport_writes(answer: Answer, pacing: Pacing) -> list[Action]:
    """The writes (and pauses) that deliver `answer`, cut as the module docstring says.

    With a per-frame delay every frame is flushed before the pause; otherwise up to FRAMES_PER_WRITE
    frames share a write."""
    actions: list[Action] = []
    if pacing.delay_first_ms > 0:
        actions.append(Pause(pacing.delay_first_ms / 1000))
    per_frame = pacing.delay_ms > 0
    pending: list[bytes] = []
    in_pending = 0

    def flush() -> None:
        nonlocal pending, in_pending
        if pending:
            actions.append(pending[0] if len(pending) == 1 else b"".join(pending))
        pending, in_pending = [], 0

    last = len(answer.frames) - 1
    middle = len(answer.frames) // 2
    for index, frame in enumerate(answer.frames):
        if per_frame and index > 0:
            flush()
            actions.append(Pause(pacing.delay_ms / 1000))
        data = frame.data
        split = frame.split
        if split is None and index == middle and len(data) > 2:
            split = 1 + (len(answer.frames) * 7919) % (len(data) - 1)
        if split is not None and not (answer.truncated and index == last):
            pending.append(data[:split])
            flush()
            pending, in_pending = [data[split:]], 1
        else:
            pending.append(data)
            in_pending += 1
            if in_pending >= FRAMES_PER_WRITE:
                flush()
    flush()
    if answer.truncated:
        actions.append(Drop())
    return actions
