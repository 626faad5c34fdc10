"""The client's `stop_sequences`, found in streamed text (Amazon Q has no such request field).

Anthropic stops generating as soon as the text ends with one of the stop sequences; the sequence itself
is not part of the answer and `message_delta.stop_sequence` names it. Upstream text arrives in arbitrary
pieces, so a sequence can straddle pieces: the scanner holds back only the trailing characters that could
still be the start of a sequence and releases everything before them at once (streaming is the product).

Which sequence wins: the one whose match *ends* first — that is where a model generating token by token
would have stopped — and, on a tie, the longer one (it started earlier).
"""

from __future__ import annotations

from collections.abc import Iterable


class StopSequenceScanner:
    """`feed(text) -> (releasable text, matched sequence or None)`; `flush()` at an interruption."""

    __slots__ = ("_held", "_sequences")

    def __init__(self, sequences: Iterable[str]) -> None:
        # An empty sequence would match everywhere; the API has no meaning for it, so it is ignored.
        self._sequences = tuple(dict.fromkeys(s for s in sequences if s))
        self._held = ""

    def __bool__(self) -> bool:
        return bool(self._sequences)

    def feed(self, text: str) -> tuple[str, str | None]:
        """The text that can be released now and, once a sequence has appeared, that sequence (the
        released text then stops right before it and the scanner must not be fed again)."""
        buffer = self._held + text if self._held else text
        match: str | None = None
        match_end = match_start = 0
        for sequence in self._sequences:
            start = buffer.find(sequence)
            if start < 0:
                continue
            end = start + len(sequence)
            if match is None or end < match_end or (end == match_end and start < match_start):
                match, match_start, match_end = sequence, start, end
        if match is not None:
            self._held = ""
            return buffer[:match_start], match
        hold = self._partial_length(buffer)
        if hold:
            self._held = buffer[-hold:]
            return buffer[:-hold], None
        self._held = ""
        return buffer, None

    def flush(self) -> str:
        """Release what was held back: the text was interrupted, so it can no longer become a match."""
        held, self._held = self._held, ""
        return held

    def _partial_length(self, buffer: str) -> int:
        """Length of the longest suffix of `buffer` that is a proper prefix of some sequence."""
        best = 0
        size = len(buffer)
        for sequence in self._sequences:
            for length in range(min(len(sequence) - 1, size), best, -1):
                if buffer.endswith(sequence[:length]):
                    best = length
                    break
        return best
