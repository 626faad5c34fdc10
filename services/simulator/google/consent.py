"""A consent page standing in for ``accounts.google.com/o/oauth2/v2/auth`` (gemini-code-assist.md §1.3).

``GET /oauth2/auth?client_id&redirect_uri&response_type=code&scope&state&access_type=offline
[&code_challenge&code_challenge_method=S256][&prompt=consent][&login_hint]`` shows one button per
simulated account (plus "new account" and "Cancel"). Each button posts to ``/oauth2/auth/decide``,
which answers ``302`` to ``redirect_uri?code=…&scope=…&state=…`` (approve) or
``redirect_uri?error=access_denied&state=…`` (cancel). A person in the demo clicks; a test reads the
hidden ``consent_id`` from the page and posts the same form.

Google only returns a refresh token with ``access_type=offline``, and on a repeat consent of the same
account to the same client only when ``prompt=consent`` is present (§1.4) — reproduced here, because a
bridge that forgets ``prompt=consent`` really does end up without a refresh token.
"""

from __future__ import annotations

import html
import secrets

from aiohttp import web
from yarl import URL

from services.simulator.google.request_log import logged, note
from services.simulator.google.state import (
    GEMINI_CLI_SCOPES,
    GOOGLE_SIM,
    AuthorizationCode,
    GoogleSim,
    PendingConsent,
)


def _error_page(status: int, title: str, detail: str) -> web.Response:
    body = (f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(detail)}</p>")
    return web.Response(status=status, text=body, content_type="text/html")


def granted_scope(requested: str) -> str:
    """Google adds ``openid`` when the email/profile scopes are granted (§1.2)."""
    scopes = requested.split() or list(GEMINI_CLI_SCOPES)
    if any(s.endswith(("userinfo.email", "userinfo.profile")) or s in ("email", "profile") for s in scopes) \
            and "openid" not in scopes:
        scopes.append("openid")
    return " ".join(scopes)


@logged("oauth")
async def consent_page(request: web.Request) -> web.Response:
    """``GET /oauth2/auth``."""
    sim = request.app[GOOGLE_SIM]
    q = request.query
    client_id = q.get("client_id", "")
    if client_id not in sim.clients and not sim.config.accept_any_client:
        return _error_page(401, "Error 401: invalid_client", "The OAuth client was not found.")
    redirect_uri = q.get("redirect_uri")
    if not redirect_uri:
        return _error_page(400, "Error 400: invalid_request", "Missing required parameter: redirect_uri")
    if q.get("response_type") != "code":
        target = URL(redirect_uri).update_query(error="unsupported_response_type", **_state(q.get("state")))
        raise web.HTTPFound(str(target))
    method = q.get("code_challenge_method")
    challenge = q.get("code_challenge")
    if challenge and method not in (None, "S256", "plain"):
        return _error_page(400, "Error 400: invalid_request", f"Invalid code_challenge_method: {method}")
    consent = PendingConsent(
        consent_id=secrets.token_urlsafe(16), client_id=client_id, redirect_uri=redirect_uri,
        scope=granted_scope(q.get("scope", "")), state=q.get("state"), code_challenge=challenge or None,
        code_challenge_method=(method or "plain") if challenge else None, access_type=q.get("access_type", "online"),
        prompt=q.get("prompt", ""), login_hint=q.get("login_hint"))
    sim.consents[consent.consent_id] = consent
    return web.Response(text=_render(sim, consent), content_type="text/html")


def _state(state: str | None) -> dict[str, str]:
    return {"state": state} if state is not None else {}


def _render(sim: GoogleSim, consent: PendingConsent) -> str:
    def form(decision: str, label: str, extra: str = "") -> str:
        return (f'<form method="post" action="/oauth2/auth/decide">'
                f'<input type="hidden" name="consent_id" value="{html.escape(consent.consent_id)}">'
                f'<input type="hidden" name="decision" value="{decision}">{extra}'
                f"<button>{html.escape(label)}</button></form>")

    users = list(sim.users.values())
    if consent.login_hint:
        users = [u for u in users if u.email.lower() == consent.login_hint.lower()] or users
    rows = "".join(
        f'<li>{form("approve", "Continue as " + u.email, f"<input type=hidden name=user_id value={u.user_id}>")}</li>'
        for u in users)
    new_account = form("approve", "Use a new simulated account",
                       '<input name="email" placeholder="email (optional)">')
    return (
        "<!doctype html><meta charset=utf-8><title>Sign in – Google Accounts (simulated)</title>"
        "<h1>Choose an account</h1>"
        f"<p>to continue to <b>{html.escape(consent.client_id)}</b>, which asks for:</p>"
        f"<ul>{''.join(f'<li>{html.escape(s)}</li>' for s in consent.scope.split())}</ul>"
        f"<ul>{rows}<li>{new_account}</li></ul>{form('deny', 'Cancel')}"
    )


@logged("oauth")
async def consent_decision(request: web.Request) -> web.Response:
    """``POST /oauth2/auth/decide``: redirect back to the client with a code or ``access_denied``."""
    sim = request.app[GOOGLE_SIM]
    form = await request.post()
    consent = sim.consents.pop(str(form.get("consent_id", "")), None)
    if consent is None:
        return _error_page(400, "Error 400: invalid_request", "This sign-in request has expired; start again.")
    if form.get("decision") != "approve":
        raise web.HTTPFound(str(URL(consent.redirect_uri).update_query(error="access_denied", **_state(consent.state))))
    user = sim.users.get(str(form.get("user_id", "")))
    if user is None:
        email = str(form.get("email", "")).strip() or None
        user = (sim.user_by_email(email) if email else None) or sim.create_user(email=email)
    note(request, principal=user.user_id)
    first_consent = consent.client_id not in user.consented_clients
    user.consented_clients.add(consent.client_id)
    offline = consent.access_type == "offline"
    code = AuthorizationCode(
        code="4/0A" + secrets.token_urlsafe(40), client_id=consent.client_id, redirect_uri=consent.redirect_uri,
        user_id=user.user_id, scope=consent.scope, code_challenge=consent.code_challenge,
        code_challenge_method=consent.code_challenge_method,
        issue_refresh_token=offline and (first_consent or "consent" in consent.prompt.split()),
        expires_at=sim.now() + sim.config.code_expiry_s)
    sim.codes[code.code] = code
    target = URL(consent.redirect_uri).update_query(code=code.code, scope=consent.scope, authuser="0",
                                                    prompt="consent", **_state(consent.state))
    raise web.HTTPFound(str(target))


def add_consent_routes(app: web.Application) -> None:
    app.router.add_get("/oauth2/auth", consent_page)
    app.router.add_get("/oauth2/v2/auth", consent_page)
    app.router.add_post("/oauth2/auth/decide", consent_decision)
