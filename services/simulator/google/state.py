"""Everything the simulated Google side remembers, in one in-process object (`GoogleSim`).

The simulator is a loopback test double, so state is plain memory: users and their refresh grants, OAuth
clients, pending consents and authorization codes, onboarding operations, API keys, quota counters,
scripted answers, persistent faults, per-conversation attempt counters and a request log. Handlers reach
it through the `GOOGLE_SIM` app key; tests and the demo change it through the `/_sim/google/…` routes.

"Principal" below is whoever a generate call is billed to: a user id for OAuth callers, the key string
for API-key callers. Quota, faults and scripts are kept per principal; conversation attempt counters are
not (see `GoogleSim.next_attempt`).
"""

from __future__ import annotations

import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from services.simulator.jwt_tokens import TokenMinter
from services.simulator.plan import Plan

# §1.1: a simulator "should accept any client id/secret or be configured with the pair". One pair is
# registered from the start so the demo works out of the box; the operator's pair is added with
# POST /_sim/google/clients (or `accept_any_client`).
DEFAULT_CLIENT_ID = "q2api-simulator.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "GOCSPX-q2api-simulator-secret"

# §1.2: what the Gemini CLI asks for; Google adds `openid` to the granted scope string.
GEMINI_CLI_SCOPES = (
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
)
DEFAULT_EXPIRES_IN = 3599  # §1.5

_WORDS_A = ("lucid", "brave", "quiet", "amber", "rapid", "noble", "sunny", "gentle", "vivid", "cosmic")
_WORDS_B = ("formula", "harbor", "meadow", "summit", "falcon", "beacon", "canyon", "orbit", "willow", "comet")


def managed_project_id() -> str:
    """A free-tier managed project id shaped like the real ones (``lucid-formula-q7k2m``, C4)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    suffix = "".join(secrets.choice(alphabet) for _ in range(5))
    return f"{secrets.choice(_WORDS_A)}-{secrets.choice(_WORDS_B)}-{suffix}"


@dataclass
class GoogleUser:
    user_id: str
    email: str
    tier_id: str = "free-tier"  # or "standard-tier": brings its own GCP project to onboardUser
    project_id: str | None = None
    onboarded: bool = False
    preview_access: bool = True
    models: frozenset[str] | None = None  # None: every catalogue model
    access_token_lifetime_s: float = DEFAULT_EXPIRES_IN
    consented_clients: set[str] = field(default_factory=set)
    issued_access_tokens: list[str] = field(default_factory=list)
    global_setting: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "email": self.email, "tier_id": self.tier_id, "project_id": self.project_id,
                "onboarded": self.onboarded, "preview_access": self.preview_access,
                "models": sorted(self.models) if self.models is not None else None,
                "access_token_lifetime_s": self.access_token_lifetime_s}


@dataclass
class RefreshGrant:
    """One refresh token. Google does not rotate them (§1.5); revocation is permanent (§1.6)."""

    token: str
    grant_id: str
    user_id: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class PendingConsent:
    """An authorization request waiting on the consent page (§1.3)."""

    consent_id: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    access_type: str
    prompt: str
    login_hint: str | None


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    issue_refresh_token: bool
    expires_at: float
    used: bool = False


@dataclass
class OnboardOperation:
    """A google.longrunning Operation from ``:onboardUser`` (§2.3 step 5)."""

    name: str
    user_id: str
    tier_id: str
    project_id: str
    polls_left: int  # observations that still answer done:false
    done: bool = False


@dataclass
class ApiKey:
    key: str
    label: str
    models: frozenset[str] | None = None
    revoked: bool = False


@dataclass
class QuotaRule:
    """A request budget per window; ``reason`` is QUOTA_EXHAUSTED (daily) or RATE_LIMIT_EXCEEDED (per minute)."""

    limit: int
    reason: str = "QUOTA_EXHAUSTED"
    window_s: float = 86400.0


@dataclass
class QuotaCounter:
    window_started: float
    used: int = 0


@dataclass
class Fault:
    """A persistent fault; ``remaining`` None means until cleared."""

    name: str
    params: dict[str, Any]
    remaining: int | None = None


@dataclass(frozen=True)
class RawAnswer:
    """A scripted answer sent byte for byte: status, headers and body (or body pieces)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    chunks: tuple[bytes, ...] = ()
    delay_ms: float = 0.0


ScriptEntry = Plan | RawAnswer


@dataclass
class SimConfig:
    default_expires_in: float = DEFAULT_EXPIRES_IN
    onboard_polls: int = 1  # how many observations of a new operation answer done:false
    accept_any_client: bool = False
    # Gemini API streaming errors: objects per the brief; arrays if set (see the report's note).
    gemini_api_stream_error_array: bool = False
    code_expiry_s: float = 600.0

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)


