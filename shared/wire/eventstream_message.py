"""The decoded unit of an AWS event stream: one message (frame) = headers + payload."""

from __future__ import annotations

import msgspec

from shared.wire.eventstream_headers import Headers


class Message(msgspec.Struct, frozen=True, gc=False):
    """One event-stream message.

    A msgspec Struct because the decoder builds one per frame and Struct construction is the cheapest
    in CPython; `gc=False` is safe since headers hold only immutable scalars.
    """

    headers: Headers
    payload: bytes

    @property
    def message_type(self) -> str | None:
        """`:message-type`: `event`, `exception` or `error` (amazonq.md §3.2)."""
        return _string_header(self.headers, ":message-type")

    @property
    def event_type(self) -> str | None:
        """`:event-type` of an `event` message: the union member name, e.g. `assistantResponseEvent`."""
        return _string_header(self.headers, ":event-type")

    @property
    def exception_type(self) -> str | None:
        """`:exception-type` of an `exception` message, e.g. `ThrottlingException` (amazonq.md §4.3)."""
        return _string_header(self.headers, ":exception-type")

    @property
    def content_type(self) -> str | None:
        """`:content-type`, `application/json` for every Q event."""
        return _string_header(self.headers, ":content-type")

    @property
    def error_code(self) -> str | None:
        """`:error-code` of a generic `error` message."""
        return _string_header(self.headers, ":error-code")

    @property
    def error_message(self) -> str | None:
        """`:error-message` of a generic `error` message."""
        return _string_header(self.headers, ":error-message")


def _string_header(headers: Headers, name: str) -> str | None:
    """The header if it is a string; a wrongly typed routing header counts as absent."""
    value = headers.get(name)
    return value if type(value) is str else None
