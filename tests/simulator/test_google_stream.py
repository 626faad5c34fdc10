"""Code Assist generation on the wire: SSE framing, envelope, directives, stream faults (gemini-code-assist.md §3)."""

from __future__ import annotations

import json
import re
import time

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.simulator.google import setup_google
from services.simulator.google.control_client import GoogleControl, SimUser

STREAM = "/codeassist/v1internal:streamGenerateContent?alt=sse"
UNARY = "/codeassist/v1internal:generateContent"
WEATHER_TOOL = {"functionDeclarations": [{"name": "get_weather", "description": "Weather for a city",
                                          "parametersJsonSchema": {"type": "object",
                                                                   "properties": {"city": {"type": "string"}},
                                                                   "required": ["city"]}}]}


@pytest.fixture
async def client(aiohttp_client) -> TestClient:
    app = web.Application()
    setup_google(app)
    return await aiohttp_client(app)


@pytest.fixture
def control(client: TestClient) -> GoogleControl:
    return GoogleControl(client)


@pytest.fixture
async def user(control: GoogleControl) -> SimUser:
    return await control.create_user(onboarded=True, issue_access_token=True)


def envelope(user: SimUser, text: str, model: str = "gemini-2.5-flash", **request: object) -> dict:
    return {"model": model, "project": user.project_id, "user_prompt_id": "p-1",
            "request": {"contents": [{"role": "user", "parts": [{"text": text}]}], **request}}


async def stream(client: TestClient, user: SimUser, body: dict) -> tuple[aiohttp.ClientResponse, bytes]:
    response = await client.post(STREAM, json=body, headers={"Authorization": f"Bearer {user.access_token}"})
    return response, await response.read()


def events(raw: bytes) -> list[dict]:
    """Split on CRLF blank lines, strip ``data: `` — deliberately simpler than a real SSE parser, so any
    framing deviation shows up."""
    assert raw.endswith(b"\r\n\r\n")
    blocks = raw[:-4].split(b"\r\n\r\n")
    out = []
    for block in blocks:
        assert block.startswith(b"data: ") and b"\r\n" not in block and b"\n" not in block
        out.append(json.loads(block[6:]))
    return out


def parts(evts: list[dict]) -> list[dict]:
    return [p for e in evts for p in e["response"]["candidates"][0]["content"]["parts"]]


async def test_stream_framing_is_crlf_one_line_json_and_blank_line_separated(client, user):
    response, raw = await stream(client, user, envelope(user, "hello"))
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    assert re.fullmatch(rb"(data: \{[^\r\n]*\}\r\n\r\n)+", raw)
    assert b'"role": "model","parts": [' in raw  # Google's one-line style: ": " after keys, no space after ","


async def test_every_event_is_enveloped_with_the_header_trace_id(client, user):
    response, raw = await stream(client, user, envelope(user, "hello"))
    evts = events(raw)
    trace = response.headers["x-cloudaicompanion-trace-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", trace)
    assert all(set(e) == {"response", "traceId"} and e["traceId"] == trace for e in evts)


async def test_response_id_create_time_and_model_version_repeat_on_every_chunk(client, user):
    _, raw = await stream(client, user, envelope(user, "hello"))
    evts = events(raw)
    assert len(evts) > 1
    for key in ("responseId", "createTime", "modelVersion"):
        assert len({e["response"][key] for e in evts}) == 1
    assert evts[0]["response"]["modelVersion"] == "gemini-2.5-flash"


async def test_finish_reason_and_full_usage_only_on_the_last_chunk(client, user):
    _, raw = await stream(client, user, envelope(user, "hello"))
    *head, last = events(raw)
    assert all("finishReason" not in e["response"]["candidates"][0] for e in head)
    assert all(e["response"]["usageMetadata"] == {"trafficType": "PROVISIONED_THROUGHPUT"} for e in head)
    usage = last["response"]["usageMetadata"]
    assert last["response"]["candidates"][0]["finishReason"] == "STOP"
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert "index" not in last["response"]["candidates"][0]


async def test_tool_use_directive_gives_one_complete_function_call_and_stop(client, user):
    body = envelope(user, 'weather? [[tool_use:get_weather {"city": "Paris"}]]', tools=[WEATHER_TOOL])
    _, raw = await stream(client, user, body)
    evts = events(raw)
    calls = [p["functionCall"] for p in parts(evts) if "functionCall" in p]
    assert calls == [{"name": "get_weather", "args": {"city": "Paris"}}]  # no id (§5.3)
    assert evts[-1]["response"]["candidates"][0]["finishReason"] == "STOP"


