"""Plan steps → Gemini response chunks → SSE bytes. Sans-IO: no aiohttp, no clock, no randomness here.

Chunk shape (gemini-code-assist.md §3.4, examples "Conventions"):

* one chunk per Text step, one per Thinking step (a ``{"text", "thought": true}`` part, only when the
  request set ``includeThoughts``), one for each run of ToolCalls (complete ``functionCall {name, args}``
  parts, no ``id``);
* ``finishReason`` only on the last chunk — ``STOP`` even after function calls (§11.3), ``MAX_TOKENS``
  for OutputLimit or when ``maxOutputTokens`` runs out;
* Code Assist: ``responseId``/``createTime``/``modelVersion`` on every chunk, ``usageMetadata`` only
  ``{trafficType}`` until the full counts on the last chunk; the public API repeats cumulative counts on
  every chunk and numbers the candidate (``index: 0``), as its captured streams show;
* Gemini 3 (§5.4): a ``thoughtSignature`` on each thought part and on the first functionCall of the
  turn; a turn without calls ends with ``{"text": "", "thoughtSignature": …}``;
* MidstreamError → the stream stops and an in-band ``{"error": …}`` event follows (§6.4); Truncate →
  the connection is dropped; neither has a finishReason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from services.simulator.google.view import estimate_tokens
from services.simulator.plan import MidstreamError, OutputLimit, Plan, Text, Thinking, ToolCall, Truncate


class Ending(Enum):
    FINISHED = "finished"
    MIDSTREAM_ERROR = "midstream_error"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class RenderSettings:
    model: str
    public_api: bool
    prompt_tokens: int
    response_id: str
    create_time: str
    include_thoughts: bool = False
    max_output_tokens: int | None = None
    sign: Callable[[], str] | None = None  # issues a thoughtSignature; None unless Gemini 3
    omit_finish: bool = False  # fault: a clean EOF without finishReason


@dataclass
class Rendering:
    chunks: list[dict[str, Any]]
    ending: Ending
    finish_reason: str | None
    candidates_tokens: int = 0
    thoughts_tokens: int = 0
    parts_per_chunk: list[list[dict[str, Any]]] = field(default_factory=list)


@dataclass
class _Budget:
    limit: int | None
    used: int = 0

    def take(self, text: str) -> tuple[str, bool]:
        """The part of `text` that fits, and whether the limit was hit."""
        cost = estimate_tokens(text)
        if self.limit is None or self.used + cost <= self.limit:
            self.used += cost
            return text, False
        room = max(0, self.limit - self.used)
        self.used = self.limit
        return text[: room * 4], True


def render_plan(plan: Plan, settings: RenderSettings) -> Rendering:
    groups: list[list[dict[str, Any]]] = []
    counts: list[tuple[int, int]] = []  # cumulative (candidates, thoughts) after each chunk
    budget = _Budget(settings.max_output_tokens)
    candidates = thoughts = 0
    finish = "STOP"
    ending = Ending.FINISHED
    signed_call = False
    previous_was_call = False

    for step in plan.steps:
        if isinstance(step, Text | Thinking):
            text, hit = budget.take(step.text)
            if text:
                if isinstance(step, Thinking):
                    thoughts += estimate_tokens(text)
                    if settings.include_thoughts:
                        part: dict[str, Any] = {"text": text, "thought": True}
                        if settings.sign:
                            part["thoughtSignature"] = settings.sign()
                        groups.append([part])
                        counts.append((candidates, thoughts))
                else:
                    candidates += estimate_tokens(text)
                    groups.append([{"text": text}])
                    counts.append((candidates, thoughts))
            previous_was_call = False
            if hit:
                finish = "MAX_TOKENS"
                break
        elif isinstance(step, ToolCall):
            args_text = json.dumps(step.input, ensure_ascii=False)
            _, hit = budget.take(step.name + args_text)
            if hit:
                finish = "MAX_TOKENS"
                break
            candidates += estimate_tokens(step.name + args_text)
            part = {"functionCall": {"name": step.name, "args": step.input}}
            if settings.sign and not signed_call:
                part["thoughtSignature"] = settings.sign()
                signed_call = True
            if previous_was_call:
                groups[-1].append(part)
                counts[-1] = (candidates, thoughts)
            else:
                groups.append([part])
                counts.append((candidates, thoughts))
            previous_was_call = True
        elif isinstance(step, OutputLimit):
            finish = "MAX_TOKENS"
            break
        elif isinstance(step, MidstreamError):
            ending = Ending.MIDSTREAM_ERROR
            break
        elif isinstance(step, Truncate):
            ending = Ending.TRUNCATED
            break

    if ending is Ending.FINISHED:
        if settings.sign and not signed_call:
            trailing = {"text": "", "thoughtSignature": settings.sign()}
            if groups:
                groups[-1].append(trailing)
            else:
                groups.append([trailing])
                counts.append((candidates, thoughts))
        if not groups:
            groups.append([{"text": ""}])
            counts.append((candidates, thoughts))
    finish_reason = finish if ending is Ending.FINISHED and not settings.omit_finish else None

    chunks = []
    for index, (parts, (cand, thought)) in enumerate(zip(groups, counts, strict=True)):
        last = index == len(groups) - 1
        chunks.append(_chunk(parts, settings, finish_reason if last else None, cand, thought,
                             full_usage=last and finish_reason is not None))
    return Rendering(chunks, ending, finish_reason, candidates, thoughts, groups)


def usage(settings: RenderSettings, candidates: int, thoughts: int, *, full: bool) -> dict[str, Any]:
    """``totalTokenCount = prompt + candidates + thoughts`` (§3.4, §11.6); key order as captured."""
    prompt = settings.prompt_tokens
    if not settings.public_api and not full:
        return {"trafficType": "PROVISIONED_THROUGHPUT"}
    out: dict[str, Any] = {"promptTokenCount": prompt}
    if candidates:
        out["candidatesTokenCount"] = candidates
    out["totalTokenCount"] = prompt + candidates + thoughts
    if not settings.public_api:
        out["trafficType"] = "PROVISIONED_THROUGHPUT"
    out["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": prompt}]
    if not settings.public_api and candidates:
        out["candidatesTokensDetails"] = [{"modality": "TEXT", "tokenCount": candidates}]
    if thoughts:
        out["thoughtsTokenCount"] = thoughts
    return out


def _chunk(parts: list[dict[str, Any]], settings: RenderSettings, finish_reason: str | None, candidates: int,
           thoughts: int, *, full_usage: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if finish_reason:
        candidate["finishReason"] = finish_reason
    if settings.public_api:
        candidate["index"] = 0
    chunk: dict[str, Any] = {"candidates": [candidate],
                             "usageMetadata": usage(settings, candidates, thoughts, full=full_usage),
                             "modelVersion": settings.model}
    if not settings.public_api:
        chunk["createTime"] = settings.create_time
    chunk["responseId"] = settings.response_id
    return chunk


def merge_unary(rendering: Rendering, settings: RenderSettings) -> dict[str, Any]:
    """The unary body: the whole candidate with parts merged by the server (§3.6), full usage."""
    merged: list[dict[str, Any]] = []
    for part in (p for group in rendering.parts_per_chunk for p in group):
        prev = merged[-1] if merged else None
        plain_text = set(part) == {"text"}
        if prev is not None and "text" in prev and "functionCall" not in prev:
            same_kind = bool(prev.get("thought")) == bool(part.get("thought"))
            if same_kind and plain_text:
                prev["text"] += part["text"]
                continue
            if set(part) == {"text", "thoughtSignature"} and part["text"] == "" and "thoughtSignature" not in prev:
                prev["thoughtSignature"] = part["thoughtSignature"]  # the signature rides on the merged text
                continue
        merged.append(dict(part))
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": merged}}
    if rendering.finish_reason:
        candidate["finishReason"] = rendering.finish_reason
    if settings.public_api:
        candidate["index"] = 0
    else:
        candidate["avgLogprobs"] = -0.1 - (len(settings.response_id) % 7) / 97
    body: dict[str, Any] = {"candidates": [candidate],
                            "usageMetadata": usage(settings, rendering.candidates_tokens, rendering.thoughts_tokens,
                                                   full=True),
                            "modelVersion": settings.model}
    if not settings.public_api:
        body["createTime"] = settings.create_time
    body["responseId"] = settings.response_id
    return body


# ------------------------------------------------------------------ bytes


def one_line_json(payload: Any) -> str:
    """Google's SSE style: ``": "`` after keys, ``","`` without a space (§3.5)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ": "))


def encode_event(payload: Any, *, newline: str = "\r\n", multiline: bool = False) -> bytes:
    """One SSE event: ``data: <json>`` + blank line, CRLF by default (§3.5). ``multiline`` spreads the
    pretty-printed JSON over several ``data:`` lines (Appendix A3), which a robust client must join."""
    if multiline:
        lines = json.dumps(payload, ensure_ascii=False, indent=2).split("\n")
        return ("".join(f"data: {line}{newline}" for line in lines) + newline).encode()
    return f"data: {one_line_json(payload)}{newline}{newline}".encode()


def code_assist_event(chunk: dict[str, Any], trace_id: str) -> dict[str, Any]:
    """The Code Assist envelope: ``{"response": …, "traceId": …}`` (§3.4, §11.1)."""
    return {"response": chunk, "traceId": trace_id}


def fragments(data: bytes, size: int) -> list[bytes]:
    """`data` cut every `size` bytes — also inside multi-byte UTF-8 characters (Appendix A5)."""
    size = max(1, size)
    return [data[i:i + size] for i in range(0, len(data), size)]
