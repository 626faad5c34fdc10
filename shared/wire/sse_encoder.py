"""Server-Sent Events encoder (the simulator's Gemini stream, and generic SSE for tests)."""

from __future__ import annotations

import re

_LINE_END = re.compile(r"\r\n|\r|\n")
_NEWLINES = ("\n", "\r\n", "\r")


def encode_sse(
    data: str,
    event: str | None = None,
    id: str | None = None,  # the SSE field name
    retry: int | None = None,
    newline: str = "\n",
) -> bytes:
    """One event: optional `event:`/`id:`/`retry:` lines, one `data:` line per line of `data`, blank line.

    `newline="\\r\\n"` gives what Google front ends send (gemini-code-assist.md §3.5).
    """
    if newline not in _NEWLINES:
        raise ValueError(f"newline must be one of {_NEWLINES!r}")
    lines: list[str] = []
    if event is not None:
        lines.append("event: " + _single_line("event", event))
    if id is not None:
        if "\0" in id:
            raise ValueError("an SSE id cannot contain NUL (WHATWG: such an id is ignored)")
        lines.append("id: " + _single_line("id", id))
    if retry is not None:
        if retry < 0:
            raise ValueError("retry must be a non-negative number of milliseconds")
        lines.append(f"retry: {int(retry)}")
    lines.extend("data: " + line for line in _LINE_END.split(data))
    lines.append("")
    lines.append("")
    return newline.join(lines).encode()


def _single_line(field: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError(f"the SSE {field} field cannot contain a line break: {value!r}")
    return value