async def test_thinking_directive_gives_thought_parts_when_include_thoughts_is_set(client, user):
    body = envelope(user, "think [[thinking]]", generationConfig={"thinkingConfig": {"includeThoughts": True}})
    _, raw = await stream(client, user, body)
    evts = events(raw)
    thoughts = [p for p in parts(evts) if p.get("thought")]
    assert thoughts and all(isinstance(p["text"], str) for p in thoughts)
    assert evts[-1]["response"]["usageMetadata"]["thoughtsTokenCount"] > 0


async def test_thoughts_are_counted_but_not_sent_without_include_thoughts(client, user):
    _, raw = await stream(client, user, envelope(user, "think [[thinking]]"))
    evts = events(raw)
    assert not [p for p in parts(evts) if p.get("thought")]
    assert evts[-1]["response"]["usageMetadata"]["thoughtsTokenCount"] > 0


async def test_max_tokens_directive_ends_with_max_tokens(client, user):
    _, raw = await stream(client, user, envelope(user, "go on [[max_tokens]]"))
    assert events(raw)[-1]["response"]["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_max_output_tokens_cuts_the_answer_with_max_tokens(client, user):
    _, raw = await stream(client, user, envelope(user, "hello", generationConfig={"maxOutputTokens": 5}))
    evts = events(raw)
    assert evts[-1]["response"]["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert evts[-1]["response"]["usageMetadata"]["candidatesTokenCount"] <= 5


async def test_midstream_error_directive_sends_output_then_an_error_event_and_ends(client, user):
    response, raw = await stream(client, user, envelope(user, "hello [[midstream_error]]"))
    assert response.status == 200
    *output, failure = events(raw)
    assert output and all("finishReason" not in e["response"]["candidates"][0] for e in output)
    assert failure == {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}


async def test_truncate_directive_drops_the_connection_without_finish_reason(client, user):
    response = await client.post(STREAM, json=envelope(user, "hello [[truncate_stream]]"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200
    received = b""
    with pytest.raises(aiohttp.ClientPayloadError):
        async for chunk in response.content.iter_any():
            received += chunk
    assert received.startswith(b"data: ") and b"finishReason" not in received


async def test_status_directive_fails_k_times_then_succeeds(client, user):
    body = envelope(user, "flaky [[status:429*2]]")
    for _ in range(2):
        response, raw = await stream(client, user, body)
        assert response.status == 429
        assert json.loads(raw) == [{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                                              "status": "RESOURCE_EXHAUSTED"}}]
    response, raw = await stream(client, user, body)
    assert response.status == 200 and events(raw)


async def test_stream_errors_are_pretty_printed_one_element_arrays(client, user):
    response, raw = await stream(client, user, envelope(user, "x [[status:503]]"))
    assert response.status == 503
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert raw.startswith(b'[\n  {\n    "error": {\n      "code": 503,')


async def test_unary_generate_content_returns_one_envelope_with_merged_parts(client, user):
    response = await client.post(UNARY, json=envelope(user, "hello"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200
    body = await response.json()
    assert set(body) == {"response", "traceId"}
    assert body["traceId"] == response.headers["x-cloudaicompanion-trace-id"]
    candidate = body["response"]["candidates"][0]
    assert len(candidate["content"]["parts"]) == 1 and candidate["finishReason"] == "STOP"
    assert "avgLogprobs" in candidate


async def test_unary_errors_are_bare_objects(client, user):
    response = await client.post(UNARY, json=envelope(user, "x [[status:500]]"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 500
    assert await response.json() == {"error": {"code": 500, "message": "Internal error encountered.",
                                               "status": "INTERNAL"}}


async def test_stream_method_without_alt_sse_returns_a_json_array(client, user):
    response = await client.post("/codeassist/v1internal:streamGenerateContent", json=envelope(user, "hello"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    chunks = await response.json()
    assert isinstance(chunks, list) and chunks[-1]["response"]["candidates"][0]["finishReason"] == "STOP"


async def test_tool_results_turn_gets_an_answer_quoting_the_result(client, user):
    body = envelope(user, "", tools=[WEATHER_TOOL])
    body["request"]["contents"] = [
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "sunny, 21C"}}}]},
    ]
    _, raw = await stream(client, user, body)
    text = "".join(p.get("text", "") for p in parts(events(raw)))
    assert "sunny, 21C" in text


# ------------------------------------------------------------------ Gemini 3 thought signatures


async def test_gemini3_signs_the_first_function_call_and_accepts_it_back(client, user):
    body = envelope(user, 'go [[tool_use:get_weather {"city": "Oslo"}]]', model="gemini-3-pro-preview",
                    tools=[WEATHER_TOOL])
    _, raw = await stream(client, user, body)
    [call] = [p for p in parts(events(raw)) if "functionCall" in p]
    assert len(call["thoughtSignature"]) > 100
    body["request"]["contents"] += [
        {"role": "model", "parts": [call]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "snow"}}}]},
    ]
    response, raw = await stream(client, user, body)
    assert response.status == 200


