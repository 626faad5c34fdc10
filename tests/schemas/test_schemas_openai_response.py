"""OpenAI response Structs produce what clients expect (client-apis.md §2.2–§2.4, §0.8), checked by the SDK."""

from __future__ import annotations

import json

import httpx2
import msgspec
import openai
import pytest
from schemas_sdk import openai_client, sse

from shared.schemas import openai as o

_MESSAGES = [{"role": "user", "content": "weather in Paris?"}]


def _chunk(
    delta: o.ChoiceDelta, finish: o.FinishReason | None = None, **extra: object
) -> o.ChatCompletionChunk:
    return o.ChatCompletionChunk(
        id="chatcmpl-1",
        created=1700000000,
        model="gpt-4o",
        choices=[o.ChunkChoice(delta=delta, finish_reason=finish)],
        **extra,  # type: ignore[arg-type]
    )


def _tool_stream(*, include_usage: bool) -> list[o.ChatCompletionChunk]:
    usage_member = {"usage": None} if include_usage else {}
    chunks = [
        _chunk(o.ChoiceDelta(role="assistant", content=""), **usage_member),
        _chunk(o.ChoiceDelta(content="Checking."), **usage_member),
        _chunk(
            o.ChoiceDelta(
                tool_calls=[
                    o.ToolCallDelta(
                        index=0,
                        id="call_1",
                        type="function",
                        function=o.FunctionCallDelta(name="get_weather", arguments=""),
                    )
                ]
            ),
            **usage_member,
        ),
        _chunk(
            o.ChoiceDelta(
                tool_calls=[o.ToolCallDelta(index=0, function=o.FunctionCallDelta(arguments='{"city":'))]
            ),
            **usage_member,
        ),
        _chunk(
            o.ChoiceDelta(
                tool_calls=[o.ToolCallDelta(index=0, function=o.FunctionCallDelta(arguments='"Paris"}'))]
            ),
            **usage_member,
        ),
        _chunk(o.ChoiceDelta(), "tool_calls", **usage_member),
    ]
    if include_usage:
        chunks.append(
            o.ChatCompletionChunk(
                id="chatcmpl-1",
                created=1700000000,
                model="gpt-4o",
                choices=[],
                usage=o.Usage(prompt_tokens=9, completion_tokens=12, total_tokens=21),
            )
        )
    return chunks


def _sse_body(chunks: list[o.ChatCompletionChunk]) -> bytes:
    return sse([(None, msgspec.json.encode(c)) for c in chunks]) + b"data: [DONE]\n\n"


def test_first_delta_carries_role_and_later_ones_do_not() -> None:
    first, second, tool_start, tool_more, *_ = (
        json.loads(msgspec.json.encode(c)) for c in _tool_stream(include_usage=False)
    )
    assert first["choices"][0] == {
        "index": 0,
        "delta": {"role": "assistant", "content": ""},
        "logprobs": None,
        "finish_reason": None,
    }
    assert second["choices"][0]["delta"] == {"content": "Checking."}
    assert tool_start["choices"][0]["delta"]["tool_calls"] == [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    ]
    assert tool_more["choices"][0]["delta"]["tool_calls"] == [
        {"index": 0, "function": {"arguments": '{"city":'}}
    ]
    assert first["object"] == "chat.completion.chunk" and first["system_fingerprint"] is None


def test_usage_member_is_absent_unless_requested_and_null_on_every_chunk_when_it_is() -> None:
    without = [json.loads(msgspec.json.encode(c)) for c in _tool_stream(include_usage=False)]
    assert all("usage" not in chunk for chunk in without)
    with_usage = [json.loads(msgspec.json.encode(c)) for c in _tool_stream(include_usage=True)]
    assert all(chunk["usage"] is None for chunk in with_usage[:-1])
    assert with_usage[-1]["choices"] == [] and with_usage[-1]["usage"]["total_tokens"] == 21


