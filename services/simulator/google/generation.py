"""One generate call after authentication and validation — shared by Code Assist and the public API.

Order of decisions (each one can end the call):

1. a persistent *error* fault for the principal (faults.py) → that HTTP error;
2. the principal's next scripted entry: a raw answer is sent as is, scripted steps are rendered as
   given — both skip quota and the request-driven adjustments below, because a script is explicit;
3. quota (per principal + model, state.py) → the dialect's 429;
4. plan.py's answer for this conversation and attempt, bent by ``toolConfig`` and ``thinkingConfig``
   (view.py);
5. a leading ``UpstreamError`` → the canonical body for that status;
6. *stream-shaping* faults, then rendering (render.py) and sending (sending.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from services.simulator.google import errors, faults
from services.simulator.google.catalogue import is_gemini3
from services.simulator.google.render import (
    Ending,
    RenderSettings,
    code_assist_event,
    encode_event,
    merge_unary,
    render_plan,
)
from services.simulator.google.sending import send_cut_body, send_events, send_raw
from services.simulator.google.signatures import issue_signature
from services.simulator.google.state import GOOGLE_SIM, Fault, GoogleSim, RawAnswer
from services.simulator.google.validate import Dialect
from services.simulator.google.view import (
    apply_thinking,
    apply_tool_config,
    include_thoughts,
    max_output_tokens,
    prompt_view,
    request_tokens,
)
from services.simulator.plan import (
    MidstreamError,
    Plan,
    Step,
    Text,
    Thinking,
    ToolCall,
    Truncate,
    UpstreamError,
    plan_answer,
)


@dataclass(frozen=True)
class GenerateCall:
    principal: str
    model: str
    body: Mapping[str, Any]  # the GenerateContentRequest (inside the envelope on Code Assist)
    dialect: Dialect
    streaming: bool  # the streamGenerateContent method
    sse: bool  # ?alt=sse; without it the streaming method answers one JSON array (§3.1)
    project: str = ""


def new_response_id() -> str:
    """~23 URL-safe base64 characters, like ``kbFhaY2lCr-ZseMPqMiDmAU`` (§3.4)."""
    return secrets.token_urlsafe(17)


def new_trace_id() -> str:
    return secrets.token_hex(8)


def create_time() -> str:
    """RFC 3339 with microseconds, e.g. ``2026-01-10T01:55:29.168589Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _quota_error(sim: GoogleSim, call: GenerateCall) -> errors.GoogleError | None:
    over = sim.spend_quota(call.principal, call.model)
    if over is None:
        return None
    rule, reset_in = over
    if call.dialect.public_api:
        return errors.gemini_api_quota_exceeded(call.model, rule.limit, reset_in, daily=rule.reason == "QUOTA_EXHAUSTED")
    return errors.quota_exhausted(call.model, reset_in, rule.reason)


def _cut(plan: Plan, ending: Step) -> Plan:
    """Some output first, then the failure — the same cut plan.py makes for its directives."""
    kept = [s for s in plan.steps if isinstance(s, Text | Thinking | ToolCall)][:3]
    return Plan((*kept, ending), plan.pacing)


def _choose_plan(sim: GoogleSim, call: GenerateCall) -> Plan | RawAnswer:
    """Steps 1–5 of the module docstring: what to answer, or the error to raise instead."""
    public = call.dialect.public_api
    for name, fault in sim.take_faults(call.principal, faults.ERROR_FAULTS, first_only=True).items():
        raise faults.error_for(name, fault.params, model=call.model, project=call.project, public_api=public)
    script = sim.next_script(call.principal)
    if script is not None:
        plan = script
    else:
        quota = _quota_error(sim, call)
        if quota is not None:
            raise quota
        view = prompt_view(call.body)
        plan = plan_answer(view, sim.next_attempt(view.conversation_key))
        plan = apply_thinking(apply_tool_config(plan, view, call.body), call.body)
    if isinstance(plan, Plan) and plan.steps and isinstance(plan.steps[0], UpstreamError):
        raise errors.canonical(plan.steps[0].status, model=call.model, public_api=public)
    return plan


