"""OpenAI Chat Completions through the real services, with the official `openai` SDK, against the simulator."""

from __future__ import annotations

import json

import httpx2 as httpx
import openai
import pytest
from stack import PIXEL, Stack

MODEL = "claude-sonnet-4-5"
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("e2e-openai")).start()
    stack.add_amazonq_account("q-1")
    stack.add_amazonq_account("q-2")  # one may be cooling down after the mid-stream throttling test
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def key(stack):
    return stack.create_api_key()


@pytest.fixture
def client(stack, key):
    return openai.OpenAI(base_url=stack.edge_url + "/v1", api_key=key, max_retries=0)


def test_create_returns_a_chat_completion(client):
    completion = client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello OpenAI"}])
    assert completion.object == "chat.completion"
    choice = completion.choices[0]
    assert "Hello OpenAI" in choice.message.content and choice.finish_reason == "stop"
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_stream_helper_sees_no_repeated_fields(client):
    with client.chat.completions.stream(model=MODEL, tools=[WEATHER], messages=[
            {"role": "user", "content": 'x [[tool_use:get_weather {"city": "Oslo"}]]'}]) as stream:
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.role == "assistant"
    call = message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Oslo"}
    assert call.id.count("tooluse_") == 1
    assert final.choices[0].finish_reason == "tool_calls"


def test_stream_with_include_usage_ends_with_a_usage_chunk(client):
    chunks = list(client.chat.completions.create(model=MODEL, stream=True, stream_options={"include_usage": True},
                                                 messages=[{"role": "user", "content": "usage please"}]))
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "usage please" in text


def test_stream_without_include_usage_has_no_empty_choices_chunk(stack, key):
    body = {"model": MODEL, "stream": True, "messages": [{"role": "user", "content": "plain"}]}
    response = httpx.post(stack.edge_url + "/v1/chat/completions", json=body,
                          headers={"authorization": f"Bearer {key}"}, timeout=30)
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    assert all(chunk["choices"] for chunk in chunks)
    assert sum(1 for c in chunks if "role" in c["choices"][0]["delta"]) == 1


def test_two_round_tool_loop(client):
    messages = [{"role": "user", "content": 'Weather? [[tool_use:get_weather {"city": "Rome"}]]'}]
    first = client.chat.completions.create(model=MODEL, tools=[WEATHER], messages=messages)
    call = first.choices[0].message.tool_calls[0]
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "Cloudy, 18°C"}]
    second = client.chat.completions.create(model=MODEL, tools=[WEATHER], messages=messages)
    assert "Cloudy, 18°C" in second.choices[0].message.content
    assert second.choices[0].finish_reason == "stop"


def test_images_as_data_urls(client):
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PIXEL}"}}]}])
    assert "Describe" in completion.choices[0].message.content


def test_length_finish_reason(client):
    completion = client.chat.completions.create(model=MODEL, max_tokens=3, messages=[{"role": "user", "content": "long"}])
    assert completion.choices[0].finish_reason == "length"


def test_midstream_failure_is_an_error_chunk(client):
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model=MODEL, stream=True,
                                                messages=[{"role": "user", "content": "[[midstream_error]]"}]):
            pass


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "n"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]}]},
         "image_url"),
        ({"logprobs": True}, "logprobs"),
    ],
)
def test_unsupported_options_are_400_naming_the_option(client, extra, param):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "x"}], **extra}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(**body)
    assert param in (caught.value.param or "") + caught.value.message


def test_unknown_model_is_404_model_not_found(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "model_not_found"


def test_malformed_json_is_400_in_openai_shape(stack, key):
    response = httpx.post(stack.edge_url + "/v1/chat/completions", content=b"{", timeout=30,
                          headers={"authorization": f"Bearer {key}", "content-type": "application/json"})
    assert response.status_code == 400 and "message" in response.json()["error"]


def test_models_list_in_openai_shape(client):
    models = client.models.list()
    assert any(m.id == "claude-sonnet-4.5" for m in models.data)
