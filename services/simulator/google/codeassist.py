"""Gemini Code Assist, ``v1internal`` (gemini-code-assist.md §0, §2, §3, §7.1), under ``/codeassist``.

RPCs are ``POST /codeassist/v1internal:<method>``; long-running operations are
``GET /codeassist/v1internal/operations/<id>``. Every call needs a simulated user's bearer token.

Setup (§2): a new user has no ``currentTier``; ``:onboardUser`` first answers ``done: false`` with an
operation name, then ``done: true`` with ``cloudaicompanionProject`` as an **object** ``{id, name}``;
``:loadCodeAssist`` afterwards names the project as a plain **string** (§11.2). Free tier must not send
a project to onboardUser (Precondition Failed); standard tier must.

Generation (§3): the envelope ``{model, project, user_prompt_id, request}``; ``project`` must be the
user's onboarded project (403 otherwise), the model must be entitled (404), then validate.py's rules.
Errors of ``:streamGenerateContent`` are one-element arrays (§6.1).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from services.simulator.google import errors
from services.simulator.google.catalogue import (
    CODE_ASSIST_MODELS,
    INPUT_TOKEN_LIMIT,
    OUTPUT_TOKEN_LIMIT,
    is_preview,
)
from services.simulator.google.generation import GenerateCall, answer_generate
from services.simulator.google.identity import bearer_user
from services.simulator.google.proto_json import ProtoJsonCheck
from services.simulator.google.request_log import errors_as_array, logged, note
from services.simulator.google.state import (
    GOOGLE_SIM,
    GoogleSim,
    GoogleUser,
    OnboardOperation,
    managed_project_id,
)
from services.simulator.google.validate import CODE_ASSIST, check_contents, validate_generate
from services.simulator.google.view import member, request_tokens

_TIERS: dict[str, dict[str, Any]] = {
    "free-tier": {"id": "free-tier", "name": "Gemini Code Assist for individuals",
                  "description": "Unlimited coding assistant with the most powerful Gemini models",
                  "userDefinedCloudaicompanionProject": False, "privacyNotice": {"showNotice": False}},
    "standard-tier": {"id": "standard-tier", "name": "Gemini Code Assist",
                      "description": "Unlimited coding assistant with the most powerful Gemini models",
                      "userDefinedCloudaicompanionProject": True, "privacyNotice": {}},
    "legacy-tier": {"id": "legacy-tier", "name": "Gemini Code Assist (legacy)", "description": "Legacy tier",
                    "userDefinedCloudaicompanionProject": True, "privacyNotice": {}},
}


def json_ok(payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    """Google's unary JSON: two-space indented, ``application/json; charset=UTF-8``."""
    response = web.Response(body=json.dumps(payload, indent=2, ensure_ascii=False).encode() + b"\n", headers=headers)
    response.headers["Content-Type"] = errors.CONTENT_TYPE
    response.headers["Vary"] = "Origin, X-Origin, Referer"
    return response


async def json_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.invalid_argument(f"Invalid JSON payload received. Unexpected token.\n{exc}") from None
    if not isinstance(body, dict):
        raise errors.invalid_argument("Invalid JSON payload received. Expected an object.")
    return body


def _user(request: web.Request, method: str) -> tuple[GoogleSim, GoogleUser]:
    sim = request.app[GOOGLE_SIM]
    user = bearer_user(sim, request.headers.get("Authorization"), errors.CODE_ASSIST_SERVICE,
                       errors.code_assist_rpc(method))
    note(request, principal=user.user_id)
    return sim, user


def entitled_models(user: GoogleUser) -> list[str]:
    return [m for m in CODE_ASSIST_MODELS
            if (user.models is None or m in user.models) and (user.preview_access or not is_preview(m))]


# ------------------------------------------------------------------ setup (§2)


def _tier(tier_id: str, **extra: Any) -> dict[str, Any]:
    return {**_TIERS.get(tier_id, _TIERS["standard-tier"]), **extra}


async def load_code_assist(request: web.Request) -> web.Response:
    _, user = _user(request, "loadCodeAssist")
    await json_body(request)
    default = user.tier_id if user.tier_id in ("free-tier", "standard-tier") else "free-tier"
    allowed = [{"id": t, "name": _TIERS[t]["name"], "userDefinedCloudaicompanionProject":
                _TIERS[t]["userDefinedCloudaicompanionProject"], **({"isDefault": True} if t == default else {})}
               for t in ("free-tier", "standard-tier")]
    if not user.onboarded:
        return json_ok({"allowedTiers": allowed})
    current = _tier(user.tier_id, hasAcceptedTos=True, hasOnboardedPreviously=True)
    return json_ok({"currentTier": current, "allowedTiers": allowed, "cloudaicompanionProject": user.project_id})


