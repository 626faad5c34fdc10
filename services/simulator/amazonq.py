"""The simulated Amazon Q (CodeWhisperer) service under `/amazonq` (amazonq.md §1-§4, §7).

    POST /amazonq/                           AWS-JSON 1.0: x-amz-target selects the operation
        AmazonCodeWhispererStreamingService.GenerateAssistantResponse (and .SendMessage)
        AmazonCodeWhispererService.ListAvailableModels / .GetUsageLimits
    POST /amazonq/generateAssistantResponse  REST-JSON (Kiro flavour)
    GET  /amazonq/getUsageLimits, GET /amazonq/ListAvailableModels   Kiro's REST forms of §7

Every call needs `authorization: Bearer <access token>` issued by this simulator (OIDC or control API).
A GenerateAssistantResponse call is checked (`amazonq_validate`), may be answered by the user's script
or faults (`faults`), otherwise by `plan_answer`, and streamed by `amazonq_stream`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web

from services.simulator import amazonq_errors as errors
from services.simulator.amazonq_errors import AWS_JSON_CONTENT_TYPE, Flavour, QError
from services.simulator.amazonq_models import list_available_models, usage_limits
from services.simulator.amazonq_request import prompt_view
from services.simulator.amazonq_stream import (
    AnswerBody,
    Pause,
    answer_body,
    credits_for,
    render_answer,
    transport_writes,
)
from services.simulator.amazonq_validate import validate_generate_request
from services.simulator.appkeys import SIM_STATE
from services.simulator.faults import (
    ErrorFault,
    RawResponse,
    ScriptedPlan,
    ScriptItem,
    StreamFault,
    apply_stream_fault,
)
from services.simulator.plan import Plan, PromptView, UpstreamError, plan_answer
from services.simulator.state import AwsUser, SimState

PREFIX = "/amazonq"
EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
TARGET_GENERATE = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
TARGET_SEND_MESSAGE = "AmazonCodeWhispererStreamingService.SendMessage"
TARGET_LIST_MODELS = "AmazonCodeWhispererService.ListAvailableModels"
TARGET_USAGE_LIMITS = "AmazonCodeWhispererService.GetUsageLimits"
USAGE_RESOURCE_TYPES = frozenset({"AGENTIC_REQUEST", "CREDIT", "SPEC", "VIBE"})

Operation = Callable[[web.Request, SimState, Flavour, bytes], Awaitable[web.StreamResponse]]


def setup_amazonq(app: web.Application) -> None:
    app.router.add_post(PREFIX + "/", aws_json_call)
    app.router.add_post(PREFIX, aws_json_call)
    app.router.add_post(PREFIX + "/generateAssistantResponse", rest_generate)
    app.router.add_get(PREFIX + "/getUsageLimits", rest_usage_limits)
    app.router.add_get(PREFIX + "/ListAvailableModels", rest_list_models)


# ---------------------------------------------------------------- entry points


async def aws_json_call(request: web.Request) -> web.StreamResponse:
    state = request.app[SIM_STATE]
    raw = await request.read()
    target = request.headers.get("x-amz-target", "")
    operation = _AWS_JSON_OPERATIONS.get(target)
    if operation is None:
        entry = _log(request, state, None, target or "(no x-amz-target)", "aws-json")
        return _error_response(errors.unknown_operation(f"x-amz-target {target!r}"), "aws-json", entry)
    if request.content_type != AWS_JSON_CONTENT_TYPE:
        entry = _log(request, state, None, target, "aws-json")
        detail = f"content-type {request.content_type!r}; the AWS-JSON flavour takes {AWS_JSON_CONTENT_TYPE}"
        return _error_response(errors.unknown_operation(detail), "aws-json", entry)
    return await operation(request, state, "aws-json", raw)


async def rest_generate(request: web.Request) -> web.StreamResponse:
    return await generate(request, request.app[SIM_STATE], "rest", await request.read())


async def rest_usage_limits(request: web.Request) -> web.StreamResponse:
    query = request.query
    body = {key: query[key] for key in ("origin", "resourceType", "profileArn") if key in query}
    if "isEmailRequired" in query:
        body["isEmailRequired"] = query["isEmailRequired"].lower() == "true"
    return await get_usage_limits(request, request.app[SIM_STATE], "rest", orjson.dumps(body))


async def rest_list_models(request: web.Request) -> web.StreamResponse:
    query = request.query
    body: dict[str, Any] = {key: query[key] for key in ("origin", "nextToken", "profileArn") if key in query}
    if query.get("maxResults", "").isdigit():
        body["maxResults"] = int(query["maxResults"])
    return await list_models(request, request.app[SIM_STATE], "rest", orjson.dumps(body))


# ---------------------------------------------------------------- GenerateAssistantResponse


async def generate(request: web.Request, state: SimState, flavour: Flavour, raw: bytes) -> web.StreamResponse:
    user, entry, problem = _admit(request, state, "GenerateAssistantResponse", flavour)
    if problem is not None:
        return _error_response(problem, flavour, entry)
    assert user is not None
    body, problem = _parse(raw)
    entry["body"] = body
    if problem is None:
        problem = validate_generate_request(body)
    if problem is not None:
        return _error_response(problem, flavour, entry)

    items: list[ScriptItem] = []
    if user.script:
        items.append(user.script.popleft())
    items.extend(user.faults)
    for item in items:
        if isinstance(item, ErrorFault):
            return _error_response(item.build(user.account_id).with_detail(f"fault {item.name}"), flavour, entry)
        if isinstance(item, RawResponse):
            return _raw_response(item, entry)
    if user.monthly_limit is not None and user.monthly_usage >= user.monthly_limit:
        quota = errors.monthly_quota() if flavour == "aws-json" else errors.monthly_quota_kiro()
        return _error_response(quota.with_detail("monthly limit reached"), flavour, entry)

    choice = _choose_plan(state, prompt_view(body), items)
    plan = choice.plan
    if plan.steps and isinstance(plan.steps[0], UpstreamError):
        return _error_response(errors.for_status(plan.steps[0].status), flavour, entry)

    conversation_state = body["conversationState"]
    conversation_id = conversation_state.get("conversationId") or str(uuid.uuid4())
    headers = {"content-type": EVENTSTREAM_CONTENT_TYPE, "x-amzn-RequestId": str(uuid.uuid4())}
    if flavour == "rest":
        headers["x-amzn-codewhisperer-conversation-id"] = conversation_id
    emit_initial = flavour == "aws-json" and state.settings.emit_initial_response
    answer = render_answer(
        plan,
        conversation_id=conversation_id if emit_initial else None,
        input_chars=len(raw),
        midstream_exception=choice.midstream_exception,
        body=choice.body,
    )
    actions = [] if choice.empty else transport_writes(answer, plan.pacing)
    user.monthly_usage += 1
    user.credits_used += credits_for(len(raw), answer.output_chars)
    state.count("answers", user)
    entry["status"] = 200
    entry["outcome"] = "empty_stream" if choice.empty else answer.outcome
    return await _stream(request, headers, actions, entry)


@dataclass(frozen=True)
class _PlanChoice:
    plan: Plan
    body: AnswerBody | None  # already encoded, when the plan came from the cache
    midstream_exception: str = "ThrottlingException"
    empty: bool = False  # the empty_stream fault: 200 and no frames


def _choose_plan(state: SimState, view: PromptView, items: list[ScriptItem]) -> _PlanChoice:
    """The user's scripted answer, else the planner's (attempt-counted when [[status:…]] asks for
    it), then changed by the stream faults among `items`."""
    scripted = items[0] if items and isinstance(items[0], ScriptedPlan) else None
    midstream_exception = "ThrottlingException"
    body: AnswerBody | None = None
    if scripted is not None:
        plan, midstream_exception = scripted.plan, scripted.midstream_exception
    elif "[[status:" in view.newest_user_text:
        plan = plan_answer(view, state.next_attempt(view.conversation_key))
    elif not view.tools and not view.tool_results and len(view.newest_user_text) <= _CACHEABLE_PROMPT_CHARS:
        plan, body = _toolless_answer(view.newest_user_text)
    else:
        plan = plan_answer(view)
    empty = False
    for item in items:
        if isinstance(item, StreamFault):
            if item.name == "empty_stream":
                empty = True
            else:
                plan = apply_stream_fault(plan, item)
                midstream_exception = item.params.get("exception", midstream_exception)
                body = None
    return _PlanChoice(plan, body, midstream_exception, empty)


_CACHEABLE_PROMPT_CHARS = 4096


@lru_cache(maxsize=1024)
def _toolless_answer(text: str) -> tuple[Plan, AnswerBody | None]:
    """The plan (and its frames, unless it calls tools: tool ids are fresh per answer) for a short
    prompt without tools, tool results or [[status:…]]: such a plan depends on the text alone, so a
    benchmark's repeated prompt is planned and encoded once."""
    plan = plan_answer(PromptView(text))
    body = answer_body(plan)
    return plan, (None if body.has_tool_calls else body)


