"""Typed errors of the AWS event-stream codec.

Every error is a value with a user-facing message: the translator turns them into an Anthropic/OpenAI
`error` event, so the message must say what was wrong and where, never leak a traceback.
"""

from __future__ import annotations


class EventStreamError(Exception):
    """Base class: the upstream bytes are not a valid AWS event stream."""


class CorruptFrameError(EventStreamError):
    """A frame failed a CRC, length or header check.

    CRC-32 detects every single-byte corruption, so a flipped byte anywhere in a frame lands here
    (or in `FrameTooLargeError`, never in a silently wrong frame).
    """

    def __init__(self, reason: str, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        where = f" at stream byte {offset}" if offset is not None else ""
        super().__init__(f"corrupt event-stream frame{where}: {reason}")


class FrameTooLargeError(EventStreamError):
    """A prelude declared a message longer than the decoder's limit.

    Raised as soon as the 12-byte prelude has arrived, before any of the body is buffered, so a hostile
    or broken upstream cannot make us hold an arbitrarily large frame in memory.
    """

    def __init__(self, total_length: int, max_message_bytes: int, offset: int | None = None) -> None:
        self.total_length = total_length
        self.max_message_bytes = max_message_bytes
        self.offset = offset
        where = f" at stream byte {offset}" if offset is not None else ""
        super().__init__(
            f"event-stream frame{where} declares {total_length} bytes, "
            f"more than the limit of {max_message_bytes} bytes"
        )


class TruncatedStreamError(EventStreamError):
    """The stream ended inside a frame (a cut connection, amazonq.md §4.3)."""

    def __init__(self, buffered: int, expected: int | None, offset: int | None = None) -> None:
        self.buffered = buffered
        self.expected = expected
        self.offset = offset
        where = f" at stream byte {offset}" if offset is not None else ""
        if expected is None:
            detail = f"{buffered} byte(s) of an incomplete 12-byte prelude"
        else:
            detail = f"{buffered} of {expected} bytes of a frame"
        super().__init__(f"event stream ended inside a frame{where}: got {detail}")


class InvalidHeaderError(EventStreamError, ValueError):
    """A header given to the encoder cannot be represented on the wire (bad name, value or length)."""
