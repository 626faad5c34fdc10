"""Edge's public API: `/v1/messages` (also `?beta=true`), `/v1/messages/count_tokens`,
`/v1/chat/completions`, `/v1/models`.

Each handler authenticates, reads and validates the body once in the client's dialect, picks the
provider from the model table, and hands over to the relay. Bad input is answered here, in the
client's dialect, with `x-should-retry: false`.
"""

from __future__ import annotations

from aiohttp import web

from services.edge.auth import AuthError, ClientAuthenticator
from services.edge.relay import ClientCall, EdgeContext, error_response, serve
from shared.dialects import DIALECTS
from shared.models import ModelTable, UnknownModelError
from shared.schemas.decoding import ClientBodyError
from shared.service import REQUEST_ID_KEY

EDGE = web.AppKey("edge_context", EdgeContext)
AUTH = web.AppKey("edge_auth", ClientAuthenticator)
MODELS = web.AppKey("edge_models", ModelTable)

SESSION_HEADERS = ("x-claude-code-session-id", "x-session-id")
PROVIDER_HEADER = "x-q2a-provider"
PIN_HEADER = "x-account-id"


def _handler(dialect_name: str, operation: str):
    dialect = DIALECTS[dialect_name]

    async def handle(request: web.Request) -> web.StreamResponse:
        ctx = request.app[EDGE]
        call = ClientCall(dialect=dialect, operation=operation, body=b"", model="", stream=False, provider="",
                          caller=None, request_id=request[REQUEST_ID_KEY])  # type: ignore[arg-type]
        try:
            call.caller = await request.app[AUTH].authenticate(request)
        except AuthError as exc:
            return error_response(call, exc.status, exc.message)
        try:
            call.body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            limit = ctx.settings.max_body_bytes
            return error_response(call, 413, f"Request body is larger than this gateway's limit of {limit} bytes (MAX_BODY_BYTES).")
        try:
            facts = dialect.facts(dialect.decode(call.body, operation))
        except ClientBodyError as exc:
            return error_response(call, 400, exc.message)
        call.model, call.stream = facts.model, facts.stream

        if call.caller.allowed_models is not None and call.model not in call.caller.allowed_models:
            return error_response(call, 403, f"This API key may not use model {call.model!r}; allowed: "
                                  f"{', '.join(call.caller.allowed_models)}.")
        try:
            route = request.app[MODELS].resolve(call.model)
        except UnknownModelError as exc:
            return error_response(call, 404, str(exc), code="model_not_found")
        call.provider = request.headers.get(PROVIDER_HEADER, "").strip().lower() or route.provider

        pin = request.headers.get(PIN_HEADER, "").strip()
        if pin:
            if not call.caller.is_admin:
                return error_response(call, 403, "X-Account-ID may only be used with an admin API key.")
            call.pin = pin
        if ctx.settings.session_affinity_ttl > 0:
            for header in SESSION_HEADERS:
                value = request.headers.get(header, "").strip()
                if value:
                    call.session_key = value[:200]
                    break
        return await serve(request, ctx, call)

    return handle


async def list_models(request: web.Request) -> web.Response:
    """One body both SDKs read: OpenAI's `{object: list, data: [{id, object, created, owned_by}]}` and
    Anthropic's `{data: [{type, id, display_name, created_at}], has_more, first_id, last_id}`."""
    data = []
    for route in request.app[MODELS].listing():
        data.append({
            "id": route.requested,
            "object": "model",
            "type": "model",
            "created": 1_700_000_000,
            "created_at": "2023-11-14T22:13:20Z",
            "owned_by": route.provider,
            "display_name": route.requested if route.requested == route.upstream_model
            else f"{route.requested} (served as {route.upstream_model})",
        })
    body = {"object": "list", "data": data, "has_more": False,
            "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None}
    return web.json_response(body)


def add_public_routes(app: web.Application) -> None:
    app.router.add_post("/v1/messages", _handler("anthropic", "generate"))
    app.router.add_post("/v1/messages/count_tokens", _handler("anthropic", "count_tokens"))
    app.router.add_post("/v1/chat/completions", _handler("openai", "generate"))
    app.router.add_get("/v1/models", list_models)