def test_final_choice_chunk_has_empty_delta_and_finish_reason() -> None:
    last = json.loads(msgspec.json.encode(_tool_stream(include_usage=False)[-1]))
    assert last["choices"][0]["delta"] == {} and last["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("include_usage", [False, True])
def test_sdk_stream_helper_accumulates_our_chunks_without_duplicating_ids(include_usage: bool) -> None:
    body = _sse_body(_tool_stream(include_usage=include_usage))
    client = openai_client(
        lambda request: httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    )
    with client.chat.completions.stream(model="gpt-4o", messages=_MESSAGES) as stream:  # type: ignore[arg-type]
        final = stream.get_final_completion()

    message = final.choices[0].message
    assert message.role == "assistant" and message.content == "Checking."
    assert message.tool_calls is not None
    call = message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_1",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert final.choices[0].finish_reason == "tool_calls"
    assert (final.usage is not None) is include_usage


def test_non_streaming_completion_writes_null_content_and_refusal_and_the_sdk_parses_it() -> None:
    completion = o.ChatCompletion(
        id="chatcmpl-9",
        created=1700000000,
        model="gpt-4o",
        choices=[
            o.Choice(
                message=o.ResponseMessage(
                    tool_calls=[o.ToolCall(id="call_9", function=o.FunctionCall(name="f", arguments="{}"))]
                ),
                finish_reason="tool_calls",
            )
        ],
        usage=o.Usage(
            prompt_tokens=5,
            completion_tokens=7,
            total_tokens=12,
            prompt_tokens_details=o.PromptTokensDetails(cached_tokens=2),
        ),
    )
    body = msgspec.json.encode(completion)
    wire = json.loads(body)
    assert wire["choices"][0]["message"] == {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "tool_calls": [{"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    }
    assert wire["object"] == "chat.completion" and wire["choices"][0]["logprobs"] is None

    client = openai_client(lambda request: httpx2.Response(200, content=body))
    result = client.chat.completions.create(model="gpt-4o", messages=_MESSAGES)  # type: ignore[arg-type]
    assert result.choices[0].message.tool_calls[0].function.name == "f"  # type: ignore[index,union-attr]
    assert result.usage is not None and result.usage.prompt_tokens_details.cached_tokens == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("status", "error_type", "code", "sdk_error"),
    [
        (400, "invalid_request_error", None, openai.BadRequestError),
        (401, "invalid_request_error", "invalid_api_key", openai.AuthenticationError),
        (403, "permission_error", None, openai.PermissionDeniedError),
        (404, "invalid_request_error", None, openai.NotFoundError),
        (429, "rate_limit_error", "rate_limit_exceeded", openai.RateLimitError),
        (500, "server_error", None, openai.InternalServerError),
        (503, "server_error", None, openai.InternalServerError),
    ],
)
def test_error_body_per_status_and_the_sdk_exposes_its_members(
    status: int, error_type: str, code: str | None, sdk_error: type[openai.APIStatusError]
) -> None:
    body = msgspec.json.encode(o.error_for_status(status, "nope"))
    assert json.loads(body) == {"error": {"message": "nope", "type": error_type, "param": None, "code": code}}

    client = openai_client(lambda request: httpx2.Response(status, content=body))
    with pytest.raises(sdk_error) as info:
        client.chat.completions.create(model="gpt-4o", messages=_MESSAGES)  # type: ignore[arg-type]
    assert (info.value.type, info.value.code) == (error_type, code)  # type: ignore[attr-defined]


def test_error_code_and_param_can_be_given() -> None:
    error = o.error_for_status(404, "The model `x` does not exist", code="model_not_found", param="model")
    assert error.error == o.ErrorDetail(
        message="The model `x` does not exist",
        type="invalid_request_error",
        param="model",
        code="model_not_found",
    )


def test_models_list_shape() -> None:
    models = o.ModelList(data=[o.Model(id="claude-sonnet-4-5", created=0, owned_by="q2api")])
    assert json.loads(msgspec.json.encode(models)) == {
        "object": "list",
        "data": [{"id": "claude-sonnet-4-5", "object": "model", "created": 0, "owned_by": "q2api"}],
    }
