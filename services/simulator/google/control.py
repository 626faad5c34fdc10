"""Control routes under ``/_sim/google/…``: how tests and the demo set the Google side up and break it.

Not part of any Google API — plain JSON in, JSON out, ``400 {"error": "..."}`` for a bad payload. A
"principal" is a user id (OAuth callers) or an API key string; faults may also target ``"*"`` (everyone).
`control_client.GoogleControl` wraps these for tests.

    POST   /_sim/google/users              {email?, tier_id?, onboarded?, project_id?, preview_access?, models?,
                                            access_token_lifetime_s?, issue_access_token?, client_id?}
                                           -> 201 {user_id, email, project_id, refresh_token, client_id,
                                                   access_token?, expires_in?, …}
    GET    /_sim/google/users[/{id}]       summaries / one user with grants, quota counters, faults
    PATCH  /_sim/google/users/{id}         {tier_id, preview_access, access_token_lifetime_s, models, onboarded,
                                            project_id}
    POST   /_sim/google/users/{id}/access_token  {lifetime_s?} -> {access_token, expires_in}
    POST   /_sim/google/revoke             {refresh_token} | {user_id}      -> later refreshes: invalid_grant
    POST   /_sim/google/expire             {access_token} | {user_id}       -> later calls: 401
    POST   /_sim/google/clients            {client_id, client_secret}       the operator's OAuth client
    POST   /_sim/google/api_keys           {label?, models?, key?}          -> 201 {api_key}
    POST   /_sim/google/api_keys/revoke    {api_key}
    POST   /_sim/google/scripts            {principal, entries: [{steps: [...], pacing?} | {raw: {...}}]}
    DELETE /_sim/google/scripts?principal=
    POST   /_sim/google/faults             {principal | "*", fault, params?, times?}   (faults.py)
    GET    /_sim/google/faults             active faults and the catalogue
    DELETE /_sim/google/faults?principal=&fault=
    POST   /_sim/google/quota              {principal, model? ("*"), limit | null, reason?, window_s?}
    GET    /_sim/google/requests?api=&principal=&path=&since=&limit=     the request log
    DELETE /_sim/google/requests
    GET|POST /_sim/google/config           {default_expires_in, onboard_polls, accept_any_client,
                                            gemini_api_stream_error_array, code_expiry_s}
    POST   /_sim/google/reset              forget everything (also done by POST /_sim/reset)

Script steps: {"text"}, {"thinking"}, {"tool_call": {"name", "args"}}, {"error": status},
{"midstream_error": true}, {"truncate": true}, {"max_tokens": true}.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from services.simulator.google.faults import ALL_FAULTS, ERROR_FAULTS, STREAM_FAULTS
from services.simulator.google.identity import issue_tokens
from services.simulator.google.state import (
    DEFAULT_CLIENT_ID,
    GEMINI_CLI_SCOPES,
    GOOGLE_SIM,
    ApiKey,
    Fault,
    GoogleSim,
    GoogleUser,
    QuotaRule,
    RawAnswer,
    ScriptEntry,
    managed_project_id,
)
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

DEFAULT_SCOPE = " ".join((*GEMINI_CLI_SCOPES, "openid"))


class BadPayload(Exception):
    pass


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


async def _payload(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise BadPayload(f"body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadPayload("body must be a JSON object")
    return body


def _user(sim: GoogleSim, user_id: str) -> GoogleUser:
    user = sim.users.get(user_id)
    if user is None:
        raise web.HTTPNotFound(text=json.dumps({"error": f"no user {user_id}"}), content_type="application/json")
    return user


def _principal(sim: GoogleSim, body: dict[str, Any], *, allow_all: bool = False) -> str:
    principal = body.get("user_id") or body.get("api_key") or body.get("principal")
    if not isinstance(principal, str) or not principal:
        raise BadPayload("name the target: user_id, api_key or principal")
    if principal == "*" and allow_all:
        return principal
    if principal not in sim.users and principal not in sim.api_keys:
        raise BadPayload(f"unknown principal {principal}")
    return principal


ControlHandler = Callable[[web.Request, GoogleSim], Awaitable[web.StreamResponse]]


def _handler(func: ControlHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Turn BadPayload into a 400 so each handler reads as its happy path."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await func(request, request.app[GOOGLE_SIM])
        except BadPayload as exc:
            return _bad(str(exc))

    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped


# ------------------------------------------------------------------ users, tokens, clients, keys

_USER_SETTINGS = ("tier_id", "preview_access", "access_token_lifetime_s")


@_handler
async def create_user(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: email?, tier_id? ("free-tier"), onboarded? (false), project_id?, preview_access? (true),
    models? [ids], access_token_lifetime_s? (config default, 3599), issue_access_token? (false),
    client_id? (the default client). Returns the refresh token (and access token when asked)."""
    body = await _payload(request)
    settings = {k: body[k] for k in _USER_SETTINGS if k in body}
    settings.setdefault("access_token_lifetime_s", sim.config.default_expires_in)
    if body.get("models") is not None:
        settings["models"] = frozenset(body["models"])
    user = sim.create_user(email=body.get("email"), **settings)
    if body.get("onboarded"):
        user.onboarded = True
        user.project_id = body.get("project_id") or managed_project_id()
    client_id = body.get("client_id") or DEFAULT_CLIENT_ID
    grant = sim.grant_refresh_token(user, client_id, DEFAULT_SCOPE)
    user.consented_clients.add(client_id)
    answer: dict[str, Any] = {**user.public(), "client_id": client_id, "refresh_token": grant.token}
    if body.get("issue_access_token"):
        issued = issue_tokens(sim, user, grant, client_id, DEFAULT_SCOPE)
        answer.update(access_token=issued.access_token, expires_in=issued.expires_in)
    return web.json_response(answer, status=201)