class _EventStreamResponse(web.StreamResponse):
    # aiohttp sends a StreamResponse's headers in a send() of their own; here they go out with the
    # first frames instead (one system call fewer per answer, and a delayed first frame delays the
    # status line too, as a slow upstream does).
    _send_headers_immediately = False


async def _stream(request: web.Request, headers: dict[str, str], actions: list[Any], entry: dict[str, Any]) -> web.StreamResponse:
    response = _EventStreamResponse(status=200, headers=headers)
    final = len(actions) - 1
    try:
        for index, action in enumerate(actions):
            if type(action) is bytes:
                if not response.prepared:
                    await response.prepare(request)
                if index == final:
                    # The last chunk and the end of the chunked body in one send.
                    await response.write_eof(action)
                else:
                    await response.write(action)
            elif isinstance(action, Pause):
                await asyncio.sleep(action.seconds)
            else:
                # Truncation: what was written goes out, then the connection closes without the
                # body's end (no final chunk), as when the upstream connection is cut (§4.3).
                transport = request.transport
                if transport is not None:
                    transport.close()
                return response
        if not response.prepared:
            await response.prepare(request)
    except ConnectionError:
        entry["outcome"] = "client_disconnected"
    return response


# ---------------------------------------------------------------- management operations (§7)


async def list_models(request: web.Request, state: SimState, flavour: Flavour, raw: bytes) -> web.StreamResponse:
    user, entry, problem = _admit(request, state, "ListAvailableModels", flavour)
    body, problem = (None, problem) if problem is not None else _parse(raw, empty_ok=True)
    if problem is None:
        entry["body"] = body
        problem = _management_fault(user)
    if problem is not None:
        return _error_response(problem, flavour, entry)
    max_results = body.get("maxResults")
    answer = list_available_models(
        max_results if isinstance(max_results, int) and not isinstance(max_results, bool) else None,
        body.get("nextToken") if isinstance(body.get("nextToken"), str) else None,
    )
    if answer is None:
        problem = QError(400, "ValidationException", "Invalid pagination token.", None, detail="nextToken")
        return _error_response(problem, flavour, entry)
    return _json_response(answer, flavour, entry)


