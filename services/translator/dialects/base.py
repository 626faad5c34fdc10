"""What the translator needs of a client dialect: the request as Anthropic Messages (the hub), and
writers that turn Anthropic stream events back into the client's bytes.

Each dialect is one module in this package that registers itself; nothing else lists them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from shared.dialects import ClientDialect
from shared.schemas import anthropic
from shared.settings import Settings


@dataclass(frozen=True)
class ClientRequest:
    """A client request, decoded and expressed as Anthropic Messages."""

    anthropic: anthropic.MessagesRequest | anthropic.CountTokensRequest
    model: str  # as the client named it
    stream: bool
    include_usage: bool = False  # OpenAI stream_options.include_usage
    legacy_functions: bool = False  # OpenAI legacy `functions` API: answer with function_call


class StreamWriter(Protocol):
    content_type: str

    def encode(self, events: list[dict]) -> bytes:
        """Bytes for the client for these Anthropic events (an `error` event included)."""

    def end(self) -> bytes:
        """Bytes that close a stream that ended without error."""


class TranslatorDialect(Protocol):
    name: str
    client: ClientDialect  # decoding and error shapes shared with edge

    def decode(self, body: bytes, operation: str, settings: Settings) -> ClientRequest:
        """Raises ClientBodyError or ConversionError for input that cannot be served."""

    def stream_writer(self, request: ClientRequest, *, message_id: str, model: str, created: int) -> StreamWriter: ...

    def collect(self, request: ClientRequest, events: Iterable[dict], *, message_id: str, model: str,
                created: int) -> bytes:
        """The non-streaming response body built from the whole answer's events."""

    def count_tokens_body(self, input_tokens: int) -> bytes:
        """Raises ConversionError when the dialect has no token counting endpoint."""


@dataclass
class DialectRegistry:
    dialects: dict[str, TranslatorDialect] = field(default_factory=dict)

    def register(self, dialect: TranslatorDialect) -> TranslatorDialect:
        self.dialects[dialect.name] = dialect
        return dialect

    def get(self, name: str) -> TranslatorDialect | None:
        return self.dialects.get(name)


DIALECTS = DialectRegistry()
