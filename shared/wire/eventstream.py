"""AWS binary event stream (Amazon Q's response body): the public face of the codec.

Implementation is split by role, h11-style: `eventstream_headers` (typed header values),
`eventstream_message` (the frame type), `eventstream_decoder`, `eventstream_encoder`,
`eventstream_errors`. Import from here.
"""

from shared.wire.eventstream_decoder import DEFAULT_MAX_MESSAGE_BYTES, EventStreamDecoder
from shared.wire.eventstream_encoder import encode_error, encode_event, encode_exception, encode_message
from shared.wire.eventstream_errors import (
    CorruptFrameError,
    EventStreamError,
    FrameTooLargeError,
    InvalidHeaderError,
    TruncatedStreamError,
)
from shared.wire.eventstream_headers import (
    Headers,
    HeaderValue,
    Int8,
    Int16,
    Int32,
    Int64,
    Timestamp,
    decode_headers,
    encode_headers,
)
from shared.wire.eventstream_message import Message

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "CorruptFrameError",
    "EventStreamDecoder",
    "EventStreamError",
    "FrameTooLargeError",
    "HeaderValue",
    "Headers",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "InvalidHeaderError",
    "Message",
    "Timestamp",
    "TruncatedStreamError",
    "decode_headers",
    "encode_error",
    "encode_event",
    "encode_exception",
    "encode_headers",
    "encode_message",
]
