"""Sans-IO decoder for the AWS binary event stream (the Amazon Q response body, amazonq.md §3.1).

Frame layout (big-endian): `total_length u32 | headers_length u32 | prelude_crc u32 | headers |
payload | message_crc u32`; the prelude CRC covers bytes [0, 8), the message CRC covers everything
before it. The decoder is fed transport chunks of any size (one byte at a time works) and returns the
frames completed by each chunk.
"""

from __future__ import annotations

import struct
from zlib import crc32

from shared.wire.eventstream_errors import (
    CorruptFrameError,
    EventStreamError,
    FrameTooLargeError,
    TruncatedStreamError,
)
from shared.wire.eventstream_headers import Headers, decode_headers
from shared.wire.eventstream_message import Message

PRELUDE_BYTES = 12
MIN_MESSAGE_BYTES = 16  # prelude + message CRC, no headers, no payload
# KRS caps a message at 16 MiB, CPA+ at 10 MiB, botocore lets payloads reach 24 MiB (amazonq.md §3.1).
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024

# Every frame of one event type carries the same header bytes (Q sends the same three string headers,
# amazonq.md §3.2), so parsed header blocks are memoised per decoder. Bounded in count and size.
_HEADER_CACHE_ENTRIES = 64
_HEADER_CACHE_BLOCK_BYTES = 1024

_unpack_prelude = struct.Struct(">III").unpack_from
_unpack_u32 = struct.Struct(">I").unpack_from


class EventStreamDecoder:
    """Turns event-stream bytes into `Message`s, verifying both CRCs and all lengths.

    Errors and when they surface:
      * `CorruptFrameError` — a CRC, length or header check failed;
      * `FrameTooLargeError` — a prelude declares more than `max_message_bytes`; raised as soon as the
        prelude is in, before the body is buffered, so memory stays bounded by the limit;
      * `TruncatedStreamError` — `finish()` found part of a frame left over (a cut connection).
    Frames that precede a bad one in the same chunk are still returned; the error is then raised by the
    next `feed()` or `finish()`. Once failed, the decoder raises that error on every call: it never skips
    ahead to resynchronise, because a frame boundary found by guessing is not trustworthy.
    """

    __slots__ = ("_buffer", "_consumed", "_error", "_finished", "_header_cache", "max_message_bytes")

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        if max_message_bytes < MIN_MESSAGE_BYTES:
            raise ValueError(f"max_message_bytes must be at least {MIN_MESSAGE_BYTES}")
        self.max_message_bytes = max_message_bytes
        self._buffer = bytearray()  # bytes of the frame in progress, never more than one frame + one chunk
        self._consumed = 0  # stream offset of _buffer[0], for error messages
        self._error: EventStreamError | None = None
        self._finished = False
        self._header_cache: dict[bytes, Headers] = {}

    @property
    def buffered_bytes(self) -> int:
        """Bytes held for a frame that is not complete yet."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        """Add a chunk of the stream; return every frame it completes, in order."""
        self._raise_if_unusable()
        buffer = self._buffer
        # Fast path: with nothing buffered, parse straight from the caller's chunk and copy only the
        # incomplete tail; otherwise append (bytearray growth is amortised O(1)) and parse the buffer.
        if buffer:
            buffer += data
            source: bytes | bytearray | memoryview = buffer
        else:
            source = data
        messages: list[Message] = []
        view = memoryview(source)
        try:
            position, error = self._decode_frames(view, messages)
            if error is None and source is not buffer and position < len(view):
                buffer += view[position:]
        finally:
            view.release()  # a bytearray with a live export cannot be resized
        if source is buffer:
            del buffer[:position]  # O(1) in CPython: bytearray just moves its start pointer
        self._consumed += position
        if error is not None:
            self._error = error
            buffer.clear()
            if not messages:
                raise error
        return messages

    def finish(self) -> None:
        """Declare the end of the stream; raises `TruncatedStreamError` if a frame was cut short.

        Amazon Q has no terminal event, so EOF is the only end-of-turn signal (amazonq.md §3.4) and a
        partial frame at EOF is the only way to tell a cut connection from a finished turn.
        """
        self._raise_if_unusable()
        self._finished = True
        buffered = len(self._buffer)
        if buffered:
            expected = _unpack_prelude(self._buffer)[0] if buffered >= PRELUDE_BYTES else None
            self._error = TruncatedStreamError(buffered, expected, self._consumed)
            self._buffer.clear()
            raise self._error

    close = finish

    def _raise_if_unusable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._finished:
            raise EventStreamError("the event-stream decoder was already finished")

    def _decode_frames(
        self, view: memoryview, messages: list[Message]
    ) -> tuple[int, EventStreamError | None]:
        """Append each complete frame in `view` to `messages`; return where parsing stopped and why.

        The error is returned, not raised, so that `feed` can still hand over the frames before it.
        """
        position = 0
        end = len(view)
        max_bytes = self.max_message_bytes
        cache = self._header_cache
        append = messages.append
        while end - position >= PRELUDE_BYTES:
            total_length, headers_length, prelude_crc = _unpack_prelude(view, position)
            offset = self._consumed + position
            if crc32(view[position : position + 8]) != prelude_crc:
                return position, CorruptFrameError(
                    f"prelude CRC mismatch (frame says 0x{prelude_crc:08x}, "
                    f"bytes give 0x{crc32(view[position : position + 8]):08x})",
                    offset,
                )
            if total_length < MIN_MESSAGE_BYTES:
                return position, CorruptFrameError(
                    f"total_length {total_length} is below the minimum of {MIN_MESSAGE_BYTES}", offset
                )
            if headers_length > total_length - MIN_MESSAGE_BYTES:
                return position, CorruptFrameError(
                    f"headers_length {headers_length} does not fit in total_length {total_length}", offset
                )
            if total_length > max_bytes:
                return position, FrameTooLargeError(total_length, max_bytes, offset)
            frame_end = position + total_length
            if frame_end > end:
                break
            crc_at = frame_end - 4
            # Seeding with the prelude CRC continues the checksum over bytes [0, 8) — same trick as
            # botocore — so the message CRC costs one pass over bytes [8, crc_at).
            computed = crc32(view[position + 8 : crc_at], prelude_crc)
            (message_crc,) = _unpack_u32(view, crc_at)
            if computed != message_crc:
                return position, CorruptFrameError(
                    f"message CRC mismatch (frame says 0x{message_crc:08x}, bytes give 0x{computed:08x})",
                    offset,
                )
            headers_start = position + PRELUDE_BYTES
            payload_start = headers_start + headers_length
            block = view[headers_start:payload_start].tobytes()
            headers = cache.get(block)
            if headers is None:
                try:
                    headers = decode_headers(block)
                except CorruptFrameError as error:
                    return position, CorruptFrameError(error.reason, offset)
                if headers_length <= _HEADER_CACHE_BLOCK_BYTES:
                    if len(cache) >= _HEADER_CACHE_ENTRIES:
                        cache.clear()
                    cache[block] = headers
            # A copy, so a caller editing one message's headers cannot touch the cached block.
            append(Message(headers.copy(), view[payload_start:crc_at].tobytes()))
            position = frame_end
        return position, None
