"""Leading `<thinking>…</thinking>` in Amazon Q's answer text → thinking pieces and text pieces.

Amazon Q has no thinking API field. When the client asks for thinking, the request half adds the
prompt-side switch (`shared.prompt_hints`) and the model answers with `<thinking>…</thinking>` at the
start of its text (amazonq.md §3.7). Tags arrive split across events (`"<thin"` + `"king>"`), so this is a
partial-tag state machine: characters that may still become a tag are held back until the next piece
(or `flush()`) decides.

Only *leading* thinking counts — the tag must open the answer, after optional whitespace. A
`<thinking>` later in the text is ordinary text (the model quoting markup, say): turning it into a
block would reorder content and invent reasoning the model did not mark as such.

Sans-IO: `feed(text)` and `flush()` return `(is_thinking, text)` pieces in order; nothing is dropped except
the whitespace before the opening tag and between the closing tag and the answer (real Anthropic text
blocks do not start with the blank line the model writes after `</thinking>`).
"""

from __future__ import annotations

from shared.prompt_hints import THINKING_CLOSE, THINKING_OPEN

Piece = tuple[bool, str]
"""(is_thinking, text); text is never empty."""

_LEADING = 0  # nothing but whitespace seen: the answer may still open with <thinking>
_THINKING = 1  # inside <thinking>: look for </thinking>
_AFTER = 2  # just after </thinking>: drop whitespace until the answer starts
_TEXT = 3  # everything else is plain text, passed through untouched

_CLOSE_LEN = len(THINKING_CLOSE)
_OPEN_LEN = len(THINKING_OPEN)


def partial_close_length(text: str) -> int:
    """Length of the longest proper prefix of `</thinking>` that `text` ends with (0 if none)."""
    if "<" not in text[-(_CLOSE_LEN - 1) :]:
        return 0
    for length in range(min(_CLOSE_LEN - 1, len(text)), 0, -1):
        if text.endswith(THINKING_CLOSE[:length]):
            return length
    return 0


class ThinkingTagSplitter:
    """Splits a stream of answer text into leading thinking and the rest."""

    __slots__ = ("_held", "_state")

    def __init__(self) -> None:
        self._state = _LEADING
        self._held = ""

    @property
    def in_thinking(self) -> bool:
        """Inside an opened, not yet closed `<thinking>`."""
        return self._state == _THINKING

    def feed(self, text: str) -> list[Piece]:
        state = self._state
        if state == _TEXT:  # the hot path once the answer proper has started
            return [(False, text)] if text else []
        out: list[Piece] = []
        buffer = self._held + text if self._held else text
        self._held = ""
        while buffer:
            if state == _LEADING:
                stripped = buffer.lstrip()
                if stripped.startswith(THINKING_OPEN):
                    state = _THINKING
                    buffer = stripped[_OPEN_LEN:]
                    continue
                if not stripped or THINKING_OPEN.startswith(stripped):
                    self._held = buffer  # whitespace, or a tag still arriving: undecided
                    break
                state = _TEXT
                out.append((False, buffer))
                break
            if state == _THINKING:
                end = buffer.find(THINKING_CLOSE)
                if end >= 0:
                    if end:
                        out.append((True, buffer[:end]))
                    state = _AFTER
                    buffer = buffer[end + _CLOSE_LEN :]
                    continue
                held = partial_close_length(buffer)
                if held:
                    self._held = buffer[-held:]
                    buffer = buffer[:-held]
                if buffer:
                    out.append((True, buffer))
                break
            if state == _AFTER:
                stripped = buffer.lstrip()
                if stripped:
                    state = _TEXT
                    out.append((False, stripped))
                break
            out.append((False, buffer))  # _TEXT
            break
        self._state = state
        return out

    def flush(self) -> list[Piece]:
        """Release held characters as what they are now and end the leading window: called when the
        text is interrupted (a tool call starts, the stream ends). Later text is plain text."""
        held, state = self._held, self._state
        self._held = ""
        self._state = _TEXT
        if not held:
            return []
        return [(state == _THINKING, held)]
