"""Scripted responses and named faults for simulated AWS users, parsed from control-API JSON.

A script item is what one GenerateAssistantResponse call gets instead of the normal answer:

    {"fault": "throttled", "retry_after": 2}            a named fault (catalogue below)
    {"status": 500, "headers": {…}, "body": "…"|{…}}    a raw HTTP response, verbatim
                                                        ("body_base64" for bytes, e.g. a hand-made stream)
    {"text": "Hello"} / {"tool_use": {"name", "input"}}   a one-step answer
    {"steps": [step, …], "delay_first_ms": 0, "delay_ms": 0}
        step: {"text"} {"thinking"} {"tool_use": {"name", "input"}} {"status": NNN}
              {"midstream_error": true | "InternalServerException"} {"truncate": true} {"max_tokens": true}

The same items serve as persistent faults (applied to every request until cleared). OIDC faults
(`oidc_server_error`, `oidc_invalid_grant`, `oidc_slow_down`) are persistent only: they fail the user's
refresh_token grants.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from services.simulator import amazonq_errors as errors
from services.simulator.amazonq_errors import QError
from services.simulator.plan import (
    MidstreamError,
    OutputLimit,
    Pacing,
    Plan,
    Step,
    Text,
    Thinking,
    ToolCall,
    Truncate,
    UpstreamError,
)


class ScriptError(ValueError):
    """A control-API script item that cannot be understood; the message says why."""


@dataclass(frozen=True)
class ErrorFault:
    """An HTTP error before any byte. `build` gets the user's 12-digit account id."""

    name: str
    build: Callable[[str], QError]
    source: Any = field(default=None, compare=False)  # the control-API JSON it came from


