"""Errors the admin API answers with, and JSON replies.

Two route families, two error shapes: our `/admin/api/...` answers `{"error": {"code", "message"}}`;
the seed-compatible `/v2/...` answers FastAPI's `{"detail": ...}`, which the seeds' consoles and
scripts read. A client never sees a traceback; messages never carry a secret.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from aiohttp import web

Family = Literal["admin", "seed", "login"]

ADMIN_PREFIX = "/admin/api"
SEED_PREFIX = "/v2/"
LOGIN_PATH = "/api/login"

_encoder = msgspec.json.Encoder()


class ApiError(Exception):
    """An answer other than success: HTTP status, a stable code, and a sentence for the operator."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def family_of(path: str) -> Family | None:
    """Which admin family a path belongs to; None for the service's own routes (health, metrics)."""
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
        return "admin"
    if path.startswith(SEED_PREFIX):
        return "seed"
    if path == LOGIN_PATH:
        return "login"
    return None


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response; msgspec encodes the store's records (Structs) directly."""
    return web.Response(body=_encoder.encode(data), status=status, content_type="application/json",
                        headers=headers)


def error_reply(family: Family, error: ApiError) -> web.Response:
    if family == "seed":
        body: dict[str, Any] = {"detail": error.message}
    elif family == "login":
        body = {"success": False, "message": error.message}
    else:
        body = {"error": {"code": error.code, "message": error.message}}
    return json_reply(body, error.status, error.headers)


def not_found(what: str, family: Family) -> ApiError:
    # the seeds' consoles match on these exact texts (seeds §1.2 EP-Q-19)
    message = f"{what} not found" if family == "seed" else f"no {what.lower()} with this id"
    return ApiError(404, "not_found", message)