async def get_usage_limits(request: web.Request, state: SimState, flavour: Flavour, raw: bytes) -> web.StreamResponse:
    user, entry, problem = _admit(request, state, "GetUsageLimits", flavour)
    body, problem = (None, problem) if problem is not None else _parse(raw, empty_ok=True)
    if problem is None:
        entry["body"] = body
        problem = _management_fault(user)
        resource_type = body.get("resourceType")
        if problem is None and resource_type is not None and resource_type not in USAGE_RESOURCE_TYPES:
            problem = errors.malformed(f"resourceType {resource_type!r}")
    if problem is not None:
        return _error_response(problem, flavour, entry)
    assert user is not None
    answer = usage_limits(
        user_id=user.user_id,
        email=user.email,
        requests_used=user.monthly_usage,
        credits_used=user.credits_used,
        monthly_limit=user.monthly_limit,
        include_email=body.get("isEmailRequired") is True,
        now=state.now(),
    )
    return _json_response(answer, flavour, entry)


def _management_fault(user: AwsUser | None) -> QError | None:
    """Persistent HTTP-level faults hit every operation (a suspended account is suspended everywhere)."""
    for item in user.faults if user is not None else ():
        if isinstance(item, ErrorFault):
            return item.build(user.account_id).with_detail(f"fault {item.name}")
    return None


_AWS_JSON_OPERATIONS: dict[str, Operation] = {
    TARGET_GENERATE: generate,
    TARGET_SEND_MESSAGE: generate,
    TARGET_LIST_MODELS: list_models,
    TARGET_USAGE_LIMITS: get_usage_limits,
}


# ---------------------------------------------------------------- shared steps


def _log(request: web.Request, state: SimState, user: AwsUser | None, operation: str, flavour: Flavour) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "at": state.now(),
        "operation": operation,
        "flavour": flavour,
        "method": request.method,
        "path": request.path_qs,
        "headers": dict(request.headers),
        "userId": user.user_id if user is not None else None,
        "body": None,
        "status": None,
        "outcome": None,
        "detail": "",
    }
    state.log_request(entry, user)
    state.count("amazonq_requests", user)
    return entry


def _admit(request: web.Request, state: SimState, operation: str, flavour: Flavour) -> tuple[AwsUser | None, dict[str, Any], QError | None]:
    """The caller's user (bearer token), the request-log entry, or the bearer-invalid error (§4.2)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    user, why = (None, "no bearer token")
    if scheme.lower() == "bearer" and token.strip():
        user, why = state.user_for_access_token(token.strip())
    entry = _log(request, state, user, operation, flavour)
    if user is None:
        return None, entry, errors.bearer_invalid(state.settings.unauthorized_status, f"access token {why}")
    return user, entry, None


def _parse(raw: bytes, *, empty_ok: bool = False) -> tuple[Any, QError | None]:
    if empty_ok and not raw.strip():
        return {}, None
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return None, errors.serialization_error(str(error))
    if empty_ok and not isinstance(body, dict):
        return None, errors.serialization_error("the body is not a JSON object")
    return body, None


def _error_response(error: QError, flavour: Flavour, entry: dict[str, Any]) -> web.Response:
    entry["status"] = error.status
    entry["outcome"] = error.error_type
    entry["detail"] = error.detail
    return web.Response(status=error.status, body=error.body(flavour), headers=error.headers(flavour))


def _raw_response(item: RawResponse, entry: dict[str, Any]) -> web.Response:
    entry["status"] = item.status
    entry["outcome"] = "raw"
    response = web.Response(status=item.status, body=item.body)
    for name, value in item.headers.items():
        response.headers[name] = value
    return response


def _json_response(answer: Any, flavour: Flavour, entry: dict[str, Any]) -> web.Response:
    entry["status"] = 200
    entry["outcome"] = "ok"
    content_type = AWS_JSON_CONTENT_TYPE if flavour == "aws-json" else "application/json"
    return web.Response(
        body=orjson.dumps(answer),
        headers={"content-type": content_type, "x-amzn-RequestId": str(uuid.uuid4())},
    )
