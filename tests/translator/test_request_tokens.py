"""Input token counting over every part of an Anthropic request, and image sizes from file headers."""

from __future__ import annotations

import base64
import copy
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_anthropic_to_q_support import body, decode, png_base64, png_bytes

from services.translator.anthropic_to_q import count_request_tokens as facade_count
from services.translator.image_header import base64_image_dimensions, image_dimensions
from services.translator.request_tokens import IMAGE_TOKEN_CAP, count_request_tokens, image_tokens
from shared.schemas import anthropic


def count(request: dict[str, Any], multiplier: float = 1.0) -> int:
    return count_request_tokens(decode(request), multiplier)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# -- image headers -----------------------------------------------------------------------------------------------

def gif_header(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00"


def jpeg_header(width: int, height: int) -> bytes:
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 100) + b"Exif\x00\x00" + b"\x00" * 94
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app1 + b"\xff\xdb" + struct.pack(">H", 4) + b"\x00\x00" + sof0 + b"\xff\xda"


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    return b"RIFF" + struct.pack("<I", 30) + b"WEBP" + b"VP8 " + struct.pack("<I", len(frame)) + frame


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    return b"RIFF" + struct.pack("<I", 30) + b"WEBP" + b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits)


def webp_vp8x(width: int, height: int) -> bytes:
    payload = b"\x00" * 4 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 30) + b"WEBP" + b"VP8X" + struct.pack("<I", 10) + payload


@pytest.mark.parametrize(
    "header",
    [png_bytes(321, 123), gif_header(321, 123), jpeg_header(321, 123), webp_vp8(321, 123), webp_vp8l(321, 123),
     webp_vp8x(321, 123)],
    ids=["png", "gif", "jpeg behind exif", "webp lossy", "webp lossless", "webp extended"],
)
def test_image_dimensions_are_read_from_the_file_header(header: bytes) -> None:
    assert image_dimensions(header) == (321, 123)
    assert base64_image_dimensions(b64(header)) == (321, 123)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe1\x00"])
def test_unreadable_or_truncated_headers_give_no_dimensions(data: bytes) -> None:
    assert image_dimensions(data) is None


def test_a_jpeg_frame_header_far_into_the_file_is_found() -> None:
    app1 = b"\xff\xe1" + struct.pack(">H", 65_000) + b"\x00" * 64_998
    data = b"\xff\xd8" + app1 * 2 + jpeg_header(640, 480)[2:]
    assert base64_image_dimensions(b64(data)) == (640, 480)


def test_image_tokens_follow_anthropics_width_times_height_over_750() -> None:
    assert image_tokens(1000, 1000) == 1334
    assert image_tokens(200, 200) == 54


def test_image_tokens_are_capped_by_anthropics_downscaling() -> None:
    assert image_tokens(8000, 6000) <= IMAGE_TOKEN_CAP
    assert image_tokens(8000, 6000) == image_tokens(16000, 12000)


# -- counting every part -------------------------------------------------------------------------------------------

PNG_BIG = b64(png_bytes(400, 300))
BLOCKS: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "text": "hello there"},
    "image": {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_BIG}},
    "image url": {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
    "text document": {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "doc text"}},
    "pdf document": {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                                    "data": b64(b"%PDF-1.4" + b"\0" * 4000)}},
    "tool_use": {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "ls -la"}},
    "tool_result": {"type": "tool_result", "tool_use_id": "t1", "content": "a.txt"},
    "nested tool_result": {"type": "tool_result", "tool_use_id": "t1",
                           "content": [{"type": "text", "text": "out"}, {"type": "image", "source": {
                               "type": "base64", "media_type": "image/png", "data": png_base64(50, 50)}}]},
    "thinking": {"type": "thinking", "thinking": "let me think", "signature": "sig"},
    "redacted_thinking": {"type": "redacted_thinking", "data": "ZW5jcnlwdGVkIHRoaW5raW5n"},
    "server_tool_use": {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "q"}},
    "web_search_tool_result": {"type": "web_search_tool_result", "tool_use_id": "s1",
                               "content": [{"type": "web_search_result", "url": "https://x", "title": "X"}]},
    "unknown": {"type": "search_result", "source": "s", "title": "t", "content": [{"type": "text", "text": "c"}]},
}
BASE = body([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])


