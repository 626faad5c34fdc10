"""Event-stream frames -> typed Amazon Q events (amazonq.md §3.2-§3.3, §4.3).

Routing is by `:message-type` first: mid-stream failures arrive as `exception` frames with no
`:event-type` at all, and a parser keyed on `:event-type` alone silently turns them into a truncated
`end_turn` (the Q2A/AMQ bug, amazonq.md §10 fact 3).
"""

from __future__ import annotations

from typing import Any

import msgspec

from shared.schemas.amazonq_events import (
    EVENT_TYPES,
    QErrorMessage,
    QEvent,
    QException,
    UnknownEvent,
)
from shared.wire.eventstream import (
    DEFAULT_MAX_MESSAGE_BYTES,
    EventStreamDecoder,
    EventStreamError,
    Message,
)

# One Decoder per event type, built once: msgspec decoders are reusable and cheap to call.
_PAYLOAD_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    event_type: msgspec.json.Decoder(shape) for event_type, shape in EVENT_TYPES.items()
}
_ANY_JSON = msgspec.json.Decoder()
_MESSAGE_PREVIEW_CHARS = 1000


class MalformedEventError(EventStreamError):
    """A known event type whose payload is not the JSON shape the model defines."""

    def __init__(self, event_type: str, detail: str, payload: bytes) -> None:
        self.event_type = event_type
        self.detail = detail
        self.payload = payload
        super().__init__(f"malformed Amazon Q {event_type} payload: {detail}")


def decode_q_event(message: Message) -> QEvent:
    """The typed event for one frame; raises `MalformedEventError` for a known event with a bad payload.

    Unknown event types and unknown message types become `UnknownEvent`: both AWS SDKs skip them and
    so must we (amazonq.md §3.3)."""
    message_type = message.headers.get(":message-type")
    if message_type == "event":
        event_type = message.event_type
        if event_type is None or (decoder := _PAYLOAD_DECODERS.get(event_type)) is None:
            return UnknownEvent(event_type, message.payload)
        try:
            event: QEvent = decoder.decode(message.payload)
        except msgspec.DecodeError as error:
            raise MalformedEventError(event_type, str(error), message.payload) from None
        return event
    if message_type == "exception":
        return _exception(message)
    if message_type == "error":
        return QErrorMessage(message.error_code or "", message.error_message or "", message.payload)
    return UnknownEvent(message.event_type, message.payload, message.message_type)


def _exception(message: Message) -> QException:
    """An exception frame never fails to decode: the error must reach the client even if its payload
    is not the documented `{"message": ..., "reason"?: ...}` (CWS also reads `Message`, §4.1)."""
    exception_type = message.exception_type or "error"
    body: object = None
    try:
        body = _ANY_JSON.decode(message.payload)
    except msgspec.DecodeError:
        pass
    text = reason = None
    if isinstance(body, dict):
        text = next((body[k] for k in ("message", "Message") if isinstance(body.get(k), str)), None)
        reason = body.get("reason") if isinstance(body.get("reason"), str) else None
    if text is None:
        raw = message.payload.decode("utf-8", "replace").strip()
        text = raw[:_MESSAGE_PREVIEW_CHARS] if raw and body is None else exception_type
    return QException(exception_type, text, reason, message.payload)


class QEventDecoder:
    """Bytes of a Q response body in, typed events out: `EventStreamDecoder` + `decode_q_event`.

    Same error contract as `EventStreamDecoder`: events before a bad frame are returned, the error is
    raised by the next `feed()`/`finish()`, and the decoder stays failed."""

    __slots__ = ("_error", "_frames")

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self._frames = EventStreamDecoder(max_message_bytes)
        self._error: MalformedEventError | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> list[QEvent]:
        """Add a chunk of the body; return the events it completes."""
        if self._error is not None:
            raise self._error
        events: list[QEvent] = []
        append = events.append
        for message in self._frames.feed(data):
            try:
                append(decode_q_event(message))
            except MalformedEventError as error:
                self._error = error
                if not events:
                    raise
                break
        return events

    def finish(self) -> None:
        """End of body; raises `TruncatedStreamError` if it ended inside a frame."""
        if self._error is not None:
            raise self._error
        self._frames.finish()

    close = finish
