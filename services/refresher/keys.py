"""The Redis keys only the refresher uses (the shared ones — REFRESH_DUE, REFRESH_NOW, accounts, pools —
live in `shared.redis.keys`). Same prefix and hash tag, so `redis-cli --scan --pattern 'q2a:*'` lists
these too.

    q2a:{q2a}:refresh:lock:<account id>   string, PX   one refresh of the account at a time (token value)
    q2a:{q2a}:refresh:backoff             hash         account id -> consecutive transient failures
    q2a:{q2a}:refresh:rebuild             string, PX   one replica rebuilds the schedule per interval
    q2a:{q2a}:login:aws:<auth id>         hash, TTL    one device-code login (secrets sealed)
    q2a:{q2a}:login:aws:<auth id>:poller  string, PX   the replica polling that login's CreateToken
    q2a:{q2a}:login:aws:pending           sorted set   auth id -> deadline, logins still pending
    q2a:{q2a}:login:google:<state>        hash, TTL    one Google OAuth login (PKCE verifier sealed)
"""

from __future__ import annotations

from shared.redis.keys import PREFIX, REFRESH_DUE, REFRESH_NOW

__all__ = [
    "DEVICE_LOGINS_PENDING",
    "REFRESH_BACKOFF",
    "REFRESH_DUE",
    "REFRESH_NOW",
    "REFRESH_REBUILD",
    "device_login",
    "device_login_poller",
    "google_login",
    "refresh_lock",
]

REFRESH_BACKOFF = PREFIX + "refresh:backoff"
REFRESH_REBUILD = PREFIX + "refresh:rebuild"
DEVICE_LOGINS_PENDING = PREFIX + "login:aws:pending"


def refresh_lock(account_id: str) -> str:
    return f"{PREFIX}refresh:lock:{account_id}"


def device_login(auth_id: str) -> str:
    return f"{PREFIX}login:aws:{auth_id}"


def device_login_poller(auth_id: str) -> str:
    return f"{PREFIX}login:aws:{auth_id}:poller"


def google_login(state: str) -> str:
    return f"{PREFIX}login:google:{state}"