@dataclass(frozen=True)
class OidcFault:
    """A persistent fault of the user's refresh_token grants at /oidc/token (not of Amazon Q)."""

    name: str
    error: str  # the OAuth error code
    description: str
    source: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class StreamFault:
    """A change to how the answer streams."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    source: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    source: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class ScriptedPlan:
    plan: Plan
    midstream_exception: str = "ThrottlingException"
    source: Any = field(default=None, compare=False)


ScriptItem = ErrorFault | StreamFault | RawResponse | ScriptedPlan | OidcFault


# ---------------------------------------------------------------- the named-fault catalogue


def _fixed(error: Callable[[], QError]) -> Callable[[Mapping[str, Any]], Callable[[str], QError]]:
    return lambda params: (lambda account_id: error())


ERROR_FAULTS: dict[str, Callable[[Mapping[str, Any]], Callable[[str], QError]]] = {
    "throttled": lambda p: (lambda a: errors.throttled(_retry_after(p))),
    "throttled_retry_after": lambda p: (lambda a: errors.throttled(_retry_after(p) or "2")),
    "capacity": _fixed(errors.model_capacity),
    "suspended": lambda p: errors.suspended,
    "suspicious": lambda p: errors.suspicious_activity,
    "feature_not_supported": _fixed(errors.feature_not_supported),
    "monthly_quota": _fixed(errors.monthly_quota),
    "monthly_quota_kiro": _fixed(errors.monthly_quota_kiro),
    "overage": lambda p: (lambda a: errors.monthly_quota_kiro("OVERAGE_REQUEST_LIMIT_EXCEEDED")),
    "daily_quota": _fixed(errors.daily_quota),
    "conversation_limit": _fixed(errors.conversation_limit),
    "invalid_token": lambda p: (lambda a: errors.bearer_invalid(403, "fault invalid_token")),
    "invalid_token_401": lambda p: (lambda a: errors.bearer_invalid(401, "fault invalid_token_401")),
    "server_error": _fixed(errors.internal_error),
    "unavailable": _fixed(errors.service_unavailable),
    "high_load": _fixed(errors.high_load),
    "too_long": lambda p: (lambda a: errors.input_too_long("fault too_long")),
    "malformed": lambda p: (lambda a: errors.malformed("fault malformed")),
    "invalid_model": lambda p: (lambda a: errors.invalid_model("fault invalid_model")),
}

# Persistent faults of the user's refresh_token grants at /oidc/token: error code -> description.
OIDC_FAULTS: dict[str, tuple[str, str]] = {
    "oidc_server_error": ("server_error", "An internal server error occurred"),
    "oidc_invalid_grant": ("invalid_grant", "Invalid refresh token provided"),
    "oidc_slow_down": ("slow_down", "Too many requests"),
}
# name -> (parameter, default)
STREAM_FAULTS: dict[str, dict[str, Any]] = {
    "midstream_error": {"exception": "ThrottlingException"},
    "truncate": {},
    "slow_first_byte": {"ms": 2000},
    "slow_drip": {"ms": 200},
    "long": {"frames": 200, "frame_bytes": 24},
    "empty_stream": {},
}

FAULT_NAMES = tuple(sorted([*ERROR_FAULTS, *STREAM_FAULTS, *OIDC_FAULTS]))


def _retry_after(params: Mapping[str, Any]) -> str | None:
    value = params.get("retry_after")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ScriptError("retry_after must be a number of seconds or an HTTP date")
    return str(int(value)) if isinstance(value, (int, float)) else value


# ---------------------------------------------------------------- parsing


def parse_item(raw: Any) -> ScriptItem:
    """One script item from its control-API JSON (kept as `source`); ScriptError says what is wrong."""
    if isinstance(raw, str):
        raw = {"fault": raw}
    return replace(_parse_item(raw), source=raw)


def _parse_item(raw: Any) -> ScriptItem:
    if not isinstance(raw, Mapping):
        raise ScriptError(f"a script item is a JSON object, got {raw!r}")
    if "fault" in raw:
        return _parse_fault(raw)
    if "steps" in raw:
        return _parse_plan(raw, raw["steps"])
    if "status" in raw and ("body" in raw or "body_base64" in raw or "headers" in raw):
        return _parse_raw(raw)
    if "raw" in raw:
        return _parse_raw(raw["raw"])
    return _parse_plan(raw, [raw])


def _parse_fault(raw: Mapping[str, Any]) -> ScriptItem:
    name = raw["fault"]
    params = {k: v for k, v in raw.items() if k != "fault"}
    if name in ERROR_FAULTS:
        return ErrorFault(name, ERROR_FAULTS[name](params))
    if name in OIDC_FAULTS:
        return OidcFault(name, *OIDC_FAULTS[name])
    if name in STREAM_FAULTS:
        merged = dict(STREAM_FAULTS[name])
        for key, value in params.items():
            if key not in merged:
                raise ScriptError(f"fault {name} takes {sorted(merged) or 'no parameters'}, not {key!r}")
            if key != "exception" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise ScriptError(f"fault {name}: {key} must be a non-negative number")
            merged[key] = value
        return StreamFault(name, merged)
    raise ScriptError(f"unknown fault {name!r}; known: {', '.join(FAULT_NAMES)}")


def _parse_raw(raw: Any) -> RawResponse:
    if not isinstance(raw, Mapping):
        raise ScriptError("a raw response is an object {status, headers, body}")
    status = raw.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ScriptError("a raw response needs an HTTP status")
    headers = raw.get("headers") or {}
    if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
        raise ScriptError("raw headers are an object of strings")
    if "body_base64" in raw:
        try:
            body = base64.b64decode(raw["body_base64"], validate=True)
        except (binascii.Error, TypeError):
            raise ScriptError("body_base64 is not base64") from None
    else:
        value = raw.get("body", b"")
        body = value.encode() if isinstance(value, str) else value if isinstance(value, bytes) else orjson.dumps(value)
    return RawResponse(status, dict(headers), body)


def _parse_plan(raw: Mapping[str, Any], steps_raw: Any) -> ScriptedPlan:
    if not isinstance(steps_raw, list) or not steps_raw:
        raise ScriptError("steps is a non-empty list")
    steps: list[Step] = []
    midstream_exception = "ThrottlingException"
    for step in steps_raw:
        if not isinstance(step, Mapping):
            raise ScriptError(f"a step is an object, got {step!r}")
        if isinstance(step.get("text"), str):
            steps.append(Text(step["text"]))
        elif isinstance(step.get("thinking"), str):
            steps.append(Thinking(step["thinking"]))
        elif "tool_use" in step:
            call = step["tool_use"]
            if not isinstance(call, Mapping) or not isinstance(call.get("name"), str):
                raise ScriptError("tool_use is {name, input}")
            tool_input = call.get("input", {})
            if not isinstance(tool_input, dict):
                raise ScriptError("tool_use input is a JSON object")
            steps.append(ToolCall(call["name"], tool_input))
        elif "status" in step:
            status = step["status"]
            if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
                raise ScriptError("a status step is an HTTP error status")
            steps.append(UpstreamError(status))
        elif "midstream_error" in step:
            if isinstance(step["midstream_error"], str):
                midstream_exception = step["midstream_error"]
            steps.append(MidstreamError())
        elif step.get("truncate"):
            steps.append(Truncate())
        elif step.get("max_tokens") or step.get("output_limit"):
            steps.append(OutputLimit())
        else:
            raise ScriptError(f"unknown step {dict(step)!r}")
    pacing = Pacing(float(raw.get("delay_first_ms", 0) or 0), float(raw.get("delay_ms", 0) or 0))
    return ScriptedPlan(Plan(tuple(steps), pacing), midstream_exception)


# ---------------------------------------------------------------- applying stream faults


def apply_stream_fault(plan: Plan, fault: StreamFault) -> Plan:
    """The plan changed by a stream fault (empty_stream is the handler's business)."""
    params = fault.params
    if fault.name == "midstream_error":
        return Plan((*_keep_prefix(plan), MidstreamError()), plan.pacing)
    if fault.name == "truncate":
        return Plan((*_keep_prefix(plan), Truncate()), plan.pacing)
    if fault.name == "slow_first_byte":
        return replace(plan, pacing=replace(plan.pacing, delay_first_ms=float(params["ms"])))
    if fault.name == "slow_drip":
        return replace(plan, pacing=replace(plan.pacing, delay_ms=float(params["ms"])))
    if fault.name == "long":
        size = int(params["frame_bytes"])
        body = ("simulated token " * (1 + size // 16))[:size] or " "
        others = [s for s in plan.steps if not isinstance(s, Text)]
        thinking = [s for s in others if isinstance(s, Thinking)]
        rest = [s for s in others if not isinstance(s, Thinking)]
        return Plan((*thinking, *(Text(body) for _ in range(int(params["frames"]))), *rest), plan.pacing)
    return plan


def _keep_prefix(plan: Plan) -> tuple[Step, ...]:
    # Like plan_answer's own [[midstream_error]]: a little output first, then the failure.
    kept = [s for s in plan.steps if isinstance(s, (Text, Thinking, ToolCall))]
    return tuple(kept[:3])
