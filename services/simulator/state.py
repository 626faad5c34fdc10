"""What the simulated AWS side remembers: OIDC clients, users and their tokens, device logins, scripts,
faults, attempt counters, the request log and counters.

Plain in-process data (the simulator is one process on loopback). All expiry checks use `now()`,
which the control API can move forward (`POST /_sim/clock`), so a test can let a token or a device code
expire without sleeping. Nothing here knows about HTTP or wire formats.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Literal

from services.simulator.config import SimulatorConfig
from services.simulator.jwt_tokens import TokenMinter

_ATTEMPT_KEYS = 10_000  # bound on remembered conversations for [[status:NNN*K]]
# RFC 8628 §6.1: user codes from an alphabet without look-alikes, shown as ABCD-EFGH.
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
_BASE62 = string.ascii_letters + string.digits


def random_base62(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


# ---------------------------------------------------------------- records


@dataclass
class OidcClient:
    client_id: str
    client_secret: str
    client_name: str
    client_type: str
    scopes: list[str]
    issued_at: int
    secret_expires_at: int


@dataclass
class AccessTokenRecord:
    user_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshTokenRecord:
    user_id: str
    client_id: str
    revoked: bool = False


@dataclass
class AwsUser:
    user_id: str
    account_id: str  # 12 digits, as in the suspension message (amazonq.md §4.2)
    email: str
    client_id: str  # the OIDC client its refresh tokens are bound to
    refresh_token: str
    created_at: float
    rotate_refresh_token: bool | None = None  # None: the global setting
    access_token_lifetime: float | None = None  # None: the global setting
    monthly_limit: int | None = None  # None: not enforced
    monthly_usage: int = 0  # GenerateAssistantResponse calls answered 200
    credits_used: float = 0.0  # the sum of their meteringEvent usage
    script: deque[Any] = field(default_factory=deque)  # one-shot responses, consumed in order
    faults: list[Any] = field(default_factory=list)  # persistent faults, applied to every request
    requests: deque[dict[str, Any]] = field(default_factory=deque)
    counters: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "accountId": self.account_id,
            "email": self.email,
            "clientId": self.client_id,
            "refreshToken": self.refresh_token,
            "rotateRefreshToken": self.rotate_refresh_token,
            "accessTokenLifetime": self.access_token_lifetime,
            "monthlyLimit": self.monthly_limit,
            "monthlyUsage": self.monthly_usage,
            "creditsUsed": self.credits_used,
            "script": [getattr(item, "source", None) for item in self.script],
            "faults": [getattr(item, "source", None) for item in self.faults],
            "counters": dict(self.counters),
        }


DeviceStatus = Literal["pending", "approved", "denied", "consumed"]


@dataclass
class DeviceAuthorization:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    created_at: float
    expires_at: float
    interval: int  # grows by slow_down_increment on each slow_down
    status: DeviceStatus = "pending"
    last_poll: float | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str


# ---------------------------------------------------------------- the state


class SimState:
    def __init__(self, config: SimulatorConfig, minter: TokenMinter | None = None) -> None:
        self.config = config
        self.minter = minter or TokenMinter("q2api-simulator/aws")
        self.reset()

    def reset(self) -> None:
        self.settings = self.config
        self.clock_offset = 0.0
        self.clients: dict[str, OidcClient] = {}
        self.users: dict[str, AwsUser] = {}
        self.access_tokens: dict[str, AccessTokenRecord] = {}
        self.refresh_tokens: dict[str, RefreshTokenRecord] = {}
        self.devices: dict[str, DeviceAuthorization] = {}  # by device code
        self.user_codes: dict[str, str] = {}  # user code -> device code
        self.attempts: OrderedDict[str, int] = OrderedDict()
        self.requests: deque[dict[str, Any]] = deque(maxlen=self.config.request_log_size * 4)
        self.counters: dict[str, int] = {}

    # -- time

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        self.clock_offset += seconds

    # -- counters and the request log

    def count(self, name: str, user: AwsUser | None = None) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1
        if user is not None:
            user.counters[name] = user.counters.get(name, 0) + 1

    def log_request(self, entry: dict[str, Any], user: AwsUser | None) -> None:
        """Keep `entry` (mutable: handlers fill in the outcome later) in the global and user logs."""
        self.requests.append(entry)
        if user is not None:
            size = self.settings.request_log_size
            if user.requests.maxlen != size:
                user.requests = deque(user.requests, maxlen=size)
            user.requests.append(entry)

    # -- OIDC clients

    def register_client(self, name: str, client_type: str = "public", scopes: list[str] | None = None) -> OidcClient:
        issued = int(self.now())
        client = OidcClient(
            client_id=random_base62(22),
            client_secret="sim-secret." + secrets.token_urlsafe(48),
            client_name=name,
            client_type=client_type,
            scopes=list(scopes or []),
            issued_at=issued,
            secret_expires_at=issued + self.settings.client_secret_lifetime,
        )
        self.clients[client.client_id] = client
        return client

    def client_if_valid(self, client_id: str, client_secret: str) -> OidcClient | None:
        """The registration, when the id and secret match and the secret has not expired."""
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, client_secret):
            return None
        if self.now() >= client.secret_expires_at:
            return None
        return client

    # -- users and tokens

    def create_user(
        self,
        *,
        client: OidcClient | None = None,
        email: str | None = None,
        rotate_refresh_token: bool | None = None,
        access_token_lifetime: float | None = None,
        monthly_limit: int | None = None,
    ) -> AwsUser:
        client = client or self.register_client("q2api simulated user")
        user_id = "u-" + uuid.uuid4().hex[:16]
        user = AwsUser(
            user_id=user_id,
            account_id="".join(secrets.choice(string.digits[1:]) for _ in range(12)),
            email=email or f"{user_id}@example.com",
            client_id=client.client_id,
            refresh_token="",
            created_at=self.now(),
            rotate_refresh_token=rotate_refresh_token,
            access_token_lifetime=access_token_lifetime,
            monthly_limit=monthly_limit,
            requests=deque(maxlen=self.settings.request_log_size),
        )
        self.users[user_id] = user
        self._new_refresh_token(user)
        return user

    def _new_refresh_token(self, user: AwsUser) -> str:
        # Real AWS refresh tokens are opaque strings starting "aor" (access tokens "aoa").
        token = "aorAAAAAG" + secrets.token_urlsafe(96)
        self.refresh_tokens[token] = RefreshTokenRecord(user.user_id, user.client_id)
        user.refresh_token = token
        return token

    def mint_access_token(self, user: AwsUser, lifetime: float | None = None) -> tuple[str, float]:
        """A new access token for `user` and its lifetime in seconds."""
        if lifetime is None:
            lifetime = user.access_token_lifetime or self.settings.access_token_lifetime
        # The JWT `exp` follows the simulator's clock, which the control API may have moved.
        token = self.minter.mint(user.user_id, lifetime + self.clock_offset)
        self.access_tokens[token] = AccessTokenRecord(user.user_id, self.now() + lifetime)
        self.count("access_tokens_issued", user)
        return token, lifetime

    def user_for_access_token(self, token: str) -> tuple[AwsUser | None, str]:
        """The user an unexpired, unrevoked access token belongs to, or None and what is wrong."""
        record = self.access_tokens.get(token)
        if record is None:
            # Not issued here: a forged or tampered signature, a token of an earlier run, or junk.
            return None, "unknown" if self.minter.read(token) is None else "not issued by this state"
        if record.revoked:
            return None, "revoked"
        if self.now() >= record.expires_at:
            return None, "expired"
        user = self.users.get(record.user_id)
        return (user, "") if user is not None else (None, "user deleted")

    def expire_access_tokens(self, user: AwsUser, token: str | None = None) -> int:
        return self._mark_access_tokens(user, token, expire=True)

    def revoke_access_tokens(self, user: AwsUser, token: str | None = None) -> int:
        return self._mark_access_tokens(user, token, expire=False)

    def _mark_access_tokens(self, user: AwsUser, token: str | None, *, expire: bool) -> int:
        now = self.now()
        changed = 0
        for value, record in self.access_tokens.items():
            if record.user_id != user.user_id or (token is not None and value != token):
                continue
            if expire:
                record.expires_at = min(record.expires_at, now)
            else:
                record.revoked = True
            changed += 1
        return changed

    def revoke_refresh_tokens(self, user: AwsUser, token: str | None = None) -> int:
        changed = 0
        for value, record in self.refresh_tokens.items():
            if record.user_id == user.user_id and not record.revoked and (token is None or value == token):
                record.revoked = True
                changed += 1
        return changed

    def refresh_record(self, token: str) -> RefreshTokenRecord | None:
        record = self.refresh_tokens.get(token)
        return None if record is None or record.revoked else record

    def refresh(self, user: AwsUser) -> IssuedTokens:
        """The refresh_token grant for a checked request: a new access token, and a new refresh token
        when rotation is on (the old one then stops working at once)."""
        rotate = user.rotate_refresh_token
        if rotate is None:
            rotate = self.settings.rotate_refresh_tokens
        if rotate:
            self.revoke_refresh_tokens(user)
            self._new_refresh_token(user)
        access, lifetime = self.mint_access_token(user)
        self.count("refresh_grants", user)
        return IssuedTokens(access, int(lifetime), user.refresh_token)

    # -- device authorization (RFC 8628, amazonq.md §6)

    def start_device_authorization(self, client: OidcClient, start_url: str) -> DeviceAuthorization:
        now = self.now()
        user_code = self._new_user_code()
        device = DeviceAuthorization(
            device_code=secrets.token_urlsafe(48),
            user_code=user_code,
            client_id=client.client_id,
            start_url=start_url,
            created_at=now,
            expires_at=now + self.settings.device_expires_in,
            interval=self.settings.device_interval,
        )
        self.devices[device.device_code] = device
        self.user_codes[user_code] = device.device_code
        self.count("device_authorizations")
        return device

    def _new_user_code(self) -> str:
        while True:
            raw = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
            code = f"{raw[:4]}-{raw[4:]}"
            if code not in self.user_codes:
                return code

    def device_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        device_code = self.user_codes.get(user_code.strip().upper())
        return self.devices.get(device_code) if device_code else None

    def approve_device(self, device: DeviceAuthorization) -> AwsUser:
        """The person approved: the simulated user whose tokens the next poll returns."""
        client = self.clients[device.client_id]
        user = self.create_user(client=client)
        device.status = "approved"
        device.user_id = user.user_id
        return user

    def deny_device(self, device: DeviceAuthorization) -> None:
        device.status = "denied"

    # -- [[status:NNN*K]]

    def next_attempt(self, conversation_key: str) -> int:
        """1 for the first request of a conversation, 2 for its first retry, …"""
        attempt = self.attempts.pop(conversation_key, 0) + 1
        self.attempts[conversation_key] = attempt
        if len(self.attempts) > _ATTEMPT_KEYS:
            self.attempts.popitem(last=False)
        return attempt