def _observe(sim: GoogleSim, op: OnboardOperation) -> dict[str, Any]:
    """A poll of the operation: ``done: false`` while polls are left, then the result (§2.3 step 5)."""
    if op.polls_left > 0 and not op.done:
        op.polls_left -= 1
        return {"name": op.name, "done": False}
    op.done = True
    user = sim.users.get(op.user_id)
    if user is not None:
        user.onboarded, user.project_id, user.tier_id = True, op.project_id, op.tier_id
    return {"name": op.name, "done": True,
            "response": {"cloudaicompanionProject": {"id": op.project_id, "name": op.project_id}}}


async def onboard_user(request: web.Request) -> web.Response:
    sim, user = _user(request, "onboardUser")
    body = await json_body(request)
    tier_id = member(body, "tierId")
    project = member(body, "cloudaicompanionProject")
    if tier_id not in _TIERS:
        raise errors.invalid_argument(f"Invalid tier id: {tier_id}")  # [inf]
    user_defined = _TIERS[tier_id]["userDefinedCloudaicompanionProject"]
    if bool(project) != user_defined:
        # §2.3 step 4: free tier with a project fails with "Precondition Failed"; a user-defined tier
        # without one cannot be onboarded either [inf status].
        raise errors.make(400, "Precondition Failed", "FAILED_PRECONDITION")
    pending = next((op for op in sim.operations.values() if op.user_id == user.user_id and not op.done), None)
    if pending is None:
        if user.onboarded and user.tier_id == tier_id and (not user_defined or project == user.project_id):
            op_project = user.project_id or ""
            polls = 0
        else:
            op_project = project if user_defined else (user.project_id or managed_project_id())
            polls = sim.config.onboard_polls
        pending = OnboardOperation(name=f"operations/onb-{secrets.token_hex(6)}", user_id=user.user_id, tier_id=tier_id,
                                   project_id=op_project, polls_left=polls)
        sim.operations[pending.name] = pending
    return json_ok(_observe(sim, pending))


async def get_operation(request: web.Request) -> web.Response:
    sim, user = _user(request, "getOperation")
    op = sim.operations.get(request.match_info["name"])
    if op is None or op.user_id != user.user_id:
        raise errors.code_assist_model_not_found()
    return json_ok(_observe(sim, op))


# ------------------------------------------------------------------ generation (§3)


async def _generate(request: web.Request, method: str, streaming: bool) -> web.StreamResponse:
    if streaming:
        errors_as_array(request)
    sim, user = _user(request, method)
    envelope = await json_body(request)
    check = ProtoJsonCheck(sim.signature_secret)
    check.envelope(envelope)
    if check.violations:
        raise errors.invalid_json(check.violations)
    model = str(envelope.get("model") or "")
    project = member(envelope, "project")
    note(request, model=model)
    if not user.onboarded or project != user.project_id:
        raise errors.project_permission_denied(str(project or ""))
    if model not in entitled_models(user):
        raise errors.code_assist_model_not_found()
    body = envelope.get("request") or {}
    validate_generate(body, model, CODE_ASSIST, sim.signature_secret)
    call = GenerateCall(principal=user.user_id, model=model, body=body, dialect=CODE_ASSIST, streaming=streaming,
                        sse=request.query.get("alt") == "sse", project=user.project_id or "")
    return await answer_generate(request, call)


async def stream_generate_content(request: web.Request) -> web.StreamResponse:
    return await _generate(request, "streamGenerateContent", streaming=True)


async def generate_content(request: web.Request) -> web.StreamResponse:
    return await _generate(request, "generateContent", streaming=False)


