"""Finding or provisioning a Gemini Code Assist account's project (gemini-code-assist.md §2.3), the way
the official client does it: `loadCodeAssist`; an onboarded user's project is in its answer;
otherwise `onboardUser` to the default allowed tier (no project for the free tier — sending one fails
with Precondition Failed — the caller's project for a user-defined tier), then poll the long-running
operation until `done`. The project is a string in loadCodeAssist, an object `{id, name}` in the
operation's response (§11.2); the shared Structs read either.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp
import msgspec

from services.refresher.errors import TokenError
from services.refresher.http import call
from shared.schemas.gemini_setup import (
    ClientMetadata,
    LoadCodeAssistRequest,
    LoadCodeAssistResponse,
    OnboardUserOperation,
    OnboardUserRequest,
    UserTier,
)

UPSTREAM = "Gemini Code Assist"
API_VERSION = "v1internal"
FALLBACK_TIER = UserTier(id="legacy-tier", user_defined_cloudaicompanion_project=True)  # §2.3 step 4


class SetupError(Exception):
    """The account cannot be set up; `status` 400 when the operator can fix it, 502 when Google failed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class CodeAssistProject:
    project_id: str
    tier_id: str


class _GoogleError(msgspec.Struct):
    code: int | None = None
    message: str | None = None
    status: str | None = None


class _GoogleErrorBody(msgspec.Struct):
    error: _GoogleError | None = None


def _metadata(project: str | None) -> ClientMetadata:
    # §2.1: the setup path sends only ideType/platform/pluginType (+ duetProject).
    return ClientMetadata(ide_type="IDE_UNSPECIFIED", platform="PLATFORM_UNSPECIFIED", plugin_type="GEMINI",
                          duet_project=project or None)


class CodeAssistSetup:
    def __init__(self, session: aiohttp.ClientSession, endpoint: str, access_token: str, *, timeout: float,
                 proxy: str | None, poll_interval: float, max_wait: float) -> None:
        self.session = session
        self.base = endpoint.rstrip("/") + "/" + API_VERSION
        self.headers = {"authorization": f"Bearer {access_token}"}
        self.timeout = timeout
        self.proxy = proxy
        self.poll_interval = poll_interval
        self.max_wait = max_wait

    async def _call(self, method: str, url: str, what: str, payload: msgspec.Struct | None = None) -> bytes:
        try:
            answer = await call(self.session, method, url, upstream=UPSTREAM, timeout_s=self.timeout, proxy=self.proxy,
                                json=msgspec.to_builtins(payload) if payload is not None else None,
                                headers=self.headers)
        except TokenError as error:
            raise SetupError(502, error.message) from None
        if answer.status >= 400:
            try:
                detail = msgspec.json.decode(answer.body, type=_GoogleErrorBody).error
            except msgspec.DecodeError:
                detail = None
            text = (detail.message if detail and detail.message else answer.body[:200].decode(errors="replace"))
            raise SetupError(502, f"{UPSTREAM} {what} answered {answer.status}: {text}")
        return answer.body

    async def load(self, project: str | None) -> LoadCodeAssistResponse:
        request = LoadCodeAssistRequest(cloudaicompanion_project=project or None, metadata=_metadata(project))
        body = await self._call("POST", f"{self.base}:loadCodeAssist", "loadCodeAssist", request)
        return _decode(body, LoadCodeAssistResponse, "loadCodeAssist")

    async def project(self, requested: str | None = None) -> CodeAssistProject:
        """§2.3: the project to send with every generate call, onboarding the user when needed."""
        loaded = await self.load(requested)
        if loaded.current_tier is not None:
            project = loaded.project_id or requested
            if not project:
                raise SetupError(400, "this Google account is onboarded to Gemini Code Assist but names no project; "
                                      "pass the GCP project to use" + _ineligible(loaded))
            tier = (loaded.paid_tier and loaded.paid_tier.id) or loaded.current_tier.id or "standard-tier"
            return CodeAssistProject(project, tier)
        for ineligible in loaded.ineligible_tiers or ():
            if ineligible.reason_code == "VALIDATION_REQUIRED" and ineligible.validation_url:
                raise SetupError(400, "Google asks this account to verify itself first: open "
                                      f"{ineligible.validation_url} and then log in again")
        tier = loaded.default_tier() or FALLBACK_TIER
        user_defined = bool(tier.user_defined_cloudaicompanion_project)
        if user_defined and not requested:
            raise SetupError(400, f"this Google account's Code Assist tier ({tier.id}) needs a GCP project of "
                                  "your own: start the login again with `project`" + _ineligible(loaded))
        onboard_project = requested if user_defined else None
        request = OnboardUserRequest(tier_id=tier.id or FALLBACK_TIER.id or "", metadata=_metadata(onboard_project),
                                     cloudaicompanion_project=onboard_project)
        body = await self._call("POST", f"{self.base}:onboardUser", "onboardUser", request)
        operation = await self._until_done(_decode(body, OnboardUserOperation, "onboardUser"))
        project = (operation.response.project_id if operation.response else None) or requested
        if not project:
            raise SetupError(502, f"{UPSTREAM} onboardUser finished without a project")
        return CodeAssistProject(project, tier.id or "")

    async def _until_done(self, operation: OnboardUserOperation) -> OnboardUserOperation:
        """§2.3 step 5: poll `GET /v1internal/<name>` until `done: true`."""
        deadline = time.monotonic() + self.max_wait
        while not operation.done:
            if not operation.name:
                raise SetupError(502, f"{UPSTREAM} onboardUser answered an unfinished operation without a name")
            if time.monotonic() >= deadline:
                raise SetupError(502, f"{UPSTREAM} onboardUser did not finish within {self.max_wait:g} s; try again")
            await asyncio.sleep(self.poll_interval)
            body = await self._call("GET", f"{self.base}/{operation.name}", "operation")
            operation = _decode(body, OnboardUserOperation, "operation")
        if operation.error:
            raise SetupError(502, f"{UPSTREAM} onboardUser failed: {operation.error.get('message') or operation.error}")
        return operation


def _decode(body: bytes, kind: type, what: str):
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.DecodeError as exc:
        raise SetupError(502, f"{UPSTREAM} {what}: unexpected answer ({exc})") from None


def _ineligible(loaded: LoadCodeAssistResponse) -> str:
    reasons = [t.reason_message or t.reason_code or "" for t in loaded.ineligible_tiers or ()]
    reasons = [r for r in reasons if r]
    return f" (Google says: {'; '.join(reasons)})" if reasons else ""
