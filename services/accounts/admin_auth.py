"""Admin sessions: `POST /api/login` trades the admin password for a session token; every route under
`/admin/api` and `/v2` then needs `Authorization: Bearer <token>`.

Unlike the seeds (where the password itself was the bearer token, forever), a token is random, stored
only as a hash, lives 30 days, and can be revoked (`POST /admin/api/logout`, `POST
/admin/api/sessions/revoke-all`). Password guesses are slowed down per client address (login_guard).

The guard is one middleware: it also turns errors into each family's JSON shape, and marks every
admin answer `cache-control: no-store`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import msgspec
from aiohttp import web
from redis.exceptions import RedisError

from services.accounts.api_errors import LOGIN_PATH, ApiError, error_reply, family_of, json_reply
from services.accounts.bodies import LoginIn, read_body
from services.accounts.context import LOGIN_GUARD, STORE
from services.accounts.login_guard import client_address
from shared.admin_password import check_admin_password
from shared.service import SETTINGS
from shared.store import ConflictError, CredentialsKeyError, InvalidValueError, NotFoundError, StoreError
from shared.store.records import DEFAULT_SESSION_TTL, AdminSession

log = logging.getLogger("q2api.accounts.admin")

SESSION = web.RequestKey("admin_session", AdminSession)
SESSION_TOKEN = web.RequestKey("admin_session_token", str)

_UNAUTHORIZED_HEADERS = {"x-should-retry": "false", "www-authenticate": 'Bearer realm="q2api admin"'}


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("authorization", "").strip()
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return ""


async def require_session(request: web.Request) -> None:
    token = bearer_token(request)
    if not token:
        raise ApiError(401, "unauthorized",
                       "log in first: POST /api/login with the admin password, then send "
                       "`Authorization: Bearer <token>`", headers=_UNAUTHORIZED_HEADERS)
    session = await request.app[STORE].validate_session(token)
    if session is None:
        raise ApiError(401, "unauthorized", "this session is unknown, expired or revoked; log in again",
                       headers=_UNAUTHORIZED_HEADERS)
    request[SESSION] = session
    request[SESSION_TOKEN] = token


def _from_store_error(exc: StoreError) -> ApiError:
    if isinstance(exc, NotFoundError):
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, InvalidValueError):
        return ApiError(400, "invalid_value", str(exc))
    if isinstance(exc, ConflictError):
        return ApiError(409, "conflict", str(exc))
    if isinstance(exc, CredentialsKeyError):
        return ApiError(500, "credentials_key", str(exc))
    return ApiError(503, "store_unavailable", "the store of record is not available; retry shortly")


@web.middleware
async def admin_guard(request: web.Request,
                      handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    family = family_of(request.path)
    if family is None:
        return await handler(request)
    try:
        if family != "login":
            await require_session(request)
        response = await handler(request)
    except ApiError as exc:
        response = error_reply(family, exc)
    except StoreError as exc:
        error = _from_store_error(exc)
        if error.status >= 500:
            log.error("store error on %s %s: %s", request.method, request.path, exc)
        if family == "seed" and error.status == 404:
            error = ApiError(404, "not_found", "Account not found")
        response = error_reply(family, error)
    except msgspec.ValidationError as exc:
        response = error_reply(family, ApiError(422 if family == "seed" else 400, "invalid_body", str(exc)))
    except (RedisError, OSError) as exc:
        log.error("Redis error on %s %s: %s", request.method, request.path, type(exc).__name__)
        response = error_reply(family, ApiError(503, "redis_unavailable", "Redis is not reachable; retry shortly"))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_reply(family, ApiError(exc.status, exc.reason.lower().replace(" ", "_"),
                                                f"{request.method} {request.path}: {exc.reason}"))
        if exc.status == 405:
            response.headers["allow"] = exc.headers.get("allow", "")
    except Exception:
        # the type and traceback go to the log (no values: tracebacks carry no locals); the
        # client gets a sentence, never the exception text
        log.exception("unexpected error on %s %s", request.method, request.path)
        response = error_reply(family, ApiError(500, "internal_error", "internal error; see the accounts log"))
    if not response.prepared:
        response.headers["cache-control"] = "no-store"
    return response


async def login(request: web.Request) -> web.Response:
    """POST /api/login {"password"} → {"success", "token", "message", "expires_at"}."""
    guard = request.app[LOGIN_GUARD]
    address = client_address(request)
    verdict = await guard.check(address)
    if not verdict.allowed:
        raise ApiError(429, "too_many_attempts",
                       f"too many failed logins; wait {verdict.retry_after:.0f} s",
                       headers={"retry-after": f"{verdict.retry_after:.0f}"})
    body = await read_body(request, LoginIn, "login")
    store = request.app[STORE]
    if not await check_admin_password(store, request.app[SETTINGS], body.password):
        after = await guard.failed(address)
        headers = {"retry-after": f"{after.retry_after:.0f}"} if after.retry_after else None
        raise ApiError(401, "invalid_password", "Invalid password", headers=headers)
    await guard.succeeded(address)
    token = await store.create_session(ttl=DEFAULT_SESSION_TTL)
    session = await store.validate_session(token)
    log.info("admin logged in from %s", address, extra={"client": address})
    return json_reply({"success": True, "token": token, "message": "Login successful",
                       "expires_at": session.expires_at if session else None})


async def logout(request: web.Request) -> web.Response:
    """POST /admin/api/logout: revoke the presented session."""
    revoked = await request.app[STORE].revoke_session(request[SESSION_TOKEN])
    return json_reply({"success": True, "revoked": revoked})


async def revoke_all(request: web.Request) -> web.Response:
    """POST /admin/api/sessions/revoke-all: every session, this one included."""
    count = await request.app[STORE].revoke_all_sessions()
    log.warning("all admin sessions revoked (%d)", count)
    return json_reply({"success": True, "revoked": count})


async def whoami(request: web.Request) -> web.Response:
    """GET /admin/api/session: is this token still good, and until when."""
    session = request[SESSION]
    return json_reply({"created_at": session.created_at, "expires_at": session.expires_at})


def add_routes(app: web.Application) -> None:
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_post("/admin/api/logout", logout)
    app.router.add_post("/admin/api/sessions/revoke-all", revoke_all)
    app.router.add_get("/admin/api/session", whoami)