async def test_gemini3_text_turn_ends_with_an_empty_signed_part(client, user):
    _, raw = await stream(client, user, envelope(user, "hello", model="gemini-3-flash-preview"))
    last_parts = events(raw)[-1]["response"]["candidates"][0]["content"]["parts"]
    assert last_parts[-1]["text"] == "" and last_parts[-1]["thoughtSignature"]


# ------------------------------------------------------------------ stream-shaping faults and scripts


async def test_multiline_data_fault_spreads_one_event_over_several_data_lines(client, control, user):
    await control.fault(user.user_id, "multiline_data", times=1)
    _, raw = await stream(client, user, envelope(user, "hello"))
    first_event = raw.split(b"\r\n\r\n")[0]
    lines = first_event.split(b"\r\n")
    assert len(lines) > 3 and all(line.startswith(b"data: ") for line in lines)
    assert json.loads(b"\n".join(line[6:] for line in lines))["response"]["candidates"]


async def test_lf_framing_fault_uses_bare_line_feeds(client, control, user):
    await control.fault(user.user_id, "lf_framing", times=1)
    _, raw = await stream(client, user, envelope(user, "hello"))
    assert b"\r" not in raw and raw.endswith(b"}\n\n")


async def test_no_finish_reason_fault_ends_cleanly_without_finish_reason(client, control, user):
    await control.fault(user.user_id, "no_finish_reason", times=1)
    _, raw = await stream(client, user, envelope(user, "hello"))
    assert b"finishReason" not in raw and events(raw)


async def test_fragments_fault_delivers_the_same_bytes_in_tiny_pieces(client, control, user):
    await control.fault(user.user_id, "fragments", times=1, bytes=5)
    response = await client.post(STREAM, json=envelope(user, "hello"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    raw = b"".join([chunk async for chunk in response.content.iter_any()])
    assert events(raw)[-1]["response"]["candidates"][0]["finishReason"] == "STOP"


async def test_scripted_steps_replace_the_planned_answer(client, control, user):
    await control.script(user.user_id, {"steps": [{"text": "scripted "}, {"text": "answer"}]})
    _, raw = await stream(client, user, envelope(user, "hello"))
    assert "".join(p["text"] for p in parts(events(raw))) == "scripted answer"


async def test_a_scripted_raw_answer_is_sent_byte_for_byte(client, control, user):
    await control.script(user.user_id, {"raw": {"status": 200, "headers": {"Content-Type": "text/event-stream"},
                                                "chunks": ["data: {\"x\": 1}\n", "\n"]}})
    response, raw = await stream(client, user, envelope(user, "hello"))
    assert (response.status, raw) == (200, b'data: {"x": 1}\n\n')


async def test_pacing_directive_delays_the_first_event(client, user):
    started = time.perf_counter()
    _, raw = await stream(client, user, envelope(user, "hello [[delay_first_ms:150]]"))
    assert time.perf_counter() - started >= 0.15 and events(raw)


async def test_include_thoughts_alone_brings_thought_parts_back(client, user):
    body = envelope(user, "hello", generationConfig={"thinkingConfig": {"includeThoughts": True}})
    _, raw = await stream(client, user, body)
    assert [p for p in parts(events(raw)) if p.get("thought")]


async def test_a_status_directive_counts_tries_across_accounts(client, control, user):
    other = await control.create_user(onboarded=True, issue_access_token=True)
    first, _ = await stream(client, user, envelope(user, "rotate [[status:429*1]]"))
    second, _ = await stream(client, other, envelope(other, "rotate [[status:429*1]]"))
    assert (first.status, second.status) == (429, 200)
