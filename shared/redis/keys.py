"""Every Redis key q2api uses, in one place.

All keys start with `q2a:{q2a}:` — one prefix so `redis-cli --scan --pattern 'q2a:*'` lists them all,
and one hash tag so every multi-key script stays on one slot of a Redis Cluster. Nobody builds key
strings by hand outside this module (the Lua scripts get the prefix as KEYS[1] and build the same
names; each script's header lists them). The layout is documented in the README ("Inspecting with
redis-cli").
"""

from __future__ import annotations

PREFIX = "q2a:{q2a}:"

GENERATION = PREFIX + "generation"  # the store generation Redis was last rebuilt from
LEASES = PREFIX + "leases"  # sorted set: lease id -> deadline
EVENTS = PREFIX + "events"  # stream: one entry per released lease (outcome, usage)
REFRESH_DUE = PREFIX + "refresh:due"  # sorted set: account id -> when its token should be refreshed
REFRESH_NOW = PREFIX + "refresh:now"  # pub/sub channel: account ids whose token was rejected
TRANSLATORS = PREFIX + "translators"  # hash: translator id -> JSON {url, inflight, seen}


def account(account_id: str) -> str:
    """Serving state of one account (hash)."""
    return f"{PREFIX}acct:{account_id}"


def pool(provider: str) -> str:
    """Accounts of a provider that may serve (sorted set, scored by the operator's order)."""
    return f"{PREFIX}pool:{provider}"


def lease(lease_id: str) -> str:
    return f"{PREFIX}lease:{lease_id}"


def affinity(session: str) -> str:
    return f"{PREFIX}affinity:{session}"


def key_inflight(key_id: str) -> str:
    return f"{PREFIX}keyinflight:{key_id}"


def key_rpm(key_id: str, minute: int) -> str:
    return f"{PREFIX}keyrpm:{key_id}:{minute}"


def key_tpm(key_id: str, minute: int) -> str:
    return f"{PREFIX}keytpm:{key_id}:{minute}"


# -- refresher: token refresh and login flows
REFRESH_BACKOFF = PREFIX + "refresh:backoff"  # hash: account id -> consecutive transient failures
REFRESH_REBUILD = PREFIX + "refresh:rebuild"  # string (PX): one replica rebuilds the schedule per interval
DEVICE_LOGINS_PENDING = PREFIX + "login:aws:pending"  # sorted set: auth id -> deadline


def refresh_lock(account_id: str) -> str:
    """One refresh of the account at a time (string with the holder's token, PX)."""
    return f"{PREFIX}refresh:lock:{account_id}"


def device_login(auth_id: str) -> str:
    """One device-code login (hash, TTL; secrets sealed with the credentials key)."""
    return f"{PREFIX}login:aws:{auth_id}"


def device_login_poller(auth_id: str) -> str:
    """The replica polling that login's CreateToken (string, PX)."""
    return f"{PREFIX}login:aws:{auth_id}:poller"


def google_login(state: str) -> str:
    """One Google OAuth login (hash, TTL; PKCE verifier sealed)."""
    return f"{PREFIX}login:google:{state}"
