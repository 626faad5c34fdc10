"""Finding the client's stop_sequences in streamed text, across pieces."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from services.translator.stop_sequences import StopSequenceScanner


def scan(sequences: list[str], chunks: list[str]) -> tuple[str, str | None]:
    """Everything released before the match (or the end), and the matched sequence."""
    scanner = StopSequenceScanner(sequences)
    released = []
    for chunk in chunks:
        text, match = scanner.feed(chunk)
        released.append(text)
        if match is not None:
            return "".join(released), match
    return "".join(released) + scanner.flush(), None


def test_a_match_in_one_piece() -> None:
    assert StopSequenceScanner(["STOP"]).feed("go STOP here") == ("go ", "STOP")


def test_only_a_possible_prefix_is_held_back() -> None:
    scanner = StopSequenceScanner(["STOP"])

    assert scanner.feed("go ST") == ("go ", None)
    assert scanner.feed("AY") == ("STAY", None)


def test_a_match_across_three_pieces() -> None:
    assert scan(["</answer>"], ["ok </an", "swe", "r> more"]) == ("ok ", "</answer>")


def test_the_match_that_ends_first_wins() -> None:
    # "abcd" starts first but "bc" is complete first: a generating model would have stopped there.
    assert StopSequenceScanner(["abcd", "bc"]).feed("xabcd") == ("xa", "bc")


def test_on_a_tie_the_longer_match_wins() -> None:
    assert StopSequenceScanner(["cd", "bcd"]).feed("abcd") == ("a", "bcd")


def test_empty_sequences_are_ignored() -> None:
    scanner = StopSequenceScanner(["", ""])

    assert not scanner
    assert scanner.feed("text") == ("text", None)


def test_flush_releases_the_held_prefix() -> None:
    scanner = StopSequenceScanner(["\n\nHuman:"])
    scanner.feed("end\n\nHu")

    assert scanner.flush() == "\n\nHu"
    assert scanner.flush() == ""


def test_overlapping_prefixes_hold_the_longest() -> None:
    scanner = StopSequenceScanner(["aab"])

    assert scanner.feed("xaa") == ("x", None)
    assert scanner.feed("ab") == ("a", "aab")


def _splits(text: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.integers(0, len(text)), max_size=10).map(
        lambda cuts: [text[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(text)], strict=True)])


@given(st.text(alphabet="abc\n", max_size=30), st.lists(st.text(alphabet="abc\n", min_size=1, max_size=4),
                                                       min_size=1, max_size=3), st.data())
def test_any_split_gives_the_same_result_as_one_piece(text: str, sequences: list[str], data: st.DataObject) -> None:
    assert scan(sequences, data.draw(_splits(text))) == scan(sequences, [text])


@given(st.text(alphabet="abc\n", max_size=30), st.lists(st.text(alphabet="abc\n", min_size=1, max_size=4),
                                                       min_size=1, max_size=3))
def test_the_result_is_the_shortest_prefix_that_ends_with_a_sequence(text: str, sequences: list[str]) -> None:
    released, match = scan(sequences, [text])

    ends = [i for i in range(len(text) + 1) if any(text[:i].endswith(s) for s in sequences)]
    if not ends:
        assert (released, match) == (text, None)
    else:
        end = ends[0]
        assert match is not None and text[:end] == released + match
        assert not any(text[:end].endswith(s) and len(s) > len(match) for s in sequences)


@given(st.text(max_size=50), st.data())
def test_text_without_the_sequence_is_released_unchanged(text: str, data: st.DataObject) -> None:
    assume("\x00STOP\x00" not in text)
    released, match = scan(["\x00STOP\x00"], data.draw(_splits(text)))

    assert (released, match) == (text, None)
