"""Every Redis key q2api uses, in one place.

All keys start with `q2a:{q2a}:` — one prefix so `redis-cli --scan --pattern 'q2a:*'` lists them all,
and one hash tag so every multi-key script stays on one slot of a Redis Cluster. Nobody builds key
strings by hand outside this module. The layout is documented in the README ("Inspecting with
redis-cli").
"""

from __future__ import annotations

PREFIX = "q2a:{q2a}:"

# Translators currently serving: hash of translator id -> JSON {url, inflight, seen}.
TRANSLATORS = PREFIX + "translators"


def translator_key(translator_id: str) -> str:
    """Heartbeat of one translator (expires when it stops beating)."""
    return f"{PREFIX}translator:{translator_id}"