async def count_tokens(request: web.Request) -> web.Response:
    """``{request: {model: "models/<id>", contents}}`` → ``{totalTokens}`` (§3.7); CPA omits ``model``."""
    sim, user = _user(request, "countTokens")
    body = member(await json_body(request), "request") or {}
    check = ProtoJsonCheck(sim.signature_secret)
    check.request(body, "request")
    if check.violations:
        raise errors.invalid_json(check.violations)
    model = str(body.get("model") or "").removeprefix("models/")
    note(request, model=model or None)
    if model and model not in entitled_models(user):
        raise errors.code_assist_model_not_found()
    check_contents(list(member(body, "contents") or []), CODE_ASSIST)
    total = request_tokens(body)
    return json_ok({"totalTokens": total, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": total}]})


# ------------------------------------------------------------------ quota and the CLI's side calls


def quota_buckets(sim: GoogleSim, user: GoogleUser) -> list[dict[str, Any]]:
    """retrieveUserQuota buckets mirroring the quota counters (§7.1, §10)."""
    buckets = []
    for model in entitled_models(user):
        rule = sim.quota_rule(user.user_id, model)
        bucket: dict[str, Any] = {"modelId": model, "tokenType": "REQUESTS"}
        if rule is None:
            bucket.update(remainingFraction=1.0, resetTime=errors.rfc3339(sim.now() + 86400))
        else:
            counter = sim.quota_counter(user.user_id, model, rule)
            remaining = max(0, rule.limit - counter.used)
            bucket.update(remainingAmount=str(remaining), remainingFraction=remaining / rule.limit if rule.limit else 0.0,
                          resetTime=errors.rfc3339(counter.window_started + rule.window_s))
        buckets.append(bucket)
    return buckets


async def retrieve_user_quota(request: web.Request) -> web.Response:
    sim, user = _user(request, "retrieveUserQuota")
    project = member(await json_body(request), "project")
    if not user.onboarded or str(project or "").removeprefix("projects/") != user.project_id:
        raise errors.project_permission_denied(str(project or ""))
    return json_ok({"buckets": quota_buckets(sim, user)})


async def fetch_available_models(request: web.Request) -> web.Response:
    """The Antigravity flavour's quota view (§7.3), served for tools that call it."""
    sim, user = _user(request, "fetchAvailableModels")
    await json_body(request)
    models = {b["modelId"]: {"displayName": b["modelId"], "maxTokens": INPUT_TOKEN_LIMIT,
                             "maxOutputTokens": OUTPUT_TOKEN_LIMIT, "supportsThinking": True,
                             "quotaInfo": {"remainingFraction": b["remainingFraction"], "resetTime": b["resetTime"]}}
              for b in quota_buckets(sim, user)}
    return json_ok({"models": models})


async def empty_answer(request: web.Request) -> web.Response:
    """listExperiments, recordCodeAssistMetrics, fetchAdminControls: ``{}`` keeps a real CLI happy (§0)."""
    _user(request, request.match_info["method"])
    await json_body(request)
    return json_ok({})


async def global_user_setting(request: web.Request) -> web.Response:
    _, user = _user(request, request.match_info["method"])
    if request.method == "POST":
        body = await json_body(request)
        user.global_setting.update({k: v for k, v in body.items()
                                    if k in ("cloudaicompanionProject", "freeTierDataCollectionOptin")})
    return json_ok(user.global_setting)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_POST: dict[str, Handler] = {
    "loadCodeAssist": load_code_assist,
    "onboardUser": onboard_user,
    "streamGenerateContent": stream_generate_content,
    "generateContent": generate_content,
    "countTokens": count_tokens,
    "retrieveUserQuota": retrieve_user_quota,
    "fetchAvailableModels": fetch_available_models,
    "listExperiments": empty_answer,
    "recordCodeAssistMetrics": empty_answer,
    "fetchAdminControls": empty_answer,
    "setCodeAssistGlobalUserSetting": global_user_setting,
}
_GET: dict[str, Handler] = {"getCodeAssistGlobalUserSetting": global_user_setting}


@logged("codeassist")
async def rpc(request: web.Request) -> web.StreamResponse:
    """``/codeassist/v1internal:<method>`` — one route, dispatched by method name."""
    handler = (_POST if request.method == "POST" else _GET).get(request.match_info["method"])
    if handler is None:
        raise errors.method_not_found()
    return await handler(request)


@logged("codeassist")
async def operation(request: web.Request) -> web.StreamResponse:
    return await get_operation(request)


def add_code_assist_routes(app: web.Application) -> None:
    app.router.add_route("*", "/codeassist/v1internal:{method}", rpc)
    app.router.add_get("/codeassist/v1internal/{name:operations/.+}", operation)
