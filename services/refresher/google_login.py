"""Gemini Code Assist login through Google OAuth (gemini-code-assist.md §1, §2).

`start` builds the consent URL (authorization-code flow with PKCE S256, `access_type=offline`,
`prompt=consent`) and keeps the code verifier, sealed, under the `state` in Redis; the console's
callback page posts `{code, state}` to `callback`, which takes the state exactly once, exchanges the
code, finds or provisions the Code Assist project, and creates the `gemini` account.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import msgspec

from services.refresher import metrics
from services.refresher.code_assist import CodeAssistSetup, SetupError
from services.refresher.context import RefresherContext
from services.refresher.device_login import LoginError
from services.refresher.errors import TokenError
from services.refresher.google_oauth import authorization_url, email_of, new_code_verifier, new_state
from services.refresher.http import proxy_for
from services.refresher.schedule import RefreshSchedule
from services.refresher.tokens import expiry_of
from shared.redis import keys

NO_CLIENT = ("GOOGLE_OAUTH_CLIENT_ID is not set: q2api ships no third-party client secret. Create an OAuth client "
             "(type Desktop app) in Google Cloud, then set GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET")


class GoogleLoginStart(msgspec.Struct, kw_only=True):
    redirect_uri: str
    label: str | None = None
    enabled: bool = True
    project: str | None = None  # a GCP project of the user's own (standard tier; §2.3)
    login_hint: str | None = None


class GoogleLoginCallback(msgspec.Struct, kw_only=True):
    state: str
    code: str | None = None
    error: str | None = None
    error_description: str | None = None


def _verifier_context(state: str) -> str:
    return f"login:google:{state}:verifier"


class GoogleLogins:
    def __init__(self, ctx: RefresherContext, schedule: RefreshSchedule) -> None:
        self.ctx = ctx
        self.schedule = schedule

    async def start(self, request: GoogleLoginStart) -> dict[str, object]:
        ctx = self.ctx
        settings = ctx.settings
        if not settings.google_oauth_client_id:
            raise LoginError(400, NO_CLIENT)
        parts = urlsplit(request.redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise LoginError(400, "redirect_uri must be the http(s) URL of the console's OAuth callback page")
        state = new_state()
        verifier = new_code_verifier()
        ttl = ctx.policy.google_login_ttl
        key = keys.google_login(state)
        async with ctx.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={
                "verifier": ctx.seal(verifier, _verifier_context(state)),
                "redirectUri": request.redirect_uri,
                "label": request.label or "",
                "enabled": "1" if request.enabled else "0",
                "project": request.project or "",
                "startedAt": repr(time.time()),
            })
            pipe.expire(key, int(ttl))
            await pipe.execute()
        url = authorization_url(settings.google_oauth_authorize_url, client_id=settings.google_oauth_client_id,
                                redirect_uri=request.redirect_uri, state=state, verifier=verifier,
                                login_hint=request.login_hint)
        metrics.logins.inc("google", "started")
        return {"authorizationUrl": url, "state": state, "expiresIn": int(ttl)}

    async def callback(self, request: GoogleLoginCallback) -> dict[str, object]:
        ctx = self.ctx
        settings = ctx.settings
        key = keys.google_login(request.state)
        async with ctx.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.delete(key)  # a state is good for one callback only
            flow, _ = await pipe.execute()
        if not flow:
            raise LoginError(400, "unknown or expired login state: start the Google login again")
        if request.error:
            metrics.logins.inc("google", "denied")
            detail = f" ({request.error_description})" if request.error_description else ""
            raise LoginError(400, f"Google sign-in did not complete: {request.error}{detail}")
        if not request.code:
            raise LoginError(400, "the callback carries neither `code` nor `error`")
        verifier = ctx.unseal(flow["verifier"], _verifier_context(request.state))
        try:
            tokens = await ctx.google().exchange_code(
                client_id=settings.google_oauth_client_id, client_secret=settings.google_oauth_client_secret,
                code=request.code, redirect_uri=flow["redirectUri"], verifier=verifier)
        except TokenError as error:
            metrics.logins.inc("google", "error")
            if error.permanent or error.code in ("invalid_request", "redirect_uri_mismatch"):
                raise LoginError(400, f"Google rejected the authorization code: {error.message}") from None
            raise LoginError(502, f"Google OAuth error: {error.message}") from None
        if not tokens.refresh_token:
            metrics.logins.inc("google", "error")
            raise LoginError(502, "Google returned no refresh token (the consent URL asks for offline access "
                                  "and prompt=consent; revoke q2api's access in the Google account and retry)")
        setup = CodeAssistSetup(ctx.session, settings.gemini_code_assist_endpoint, tokens.access_token,
                                timeout=ctx.policy.token_http_timeout, proxy=proxy_for(None, settings.http_proxy),
                                poll_interval=ctx.policy.onboard_poll_interval, max_wait=ctx.policy.onboard_max_wait)
        try:
            project = await setup.project(flow.get("project") or None)
        except SetupError as error:
            metrics.logins.inc("google", "error")
            raise LoginError(error.status, error.message) from None
        now = time.time()
        email = email_of(tokens.id_token)
        account = await ctx.store.create_account(
            "gemini",
            label=flow.get("label") or email,
            # Refresh tokens are bound to the client that minted them (§1.1): keep the pair with the
            # account, so changing the settings later does not strand it.
            client_id=settings.google_oauth_client_id,
            client_secret=settings.google_oauth_client_secret or None,
            refresh_token=tokens.refresh_token,
            access_token=tokens.access_token,
            access_token_expires_at=expiry_of(tokens.access_token, tokens.expires_in, now),
            project=project.project_id,
            enabled=flow.get("enabled", "1") == "1",
            other={"source": "google_oauth", "email": email, "tier": project.tier_id},
        )
        await ctx.publish(account, tokens.access_token)
        await self.schedule.after_refresh(account, tokens.access_token, now)
        metrics.logins.inc("google", "completed")
        return {"status": "completed", "account": msgspec.to_builtins(account)}
