"""The partial-tag state machine for leading `<thinking>…</thinking>` (amazonq.md §3.7)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.translator.thinking_tags import Piece, ThinkingTagSplitter, partial_close_length


def split(*chunks: str) -> list[Piece]:
    splitter = ThinkingTagSplitter()
    pieces = [piece for chunk in chunks for piece in splitter.feed(chunk)]
    return pieces + splitter.flush()


def merged(pieces: list[Piece]) -> list[Piece]:
    """Adjacent pieces of the same kind joined: what the blocks end up holding."""
    out: list[Piece] = []
    for is_thinking, text in pieces:
        if out and out[-1][0] == is_thinking:
            out[-1] = (is_thinking, out[-1][1] + text)
        else:
            out.append((is_thinking, text))
    return out


def test_whole_tags_in_one_chunk() -> None:
    assert split("<thinking>abc</thinking>rest") == [(True, "abc"), (False, "rest")]


def test_tags_split_inside() -> None:
    assert merged(split("<thin", "king>ab", "c</thi", "nking>re", "st")) == [(True, "abc"), (False, "rest")]


def test_text_is_released_as_soon_as_it_cannot_be_a_tag() -> None:
    splitter = ThinkingTagSplitter()

    assert splitter.feed("<th") == []
    assert splitter.feed("e answer") == [(False, "<the answer")]
    assert splitter.feed(" goes on") == [(False, " goes on")]


def test_thinking_text_is_released_except_a_possible_closing_tag_prefix() -> None:
    splitter = ThinkingTagSplitter()

    assert splitter.feed("<thinking>a < b </thi") == [(True, "a < b ")]
    assert splitter.in_thinking
    assert splitter.feed("s is not it") == [(True, "</this is not it")]


def test_leading_whitespace_waits_and_is_dropped_before_the_tag() -> None:
    splitter = ThinkingTagSplitter()

    assert splitter.feed("\n  ") == []
    assert splitter.feed("<thinking>x</thinking>") == [(True, "x")]


def test_leading_whitespace_is_kept_when_no_thinking_follows() -> None:
    assert split("\n  ", "Hello") == [(False, "\n  Hello")]


def test_whitespace_after_the_closing_tag_is_dropped() -> None:
    assert split("<thinking>x</thinking>\n\n", "\n", "Answer\n\nmore") == [(True, "x"), (False, "Answer\n\nmore")]


def test_later_tags_are_text() -> None:
    assert split("Hi <thinking>x</thinking>") == [(False, "Hi <thinking>x</thinking>")]
    assert merged(split("<thinking>a</thinking>b", "<thinking>c</thinking>")) == [
        (True, "a"), (False, "b<thinking>c</thinking>")]


def test_flush_releases_held_text_as_its_kind_and_ends_the_leading_window() -> None:
    splitter = ThinkingTagSplitter()
    splitter.feed("<thinking>abc</think")

    assert splitter.flush() == [(True, "</think")]
    assert splitter.feed("<thinking>") == [(False, "<thinking>")]


def test_a_complete_opening_tag_alone_opens_thinking() -> None:
    splitter = ThinkingTagSplitter()

    assert splitter.feed("<thinking>") == []
    assert splitter.in_thinking and splitter.flush() == []


def test_empty_chunks_do_nothing() -> None:
    assert split("", "<thinking>", "", "a", "", "</thinking>", "", "b") == [(True, "a"), (False, "b")]


def test_partial_close_length() -> None:
    assert partial_close_length("abc") == 0
    assert partial_close_length("abc<") == 1
    assert partial_close_length("abc</thinkin") == 9
    assert partial_close_length("</thinking") == 10
    assert partial_close_length("<x") == 0


def _splits(text: str) -> st.SearchStrategy[list[str]]:
    return st.lists(st.integers(0, len(text)), max_size=12).map(
        lambda cuts: [text[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(text)], strict=True)])


@given(_splits("<thinking>abc</thinking>rest"))
def test_any_split_of_leading_thinking_gives_the_same_pieces(chunks: list[str]) -> None:
    assert merged(split(*chunks)) == [(True, "abc"), (False, "rest")]


def reference(text: str) -> list[Piece]:
    """What the splitter must produce, computed on the whole text at once."""
    stripped = text.lstrip()
    if not stripped.startswith("<thinking>"):
        return [(False, text)] if text else []
    body = stripped[len("<thinking>") :]
    end = body.find("</thinking>")
    if end < 0:
        return [(True, body)] if body else []
    pieces = [(True, body[:end]), (False, body[end + len("</thinking>") :].lstrip())]
    return [(kind, part) for kind, part in pieces if part]


@given(st.text(alphabet="<>/thinkgab \n", max_size=40), st.data())
def test_any_split_of_any_text_gives_what_the_whole_text_gives(text: str, data: st.DataObject) -> None:
    chunks = data.draw(_splits(text))

    assert merged(split(*chunks)) == reference(text)


@given(st.sampled_from(["", " ", "\n\n"]), st.text(alphabet="<>/thinkgab \n", max_size=20),
       st.sampled_from(["", "</thinking>"]), st.text(alphabet="<>/thinkgab \n", max_size=20), st.data())
def test_any_split_of_tagged_text_gives_what_the_whole_text_gives(
    lead: str, thinking: str, close: str, rest: str, data: st.DataObject
) -> None:
    text = f"{lead}<thinking>{thinking}{close}{rest}"

    assert merged(split(*data.draw(_splits(text)))) == reference(text)
