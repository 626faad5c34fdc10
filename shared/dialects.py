"""The client APIs q2api speaks, as far as edge and translator must agree on them.

A dialect knows how to decode (validate) a client body and how to shape an error for that client.
Conversions and streaming live in the translator (`services/translator/dialects/`); this module is
only what both services need. Adding a client API adds a `ClientDialect` here and modules there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from shared.schemas import anthropic, openai
from shared.schemas.decoding import decode_client_body

_encode = msgspec.json.encode


@dataclass(frozen=True)
class RequestFacts:
    """What edge needs from a validated body to admit and route it."""

    model: str
    stream: bool


@dataclass(frozen=True)
class ClientDialect:
    name: str

    def decode(self, body: bytes, operation: str) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def facts(self, request: Any) -> RequestFacts:  # pragma: no cover - overridden
        raise NotImplementedError

    def error_body(self, status: int, message: str, *, error_type: str | None = None, param: str | None = None,
                   code: str | None = None, request_id: str | None = None) -> bytes:  # pragma: no cover
        raise NotImplementedError

    def error_event(self, error_type: str, message: str, *, request_id: str | None = None) -> bytes:  # pragma: no cover
        """An error inside a stream that already started (after the first byte)."""
        raise NotImplementedError


class AnthropicDialect(ClientDialect):
    def decode(self, body: bytes, operation: str) -> anthropic.CountTokensRequest:
        kind = anthropic.CountTokensRequest if operation == "count_tokens" else anthropic.MessagesRequest
        return decode_client_body(body, kind)

    def facts(self, request: anthropic.CountTokensRequest) -> RequestFacts:
        return RequestFacts(model=request.model, stream=bool(getattr(request, "stream", False)))

    def error_body(self, status, message, *, error_type=None, param=None, code=None, request_id=None) -> bytes:
        return _encode(anthropic.error_for_status(status, message, request_id=request_id, error_type=error_type))

    def error_event(self, error_type: str, message: str, *, request_id: str | None = None) -> bytes:
        body = self.error_body(500, message, error_type=error_type, request_id=request_id)
        return b"event: error\ndata: " + body + b"\n\n"


class OpenAIDialect(ClientDialect):
    def decode(self, body: bytes, operation: str) -> openai.ChatCompletionRequest:
        return decode_client_body(body, openai.ChatCompletionRequest)

    def facts(self, request: openai.ChatCompletionRequest) -> RequestFacts:
        return RequestFacts(model=request.model, stream=bool(request.stream))

    def error_body(self, status, message, *, error_type=None, param=None, code=None, request_id=None) -> bytes:
        return _encode(openai.error_for_status(status, message, param=param, code=code, error_type=error_type))

    def error_event(self, error_type: str, message: str, *, request_id: str | None = None) -> bytes:
        body = _encode({"error": {"message": message, "type": error_type, "param": None, "code": None}})
        return b"data: " + body + b"\n\ndata: [DONE]\n\n"


DIALECTS: dict[str, ClientDialect] = {
    "anthropic": AnthropicDialect("anthropic"),
    "openai": OpenAIDialect("openai"),
}
