"""Run the real ``anthropic`` / ``openai`` SDKs against an in-process transport.

Two uses: capture the exact request bytes an SDK sends (so request Structs are tested against what clients
really produce), and feed our encoded responses to the SDK (so response Structs are checked by an
independent parser). No sockets; ``httpx2.MockTransport`` is the SDKs' own test hook.
"""

from __future__ import annotations

from collections.abc import Callable

import anthropic
import httpx2
import openai

Handler = Callable[[httpx2.Request], httpx2.Response]


def anthropic_client(handler: Handler) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key="test-key",
        base_url="http://gateway.test",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def openai_client(handler: Handler) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="test-key",
        base_url="http://gateway.test/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


class Capture:
    """A handler that records request bodies and answers with a fixed response."""

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self.bodies: list[bytes] = []
        self.paths: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(request.read())
        self.paths.append(request.url.path)
        return self.response


def sse(frames: list[tuple[str | None, bytes]]) -> bytes:
    """SSE bytes from (event name or None, data) pairs."""
    out = bytearray()
    for name, data in frames:
        if name is not None:
            out += b"event: " + name.encode() + b"\n"
        out += b"data: " + data + b"\n\n"
    return bytes(out)
