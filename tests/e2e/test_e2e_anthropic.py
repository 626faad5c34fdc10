"""Anthropic Messages through the real services, with the official `anthropic` SDK, against the simulator."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2 as httpx
import pytest
from stack import PIXEL, Stack

from services.edge.auth import KEY_CACHE_SECONDS

MODEL = "claude-sonnet-4-5-20250929"
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def streamed_text(sse: str) -> str:
    events = [json.loads(line[6:]) for line in sse.splitlines() if line.startswith("data: ")]
    return "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("e2e-anthropic")).start()
    stack.add_amazonq_account("q-1")
    stack.add_amazonq_account("q-2")
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def key(stack):
    return stack.create_api_key()


@pytest.fixture
def client(stack, key):
    return anthropic.Anthropic(base_url=stack.edge_url, api_key=key, max_retries=0)


def test_create_returns_a_complete_message(client):
    message = client.messages.create(model=MODEL, max_tokens=300, messages=[{"role": "user", "content": "Hello there"}])
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_")
    assert "Hello there" in message.content[0].text and "你好" in message.content[0].text
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0
    assert message.model == "claude-sonnet-4.5", "the response names the upstream model actually used"


def test_stream_text_and_final_message_agree(client):
    with client.messages.stream(model=MODEL, max_tokens=300, messages=[{"role": "user", "content": "Stream me"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text and "Stream me" in text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0


def test_raw_stream_follows_the_event_grammar_with_event_lines(stack, key):
    body = {"model": MODEL, "max_tokens": 100, "stream": True, "messages": [{"role": "user", "content": "grammar"}]}
    response = httpx.post(stack.edge_url + "/v1/messages", json=body, headers={"x-api-key": key}, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["request-id"] and response.headers["x-request-id"]
    frames = [f for f in response.text.split("\n\n") if f.strip()]
    names = []
    for frame in frames:
        event_line, data_line = frame.split("\n")
        name = event_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
        names.append(name)
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert "ping" in names


def test_two_round_tool_loop(client):
    messages = [{"role": "user", "content": 'Weather in Paris? [[tool_use:get_weather {"city": "Paris"}]]'}]
    first = client.messages.create(model=MODEL, max_tokens=300, tools=[WEATHER_TOOL], messages=messages)
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "Paris"}
    messages += [
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "Sunny, 24°C"}]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=300, tools=[WEATHER_TOOL], messages=messages)
    assert second.stop_reason == "end_turn"
    assert "Sunny, 24°C" in second.content[0].text


def test_streamed_tool_use_reassembles_its_input(client):
    with client.messages.stream(model=MODEL, max_tokens=300, tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": 'go [[tool_use:get_weather {"city": "Zürich — ✓"}]]'}]) as stream:
        final = stream.get_final_message()
    call = next(b for b in final.content if b.type == "tool_use")
    assert call.input == {"city": "Zürich — ✓"} and final.stop_reason == "tool_use"


def test_forced_tool_choice_is_emulated(client):
    message = client.messages.create(model=MODEL, max_tokens=300, tools=[WEATHER_TOOL],
                                     tool_choice={"type": "tool", "name": "get_weather"},
                                     messages=[{"role": "user", "content": "anything"}])
    assert message.stop_reason == "tool_use"
    assert next(b for b in message.content if b.type == "tool_use").input == {"city": "example"}


def test_images_and_system_blocks_are_accepted(client):
    message = client.messages.create(
        model=MODEL, max_tokens=300,
        system=[{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PIXEL}},
            {"type": "text", "text": "What is this?"},
        ]}],
    )
    assert "What is this?" in message.content[0].text


def test_thinking_comes_back_as_thinking_blocks(client):
    message = client.messages.create(model=MODEL, max_tokens=2000, thinking={"type": "enabled", "budget_tokens": 1024},
                                     messages=[{"role": "user", "content": "Think first"}])
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking and message.content[0].signature


def test_no_thinking_block_when_not_asked(client):
    message = client.messages.create(model=MODEL, max_tokens=300, messages=[{"role": "user", "content": "[[thinking]] hi"}])
    assert all(b.type == "text" for b in message.content)


def test_count_tokens_equals_the_messages_input_tokens(client):
    body = {"model": MODEL, "system": "Be brief.", "tools": [WEATHER_TOOL],
            "messages": [{"role": "user", "content": "Count these tokens, please."}]}
    counted = client.messages.count_tokens(**body)
    created = client.messages.create(max_tokens=200, **body)
    assert counted.input_tokens == created.usage.input_tokens > 0


def test_a_stream_cut_midway_makes_the_sdk_raise(client):
    with pytest.raises(anthropic.APIError):
        with client.messages.stream(model=MODEL, max_tokens=300,
                                    messages=[{"role": "user", "content": "cut [[truncate_stream]]"}]) as stream:
            stream.get_final_message()


def test_an_upstream_exception_midstream_is_an_error_event(client):
    with pytest.raises(anthropic.APIStatusError) as caught:
        with client.messages.stream(model=MODEL, max_tokens=300,
                                    messages=[{"role": "user", "content": "boom [[midstream_error]]"}]) as stream:
            for _ in stream:
                pass
    assert caught.value.type in ("overloaded_error", "api_error")


def test_max_tokens_stops_the_answer(client):
    message = client.messages.create(model=MODEL, max_tokens=5, messages=[{"role": "user", "content": "long please"}])
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens <= 5


def test_upstream_output_limit_maps_to_max_tokens(client):
    message = client.messages.create(model=MODEL, max_tokens=4000, messages=[{"role": "user", "content": "[[max_tokens]]"}])
    assert message.stop_reason == "max_tokens"


def test_stop_sequences_are_applied(client):
    message = client.messages.create(model=MODEL, max_tokens=300, stop_sequences=["deterministic"],
                                     messages=[{"role": "user", "content": "stop early"}])
    assert message.stop_reason == "stop_sequence" and message.stop_sequence == "deterministic"
    assert "deterministic" not in message.content[0].text


def test_claude_code_request_shape_is_accepted(stack, key):
    tools = [{"name": f"Tool{i}", "description": f"tool number {i}", "input_schema": {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "additionalProperties": False,
        "properties": {"arg": {"type": "string"}}, "required": ["arg"]}} for i in range(24)]
    body = {
        "model": "claude-opus-4-8", "max_tokens": 64000, "stream": True,
        "thinking": {"type": "adaptive"}, "output_config": {"effort": "high"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": json.dumps({"device_id": "d", "session_id": "s"})},
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=sdk-cli;"},
            {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "Main system prompt " * 300, "cache_control": {"type": "ephemeral"}},
        ],
        "tools": tools,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
                                         {"type": "text", "text": "Run Tool3 [[tool_use:Tool3 {\"arg\": \"x\"}]]",
                                          "cache_control": {"type": "ephemeral"}}]},
            {"role": "system", "content": "Available agent types: general."},
        ],
    }
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01", "x-app": "cli",
               "anthropic-beta": "claude-code-20250219,context-1m-2025-08-07,interleaved-thinking-2025-05-14,"
                                 "context-management-2025-06-27,mid-conversation-system-2026-04-07,effort-2025-11-24",
               "x-claude-code-session-id": "5f0c8a8e-1111-4222-8333-944445555666"}
    response = httpx.post(stack.edge_url + "/v1/messages?beta=true", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    tool_starts = [e for e in events if e["type"] == "content_block_start" and e["content_block"]["type"] == "tool_use"]
    assert tool_starts and tool_starts[0]["content_block"]["name"] == "Tool3"
    assert events[-1]["type"] == "message_stop"
    assert any(e["type"] == "message_delta" and e["delta"]["stop_reason"] == "tool_use" for e in events)

    # the follow-up: the assistant turn echoed back, and a tool_result with cache_control
    tool_id = tool_starts[0]["content_block"]["id"]
    body["messages"] += [
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I should run it.", "signature": "sig"},
            {"type": "text", "text": "Running."},
            {"type": "tool_use", "id": tool_id, "name": "Tool3", "input": {"arg": "x"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "hi", "is_error": False,
                                      "cache_control": {"type": "ephemeral"}}]},
    ]
    response = httpx.post(stack.edge_url + "/v1/messages?beta=true", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    assert "The tool returned: «hi»" in streamed_text(response.text)
    count = httpx.post(stack.edge_url + "/v1/messages/count_tokens?beta=true",
                       json={k: v for k, v in body.items() if k not in ("max_tokens", "stream")}, headers=headers, timeout=30)
    assert count.status_code == 200 and count.json()["input_tokens"] > 1000


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}]}', 400, "max_tokens"),
        (b'{"model": "claude-sonnet-4-5", "max_tokens": "many", "messages": []}', 400, "max_tokens"),
        (b'{"model": "gpt-9", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}', 404, "gpt-9"),
        (b'\xff\xfe', 400, "not valid"),
        (b'{"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": [{"type": "image", '
         b'"source": {"type": "url", "url": "https://example.com/a.png"}}]}]}', 400, "URL"),
    ],
)
def test_bad_input_gets_a_clear_error_in_the_anthropic_shape(stack, key, body, status, needle):
    response = httpx.post(stack.edge_url + "/v1/messages", content=body,
                          headers={"x-api-key": key, "content-type": "application/json"}, timeout=30)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["type"] == "error" and needle.lower() in error["error"]["message"].lower()
    assert response.headers["x-should-retry"] == "false"


def test_wrong_key_is_401_and_not_retried(stack):
    client = anthropic.Anthropic(base_url=stack.edge_url, api_key="sk-q2a-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
    assert caught.value.response.headers["x-should-retry"] == "false"


def test_huge_bodies_are_refused_with_413(stack, key):
    body = b'{"model": "x", "max_tokens": 1, "messages": [{"role": "user", "content": "' + b"a" * (33 * 1024 * 1024) + b'"}]}'
    response = httpx.post(stack.edge_url + "/v1/messages", content=body,
                          headers={"x-api-key": key, "content-type": "application/json"}, timeout=60)
    assert response.status_code == 413 and response.json()["error"]["type"] == "request_too_large"


def test_models_list_serves_both_sdks(stack, key):
    listing = anthropic.Anthropic(base_url=stack.edge_url, api_key=key).models.list()
    assert any(m.id == "claude-sonnet-4.5" for m in listing.data)


def test_disabling_a_key_takes_effect_within_edges_key_cache_time(stack):
    created = stack.admin("POST", "/admin/api/keys", json={"name": "short-lived"}).json()
    client = anthropic.Anthropic(base_url=stack.edge_url, api_key=created["key"], max_retries=0)
    ask = {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hello"}]}
    assert client.messages.create(**ask).content  # edge now remembers the key (KEY_CACHE_SECONDS)
    assert stack.admin("PATCH", f"/admin/api/keys/{created['id']}", json={"enabled": False}).status_code == 200
    deadline = time.monotonic() + KEY_CACHE_SECONDS + 2.0
    while True:
        try:
            client.messages.create(**ask)
        except anthropic.AuthenticationError as refused:
            assert "disabled" in refused.message
            break
        assert time.monotonic() < deadline, "a disabled key was still served after the key cache time"
        time.sleep(0.1)
    assert stack.admin("PATCH", f"/admin/api/keys/{created['id']}", json={"enabled": True}).status_code == 200
    time.sleep(KEY_CACHE_SECONDS)
    assert client.messages.create(**ask).content
