"""The refresher's timing knobs, in one frozen object.

Every value has a production default here (module constants until they become settings); tests build
a `RefresherPolicy` with short times and pass it to `create_app`, never by patching globals.
"""

from __future__ import annotations

from dataclasses import dataclass

# Fraction of REFRESH_LEAD_TIME added, at most, as jitter: with the default lead of 300 s a pool of
# accounts that all logged in at once spreads its refreshes over a minute instead of one instant.
JITTER_FRACTION = 0.2
# A token is never refreshed earlier than this share of its lifetime before expiry: with a lead time
# longer than the token lives (a 5-minute lead and 3-minute tokens) it would otherwise be refreshed
# continuously.
MAX_LEAD_SHARE = 0.5
# The due set is polled this often even when no `refresh:now` message arrives (pub/sub is lossy).
POLL_INTERVAL = 1.0
# The schedule is rebuilt from the store this often (accounts added, changed or re-enabled).
REBUILD_INTERVAL = 15.0
# One refresh attempt holds the account's lock at most this long; it must exceed TOKEN_HTTP_TIMEOUT so
# that a lock never expires while its holder may still receive a rotated refresh token.
LOCK_TTL = 30.0
TOKEN_HTTP_TIMEOUT = 15.0
# How long an on-demand refresh (admin API) waits for another refresher's lock on the same account.
LOCK_WAIT = 20.0
# Transient failures (network, 5xx, 429, slow_down): exponential backoff with jitter, capped.
BACKOFF_BASE = 2.0
BACKOFF_MAX = 300.0
MAX_CONCURRENT_REFRESHES = 16
# Seconds a stopping refresher lets in-flight refreshes finish before cancelling them.
SHUTDOWN_GRACE = 10.0

# Device-code login (amazonq.md §6).
SLOW_DOWN_INCREMENT = 5.0  # RFC 8628 §3.5
CLAIM_WAIT = 300.0  # seed: claim blocks up to 5 minutes
LOGIN_RETENTION = 900.0  # a finished login stays readable (status, claim) this long
POLLER_LOCK_TTL = 30.0
SWEEP_INTERVAL = 2.0  # how often a replica looks for logins nobody polls (their poller died)

# Google OAuth login (gemini-code-assist.md §1, §2).
GOOGLE_LOGIN_TTL = 600.0  # the consent page must be answered within 10 minutes
ONBOARD_POLL_INTERVAL = 5.0  # the Gemini CLI polls the onboardUser operation every 5 s (§2.3)
ONBOARD_MAX_WAIT = 60.0


@dataclass(frozen=True)
class RefresherPolicy:
    jitter_fraction: float = JITTER_FRACTION
    max_lead_share: float = MAX_LEAD_SHARE
    poll_interval: float = POLL_INTERVAL
    rebuild_interval: float = REBUILD_INTERVAL
    lock_ttl: float = LOCK_TTL
    token_http_timeout: float = TOKEN_HTTP_TIMEOUT
    lock_wait: float = LOCK_WAIT
    backoff_base: float = BACKOFF_BASE
    backoff_max: float = BACKOFF_MAX
    max_concurrent_refreshes: int = MAX_CONCURRENT_REFRESHES
    shutdown_grace: float = SHUTDOWN_GRACE
    slow_down_increment: float = SLOW_DOWN_INCREMENT
    claim_wait: float = CLAIM_WAIT
    login_retention: float = LOGIN_RETENTION
    poller_lock_ttl: float = POLLER_LOCK_TTL
    sweep_interval: float = SWEEP_INTERVAL
    google_login_ttl: float = GOOGLE_LOGIN_TTL
    onboard_poll_interval: float = ONBOARD_POLL_INTERVAL
    onboard_max_wait: float = ONBOARD_MAX_WAIT
