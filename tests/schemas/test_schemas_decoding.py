"""decode_client_body: every refusal is a ClientBodyError whose message names the problem and the field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.schemas import anthropic, openai
from shared.schemas.decoding import (
    ClientBodyError,
    decode_client_body,
    sent_fields,
    split_validation_message,
)


def _body(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}],
    }
    body.update(overrides)
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def _message_error(body: bytes) -> ClientBodyError:
    with pytest.raises(ClientBodyError) as info:
        decode_client_body(body, anthropic.MessagesRequest)
    return info.value


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty; expected a JSON object"),
        (b"  \r\n ", "Request body is empty; expected a JSON object"),
        (b'{"model":', "Request body is not valid JSON: Input data was truncated"),
        (
            b'{"model": "m",}',
            "Request body is not valid JSON: JSON is malformed: trailing comma in object (byte 14)",
        ),
        (
            _body() + b" x",
            # msgspec reports the offset just past the offending byte
            f"Request body is not valid JSON: JSON is malformed: trailing characters (byte {len(_body()) + 2})",
        ),
        (b"[1, 2]", "Request body must be a JSON object, got `array`"),
        (b'"hello"', "Request body must be a JSON object, got `str`"),
        (b"null", "Request body must be a JSON object, got `null`"),
    ],
)
def test_unparseable_bodies_get_a_message_about_the_body(body: bytes, message: str) -> None:
    assert _message_error(body).message == message


def test_invalid_utf8_names_the_offending_byte_and_offset() -> None:
    body = b'{"model": "cl\xffaude", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}'
    error = _message_error(body)
    assert error.message == "Request body is not valid UTF-8: invalid byte 0xff at offset 13"


@pytest.mark.parametrize(
    ("body", "message", "path"),
    [
        (_body(model=...), "Object missing required field `model`", None),
        (_body(max_tokens=...), "Object missing required field `max_tokens`", None),
        (_body(messages=...), "Object missing required field `messages`", None),
        (_body(max_tokens=0), "max_tokens: Expected `int` >= 1", "max_tokens"),
        (_body(max_tokens=1.5), "max_tokens: Expected `int`, got `float`", "max_tokens"),
        (_body(max_tokens="100"), "max_tokens: Expected `int`, got `str`", "max_tokens"),
        (_body(messages=[]), "messages: Expected `array` of length >= 1", "messages"),
        (_body(model=7), "model: Expected `str`, got `int`", "model"),
        (
            _body(messages=[{"role": "user", "content": 5}]),
            "messages[0].content: Expected `str | array`, got `int`",
            "messages[0].content",
        ),
        (
            _body(messages=[{"role": "bot", "content": "x"}]),
            "messages[0].role: Invalid enum value 'bot'",
            "messages[0].role",
        ),
        (
            _body(messages=[{"role": "user", "content": "x"}, {"role": "assistant"}]),
            "messages[1]: Object missing required field `content`",
            "messages[1]",
        ),
        (
            _body(stream="yes"),
            "stream: Expected `bool`, got `str`",
            "stream",
        ),
        (
            _body(system=[{"type": "image", "source": {}}]),
            "system[0].type: Invalid value 'image'",
            "system[0].type",
        ),
        (
            _body(tool_choice={"type": "sometimes"}),
            "tool_choice.type: Invalid value 'sometimes'",
            "tool_choice.type",
        ),
        (
            _body(thinking={"type": "enabled"}),
            "thinking: Object missing required field `budget_tokens`",
            "thinking",
        ),
    ],
)
def test_type_errors_name_the_field_path(body: bytes, message: str, path: str | None) -> None:
    error = _message_error(body)
    assert (error.message, error.path) == (message, path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([{"type": "text"}], "messages[0].content[0]: Object missing required field `text`"),
        ([{"type": "text", "text": 3}], "messages[0].content[0].text: Expected `str`, got `int`"),
        ([7], "messages[0].content[0]: Expected `object`, got `int`"),
        ([{"text": "no type"}], "messages[0].content[0]: Object missing required field `type`"),
        ([{"type": 3}], "messages[0].content[0].type: Expected `str`, got `int`"),
        (
            [{"type": "image", "source": {"type": "zip", "data": "x"}}],
            "messages[0].content[0].source.type: Invalid value 'zip'",
        ),
        (
            [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "text", "text": ["x"]}]}],
            "messages[0].content[0].content[0].text: Expected `str`, got `array`",
        ),
        (
            [{"type": "tool_use", "id": "t", "name": "Bash", "input": "{}"}],
            "messages[0].content[0].input: Expected `object`, got `str`",
        ),
        (
            [{"type": "text", "text": "x", "cache_control": {"ttl": "5m"}}],
            "messages[0].content[0].cache_control: Object missing required field `type`",
        ),
    ],
)
def test_errors_inside_content_blocks_carry_the_full_path(content: list[object], message: str) -> None:
    assert _message_error(_body(messages=[{"role": "user", "content": content}])).message == message


def test_errors_inside_tools_carry_the_full_path() -> None:
    body = _body(tools=[{"name": "ok", "input_schema": {}}, {"name": "bad"}])
    assert _message_error(body).message == "tools[1]: Object missing required field `input_schema`"


def test_unknown_members_are_ignored_everywhere() -> None:
    body = _body(
        brand_new_beta_flag={"anything": [1, 2]},
        messages=[{"role": "user", "content": [{"type": "text", "text": "x", "future": True}], "extra": 1}],
    )
    request = decode_client_body(body, anthropic.MessagesRequest)
    assert request.messages[0].content == [anthropic.TextBlock(text="x")]


def test_openai_body_errors_use_the_same_format() -> None:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "tool", "content": "x"}]}).encode()
    with pytest.raises(ClientBodyError) as info:
        decode_client_body(body, openai.ChatCompletionRequest)
    assert info.value.message == "messages[0]: Object missing required field `tool_call_id`"


def test_split_validation_message_joins_nested_paths_outermost_first() -> None:
    message = "Expected `str`, got `int` - at `$.text` - at `$.content[2]` - at `$.messages[0].content[1]`"
    assert split_validation_message(message) == (
        "Expected `str`, got `int`",
        "messages[0].content[1].content[2].text",
    )


def test_split_validation_message_without_path() -> None:
    assert split_validation_message("Object missing required field `model`") == (
        "Object missing required field `model`",
        None,
    )


def test_sent_fields_lists_what_the_client_set() -> None:
    body = json.dumps(
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "hi"}],
            "n": 2,
            "logit_bias": {"50256": -100},
            "temperature": None,
            "stream": False,
        }
    ).encode()
    request = decode_client_body(body, openai.ChatCompletionRequest)
    assert sent_fields(request) == ["model", "messages", "n", "stream", "logit_bias"]


def test_client_body_error_is_a_value_error_with_the_message_as_str() -> None:
    error = ClientBodyError("max_tokens: Expected `int` >= 1", path="max_tokens")
    assert isinstance(error, ValueError)
    assert str(error) == "max_tokens: Expected `int` >= 1"


# -- properties: nothing but ClientBodyError escapes, whatever the bytes -----------------------------------

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

_message_like = st.fixed_dictionaries(
    {
        "model": st.one_of(st.text(), _json_values),
        "max_tokens": st.one_of(st.integers(), _json_values),
        "messages": st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(["user", "assistant", "system", "tool"]),
                    "content": st.one_of(
                        st.text(),
                        st.lists(
                            st.dictionaries(
                                st.sampled_from(["type", "text", "source", "content", "input", "id", "name"]),
                                st.one_of(
                                    st.sampled_from(["text", "image", "tool_use", "tool_result", "weird"]),
                                    _json_values,
                                ),
                                max_size=4,
                            ),
                            max_size=3,
                        ),
                        _json_values,
                    ),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_client_body_error(data: bytes) -> None:
    for type_ in (anthropic.MessagesRequest, openai.ChatCompletionRequest):
        try:
            decode_client_body(data, type_)
        except ClientBodyError as exc:
            assert exc.message


@settings(max_examples=300, deadline=None)
@given(st.one_of(_message_like, _json_values))
def test_arbitrary_json_decodes_or_raises_client_body_error(value: object) -> None:
    data = json.dumps(value).encode()
    try:
        decode_client_body(data, anthropic.MessagesRequest)
    except ClientBodyError as exc:
        assert exc.message
        assert " - at `" not in exc.message


def test_open_union_tag_given_as_null_is_a_type_error_not_a_missing_field() -> None:
    error = _message_error(_body(messages=[{"role": "user", "content": [{"type": None}]}]))
    assert error.message == "messages[0].content[0].type: Expected `str`, got `null`"
