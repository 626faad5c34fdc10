"""Anthropic Messages streaming frames (client-apis.md §1.3).

Each frame is `event: <type>`, `data: <one-line JSON>`, blank line, and the event name must equal the
JSON `type`: the Python SDK silently drops frames without a matching name (client-apis.md §0 item 5).
Taking the name from the payload makes a mismatch impossible. Hot path: one orjson call and one join.
"""

from __future__ import annotations

from typing import Any

import orjson

_dumps = orjson.dumps  # compact, one line: orjson escapes control characters inside strings


def anthropic_event(payload: dict[str, Any]) -> bytes:
    """`event: <payload["type"]>\\ndata: <json>\\n\\n`. The type comes from our own code, never a client."""
    return b"".join((b"event: ", payload["type"].encode(), b"\ndata: ", _dumps(payload), b"\n\n"))
