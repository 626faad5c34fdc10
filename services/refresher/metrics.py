"""The refresher's Prometheus metrics (rendered by every service's /metrics)."""

from __future__ import annotations

from shared.metrics import REGISTRY

refreshes = REGISTRY.counter(
    "q2api_refresher_refreshes_total",
    "Token refresh attempts by provider and result (ok, retry: transient failure rescheduled, "
    "invalid: credential rejected, error: not attempted for a configuration problem)",
    ("provider", "result"),
)
soonest_expiry = REGISTRY.gauge(
    "q2api_refresher_soonest_expiry_seconds",
    "Seconds until the soonest-expiring access token this refresher keeps warm expires (+Inf when none)",
)
invalidated = REGISTRY.counter(
    "q2api_refresher_accounts_invalidated_total",
    "Accounts marked invalid because their refresh token or client was rejected",
)
logins = REGISTRY.counter(
    "q2api_refresher_logins_total", "Login flows by kind (aws_device, google) and outcome", ("kind", "outcome"),
)
