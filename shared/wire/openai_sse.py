"""OpenAI Chat Completions streaming frames (client-apis.md §2.3): `data: <json>` + blank line, no
`event:` field, and the stream ends with `data: [DONE]`."""

from __future__ import annotations

from typing import Any

import orjson

_dumps = orjson.dumps

OPENAI_DONE = b"data: [DONE]\n\n"


def openai_chunk(payload: dict[str, Any]) -> bytes:
    """`data: <compact json>\\n\\n` for one `chat.completion.chunk` (or an in-stream `{"error": …}`)."""
    return b"".join((b"data: ", _dumps(payload), b"\n\n"))
