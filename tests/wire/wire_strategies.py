"""Hypothesis strategies shared by the wire tests: event-stream headers of all ten types and frames."""

from __future__ import annotations

import itertools
import uuid

from hypothesis import strategies as st

from shared.wire.eventstream import HeaderValue, Int8, Int16, Int32, Int64, Timestamp, encode_message

header_names = st.text(min_size=1, max_size=24).filter(lambda name: len(name.encode()) <= 255)

header_values: st.SearchStrategy[HeaderValue] = st.one_of(
    st.booleans(),  # types 0 and 1
    st.integers(-(2**7), 2**7 - 1).map(Int8),
    st.integers(-(2**15), 2**15 - 1).map(Int16),
    st.integers(-(2**31), 2**31 - 1).map(Int32),
    st.integers(-(2**63), 2**63 - 1).map(Int64),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.integers(-(2**63), 2**63 - 1).map(Timestamp),
    st.uuids().map(lambda value: uuid.UUID(bytes=value.bytes)),
)

headers = st.dictionaries(header_names, header_values, max_size=6)
payloads = st.binary(max_size=200)
frames = st.tuples(headers, payloads)
frame_lists = st.lists(frames, min_size=1, max_size=6)


def typed(headers: dict[str, HeaderValue]) -> dict[str, tuple[type, object]]:
    """Headers with each value's exact class, so `Int8(1)` and `Int64(1)` (equal as ints) differ."""
    return {name: (type(value), value) for name, value in headers.items()}


def encode_all(frame_list: list[tuple[dict[str, HeaderValue], bytes]]) -> bytes:
    return b"".join(encode_message(frame_headers, payload) for frame_headers, payload in frame_list)


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (clamped, sorted, duplicates giving empty chunks)."""
    points = sorted(min(cut, len(data)) for cut in cuts)
    edges = [0, *points, len(data)]
    return [data[start:end] for start, end in itertools.pairwise(edges)]
