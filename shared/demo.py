"""Where the simulator serves each upstream, so every upstream base-URL setting can point at it.

One simulator process serves all upstreams on one port, each under its own path prefix.
"""

from __future__ import annotations

# upstream setting -> path prefix on the simulator
SIMULATOR_PREFIXES: dict[str, str] = {
    "AMAZONQ_API_ENDPOINT": "/amazonq/",
    "AMAZONQ_OIDC_ENDPOINT": "/oidc",
    "GEMINI_CODE_ASSIST_ENDPOINT": "/codeassist",
    "GOOGLE_OAUTH_ENDPOINT": "/oauth2",
    "GEMINI_API_ENDPOINT": "/gemini",
}


def simulator_endpoints(base_url: str) -> dict[str, str]:
    """The upstream settings that point every upstream at a simulator running at `base_url`."""
    base = base_url.rstrip("/")
    return {name: base + prefix for name, prefix in SIMULATOR_PREFIXES.items()}