class GoogleSim:
    """The whole simulated Google side of one simulator process."""

    def __init__(self, clients: dict[str, str] | None = None, clock: Callable[[], float] | None = None) -> None:
        # The simulator's clock: the AWS side's `POST /_sim/clock` can move it, and Google tokens, codes
        # and quota windows expire by it too.
        self.now: Callable[[], float] = clock or time.time
        self.initial_clients = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET, **(clients or {})}
        # Secrets survive `reset()`, so tokens minted before a reset are still recognised as ours
        # (and then rejected because their user is gone), never as garbage.
        self.access_minter = TokenMinter("https://oauth2.googleapis.com/simulated")
        self.id_minter = TokenMinter("https://accounts.google.com")
        self.signature_secret = secrets.token_bytes(32)
        self.reset()

    def reset(self) -> None:
        self.config = SimConfig()
        self.clients: dict[str, str] = dict(self.initial_clients)
        self.users: dict[str, GoogleUser] = {}
        self.grants: dict[str, RefreshGrant] = {}  # refresh token -> grant
        self.consents: dict[str, PendingConsent] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.operations: dict[str, OnboardOperation] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.expired_access_tokens: set[str] = set()
        self.quota_rules: dict[tuple[str, str], QuotaRule] = {}  # (principal, model or "*")
        self.quota_counters: dict[tuple[str, str], QuotaCounter] = {}
        self.faults: dict[str, dict[str, Fault]] = {}  # principal or "*" -> name -> fault
        self.scripts: dict[str, deque[ScriptEntry]] = {}
        self.attempts: Counter[str] = Counter()  # conversation key -> tries, across principals
        self.request_log: deque[dict[str, Any]] = deque(maxlen=2000)
        self._log_seq = 0

    # ---------------------------------------------------------------- users and grants

    def create_user(self, email: str | None = None, **settings: Any) -> GoogleUser:
        user_id = "gu_" + secrets.token_hex(6)
        user = GoogleUser(user_id=user_id, email=email or f"{user_id}@sim.example.com", **settings)
        self.users[user_id] = user
        return user

    def user_by_email(self, email: str) -> GoogleUser | None:
        return next((u for u in self.users.values() if u.email.lower() == email.lower()), None)

    def grant_refresh_token(self, user: GoogleUser, client_id: str, scope: str) -> RefreshGrant:
        """A new refresh token in Google's ``1//`` shape."""
        token = "1//0" + secrets.token_urlsafe(72)
        grant = RefreshGrant(token=token, grant_id=secrets.token_hex(8), user_id=user.user_id, client_id=client_id,
                             scope=scope)
        self.grants[token] = grant
        return grant

    def grant_by_id(self, grant_id: str) -> RefreshGrant | None:
        return next((g for g in self.grants.values() if g.grant_id == grant_id), None)

    def client_ok(self, client_id: str, client_secret: str | None) -> str | None:
        """None when the pair is accepted, else the ``invalid_client`` description (§1.6)."""
        if self.config.accept_any_client:
            return None
        if client_id not in self.clients:
            return "The OAuth client was not found."
        if client_secret != self.clients[client_id]:
            return "Unauthorized"
        return None

    # ---------------------------------------------------------------- quota (per principal + model)

    def quota_rule(self, principal: str, model: str) -> QuotaRule | None:
        return self.quota_rules.get((principal, model)) or self.quota_rules.get((principal, "*"))

    def quota_counter(self, principal: str, model: str, rule: QuotaRule) -> QuotaCounter:
        counter = self.quota_counters.setdefault((principal, model), QuotaCounter(self.now()))
        if self.now() >= counter.window_started + rule.window_s:
            counter.used, counter.window_started = 0, self.now()
        return counter

    def spend_quota(self, principal: str, model: str) -> tuple[QuotaRule, float] | None:
        """Count one request; (rule, seconds until reset) when the budget was already spent."""
        rule = self.quota_rule(principal, model)
        if rule is None:
            self.quota_counters.setdefault((principal, model), QuotaCounter(self.now())).used += 1
            return None
        counter = self.quota_counter(principal, model, rule)
        if counter.used >= rule.limit:
            return rule, counter.window_started + rule.window_s - self.now()
        counter.used += 1
        return None

    # ---------------------------------------------------------------- faults and scripts

    def take_faults(self, principal: str, names: tuple[str, ...], *, first_only: bool = False) -> dict[str, Fault]:
        """The active faults among `names` for `principal` (or for everyone, "*"), each consuming one use.

        A principal's own fault wins over the same fault set for everyone.
        """
        found: dict[str, Fault] = {}
        for name in names:
            for owner in (principal, "*"):
                fault = self.faults.get(owner, {}).get(name)
                if fault is None:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        del self.faults[owner][name]
                found[name] = fault
                break
            if found and first_only:
                break
        return found

    def next_script(self, principal: str) -> ScriptEntry | None:
        queue = self.scripts.get(principal)
        return queue.popleft() if queue else None

    def next_attempt(self, conversation_key: str) -> int:
        """1-based try number of this conversation, for ``[[status:NNN*K]]``.

        Counted across principals: a gateway that rotates to another account after a 429 is retrying
        the same conversation, and ``[[status:429*2]]`` must let its third try through.
        """
        self.attempts[conversation_key] += 1
        return self.attempts[conversation_key]

    # ---------------------------------------------------------------- request log

    def log(self, entry: dict[str, Any]) -> dict[str, Any]:
        self._log_seq += 1
        entry = {"seq": self._log_seq, "time": time.time(), **entry}
        self.request_log.append(entry)
        return entry


GOOGLE_SIM = web.AppKey("google_sim", GoogleSim)
