"""The answer stream of the simulated Amazon Q: frames, their order and payloads (amazonq.md §3)."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from qsim_helpers import (
    call_generate,
    call_rest,
    decode_frames,
    event_types,
    generate_body,
    new_user,
    sim_app,
    state_of,
    text_of,
    tool_spec,
)

from services.simulator.plan import PromptView, plan_answer
from shared.prompt_hints import tool_choice_tool

TOOL_ID = re.compile(r"^tooluse_[A-Za-z0-9]{22}$")


async def test_text_answer_starts_with_initial_response_and_ends_with_metering_then_context_usage(sim):
    user = await new_user(sim)
    body = generate_body("Hello there", conversation_id="conv-123")
    response = await call_generate(sim, user["accessToken"], body)
    assert response.status == 200
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert re.fullmatch(r"[0-9a-f-]{36}", response.headers["x-amzn-RequestId"])
    frames = decode_frames(await response.read())
    kinds = event_types(frames)
    assert kinds[0] == "initial-response" and frames[0].payload == b'{"conversationId":"conv-123"}'
    assert kinds[-2:] == ["meteringEvent", "contextUsageEvent"]
    assert set(kinds[1:-2]) == {"assistantResponseEvent"}
    assert all(f.message_type == "event" and f.headers[":content-type"] == "application/json" for f in frames)
    expected = plan_answer(PromptView("Hello there")).text
    assert text_of(frames) == expected and "«Hello there»" in expected


async def test_header_order_and_bytes_match_the_documented_example_frame(sim):
    """amazonq.md §3.1 worked example: {"content":"Hi"} is this exact 124-byte frame."""
    user = await new_user(sim, script=[{"text": "Hi"}])
    response = await call_generate(sim, user["accessToken"], generate_body())
    data = await response.read()
    example = bytes.fromhex(
        "0000007c0000005c3bddcf780b3a6576656e742d7479706507001661737369737461"
        "6e74526573706f6e73654576656e740d3a636f6e74656e742d747970650700106170"
        "706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070005657665"
        "6e747b22636f6e74656e74223a224869227db02babdc"
    )
    assert example in data
    assert text_of(decode_frames(data)) == "Hi"


async def test_metering_and_context_usage_payloads_have_the_captured_shape(sim):
    user = await new_user(sim)
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body())).read())
    metering, context = frames[-2], frames[-1]
    assert re.fullmatch(rb'\{"unit":"credit","unitPlural":"credits","usage":[0-9.e-]+\}', metering.payload)
    assert 0 < metering.json["usage"] < 1
    assert list(context.json) == ["contextUsagePercentage"] and 0 < context.json["contextUsagePercentage"] < 100


async def test_rest_flavour_has_no_initial_response_and_returns_the_conversation_id_header(sim):
    user = await new_user(sim)
    response = await call_rest(sim, user["accessToken"], generate_body(conversation_id="kiro-conv", origin="AI_EDITOR"))
    assert response.status == 200
    assert response.headers["x-amzn-codewhisperer-conversation-id"] == "kiro-conv"
    kinds = event_types(decode_frames(await response.read()))
    assert kinds[0] == "assistantResponseEvent" and "initial-response" not in kinds


async def test_initial_response_can_be_switched_off(sim):
    user = await new_user(sim)
    assert (await sim.put("/_sim/aws/settings", json={"emit_initial_response": False})).status == 200
    kinds = event_types(decode_frames(await (await call_generate(sim, user["accessToken"], generate_body())).read()))
    assert kinds[0] == "assistantResponseEvent"


async def test_tool_use_streams_start_then_fragments_then_stop_and_fragments_join_to_the_input(sim):
    user = await new_user(sim)
    directive_input = {"city": "Zürich", "days": 3, "note": 'say "hi"\n', "alpha": [1, 2]}
    content = f"Weather please [[tool_use:get_weather {json.dumps(directive_input)}]]"
    response = await call_generate(sim, user["accessToken"], generate_body(content, tools=[tool_spec()]))
    frames = decode_frames(await response.read())
    tool_frames = [f for f in frames if f.event_type == "toolUseEvent"]
    start, *fragments, stop = (f.json for f in tool_frames)
    assert list(start) == ["name", "toolUseId"] and start["name"] == "get_weather"
    assert TOOL_ID.fullmatch(start["toolUseId"])
    assert len(fragments) >= 2
    for fragment in fragments:
        assert list(fragment) == ["input", "name", "toolUseId"]
        assert fragment["toolUseId"] == start["toolUseId"] and fragment["name"] == "get_weather"
    assert stop == {"name": "get_weather", "stop": True, "toolUseId": start["toolUseId"]}
    assert list(json.loads(tool_frames[-1].payload)) == ["name", "stop", "toolUseId"]
    joined = "".join(f["input"] for f in fragments)
    # compact JSON with keys in alphabetical order, as the real service writes it (§3.3)
    assert joined == json.dumps(directive_input, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(joined) == directive_input
    kinds = event_types(frames)
    assert kinds.index("toolUseEvent") > max(i for i, k in enumerate(kinds) if k == "assistantResponseEvent")
    assert kinds[-2:] == ["meteringEvent", "contextUsageEvent"]


async def test_tool_ids_are_fresh_for_every_answer(sim):
    user = await new_user(sim)
    body = generate_body("[[tool_use:get_weather]]", tools=[tool_spec()])
    ids = set()
    for _ in range(3):
        frames = decode_frames(await (await call_generate(sim, user["accessToken"], body)).read())
        ids.add(next(f.json["toolUseId"] for f in frames if f.event_type == "toolUseEvent"))
    assert len(ids) == 3


async def test_some_tool_inputs_are_streamed_with_an_empty_fragment(sim):
    user = await new_user(sim)
    seen_empty = False
    for city in ("Oslo", "Paris", "Rome", "Lima"):
        content = f'[[tool_use:get_weather {{"city": "{city}"}}]]'
        frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body(content, tools=[tool_spec()]))).read())
        fragments = [f.json["input"] for f in frames if f.event_type == "toolUseEvent" and "input" in f.json]
        assert json.loads("".join(fragments)) == {"city": city}
        seen_empty |= "" in fragments
    assert seen_empty


async def test_tool_without_directive_input_gets_an_input_built_from_its_schema(sim):
    user = await new_user(sim)
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body("[[tool_use:get_weather]]", tools=[tool_spec()]))).read())
    joined = "".join(f.json.get("input", "") for f in frames if f.event_type == "toolUseEvent")
    assert json.loads(joined) == {"city": "example"}


async def test_forced_tool_choice_instruction_makes_the_model_call_that_tool(sim):
    user = await new_user(sim)
    tools = [tool_spec("search", "Search the web"), tool_spec()]
    content = "What is the weather?\n\n" + tool_choice_tool("get_weather")
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body(content, tools=tools))).read())
    names = {f.json["name"] for f in frames if f.event_type == "toolUseEvent"}
    assert names == {"get_weather"}


async def test_thinking_directive_sends_thinking_tags_first_split_inside_the_tags(sim):
    user = await new_user(sim)
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body("Think [[thinking]]"))).read())
    texts = [f.json["content"] for f in frames if f.event_type == "assistantResponseEvent"]
    assert texts[0] == "<thin" and texts[1].startswith("king>") and texts[2] == "ing>"
    whole = "".join(texts)
    assert whole.startswith("<thinking>") and whole.index("</thinking>") < len(whole) - len("</thinking>")


async def test_thinking_mode_hint_also_triggers_thinking(sim):
    user = await new_user(sim)
    content = "Hi <thinking_mode>enabled</thinking_mode><max_thinking_length>2000</max_thinking_length>"
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body(content))).read())
    assert text_of(frames).startswith("<thinking>")


async def test_midstream_error_is_an_exception_frame_then_eof(sim):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], generate_body("Go [[midstream_error]]"))
    assert response.status == 200
    frames = decode_frames(await response.read())
    last = frames[-1]
    assert last.message_type == "exception" and ":event-type" not in last.headers
    assert last.headers[":exception-type"] == "ThrottlingException"
    assert last.headers[":content-type"] == "application/json"
    assert last.json == {"message": "Rate limit exceeded"}
    assert event_types(frames)[1] == "assistantResponseEvent"
    assert "meteringEvent" not in event_types(frames)


async def test_max_tokens_is_a_long_answer_ending_with_content_length_exceeded(sim):
    user = await new_user(sim)
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body("[[max_tokens]]"))).read())
    assert sum(1 for f in frames if f.event_type == "assistantResponseEvent") == 40
    assert frames[-1].message_type == "exception"
    assert frames[-1].headers[":exception-type"] == "ContentLengthExceededException"
    assert set(frames[-1].json) == {"message"}


async def test_truncate_stream_drops_the_connection_inside_a_frame(sim):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], generate_body("[[truncate_stream]]"))
    assert response.status == 200
    received = bytearray()
    with pytest.raises(aiohttp.ClientPayloadError):
        async for chunk in response.content.iter_any():
            received += chunk
    frames_end = 0
    complete = []
    while frames_end + 4 <= len(received):
        length = int.from_bytes(received[frames_end:frames_end + 4], "big")
        if frames_end + length > len(received):
            break
        complete.append(bytes(received[frames_end:frames_end + length]))
        frames_end += length
    assert frames_end < len(received), "the last frame must be partial"
    assert event_types(decode_frames(b"".join(complete)))[0] == "initial-response"


async def test_frames_knob_sets_the_number_of_text_frames(sim):
    user = await new_user(sim)
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body("[[frames:20]] [[frame_bytes:10]]"))).read())
    texts = [f.json["content"] for f in frames if f.event_type == "assistantResponseEvent"]
    assert len(texts) == 20 and all(len(t) == 10 for t in texts)


async def test_delay_knobs_pace_the_stream(sim):
    user = await new_user(sim)
    import time

    started = time.monotonic()
    response = await call_generate(sim, user["accessToken"], generate_body("[[frames:3]] [[delay_first_ms:150]] [[delay_ms:40]]"))
    headers_at = time.monotonic() - started
    await response.read()
    total = time.monotonic() - started
    assert headers_at >= 0.14  # nothing, not even the status line, before the first frame
    assert total >= 0.14 + 5 * 0.04


async def test_the_same_prompt_streams_the_same_text_every_time(aiohttp_client):
    client = await aiohttp_client(sim_app())
    user = await new_user(client)
    body = generate_body("Repeat after me")
    first = text_of(decode_frames(await (await call_generate(client, user["accessToken"], body)).read()))
    second = text_of(decode_frames(await (await call_generate(client, user["accessToken"], body)).read()))
    assert first == second
    assert state_of(client).counters["answers"] == 2
