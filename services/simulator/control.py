"""The simulator's control API under `/_sim/`: a loopback test tool, no authentication.

JSON in, JSON out. Users are the simulated AWS (Builder ID) users behind the Amazon Q and OIDC stand-ins.

    GET    /_sim/                                   this route list
    POST   /_sim/reset                              forget everything (settings back to the environment's)
    GET    /_sim/clock                              {"now", "offset"}
    POST   /_sim/clock          {"advance": s}      move the simulator's clock forward (token / device expiry)
    GET    /_sim/aws/settings                       live settings (SimulatorConfig fields)
    PUT    /_sim/aws/settings   {field: value, …}   e.g. {"access_token_lifetime": 2, "rotate_refresh_tokens": true,
                                                    "unauthorized_status": 401, "emit_initial_response": false,
                                                    "device_interval": 1, "device_expires_in": 600}
    GET    /_sim/aws/faults                         the named-fault catalogue
    POST   /_sim/aws/users      {"access_token_lifetime"?: s, "access_token"?: bool, "rotate_refresh_token"?: bool,
                                 "email"?, "monthly_limit"?: n, "script"?: [item], "faults"?: [item]}
                                 -> {"userId", "accountId", "email", "clientId", "clientSecret", "refreshToken",
                                     "accessToken", "expiresIn", "expiresAt"}  (access token when asked for,
                                     or when access_token_lifetime is given)
    GET    /_sim/aws/users                          all users (summaries)
    GET    /_sim/aws/users/{id}                     one user: tokens, script, faults, counters
    PATCH  /_sim/aws/users/{id} {"rotate_refresh_token", "access_token_lifetime", "monthly_limit", "monthly_usage"}
    POST   /_sim/aws/users/{id}/access_token         {"lifetime"?: s} -> {"accessToken", "expiresIn", "expiresAt"}
    POST   /_sim/aws/users/{id}/expire_access_tokens {"accessToken"?}  expire now (all of the user's, or one)
    POST   /_sim/aws/users/{id}/revoke_access_tokens {"accessToken"?}
    POST   /_sim/aws/users/{id}/revoke_refresh_token {"refreshToken"?} the next refresh gets invalid_grant
    GET    /_sim/aws/users/{id}/script               queued one-shot responses
    POST   /_sim/aws/users/{id}/script {"responses": [item, …]}   append (an item or a list is accepted too)
    DELETE /_sim/aws/users/{id}/script
    GET    /_sim/aws/users/{id}/faults
    PUT    /_sim/aws/users/{id}/faults {"faults": [item, …]}      replace the persistent faults (also
                                                     oidc_server_error / oidc_invalid_grant / oidc_slow_down:
                                                     the user's refresh grants fail)
    DELETE /_sim/aws/users/{id}/faults
    GET    /_sim/aws/users/{id}/requests?limit=N     what this user's requests looked like (headers, parsed body,
                                                     status, outcome, detail = the validation rule that fired)
    GET    /_sim/aws/requests?limit=N                the global request log (unauthenticated requests too)
    GET    /_sim/aws/devices                         device authorizations and their status
    GET    /_sim/aws/counters                        requests served, answers, refreshes, …

Script items (see `services.simulator.faults`): a named fault `{"fault": "throttled", "retry_after": 2}`
(or just `"throttled"`), a raw response `{"status", "headers", "body" | "body_base64"}`, or an answer
`{"text": …}`, `{"tool_use": {"name", "input"}}`, `{"steps": [...], "delay_first_ms", "delay_ms"}`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from services.simulator.appkeys import SIM_RESET_HOOKS, SIM_STATE
from services.simulator.faults import (
    ERROR_FAULTS,
    OIDC_FAULTS,
    STREAM_FAULTS,
    OidcFault,
    ScriptError,
    parse_item,
)
from services.simulator.state import AwsUser, SimState

PREFIX = "/_sim"
Handler = Callable[[web.Request], Awaitable[web.Response]]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), status=status,
                        content_type="application/json")


def _control(handler: Callable[[web.Request, SimState], Awaitable[Any]]) -> Handler:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            result = await handler(request, request.app[SIM_STATE])
        except ControlError as error:
            return _json({"error": error.message}, error.status)
        except (ScriptError, ValueError) as error:
            return _json({"error": str(error)}, 400)
        return result if isinstance(result, web.Response) else _json(result)

    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ControlError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ControlError(400, "the body is a JSON object")
    return body


def _user(request: web.Request, state: SimState) -> AwsUser:
    user = state.users.get(request.match_info["user_id"])
    if user is None:
        raise ControlError(404, f"no simulated user {request.match_info['user_id']!r}")
    return user


def _number(body: dict[str, Any], name: str, *, positive: bool = True) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (positive and value <= 0) or value < 0:
        raise ControlError(400, f"{name} must be a {'positive' if positive else 'non-negative'} number")
    return float(value)


def _items(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    return [parse_item(item) for item in items]


# ---------------------------------------------------------------- handlers


async def index(request: web.Request, state: SimState) -> Any:
    return {"routes": sorted({f"{r.method} {r.resource.canonical}" for r in request.app.router.routes()
                              if r.resource is not None and r.resource.canonical.startswith(PREFIX)})}


async def reset(request: web.Request, state: SimState) -> Any:
    state.reset()
    for hook in request.app[SIM_RESET_HOOKS]:
        hook()
    return {"reset": True}


async def clock(request: web.Request, state: SimState) -> Any:
    if request.method == "POST":
        advance = _number(await _body(request), "advance", positive=False)
        if advance is None:
            raise ControlError(400, "advance (seconds) is required")
        state.advance_clock(advance)
    return {"now": state.now(), "offset": state.clock_offset}


async def settings(request: web.Request, state: SimState) -> Any:
    if request.method == "PUT":
        state.settings = state.settings.replaced(await _body(request))
    return {name: getattr(state.settings, name) for name in state.settings.__dataclass_fields__}


async def fault_catalogue(request: web.Request, state: SimState) -> Any:
    return {
        "error_faults": sorted(ERROR_FAULTS),
        "stream_faults": {name: params for name, params in sorted(STREAM_FAULTS.items())},
        "oidc_faults": sorted(OIDC_FAULTS),
    }


async def create_user(request: web.Request, state: SimState) -> Any:
    body = await _body(request)
    lifetime = _number(body, "access_token_lifetime")
    monthly_limit = _number(body, "monthly_limit", positive=False)
    rotate = body.get("rotate_refresh_token")
    if rotate is not None and not isinstance(rotate, bool):
        raise ControlError(400, "rotate_refresh_token is true or false")
    script = _items(body["script"]) if "script" in body else []
    if any(isinstance(item, OidcFault) for item in script):
        raise ControlError(400, "OIDC faults are persistent only: pass them as faults")
    faults = _items(body["faults"]) if "faults" in body else []
    client = state.register_client(str(body.get("client_name") or "q2api simulated user"))
    user = state.create_user(
        client=client,
        email=body.get("email") if isinstance(body.get("email"), str) else None,
        rotate_refresh_token=rotate,
        access_token_lifetime=lifetime,
        monthly_limit=int(monthly_limit) if monthly_limit is not None else None,
    )
    user.script.extend(script)
    user.faults.extend(faults)
    answer = {
        "userId": user.user_id,
        "accountId": user.account_id,
        "email": user.email,
        "clientId": client.client_id,
        "clientSecret": client.client_secret,
        "refreshToken": user.refresh_token,
    }
    if body.get("access_token") or lifetime is not None:
        answer.update(_access_token(state, user, lifetime))
    return _json(answer, 201)


def _access_token(state: SimState, user: AwsUser, lifetime: float | None) -> dict[str, Any]:
    token, seconds = state.mint_access_token(user, lifetime)
    return {"accessToken": token, "expiresIn": seconds, "expiresAt": state.now() + seconds}


async def list_users(request: web.Request, state: SimState) -> Any:
    return {"users": [user.summary() for user in state.users.values()]}


async def user_detail(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    if request.method == "PATCH":
        body = await _body(request)
        if "rotate_refresh_token" in body:
            if body["rotate_refresh_token"] is not None and not isinstance(body["rotate_refresh_token"], bool):
                raise ControlError(400, "rotate_refresh_token is true, false or null")
            user.rotate_refresh_token = body["rotate_refresh_token"]
        if "access_token_lifetime" in body:
            user.access_token_lifetime = _number(body, "access_token_lifetime")
        if "monthly_limit" in body:
            limit = _number(body, "monthly_limit", positive=False)
            user.monthly_limit = int(limit) if limit is not None else None
        if "monthly_usage" in body:
            user.monthly_usage = int(_number(body, "monthly_usage", positive=False) or 0)
    now = state.now()
    detail = user.summary()
    detail["accessTokens"] = [
        {"accessToken": token, "expiresAt": record.expires_at, "expired": now >= record.expires_at,
         "revoked": record.revoked}
        for token, record in state.access_tokens.items() if record.user_id == user.user_id
    ]
    return detail


async def new_access_token(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    return _access_token(state, user, _number(await _body(request), "lifetime"))


async def expire_access_tokens(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    token = (await _body(request)).get("accessToken")
    return {"expired": state.expire_access_tokens(user, token)}


async def revoke_access_tokens(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    token = (await _body(request)).get("accessToken")
    return {"revoked": state.revoke_access_tokens(user, token)}


async def revoke_refresh_token(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    token = (await _body(request)).get("refreshToken")
    return {"revoked": state.revoke_refresh_tokens(user, token)}


async def script(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    if request.method == "POST":
        body = await _body(request)
        items = _items(body["responses"] if "responses" in body else body)
        if any(isinstance(item, OidcFault) for item in items):
            raise ControlError(400, "OIDC faults are persistent only: PUT them to …/faults")
        user.script.extend(items)
    elif request.method == "DELETE":
        user.script.clear()
    return {"script": [item.source for item in user.script]}


async def faults(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    if request.method == "PUT":
        body = await _body(request)
        user.faults[:] = _items(body["faults"] if "faults" in body else body)
    elif request.method == "DELETE":
        user.faults.clear()
    return {"faults": [item.source for item in user.faults]}


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "")
    return int(raw) if raw.isdigit() else 0


async def user_requests(request: web.Request, state: SimState) -> Any:
    user = _user(request, state)
    entries = list(user.requests)
    limit = _limit(request)
    return {"requests": entries[-limit:] if limit else entries}


async def all_requests(request: web.Request, state: SimState) -> Any:
    entries = list(state.requests)
    limit = _limit(request)
    return {"requests": entries[-limit:] if limit else entries}


async def devices(request: web.Request, state: SimState) -> Any:
    return {"devices": [
        {"userCode": d.user_code, "clientId": d.client_id, "status": d.status, "interval": d.interval,
         "expiresAt": d.expires_at, "userId": d.user_id}
        for d in state.devices.values()
    ]}


async def counters(request: web.Request, state: SimState) -> Any:
    return {"counters": dict(state.counters),
            "users": {user.user_id: dict(user.counters) for user in state.users.values()}}


def setup_control(app: web.Application) -> None:
    user = PREFIX + "/aws/users/{user_id}"
    routes: list[tuple[str, str, Callable[[web.Request, SimState], Awaitable[Any]]]] = [
        ("GET", PREFIX + "/", index),
        ("POST", PREFIX + "/reset", reset),
        ("GET", PREFIX + "/clock", clock),
        ("POST", PREFIX + "/clock", clock),
        ("GET", PREFIX + "/aws/settings", settings),
        ("PUT", PREFIX + "/aws/settings", settings),
        ("GET", PREFIX + "/aws/faults", fault_catalogue),
        ("POST", PREFIX + "/aws/users", create_user),
        ("GET", PREFIX + "/aws/users", list_users),
        ("GET", user, user_detail),
        ("PATCH", user, user_detail),
        ("POST", user + "/access_token", new_access_token),
        ("POST", user + "/expire_access_tokens", expire_access_tokens),
        ("POST", user + "/revoke_access_tokens", revoke_access_tokens),
        ("POST", user + "/revoke_refresh_token", revoke_refresh_token),
        ("GET", user + "/script", script),
        ("POST", user + "/script", script),
        ("DELETE", user + "/script", script),
        ("GET", user + "/faults", faults),
        ("PUT", user + "/faults", faults),
        ("DELETE", user + "/faults", faults),
        ("GET", user + "/requests", user_requests),
        ("GET", PREFIX + "/aws/requests", all_requests),
        ("GET", PREFIX + "/aws/devices", devices),
        ("GET", PREFIX + "/aws/counters", counters),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _control(handler))
