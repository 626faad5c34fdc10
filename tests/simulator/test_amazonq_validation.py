"""GenerateAssistantResponse validation (amazonq.md §2.8, §8 invariants): each rule answers the real
400 body, byte for byte; requests just inside the limits are accepted."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from qsim_helpers import (
    BODY_INVALID_MODEL,
    BODY_MALFORMED,
    BODY_TOO_LONG,
    call_generate,
    call_rest,
    generate_body,
    new_user,
    tool_spec,
)

from services.simulator.amazonq_validate import validate_generate_request


def _user(content: str = "hi", **context: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"content": content}
    if context:
        message["userInputMessageContext"] = context
    return {"userInputMessage": message}


def _assistant(content: str = "ok", tool_uses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"content": content}
    if tool_uses is not None:
        message["toolUses"] = tool_uses
    return {"assistantResponseMessage": message}


def _use(tool_id: str = "tooluse_a", name: str = "get_weather") -> dict[str, Any]:
    return {"toolUseId": tool_id, "name": name, "input": {"city": "Oslo"}}


def _result(tool_id: str = "tooluse_a", text: str = "sunny") -> dict[str, Any]:
    return {"toolUseId": tool_id, "content": [{"text": text}], "status": "success"}


def _png(size: int = 16) -> dict[str, Any]:
    return {"format": "png", "source": {"bytes": base64.b64encode(b"\x89PNG" + b"\0" * (size - 4)).decode()}}


def _tool_turn(**overrides: Any) -> dict[str, Any]:
    """A valid two-step tool conversation: user asks, assistant calls the tool, user returns the result."""
    body = generate_body(
        "",
        history=[_user("weather?"), _assistant("", [_use()])],
        tools=[tool_spec()],
        tool_results=[_result()],
    )
    body["conversationState"].update(overrides)
    return body


def _current(body: dict[str, Any]) -> dict[str, Any]:
    return body["conversationState"]["currentMessage"]["userInputMessage"]


def _set(path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        path(body)[key] = value

    return mutate


def _spec(body: dict[str, Any]) -> dict[str, Any]:
    return _current(body)["userInputMessageContext"]["tools"][0]["toolSpecification"]


def _schema(body: dict[str, Any]) -> dict[str, Any]:
    return _spec(body)["inputSchema"]["json"]


def _state(body: dict[str, Any]) -> dict[str, Any]:
    return body["conversationState"]


MALFORMED_CASES: dict[str, tuple[Callable[[], dict[str, Any]], Callable[[dict[str, Any]], None] | None]] = {
    "current message is an assistant message": (
        generate_body, _set(_state, "currentMessage", _assistant("hi"))),
    "history starts with an assistant entry": (
        generate_body, _set(_state, "history", [_assistant(), _user()])),
    "history does not alternate": (
        generate_body, _set(_state, "history", [_user(), _user(), _assistant()])),
    "history ends with a user entry": (
        generate_body, _set(_state, "history", [_user(), _assistant(), _user()])),
    "a chat message with both members": (
        generate_body, _set(_state, "history", [{**_user(), **_assistant()}, _assistant()])),
    "a chat message with neither member": (
        generate_body, _set(_state, "history", [{}, _assistant()])),
    "a chat message with an unknown member": (
        generate_body, _set(_state, "history", [{"systemMessage": {"content": "x"}}, _assistant()])),
    "tool use not answered in the next user message": (
        lambda: generate_body("next", history=[_user("weather?"), _assistant("", [_use()])], tools=[tool_spec()]), None),
    "tool result without a tool use (orphan)": (
        lambda: generate_body("", tools=[tool_spec()], tool_results=[_result()]), None),
    "tool result answering another id": (
        _tool_turn, lambda b: _current(b)["userInputMessageContext"].update(toolResults=[_result("tooluse_other")])),
    "duplicate tool result ids": (
        _tool_turn, lambda b: _current(b)["userInputMessageContext"].update(toolResults=[_result(), _result()])),
    "duplicate tool use ids in one conversation": (
        lambda: generate_body("", history=[_user("a"), _assistant("", [_use()]), _user("", toolResults=[_result()]),
                                           _assistant("", [_use()])], tools=[tool_spec()], tool_results=[_result()]), None),
    "a tool used in history is not defined in the current tools": (
        _tool_turn, lambda b: _current(b)["userInputMessageContext"].update(tools=[tool_spec("other_tool")])),
    "history uses tools but the current message has none": (
        _tool_turn, lambda b: _current(b)["userInputMessageContext"].pop("tools")),
    "tool input is not an object": (
        _tool_turn, lambda b: _state(b)["history"][1]["assistantResponseMessage"]["toolUses"][0].update(input="{}")),
    "tool input with an empty-string key": (
        _tool_turn, lambda b: _state(b)["history"][1]["assistantResponseMessage"]["toolUses"][0].update(input={"": 1})),
    "empty user content without tool results": (
        lambda: generate_body(""), None),
    "whitespace-only user content without tool results": (
        lambda: generate_body("  \n "), None),
    "empty content in a history user entry": (
        lambda: generate_body("hi", history=[_user(""), _assistant()]), None),
    "tool result block with both text and json": (
        _tool_turn, lambda b: _current(b)["userInputMessageContext"]["toolResults"][0].update(content=[{"text": "a", "json": {}}])),
    "tool result status outside success|error": (
        _tool_turn, lambda b: _current(b)["userInputMessageContext"]["toolResults"][0].update(status="ok")),
    "tool name with a hyphen": (
        lambda: generate_body("hi", tools=[tool_spec("get-weather")]), None),
    "tool name starting with a digit": (
        lambda: generate_body("hi", tools=[tool_spec("1tool")]), None),
    "tool name longer than 64 characters": (
        lambda: generate_body("hi", tools=[tool_spec("t" * 65)]), None),
    "empty tool description": (
        lambda: generate_body("hi", tools=[tool_spec(description="")]), None),
    "tool description over 10,240 bytes": (
        lambda: generate_body("hi", tools=[tool_spec(description="é" * 5121)]), None),
    "schema with required: null": (
        lambda: generate_body("hi", tools=[tool_spec()]), _set(_schema, "required", None)),
    "schema with properties: null": (
        lambda: generate_body("hi", tools=[tool_spec()]), _set(_schema, "properties", None)),
    "schema with a non-string type": (
        lambda: generate_body("hi", tools=[tool_spec()]), _set(_schema, "type", ["object", "null"])),
    "tool without an inputSchema.json object": (
        lambda: generate_body("hi", tools=[tool_spec()]), _set(_spec, "inputSchema", {"json": "object"})),
    "chatTriggerType AUTO": (
        lambda: generate_body("hi", trigger="AUTO"), None),
    "missing chatTriggerType": (
        generate_body, lambda b: _state(b).pop("chatTriggerType")),
    "empty conversationId": (
        generate_body, _set(_state, "conversationId", "")),
    "missing conversationState": (
        lambda: {"profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/X"}, None),
    "content that is not a string": (
        generate_body, _set(_current, "content", ["hi"])),
    "more than 10 images": (
        lambda: generate_body("look", images=[_png()] * 11), None),
    "an image over 10 MiB": (
        lambda: generate_body("look", images=[_png(10 * 1024 * 1024 + 1)]), None),
    "an image format outside gif|jpeg|png|webp": (
        lambda: generate_body("look", images=[{**_png(), "format": "bmp"}]), None),
    "an image as a data URL": (
        lambda: generate_body("look", images=[{"format": "png", "source": {"bytes": "data:image/png;base64,AAAA"}}]), None),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_CASES))
async def test_rule_violation_is_answered_improperly_formed_request(sim, case):
    build, mutate = MALFORMED_CASES[case]
    body = build()
    if mutate is not None:
        mutate(body)
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], body)
    assert response.status == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.0"
    assert await response.read() == BODY_MALFORMED
    assert validate_generate_request(body) is not None


@pytest.mark.parametrize(
    ("model_id", "origin"),
    [("claude-sonnet-4-5-20250929", "CLI"), ("gpt-4o", "CLI"), ("auto", "CLI"), ("auto", "KIRO_CLI"), ("", "CLI")],
)
async def test_invalid_model_is_answered_invalid_model_id(sim, model_id, origin):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], generate_body("hi", model_id=model_id, origin=origin))
    assert response.status == 400
    assert await response.read() == BODY_INVALID_MODEL


@pytest.mark.parametrize(
    "model_id",
    ["claude-sonnet-4", "claude-sonnet-4.5", "claude-haiku-4.5", "claude-opus-4.5", "claude-sonnet-4.6",
     "claude-opus-4.6", "claude-3.7-sonnet", None],
)
async def test_listed_models_and_no_model_are_accepted(sim, model_id):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], generate_body("hi", model_id=model_id))
    assert response.status == 200


async def test_auto_model_is_accepted_from_the_kiro_editor(sim):
    user = await new_user(sim)
    response = await call_rest(sim, user["accessToken"], generate_body("hi", model_id="auto", origin="AI_EDITOR"))
    assert response.status == 200


async def test_content_over_600000_characters_is_input_too_long(sim):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], generate_body("x" * 600_001))
    assert response.status == 400
    assert await response.read() == BODY_TOO_LONG


async def test_a_tool_result_over_800000_characters_is_input_too_long(sim):
    user = await new_user(sim)
    body = _tool_turn()
    _current(body)["userInputMessageContext"]["toolResults"] = [_result(text="y" * 800_001)]
    response = await call_generate(sim, user["accessToken"], body)
    assert response.status == 400
    assert await response.read() == BODY_TOO_LONG


async def test_a_conversation_beyond_the_context_window_is_input_too_long(sim):
    user = await new_user(sim)
    history = [_user("h" * 300_000), _assistant("a" * 300_000), _user("h" * 300_000), _assistant("ok")]
    response = await call_generate(sim, user["accessToken"], generate_body("x" * 200_000, history=history))
    assert response.status == 400
    assert await response.read() == BODY_TOO_LONG


async def test_requests_at_the_limits_are_accepted(sim):
    user = await new_user(sim)
    tools = [tool_spec("t" * 64, "d" * 10_240)]
    for body in (generate_body("x" * 600_000), generate_body("hi", tools=tools),
                 generate_body("look", images=[_png()] * 10)):
        response = await call_generate(sim, user["accessToken"], body)
        assert response.status == 200, await response.text()


async def test_a_complete_tool_round_trip_is_accepted_with_empty_content(sim):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], _tool_turn())
    assert response.status == 200


async def test_history_tool_names_match_the_current_tools_case_insensitively(sim):
    user = await new_user(sim)
    body = _tool_turn()
    _current(body)["userInputMessageContext"]["tools"] = [tool_spec("GET_WEATHER")]
    assert (await call_generate(sim, user["accessToken"], body)).status == 200


async def test_empty_history_may_be_sent_or_omitted(sim):
    user = await new_user(sim)
    omitted = generate_body("hi")
    del omitted["conversationState"]["history"]
    for body in (generate_body("hi"), omitted):
        assert (await call_generate(sim, user["accessToken"], body)).status == 200


async def test_json_tool_result_blocks_are_accepted(sim):
    user = await new_user(sim)
    body = _tool_turn()
    _current(body)["userInputMessageContext"]["toolResults"] = [
        {"toolUseId": "tooluse_a", "content": [{"json": {"temp": 21}}], "status": "error"}]
    assert (await call_generate(sim, user["accessToken"], body)).status == 200


async def test_a_body_that_is_not_json_is_a_serialization_exception(sim):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], b"{not json")
    assert response.status == 400
    assert await response.read() == (b'{"__type":"com.amazon.coral.service#SerializationException",'
                                     b'"Message":"Unable to parse request body as JSON."}')


async def test_the_request_log_names_the_rule_that_fired(sim):
    user = await new_user(sim)
    await call_generate(sim, user["accessToken"], generate_body("hi", tools=[tool_spec("bad-name")]))
    entries = (await (await sim.get(f"/_sim/aws/users/{user['userId']}/requests")).json())["requests"]
    assert entries[-1]["status"] == 400 and "bad-name" in entries[-1]["detail"]
    assert entries[-1]["body"]["conversationState"]["chatTriggerType"] == "MANUAL"


def test_validation_is_a_pure_function_of_the_body():
    assert validate_generate_request(generate_body("hi")) is None
    error = validate_generate_request(generate_body("hi", trigger="AUTO"))
    assert error is not None and error.status == 400 and "AUTO" in error.detail
    assert validate_generate_request([]) is not None
