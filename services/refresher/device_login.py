"""Amazon Q device-code login (amazonq.md §6, RFC 8628), for Builder ID and IAM Identity Center.

`start` registers a public OIDC client, starts the device authorization and stores the flow in Redis
(client secret and device code sealed with the credentials key: secrets never sit in Redis in clear),
so any replica can answer `status` and `claim`. Exactly one replica polls CreateToken for a flow — the
holder of its poller lock; if that replica dies, the lock expires and a sweeping replica (or the next
`claim`) adopts the flow. Polling honours `interval`, `slow_down` (+5 s), `authorization_pending`,
`expired_token`, `access_denied` and the code's expiry. On approval the account is created in the
store under an id reserved at start (so a poller that crashed right after creating it is recognised
by the next one), then published to the Redis pool and scheduled for refresh.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass

import msgspec
from redis.exceptions import RedisError

from services.refresher import metrics
from services.refresher.background import stop_tasks
from services.refresher.context import RefresherContext
from services.refresher.errors import TokenError
from services.refresher.lock import redis_lock, release_quietly, still_held, try_acquire
from services.refresher.oidc import DEFAULT_REGION
from services.refresher.schedule import RefreshSchedule
from services.refresher.tokens import TokenGrant
from shared.redis import keys
from shared.store import Account, ConflictError

log = logging.getLogger("q2api.refresher.login")

TERMINAL = ("completed", "timeout", "error", "denied")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")


class LoginError(Exception):
    """A request the login routes answer with `http_status` and `{"error": message}`."""

    def __init__(self, http_status: int, message: str, **extra: object) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.extra = extra


class DeviceLoginStart(msgspec.Struct, kw_only=True):
    """`POST …/auth/start` (seed EP-Q-13, plus IAM Identity Center's start URL and region)."""

    label: str | None = None
    enabled: bool = True
    startUrl: str | None = None
    region: str | None = None
    profileArn: str | None = None


@dataclass(frozen=True)
class DeviceFlow:
    auth_id: str
    status: str
    account_id: str
    label: str | None
    enabled: bool
    start_url: str
    region: str
    profile_arn: str | None
    client_id: str
    sealed_secret: str
    sealed_device_code: str
    user_code: str
    interval: float
    deadline: float
    error: str | None

    @classmethod
    def from_hash(cls, auth_id: str, data: dict[str, str]) -> DeviceFlow:
        return cls(
            auth_id=auth_id, status=data.get("status", "error"), account_id=data.get("accountId", ""),
            label=data.get("label") or None, enabled=data.get("enabled", "1") == "1",
            start_url=data.get("startUrl", ""), region=data.get("region") or DEFAULT_REGION,
            profile_arn=data.get("profileArn") or None, client_id=data.get("clientId", ""),
            sealed_secret=data.get("clientSecret", ""), sealed_device_code=data.get("deviceCode", ""),
            user_code=data.get("userCode", ""), interval=float(data.get("interval") or 1),
            deadline=float(data.get("deadline") or 0), error=data.get("error") or None,
        )

    def status_view(self, now: float) -> dict[str, object]:
        """Seed EP-Q-14: `{status, remaining, error, accountId}`."""
        status = self.status
        if status == "pending" and now >= self.deadline:
            status = "timeout"  # its poller is gone; the sweeper will record it
        return {
            "status": status,
            "remaining": max(0, int(self.deadline - now)),
            "error": self.error,
            "accountId": self.account_id if status == "completed" else None,
        }


def _secret_context(auth_id: str, name: str) -> str:
    return f"login:{auth_id}:{name}"


class DeviceLogins:
    def __init__(self, ctx: RefresherContext, schedule: RefreshSchedule) -> None:
        self.ctx = ctx
        self.schedule = schedule
        self.pollers: dict[str, asyncio.Task] = {}

    # ------------------------------------------------------------------ start / status / claim

    async def start(self, request: DeviceLoginStart) -> dict[str, object]:
        ctx = self.ctx
        region = (request.region or DEFAULT_REGION).strip().lower()
        if not _REGION.match(region):
            raise LoginError(400, f"region {request.region!r} is not an AWS region name (e.g. us-east-1)")
        start_url = (request.startUrl or ctx.settings.aws_start_url).strip()
        if not start_url.startswith(("https://", "http://")):
            raise LoginError(400, "startUrl must be the http(s) start URL of your IAM Identity Center "
                                  "(or leave it out for Builder ID)")
        oidc = ctx.oidc(region)
        try:
            client = await oidc.register_client()
            device = await oidc.start_device_authorization(client.client_id, client.client_secret, start_url)
        except TokenError as error:
            metrics.logins.inc("aws_device", "oidc_error")
            raise LoginError(502, f"OIDC error: {error.message}") from None
        auth_id = uuid.uuid4().hex
        now = time.time()
        expires_in = max(1.0, float(device.expires_in))
        interval = max(1.0, float(device.interval))  # seed: max(1, interval)
        fields = {
            "status": "pending",
            "accountId": str(uuid.uuid4()),
            "label": request.label or "",
            "enabled": "1" if request.enabled else "0",
            "startUrl": start_url,
            "region": region,
            "profileArn": request.profileArn or "",
            "clientId": client.client_id,
            "clientSecret": ctx.seal(client.client_secret, _secret_context(auth_id, "clientSecret")),
            "deviceCode": ctx.seal(device.device_code, _secret_context(auth_id, "deviceCode")),
            "userCode": device.user_code,
            "interval": repr(interval),
            "startedAt": repr(now),
            "deadline": repr(now + expires_in),
        }
        async with ctx.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.device_login(auth_id), mapping=fields)
            pipe.expire(keys.device_login(auth_id), int(expires_in + ctx.policy.login_retention))
            pipe.zadd(keys.DEVICE_LOGINS_PENDING, {auth_id: now + expires_in})
            await pipe.execute()
        self.adopt(auth_id)
        metrics.logins.inc("aws_device", "started")
        return {
            "authId": auth_id,
            "verificationUriComplete": device.verification_uri_complete or device.verification_uri,
            "verificationUri": device.verification_uri,
            "userCode": device.user_code,
            "expiresIn": int(expires_in),
            "interval": int(interval),
        }

    async def flow(self, auth_id: str) -> DeviceFlow:
        data = await self.ctx.redis.hgetall(keys.device_login(auth_id)) if auth_id else {}
        if not data:
            raise LoginError(404, "Auth session not found")
        return DeviceFlow.from_hash(auth_id, data)

    async def status(self, auth_id: str) -> dict[str, object]:
        return (await self.flow(auth_id)).status_view(time.time())

    async def claim(self, auth_id: str) -> dict[str, object]:
        """Seed EP-Q-15: wait (up to CLAIM_WAIT) for the person to approve; answer the new account."""
        wait = self.ctx.policy.claim_wait
        until = time.monotonic() + wait
        while True:
            flow = await self.flow(auth_id)
            if flow.status == "completed":
                account = await self.ctx.store.get_account(flow.account_id)
                if account is None:
                    raise LoginError(410, "the account this login created was deleted since", status="completed")
                return {"status": "completed", "account": msgspec.to_builtins(account)}
            if flow.status in TERMINAL or (flow.status == "pending" and time.time() >= flow.deadline):
                raise _terminal_error(flow)
            if time.monotonic() >= until:
                shown = f"{wait / 60:g} minutes" if wait >= 60 else f"{wait:g} s"
                raise LoginError(408, f"Authorization timeout ({shown}): the sign-in was not approved yet; "
                                      "claim again or start a new login", status="pending")
            self.adopt(auth_id)
            await asyncio.sleep(min(0.25, max(0.0, until - time.monotonic())))

    # ------------------------------------------------------------------ polling

    def adopt(self, auth_id: str) -> None:
        """Poll this flow here unless this replica already does (the poller lock settles replicas)."""
        if auth_id in self.pollers:
            return
        task = asyncio.create_task(self._poll(auth_id), name=f"device-login:{auth_id}")
        self.pollers[auth_id] = task
        task.add_done_callback(lambda _t: self.pollers.pop(auth_id, None))

    async def _poll(self, auth_id: str) -> None:
        ctx = self.ctx
        policy = ctx.policy
        lock = redis_lock(ctx.redis, keys.device_login_poller(auth_id), policy.poller_lock_ttl)
        if not await try_acquire(lock):
            return
        try:
            flow = await self.flow(auth_id)
            if flow.status != "pending":
                await ctx.redis.zrem(keys.DEVICE_LOGINS_PENDING, auth_id)
                return
            secret = ctx.unseal(flow.sealed_secret, _secret_context(auth_id, "clientSecret"))
            device_code = ctx.unseal(flow.sealed_device_code, _secret_context(auth_id, "deviceCode"))
            oidc = ctx.oidc(flow.region)
            interval = flow.interval
            while True:
                # The lock must outlive the sleep and the poll that follows it.
                if not await still_held(lock, max(policy.poller_lock_ttl, interval + policy.token_http_timeout + 5)):
                    return
                await asyncio.sleep(interval)  # RFC 8628 §3.5 / QCLI: wait `interval` before every poll
                if time.time() >= flow.deadline:
                    await self._finish(auth_id, "timeout", "the sign-in code expired before it was approved")
                    return
                try:
                    grant = await oidc.device_token(flow.client_id, secret, device_code, now=time.time())
                except TokenError as error:
                    if error.code == "authorization_pending":
                        continue
                    if error.code == "slow_down":
                        interval += policy.slow_down_increment
                        await ctx.redis.hset(keys.device_login(auth_id), "interval", repr(interval))
                        continue
                    if error.code == "expired_token":
                        await self._finish(auth_id, "timeout", "the sign-in code expired before it was approved")
                        return
                    if error.code == "access_denied":
                        await self._finish(auth_id, "denied", "the sign-in request was denied on the AWS page")
                        return
                    if error.code == "invalid_grant" and await ctx.store.get_account(flow.account_id):
                        await self._finish(auth_id, "completed")  # we created it before a crash
                        return
                    if error.kind == "transient":
                        continue  # network or 5xx: keep polling until the code expires
                    await self._finish(auth_id, "error", f"OIDC error: {error.message}")
                    return
                # Shielded: the device code is spent; a stopping replica still records the account.
                await asyncio.shield(self._complete(flow, secret, grant))
                return
        except LoginError:
            return  # the flow vanished (its TTL ran out)
        except Exception:  # Redis or the store briefly away: a sweeping replica adopts the flow again
            log.warning("polling device login %s failed", auth_id, exc_info=True)
        finally:
            await release_quietly(lock)

    async def _complete(self, flow: DeviceFlow, client_secret: str, grant: TokenGrant) -> None:
        await self._create_account(flow, client_secret, grant)
        await self._finish(flow.auth_id, "completed")

    async def _create_account(self, flow: DeviceFlow, client_secret: str, grant: TokenGrant) -> Account:
        ctx = self.ctx
        try:
            account = await ctx.store.create_account(
                "amazonq",
                account_id=flow.account_id,
                label=flow.label,
                client_id=flow.client_id,
                client_secret=client_secret,
                refresh_token=grant.refresh_token,
                access_token=grant.access_token,
                access_token_expires_at=grant.expires_at,
                region=flow.region,
                profile_arn=flow.profile_arn,
                enabled=flow.enabled,
                other={"source": "device_login", "start_url": flow.start_url, "oidc_region": flow.region},
            )
        except ConflictError:
            existing = await ctx.store.get_account(flow.account_id)
            if existing is None:
                raise
            account = existing
        if not grant.refresh_token:
            log.warning("AWS returned no refresh token for login %s; the account lives until its token expires",
                        flow.auth_id)
        await ctx.publish(account, grant.access_token)
        await self.schedule.after_refresh(account, grant.access_token, time.time())
        log.info("device login %s created account %s", flow.auth_id, account.id, extra={"account": account.id})
        return account

    async def _finish(self, auth_id: str, status: str, error: str | None = None) -> None:
        key = keys.device_login(auth_id)
        async with self.ctx.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"status": status, "error": error or ""})
            pipe.hdel(key, "clientSecret", "deviceCode")  # no longer needed: keep no secret around
            pipe.expire(key, int(self.ctx.policy.login_retention))
            pipe.zrem(keys.DEVICE_LOGINS_PENDING, auth_id)
            await pipe.execute()
        metrics.logins.inc("aws_device", status)

    async def run_sweeper(self) -> None:
        """Adopt pending logins whose poller died; forget ones whose state expired."""
        redis = self.ctx.redis
        while True:
            try:
                for auth_id in await redis.zrange(keys.DEVICE_LOGINS_PENDING, 0, -1):
                    if await redis.exists(keys.device_login(auth_id)):
                        self.adopt(auth_id)
                    else:
                        await redis.zrem(keys.DEVICE_LOGINS_PENDING, auth_id)
            except (RedisError, OSError):
                log.warning("sweeping pending logins failed", exc_info=True)
            await asyncio.sleep(self.ctx.policy.sweep_interval)

    async def stop(self) -> None:
        await stop_tasks(list(self.pollers.values()))


def _terminal_error(flow: DeviceFlow) -> LoginError:
    # Never 401/403 here: accounts reads those from the refresher as "INTERNAL_TOKEN refused".
    if flow.status == "denied":
        return LoginError(400, flow.error or "the sign-in request was denied", status="denied")
    if flow.status in ("timeout", "pending"):
        return LoginError(410, flow.error or "the sign-in code expired before it was approved; start a new login",
                          status="timeout")
    return LoginError(502, flow.error or "the login failed", status="error")
