"""The Anthropic Messages dialect: already the hub, so the request passes as is and events are
written as SSE frames whose `event:` line always equals the JSON `type`."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from services.translator.dialects.base import DIALECTS, ClientRequest
from services.translator.q_to_anthropic import collect_message
from shared.dialects import DIALECTS as CLIENT_DIALECTS
from shared.settings import Settings
from shared.wire.anthropic_sse import anthropic_event


class AnthropicStreamWriter:
    content_type = "text/event-stream"

    def encode(self, events: list[dict]) -> bytes:
        return b"".join(anthropic_event(event) for event in events)

    def end(self) -> bytes:
        return b""


class AnthropicMessages:
    name = "anthropic"
    client = CLIENT_DIALECTS["anthropic"]

    def decode(self, body: bytes, operation: str, settings: Settings) -> ClientRequest:
        request = self.client.decode(body, operation)
        return ClientRequest(anthropic=request, model=request.model, stream=bool(getattr(request, "stream", False)))

    def stream_writer(self, request: ClientRequest, *, message_id: str, model: str, created: int) -> AnthropicStreamWriter:
        return AnthropicStreamWriter()

    def collect(self, request: ClientRequest, events: Iterable[dict], *, message_id: str, model: str, created: int) -> bytes:
        return orjson.dumps(collect_message(events))

    def count_tokens_body(self, input_tokens: int) -> bytes:
        return orjson.dumps({"input_tokens": input_tokens})


DIALECTS.register(AnthropicMessages())