@_handler
async def list_users(request: web.Request, sim: GoogleSim) -> web.Response:
    return web.json_response({"users": [u.public() for u in sim.users.values()]})


@_handler
async def get_user(request: web.Request, sim: GoogleSim) -> web.Response:
    user = _user(sim, request.match_info["user_id"])
    quota = {model: {"used": c.used, "window_started": c.window_started}
             for (owner, model), c in sim.quota_counters.items() if owner == user.user_id}
    grants = [{"refresh_token": g.token, "client_id": g.client_id, "revoked": g.revoked}
              for g in sim.grants.values() if g.user_id == user.user_id]
    return web.json_response({**user.public(), "grants": grants, "quota": quota,
                              "faults": {n: f.params for n, f in sim.faults.get(user.user_id, {}).items()},
                              "scripted": len(sim.scripts.get(user.user_id, ()))})


@_handler
async def update_user(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: any of tier_id, preview_access, access_token_lifetime_s, models, onboarded, project_id."""
    user = _user(sim, request.match_info["user_id"])
    body = await _payload(request)
    for key in _USER_SETTINGS:
        if key in body:
            setattr(user, key, body[key])
    if "models" in body:
        user.models = frozenset(body["models"]) if body["models"] is not None else None
    if "onboarded" in body:
        user.onboarded = bool(body["onboarded"])
        user.project_id = (body.get("project_id") or user.project_id or managed_project_id()) if user.onboarded else None
    elif "project_id" in body:
        user.project_id = body["project_id"]
    return web.json_response(user.public())


@_handler
async def mint_access_token(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: lifetime_s? — an access token without going through /oauth2/token."""
    user = _user(sim, request.match_info["user_id"])
    body = await _payload(request)
    grant = next((g for g in sim.grants.values() if g.user_id == user.user_id and not g.revoked), None)
    issued = issue_tokens(sim, user, grant, grant.client_id if grant else DEFAULT_CLIENT_ID, DEFAULT_SCOPE,
                          lifetime_s=body.get("lifetime_s"))
    return web.json_response({"access_token": issued.access_token, "expires_in": issued.expires_in})


@_handler
async def revoke(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: refresh_token, or user_id (every grant of the user). Refreshing then gives invalid_grant,
    and access tokens minted from a revoked grant stop working."""
    body = await _payload(request)
    if body.get("refresh_token"):
        grants = [sim.grants[body["refresh_token"]]] if body["refresh_token"] in sim.grants else []
    elif body.get("user_id"):
        grants = [g for g in sim.grants.values() if g.user_id == _user(sim, body["user_id"]).user_id]
    else:
        raise BadPayload("give refresh_token or user_id")
    if not grants:
        raise BadPayload("no such refresh token")
    for grant in grants:
        grant.revoked = True
    return web.json_response({"revoked": len(grants)})


@_handler
async def expire(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: access_token, or user_id (every access token issued to the user so far)."""
    body = await _payload(request)
    if body.get("access_token"):
        tokens = [body["access_token"]]
    elif body.get("user_id"):
        tokens = list(_user(sim, body["user_id"]).issued_access_tokens)
    else:
        raise BadPayload("give access_token or user_id")
    sim.expired_access_tokens.update(tokens)
    return web.json_response({"expired": len(tokens)})


@_handler
async def register_client(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: client_id, client_secret — the operator's OAuth client pair."""
    body = await _payload(request)
    if not body.get("client_id") or not body.get("client_secret"):
        raise BadPayload("give client_id and client_secret")
    sim.clients[str(body["client_id"])] = str(body["client_secret"])
    return web.json_response({"clients": sorted(sim.clients)}, status=201)


@_handler
async def create_api_key(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: label?, models? [ids], key? (else a random ``AIzaSy…`` key)."""
    body = await _payload(request)
    key = body.get("key") or "AIzaSy" + secrets.token_urlsafe(25)[:33]
    models = frozenset(body["models"]) if body.get("models") is not None else None
    sim.api_keys[key] = ApiKey(key=key, label=str(body.get("label", "")), models=models)
    return web.json_response({"api_key": key}, status=201)


@_handler
async def revoke_api_key(request: web.Request, sim: GoogleSim) -> web.Response:
    body = await _payload(request)
    record = sim.api_keys.get(str(body.get("api_key", "")))
    if record is None:
        raise BadPayload("no such api_key")
    record.revoked = True
    return web.json_response({"revoked": 1})


# ------------------------------------------------------------------ scripts, faults, quota


def parse_step(obj: Any) -> Step:
    if not isinstance(obj, dict) or len(obj) != 1:
        raise BadPayload(f"a step is an object with one member: {obj!r}")
    (kind, value), = obj.items()
    if kind == "text":
        return Text(str(value))
    if kind == "thinking":
        return Thinking(str(value))
    if kind == "tool_call" and isinstance(value, dict) and isinstance(value.get("name"), str):
        return ToolCall(value["name"], dict(value.get("args") or {}))
    if kind == "error":
        return UpstreamError(int(value))
    if kind == "midstream_error":
        return MidstreamError()
    if kind == "truncate":
        return Truncate()
    if kind == "max_tokens":
        return OutputLimit()
    raise BadPayload(f"unknown step {kind!r}")


def parse_entry(obj: Any) -> ScriptEntry:
    """``{"steps": [...], "pacing": {...}}`` or ``{"raw": {"status", "headers", "body" | "json" | "chunks",
    "delay_ms"}}``."""
    if not isinstance(obj, dict):
        raise BadPayload("a script entry is an object")
    if "raw" in obj:
        raw = obj["raw"]
        if "chunks" in raw:
            chunks = tuple(str(c).encode() for c in raw["chunks"])
        elif "json" in raw:
            chunks = (json.dumps(raw["json"], indent=2).encode(),)
        else:
            chunks = (str(raw.get("body", "")).encode(),)
        headers = tuple((str(k), str(v)) for k, v in (raw.get("headers") or {}).items())
        if "json" in raw and not any(k.lower() == "content-type" for k, _ in headers):
            headers += (("Content-Type", "application/json; charset=UTF-8"),)
        return RawAnswer(int(raw.get("status", 200)), headers, chunks, float(raw.get("delay_ms", 0)))
    if "steps" in obj:
        pacing = obj.get("pacing") or {}
        return Plan(tuple(parse_step(s) for s in obj["steps"]),
                    Pacing(float(pacing.get("delay_first_ms", 0)), float(pacing.get("delay_ms", 0))))
    raise BadPayload("a script entry has 'steps' or 'raw'")


@_handler
async def queue_script(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: user_id | api_key, and ``entries`` (a list) or one entry's members inline.
    Each generate call of the principal consumes the next entry (FIFO) instead of plan.py's answer."""
    body = await _payload(request)
    principal = _principal(sim, body)
    entries = body.get("entries") if "entries" in body else [body]
    queue = sim.scripts.setdefault(principal, deque())
    queue.extend(parse_entry(e) for e in entries)
    return web.json_response({"queued": len(queue)})


@_handler
async def clear_scripts(request: web.Request, sim: GoogleSim) -> web.Response:
    sim.scripts.pop(request.query.get("principal", ""), None)
    return web.json_response({"queued": 0})


@_handler
async def set_fault(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: user_id | api_key | principal ("*" = everyone), fault (see faults.py), params? {}, times?
    (omit: until cleared)."""
    body = await _payload(request)
    principal = _principal(sim, body, allow_all=True)
    name = body.get("fault")
    if name not in ALL_FAULTS:
        raise BadPayload(f"unknown fault {name!r}; known: {', '.join(ALL_FAULTS)}")
    times = body.get("times")
    sim.faults.setdefault(principal, {})[name] = Fault(name, dict(body.get("params") or {}),
                                                       int(times) if times is not None else None)
    return web.json_response({"faults": {n: f.params for n, f in sim.faults[principal].items()}}, status=201)


@_handler
async def clear_faults(request: web.Request, sim: GoogleSim) -> web.Response:
    """Query: principal (or all), fault (or every fault of the principal)."""
    principal, name = request.query.get("principal"), request.query.get("fault")
    owners = [principal] if principal else list(sim.faults)
    for owner in owners:
        if name:
            sim.faults.get(owner, {}).pop(name, None)
        else:
            sim.faults.pop(owner, None)
    return web.json_response({"ok": True})


@_handler
async def list_faults(request: web.Request, sim: GoogleSim) -> web.Response:
    active = {owner: {n: {"params": f.params, "remaining": f.remaining} for n, f in faults.items()}
              for owner, faults in sim.faults.items()}
    return web.json_response({"active": active, "error_faults": ERROR_FAULTS, "stream_faults": STREAM_FAULTS})


@_handler
async def set_quota(request: web.Request, sim: GoogleSim) -> web.Response:
    """Payload: user_id | api_key, model? ("*" = each model separately), limit (requests per window),
    reason? QUOTA_EXHAUSTED | RATE_LIMIT_EXCEEDED, window_s? (86400); or ``limit: null`` to lift it."""
    body = await _payload(request)
    principal = _principal(sim, body)
    model = str(body.get("model") or "*")
    if body.get("limit") is None:
        sim.quota_rules.pop((principal, model), None)
    else:
        reason = str(body.get("reason", "QUOTA_EXHAUSTED"))
        if reason not in ("QUOTA_EXHAUSTED", "RATE_LIMIT_EXCEEDED"):
            raise BadPayload("reason is QUOTA_EXHAUSTED or RATE_LIMIT_EXCEEDED")
        sim.quota_rules[(principal, model)] = QuotaRule(int(body["limit"]), reason, float(body.get("window_s", 86400)))
    if body.get("reset_counters", True):
        for key in [k for k in sim.quota_counters if k[0] == principal and (model == "*" or k[1] == model)]:
            del sim.quota_counters[key]
    return web.json_response({"principal": principal, "model": model, "limit": body.get("limit")})


# ------------------------------------------------------------------ log, config, reset


@_handler
async def request_log(request: web.Request, sim: GoogleSim) -> web.Response:
    """Query: api? (codeassist | gemini | oauth), principal?, path? (substring), since? (seq), limit?."""
    q = request.query
    entries = [e for e in sim.request_log
               if (not q.get("api") or e["api"] == q["api"])
               and (not q.get("principal") or e.get("principal") == q["principal"])
               and (not q.get("path") or q["path"] in e["path"])
               and e["seq"] > int(q.get("since", 0))]
    if q.get("limit"):
        entries = entries[-int(q["limit"]):]
    return web.json_response({"requests": entries})


@_handler
async def clear_request_log(request: web.Request, sim: GoogleSim) -> web.Response:
    sim.request_log.clear()
    return web.json_response({"ok": True})


@_handler
async def config(request: web.Request, sim: GoogleSim) -> web.Response:
    """GET: the config. POST: change any of default_expires_in, onboard_polls, accept_any_client,
    gemini_api_stream_error_array, code_expiry_s."""
    if request.method == "POST":
        body = await _payload(request)
        for key, value in body.items():
            if not hasattr(sim.config, key):
                raise BadPayload(f"unknown setting {key}")
            current = getattr(sim.config, key)
            if isinstance(current, bool) and not isinstance(value, bool):
                raise BadPayload(f"{key} is true or false")
            setattr(sim.config, key, type(current)(value))
    return web.json_response(sim.config.public())


@_handler
async def reset(request: web.Request, sim: GoogleSim) -> web.Response:
    sim.reset()
    return web.json_response({"ok": True})


def add_control_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/_sim/google/users", create_user)
    r.add_get("/_sim/google/users", list_users)
    r.add_get("/_sim/google/users/{user_id}", get_user)
    r.add_patch("/_sim/google/users/{user_id}", update_user)
    r.add_post("/_sim/google/users/{user_id}/access_token", mint_access_token)
    r.add_post("/_sim/google/revoke", revoke)
    r.add_post("/_sim/google/expire", expire)
    r.add_post("/_sim/google/clients", register_client)
    r.add_post("/_sim/google/api_keys", create_api_key)
    r.add_post("/_sim/google/api_keys/revoke", revoke_api_key)
    r.add_post("/_sim/google/scripts", queue_script)
    r.add_delete("/_sim/google/scripts", clear_scripts)
    r.add_post("/_sim/google/faults", set_fault)
    r.add_delete("/_sim/google/faults", clear_faults)
    r.add_get("/_sim/google/faults", list_faults)
    r.add_post("/_sim/google/quota", set_quota)
    r.add_get("/_sim/google/requests", request_log)
    r.add_delete("/_sim/google/requests", clear_request_log)
    r.add_route("*", "/_sim/google/config", config)
    r.add_post("/_sim/google/reset", reset)
