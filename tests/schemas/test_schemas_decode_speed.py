"""Decode speed sanity check for the largest body we expect: Claude Code's ~77 KB request (§4.2).

Prints the numbers (run with ``-s``) and asserts nothing about time: CI machines vary, and a regression of
ten times would still be visible in the printout.
"""

from __future__ import annotations

import time

from schemas_claude_code import claude_code_bytes

from shared.schemas import anthropic
from shared.schemas.decoding import decode_client_body


def test_claude_code_body_decode_time_is_printed() -> None:
    body = claude_code_bytes()
    decode_client_body(body, anthropic.MessagesRequest)  # warm the decoder cache
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        request = decode_client_body(body, anthropic.MessagesRequest)
    per_call_us = (time.perf_counter() - start) / rounds * 1e6
    print(f"\ndecode_client_body: {len(body) / 1024:.1f} KB Claude Code body in {per_call_us:.0f} µs")
    assert len(request.tools or ()) == 24
