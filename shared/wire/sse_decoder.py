"""Sans-IO Server-Sent Events decoder following the WHATWG HTML "event stream" parsing rules.

Used for Gemini Code Assist streams (gemini-code-assist.md §3.5: one `data: <json>` line per event,
CRLF line ends) but deliberately general: gemini-code-assist-examples.md Appendix A lists the framing
variants (LF/CRLF/CR, multi-line data, comments/id/retry noise, arbitrary TCP splits, no trailing blank
line) that all have to give the same events.
"""

from __future__ import annotations

import msgspec

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024


class SSEEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched event.

    `event` is None when no `event:` field was given (WHATWG would call it "message"). `id` and `retry`
    are the stream's state at dispatch time: per WHATWG both persist from one event to the next.
    """

    event: str | None
    data: str
    id: str | None = None
    retry: int | None = None


class SSEError(Exception):
    """Base class for SSE decoding failures."""


class SSEEventTooLargeError(SSEError):
    """A line or an event's data grew beyond the decoder's limit (a broken or hostile upstream)."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(f"SSE event of at least {size} bytes exceeds the limit of {limit} bytes")


class SSEDecoder:
    """Feed bytes in any chunking; get `SSEEvent`s.

    Lines are split on `\\r\\n`, `\\n` or `\\r` *before* UTF-8 decoding — neither byte occurs inside a
    multi-byte character — so a character split across chunks is decoded once its line is complete.
    A `\\r` ending one chunk followed by `\\n` starting the next is a single line end.
    `finish()` dispatches a final event that lacks its blank line (Appendix A7: the WHATWG rule drops it,
    but a robust client flushes it at EOF).
    """

    __slots__ = (
        "_at_stream_start",
        "_data_bytes",
        "_data_lines",
        "_event_type",
        "_finished",
        "_last_id",
        "_partial_line",
        "_retry",
        "_skip_line_feed",
        "max_event_bytes",
    )

    def __init__(self, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._partial_line = bytearray()  # bytes after the last line end seen
        self._skip_line_feed = False  # the previous chunk ended with "\r"
        self._at_stream_start = True  # a UTF-8 BOM is ignored only on the very first line
        self._data_lines: list[str] = []
        self._data_bytes = 0
        self._event_type = ""
        self._last_id: str | None = None
        self._retry: int | None = None
        self._finished = False

    def feed(self, data: bytes | bytearray | memoryview) -> list[SSEEvent]:
        """Add a chunk; return the events it completes."""
        if self._finished:
            raise SSEError("the SSE decoder was already finished")
        chunk = bytes(data)
        if self._skip_line_feed and chunk:
            self._skip_line_feed = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if not chunk:
            return []
        partial = self._partial_line
        if b"\n" not in chunk and b"\r" not in chunk:
            # No line end: just remember the bytes (amortised O(1), so one-byte feeds stay linear).
            partial += chunk
            if len(partial) > self.max_event_bytes:
                raise SSEEventTooLargeError(len(partial), self.max_event_bytes)
            return []
        if partial:
            partial += chunk
            chunk = bytes(partial)
            partial.clear()
        # bytes.splitlines() splits on exactly \r\n, \r and \n — the SSE line ends.
        lines = chunk.splitlines(keepends=True)
        last = lines[-1]
        if last[-1] not in (0x0A, 0x0D):
            partial += lines.pop()
        elif last[-1] == 0x0D:
            self._skip_line_feed = True
        events: list[SSEEvent] = []
        for line in lines:
            self._process_line(line.rstrip(b"\r\n").decode("utf-8", "replace"), events)
        return events

    def finish(self) -> list[SSEEvent]:
        """End of input: process an unterminated last line and dispatch a pending event."""
        if self._finished:
            return []
        self._finished = True
        events: list[SSEEvent] = []
        if self._partial_line:
            self._process_line(self._partial_line.decode("utf-8", "replace"), events)
            self._partial_line.clear()
        self._process_line("", events)
        return events

    def _process_line(self, line: str, events: list[SSEEvent]) -> None:
        if self._at_stream_start:
            self._at_stream_start = False
            if line.startswith("\ufeff"):
                line = line[1:]
        if not line:
            self._dispatch(events)
            return
        if line[0] == ":":
            return  # comment, e.g. a keep-alive
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data_lines.append(value)
            self._data_bytes += len(value) + 1
            if self._data_bytes > self.max_event_bytes:
                raise SSEEventTooLargeError(self._data_bytes, self.max_event_bytes)
        elif name == "event":
            self._event_type = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        # Any other field name is ignored (WHATWG).

    def _dispatch(self, events: list[SSEEvent]) -> None:
        # A blank line with no data lines dispatches nothing but still resets the event type (WHATWG).
        if self._data_lines:
            events.append(
                SSEEvent(self._event_type or None, "\n".join(self._data_lines), self._last_id, self._retry)
            )
            self._data_lines = []
            self._data_bytes = 0
        self._event_type = ""
