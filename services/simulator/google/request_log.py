"""Recording every request the Google side answers, so tests can assert what q2api actually sent.

`logged(api)` wraps a handler: it records method, path, query, the headers a test may care about and the
body (parsed JSON when it is JSON, form fields for the OAuth endpoint), then the final status. Handlers
add ``principal``/``model`` to the entry through `note`.

It is also where a raised `GoogleError` becomes the HTTP answer: as a bare object, or as the one-element
array the streaming method uses (§6.1) when the handler called `errors_as_array` first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from aiohttp import web

from services.simulator.google.errors import CONTENT_TYPE, GoogleError
from services.simulator.google.state import GOOGLE_SIM

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_ENTRY = web.RequestKey("google_log_entry", dict)
_AS_ARRAY = web.RequestKey("google_errors_as_array", bool)
_HEADERS_KEPT = ("user-agent", "x-goog-api-client", "x-goog-api-key", "content-type", "accept", "authorization",
                 "x-goog-user-project")


def _body_of(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", "replace")[:4000]


def logged(api: str) -> Callable[[Handler], Handler]:
    def wrap(handler: Handler) -> Handler:
        async def recorded(request: web.Request) -> web.StreamResponse:
            raw = await request.read() if request.body_exists else b""
            entry = request.app[GOOGLE_SIM].log({
                "api": api,
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": {k: v for k, v in request.headers.items() if k.lower() in _HEADERS_KEPT},
                "body": _body_of(raw, request.content_type),
                "principal": None,
                "model": None,
                "status": None,
            })
            request[_ENTRY] = entry
            try:
                response = await handler(request)
            except GoogleError as exc:
                entry["status"] = exc.status
                entry["error"] = exc.error
                return error_response(exc, as_array=request.get(_AS_ARRAY, False))
            except web.HTTPException as exc:
                entry["status"] = exc.status
                raise
            entry["status"] = response.status
            return response

        recorded.__name__ = handler.__name__
        recorded.__doc__ = handler.__doc__
        return recorded

    return wrap


def error_response(exc: GoogleError, *, as_array: bool) -> web.Response:
    response = web.Response(status=exc.status, body=exc.body(as_array=as_array), headers=exc.headers)
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Vary"] = "Origin, X-Origin, Referer"
    return response


def errors_as_array(request: web.Request, value: bool = True) -> None:
    """Errors of this request go out as ``[{"error": …}]`` (Code Assist streaming, §6.1)."""
    request[_AS_ARRAY] = value


def note(request: web.Request, **fields: Any) -> None:
    """Add fields (principal, model, …) to this request's log entry."""
    entry = request.get(_ENTRY)
    if entry is not None:
        entry.update(fields)
