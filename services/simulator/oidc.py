"""The simulated AWS SSO-OIDC service under `/oidc` (amazonq.md §5-§6; botocore's sso-oidc model).

    POST /oidc/client/register        RegisterClient
    POST /oidc/device_authorization   StartDeviceAuthorization
    POST /oidc/token                  CreateToken: refresh_token and device_code grants
    GET  /oidc/device?user_code=…     the verification page (Approve / Deny), POST /oidc/device answers it

rest-json, unsigned, camelCase members. Errors are OAuth-style `{"error", "error_description"?}` with the
exception name in `x-amzn-ErrorType` (which is how botocore's client recognises them) and the status
from the model: 400, except `invalid_client` 401 and `server_error` 500.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from aiohttp import web

from services.simulator.appkeys import SIM_STATE
from services.simulator.device_page import device_page, result_page
from services.simulator.faults import OidcFault
from services.simulator.state import OidcClient, SimState

PREFIX = "/oidc"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_TOKEN_GRANT = "refresh_token"
KNOWN_GRANT_TYPES = frozenset({"authorization_code", "refresh_token", DEVICE_CODE_GRANT})
INVALID_REFRESH_TOKEN = "Invalid refresh token provided"

# error code -> (HTTP status, exception name), from botocore's sso-oidc service model
OAUTH_ERRORS: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "InvalidRequestException"),
    "invalid_client": (401, "InvalidClientException"),
    "invalid_grant": (400, "InvalidGrantException"),
    "unauthorized_client": (400, "UnauthorizedClientException"),
    "unsupported_grant_type": (400, "UnsupportedGrantTypeException"),
    "invalid_scope": (400, "InvalidScopeException"),
    "authorization_pending": (400, "AuthorizationPendingException"),
    "slow_down": (400, "SlowDownException"),
    "access_denied": (400, "AccessDeniedException"),
    "expired_token": (400, "ExpiredTokenException"),
    "invalid_client_metadata": (400, "InvalidClientMetadataException"),
    "server_error": (500, "InternalServerException"),
}


class OAuthError(Exception):
    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.description = description

    def response(self) -> web.Response:
        status, exception_name = OAUTH_ERRORS[self.error]
        body: dict[str, Any] = {"error": self.error}
        if self.description is not None:
            body["error_description"] = self.description
        return web.Response(
            status=status,
            body=orjson.dumps(body),
            headers={
                "content-type": "application/json",
                "x-amzn-ErrorType": exception_name,
                "x-amzn-RequestId": str(uuid.uuid4()),
            },
        )


def setup_oidc(app: web.Application) -> None:
    app.router.add_post(PREFIX + "/client/register", register_client)
    app.router.add_post(PREFIX + "/device_authorization", start_device_authorization)
    app.router.add_post(PREFIX + "/token", create_token)
    app.router.add_get(PREFIX + "/device", verification_page)
    app.router.add_post(PREFIX + "/device", verification_answer)


def _ok(body: dict[str, Any]) -> web.Response:
    return web.Response(body=orjson.dumps(body),
                        headers={"content-type": "application/json", "x-amzn-RequestId": str(uuid.uuid4())})


async def _json_body(request: web.Request, state: SimState, operation: str) -> dict[str, Any]:
    raw = await request.read()
    entry: dict[str, Any] = {"at": state.now(), "operation": operation, "method": request.method,
                             "path": request.path_qs, "headers": dict(request.headers), "body": None}
    state.log_request(entry, None)
    state.count("oidc_requests")
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        raise OAuthError("invalid_request", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise OAuthError("invalid_request", "The request body is not a JSON object")
    entry["body"] = body
    return body


def _required(body: dict[str, Any], *names: str) -> list[str]:
    values = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise OAuthError("invalid_request", f"Missing required parameter: {name}")
        values.append(value)
    return values


def _client(state: SimState, client_id: str, client_secret: str) -> OidcClient:
    client = state.client_if_valid(client_id, client_secret)
    if client is None:
        raise OAuthError("invalid_client", "Invalid client provided")
    return client


# ---------------------------------------------------------------- RegisterClient


async def register_client(request: web.Request) -> web.Response:
    state = request.app[SIM_STATE]
    try:
        body = await _json_body(request, state, "RegisterClient")
        name, client_type = _required(body, "clientName", "clientType")
        if client_type != "public":
            raise OAuthError("invalid_client_metadata", f"Invalid client type: {client_type}")
        scopes = body.get("scopes") or []
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise OAuthError("invalid_scope", "Invalid scopes")
        grant_types = body.get("grantTypes") or []
        if not isinstance(grant_types, list) or any(g not in KNOWN_GRANT_TYPES for g in grant_types):
            raise OAuthError("unsupported_grant_type", "Unsupported grant type")
    except OAuthError as error:
        return error.response()
    client = state.register_client(name, client_type, scopes)
    return _ok({
        "clientId": client.client_id,
        "clientSecret": client.client_secret,
        "clientIdIssuedAt": client.issued_at,
        "clientSecretExpiresAt": client.secret_expires_at,
    })


# ---------------------------------------------------------------- StartDeviceAuthorization


async def start_device_authorization(request: web.Request) -> web.Response:
    state = request.app[SIM_STATE]
    try:
        body = await _json_body(request, state, "StartDeviceAuthorization")
        client_id, client_secret, start_url = _required(body, "clientId", "clientSecret", "startUrl")
        client = _client(state, client_id, client_secret)
    except OAuthError as error:
        return error.response()
    device = state.start_device_authorization(client, start_url)
    page = f"{request.scheme}://{request.host}{PREFIX}/device"
    return _ok({
        "deviceCode": device.device_code,
        "userCode": device.user_code,
        "verificationUri": page,
        "verificationUriComplete": f"{page}?user_code={device.user_code}",
        "expiresIn": state.settings.device_expires_in,
        "interval": device.interval,
    })


# ---------------------------------------------------------------- CreateToken


async def create_token(request: web.Request) -> web.Response:
    state = request.app[SIM_STATE]
    try:
        body = await _json_body(request, state, "CreateToken")
        client_id, client_secret, grant_type = _required(body, "clientId", "clientSecret", "grantType")
        client = _client(state, client_id, client_secret)
        if grant_type == REFRESH_TOKEN_GRANT:
            return _refresh_grant(state, client, body)
        if grant_type == DEVICE_CODE_GRANT:
            return _device_code_grant(state, client, body)
        raise OAuthError("unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    except OAuthError as error:
        state.count("oidc_errors." + error.error)
        return error.response()


def _refresh_grant(state: SimState, client: OidcClient, body: dict[str, Any]) -> web.Response:
    (refresh_token,) = _required(body, "refreshToken")
    record = state.refresh_record(refresh_token)
    if record is None or record.client_id != client.client_id or record.user_id not in state.users:
        raise OAuthError("invalid_grant", INVALID_REFRESH_TOKEN)
    user = state.users[record.user_id]
    for fault in user.faults:
        if isinstance(fault, OidcFault):
            raise OAuthError(fault.error, fault.description)
    issued = state.refresh(user)
    return _ok({
        "accessToken": issued.access_token,
        "tokenType": "Bearer",
        "expiresIn": issued.expires_in,
        "refreshToken": issued.refresh_token,
    })


def _device_code_grant(state: SimState, client: OidcClient, body: dict[str, Any]) -> web.Response:
    """RFC 8628 §3.5 polling: pending, slow_down (polled sooner than the interval: the interval grows),
    expired, denied, or the tokens of the user the person approved (once)."""
    (device_code,) = _required(body, "deviceCode")
    device = state.devices.get(device_code)
    if device is None or device.client_id != client.client_id or device.status == "consumed":
        raise OAuthError("invalid_grant", "Invalid device code provided")
    now = state.now()
    if now >= device.expires_at:
        raise OAuthError("expired_token", "Device code has expired")
    if device.status == "denied":
        raise OAuthError("access_denied", "The user denied the authorization request")
    if device.status == "pending":
        too_soon = device.last_poll is not None and now - device.last_poll < device.interval
        device.last_poll = now
        if too_soon:
            device.interval += state.settings.slow_down_increment
            raise OAuthError("slow_down")
        raise OAuthError("authorization_pending")
    user = state.users[device.user_id or ""]
    device.status = "consumed"
    access_token, lifetime = state.mint_access_token(user)
    state.count("device_grants", user)
    return _ok({
        "accessToken": access_token,
        "tokenType": "Bearer",
        "expiresIn": int(lifetime),
        "refreshToken": user.refresh_token,
    })


# ---------------------------------------------------------------- the verification page


async def verification_page(request: web.Request) -> web.Response:
    state = request.app[SIM_STATE]
    user_code = request.query.get("user_code", "").strip().upper()
    device = state.device_by_user_code(user_code) if user_code else None
    if user_code and device is None:
        return result_page("Unknown code", f"No sign-in request has the code {user_code}.", status=404)
    client = state.clients.get(device.client_id) if device is not None else None
    return device_page(device, client.client_name if client else "")


async def verification_answer(request: web.Request) -> web.Response:
    """The page's Approve / Deny forms (also usable by a test: a form POST of user_code and action)."""
    state = request.app[SIM_STATE]
    form = await request.post()
    user_code = str(form.get("user_code", "")).strip().upper()
    action = str(form.get("action", ""))
    device = state.device_by_user_code(user_code)
    if device is None:
        return result_page("Unknown code", f"No sign-in request has the code {user_code}.", status=404)
    if state.now() >= device.expires_at:
        return result_page("Code expired", "This sign-in request has expired. Start again.", status=400)
    if device.status != "pending":
        return result_page("Already answered", f"This sign-in request was already {device.status}.", status=409)
    if action == "approve":
        user = state.approve_device(device)
        return result_page("Request approved",
                           f"Signed in as simulated user {user.user_id}. You can close this window.")
    if action == "deny":
        state.deny_device(device)
        return result_page("Request denied", "The application was not given access. You can close this window.")
    return result_page("Unknown action", "Choose Approve or Deny.", status=400)