@pytest.mark.parametrize("kind", sorted(BLOCKS))
def test_every_block_type_adds_tokens(kind: str) -> None:
    request = copy.deepcopy(BASE)
    request["messages"][0]["content"].append(BLOCKS[kind])
    assert count(request) > count(BASE)


def test_an_image_counts_by_its_pixels() -> None:
    image_only = copy.deepcopy(BASE)
    image_only["messages"][0]["content"].append(BLOCKS["image"])
    assert count(image_only) - count(BASE) == image_tokens(400, 300) + 1


def test_an_image_without_a_readable_header_is_estimated_from_its_size() -> None:
    small, large = copy.deepcopy(BASE), copy.deepcopy(BASE)
    for request, size in ((small, 2_000), (large, 20_000)):
        request["messages"][0]["content"].append(
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(b"\1" * size)}})
    assert count(BASE) < count(small) < count(large)


def test_tool_result_content_is_counted_including_nested_blocks() -> None:
    short = body([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "text", "text": "x"}]}]}])
    long = body([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [
        {"type": "text", "text": "x"}, {"type": "text", "text": "many more words in the result " * 10}]}]}])
    assert count(long) > count(short)


@pytest.mark.parametrize(
    "extra",
    [
        {"system": "You are terse."},
        {"system": [{"type": "text", "text": "You are terse."}]},
        {"tools": [{"name": "Bash", "description": "Run", "input_schema": {"type": "object"}}]},
        {"tools": [{"type": "web_search_20250305", "name": "web_search"}]},
        {"tool_choice": {"type": "any"}},
        {"tool_choice": {"type": "tool", "name": "Bash"}},
        {"thinking": {"type": "enabled", "budget_tokens": 1024}},
    ],
    ids=["system string", "system blocks", "tool", "server tool", "tool_choice any", "tool_choice tool", "thinking"],
)
def test_every_request_level_part_adds_tokens(extra: dict[str, Any]) -> None:
    assert count({**BASE, **extra}) > count(BASE)


def test_each_message_costs_a_role_overhead() -> None:
    two = body([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi"}, {"role": "user", "content": "Hi"}])
    one = body([{"role": "user", "content": "Hi"}])
    assert count(two) == 3 * count(one)


def test_the_multiplier_scales_the_count() -> None:
    request = body([{"role": "user", "content": "The quick brown fox jumps over the lazy dog."}])
    assert count(request, 1.5) == int(count(request) * 1.5)
    assert count(request, 0.0) == 0


def test_count_tokens_body_gives_the_same_number_as_the_messages_body() -> None:
    messages_body = body([{"role": "user", "content": [BLOCKS["text"], BLOCKS["image"]]}],
                         system="sys", tools=[{"name": "Bash", "input_schema": {"type": "object"}}], stream=True)
    count_body = {k: v for k, v in messages_body.items() if k not in ("max_tokens", "stream")}
    assert count_request_tokens(decode(count_body, anthropic.CountTokensRequest)) == count(messages_body)
    assert count({**messages_body, "max_tokens": 64000, "stream": False}) == count(messages_body)


def test_cache_control_does_not_change_the_count() -> None:
    marked = copy.deepcopy(BASE)
    marked["messages"][0]["content"][0]["cache_control"] = {"type": "ephemeral"}
    assert count(marked) == count(BASE)


def test_the_facade_counts_like_the_counter() -> None:
    assert facade_count(decode(BASE), 2.0) == count(BASE, 2.0)


_BLOCK_KINDS = st.sampled_from(sorted(BLOCKS))


@settings(max_examples=100, deadline=None)
@given(kinds=st.lists(_BLOCK_KINDS, max_size=6), added=_BLOCK_KINDS, position=st.integers(min_value=0))
def test_adding_any_block_anywhere_increases_the_count(kinds: list[str], added: str, position: int) -> None:
    blocks = [copy.deepcopy(BLOCKS["text"]), *(copy.deepcopy(BLOCKS[kind]) for kind in kinds)]
    grown = copy.deepcopy(blocks)
    grown.insert(position % (len(grown) + 1), copy.deepcopy(BLOCKS[added]))
    before, after = body([{"role": "user", "content": blocks}]), body([{"role": "user", "content": grown}])
    assert count(after) > count(before)
    assert count(after) == count(copy.deepcopy(after))  # deterministic
