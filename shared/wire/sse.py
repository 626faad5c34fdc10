"""Server-Sent Events: decoder (WHATWG rules) and encoder. Import from here."""

from shared.wire.sse_decoder import (
    DEFAULT_MAX_EVENT_BYTES,
    SSEDecoder,
    SSEError,
    SSEEvent,
    SSEEventTooLargeError,
)
from shared.wire.sse_encoder import encode_sse

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "SSEDecoder",
    "SSEError",
    "SSEEvent",
    "SSEEventTooLargeError",
    "encode_sse",
]