async def answer_generate(request: web.Request, call: GenerateCall) -> web.StreamResponse:
    sim = request.app[GOOGLE_SIM]
    public = call.dialect.public_api
    plan = _choose_plan(sim, call)
    if isinstance(plan, RawAnswer):
        return await send_raw(request, plan)

    shaping = sim.take_faults(call.principal, faults.STREAM_FAULTS)
    if "midstream_error" in shaping:
        plan = _cut(plan, MidstreamError())
    elif "truncate" in shaping:
        plan = _cut(plan, Truncate())
    midstream_status = int(shaping["midstream_error"].params.get("status", 500)) if "midstream_error" in shaping else 500

    settings = RenderSettings(
        model=call.model, public_api=public, prompt_tokens=request_tokens(call.body), response_id=new_response_id(),
        create_time=create_time(), include_thoughts=include_thoughts(call.body),
        max_output_tokens=max_output_tokens(call.body),
        sign=(lambda: issue_signature(sim.signature_secret)) if is_gemini3(call.model) else None,
        omit_finish="no_finish_reason" in shaping)
    rendering = render_plan(plan, settings)
    trace_id = new_trace_id()
    headers = {"Vary": "Origin, X-Origin, Referer", "Server-Timing": f"gfet4t7; dur={20 + len(rendering.chunks)}"}
    if not public:
        headers["x-cloudaicompanion-trace-id"] = trace_id

    def wrap(chunk: dict[str, Any]) -> dict[str, Any]:
        return chunk if public else code_assist_event(chunk, trace_id)

    if not call.streaming:
        return await _unary(request, rendering.ending, wrap(merge_unary(rendering, settings)), headers,
                            midstream_status, call, plan)
    payloads = [wrap(chunk) for chunk in rendering.chunks]
    if rendering.ending is Ending.MIDSTREAM_ERROR:
        # §6.4: an event carrying an error object instead of a response, then EOF.
        payloads.append(errors.canonical(midstream_status, model=call.model, public_api=public).payload(as_array=False))
    if not call.sse:
        return await _json_array(request, payloads, rendering.ending, headers)
    return await _sse(request, payloads, rendering.ending, headers, plan, shaping)


async def _sse(request: web.Request, payloads: list[dict[str, Any]], ending: Ending, headers: dict[str, str],
               plan: Plan, shaping: dict[str, Fault]) -> web.StreamResponse:
    pacing_first, pacing_between = plan.pacing.delay_first_ms, plan.pacing.delay_ms
    if "slow" in shaping:
        pacing_first = float(shaping["slow"].params.get("delay_first_ms", 300))
        pacing_between = float(shaping["slow"].params.get("delay_ms", 100))
    newline = "\n" if "lf_framing" in shaping else "\r\n"
    events = [encode_event(p, newline=newline, multiline="multiline_data" in shaping) for p in payloads]
    fragment = shaping.get("fragments")
    response = web.StreamResponse(status=200, headers=headers)
    response.headers["Content-Type"] = "text/event-stream"
    return await send_events(
        request, response, events, delay_first_ms=pacing_first, delay_ms=pacing_between,
        fragment_bytes=int(fragment.params.get("bytes", 3)) if fragment else None,
        fragment_delay_ms=float(fragment.params.get("delay_ms", 0)) if fragment else 0.0,
        drop_after=ending is Ending.TRUNCATED)


async def _unary(request: web.Request, ending: Ending, body: dict[str, Any], headers: dict[str, str],
                 midstream_status: int, call: GenerateCall, plan: Plan) -> web.StreamResponse:
    """A unary call cannot fail half-way in-band: a midstream failure becomes the error status, a
    truncation a body cut short."""
    if ending is Ending.MIDSTREAM_ERROR:
        raise errors.canonical(midstream_status, model=call.model, public_api=call.dialect.public_api)
    payload = (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()
    content_type = "application/json; charset=UTF-8"
    if ending is Ending.TRUNCATED:
        return await send_cut_body(request, payload, content_type, headers)
    response = web.StreamResponse(status=200, headers=headers)
    response.headers["Content-Type"] = content_type
    response.content_length = len(payload)
    return await send_events(request, response, [payload], delay_first_ms=plan.pacing.delay_first_ms)


async def _json_array(request: web.Request, payloads: list[dict[str, Any]], ending: Ending,
                      headers: dict[str, str]) -> web.StreamResponse:
    """``streamGenerateContent`` without ``alt=sse``: one JSON array of chunks (§3.1)."""
    body = (json.dumps(payloads, indent=2, ensure_ascii=False) + "\n").encode()
    response = web.StreamResponse(status=200, headers=headers)
    response.headers["Content-Type"] = "application/json; charset=UTF-8"
    if ending is Ending.TRUNCATED:
        return await send_events(request, response, [body[: len(body) // 2]], drop_after=True)
    return await send_events(request, response, [body])
