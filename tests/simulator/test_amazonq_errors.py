"""Auth failures, protocol errors, named faults, scripted responses and [[status:…]] on the simulated
Amazon Q: status codes and bodies as amazonq.md §4 gives them."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import aiohttp
import pytest
from qsim_helpers import (
    AWS_JSON,
    BODY_BEARER_INVALID,
    BODY_MALFORMED,
    BODY_THROTTLED,
    BODY_TOO_LONG,
    GENERATE,
    call_generate,
    call_rest,
    decode_frames,
    event_types,
    generate_body,
    new_user,
    text_of,
)

from shared.wire.eventstream import encode_event

# ---------------------------------------------------------------- bearer token


async def test_missing_bearer_token_is_403_bearer_invalid(sim):
    response = await call_generate(sim, None, generate_body())
    assert response.status == 403
    assert response.headers["content-type"] == AWS_JSON
    assert "x-amzn-RequestId" in response.headers
    assert await response.read() == BODY_BEARER_INVALID


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c"])
async def test_unknown_token_is_403_bearer_invalid(sim, token):
    response = await call_generate(sim, token, generate_body())
    assert response.status == 403 and await response.read() == BODY_BEARER_INVALID


async def test_token_with_a_tampered_signature_is_rejected(sim):
    user = await new_user(sim)
    token = user["accessToken"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = await call_generate(sim, tampered, generate_body())
    assert response.status == 403 and await response.read() == BODY_BEARER_INVALID


async def test_expired_token_is_rejected(sim):
    user = await new_user(sim, access_token_lifetime=0.2)
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 200
    await asyncio.sleep(0.25)
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert response.status == 403 and await response.read() == BODY_BEARER_INVALID


async def test_token_expired_through_the_control_api_is_rejected(sim):
    user = await new_user(sim)
    result = await (await sim.post(f"/_sim/aws/users/{user['userId']}/expire_access_tokens")).json()
    assert result == {"expired": 1}
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 403


async def test_token_expires_when_the_clock_moves_past_its_lifetime(sim):
    user = await new_user(sim, access_token_lifetime=60)
    await sim.post("/_sim/clock", json={"advance": 61})
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 403


async def test_revoked_token_is_rejected(sim):
    user = await new_user(sim)
    await sim.post(f"/_sim/aws/users/{user['userId']}/revoke_access_tokens", json={"accessToken": user["accessToken"]})
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 403


async def test_bearer_invalid_status_can_be_401(sim):
    await sim.put("/_sim/aws/settings", json={"unauthorized_status": 401})
    response = await call_generate(sim, "junk", generate_body())
    assert response.status == 401 and await response.read() == BODY_BEARER_INVALID


async def test_rest_flavour_errors_carry_the_type_in_x_amzn_errortype(sim):
    response = await sim.post("/amazonq/generateAssistantResponse", data=json.dumps(generate_body()),
                              headers={"content-type": "application/json", "authorization": "Bearer junk"})
    assert response.status == 403
    assert response.headers["x-amzn-ErrorType"].split(":")[0] == "AccessDeniedException"
    assert await response.json(content_type=None) == {"message": "The bearer token included in the request is invalid.", "reason": None}


# ---------------------------------------------------------------- protocol errors


async def test_unknown_target_is_unknown_operation_exception(sim):
    user = await new_user(sim)
    response = await sim.post("/amazonq/", data="{}", headers={
        "content-type": AWS_JSON, "x-amz-target": "AmazonCodeWhispererStreamingService.Nope",
        "authorization": f"Bearer {user['accessToken']}"})
    assert response.status == 400
    assert await response.read() == b'{"__type":"com.amazon.coral.service#UnknownOperationException"}'


async def test_aws_json_flavour_rejects_application_json(sim):
    user = await new_user(sim)
    response = await sim.post("/amazonq/", data=json.dumps(generate_body()), headers={
        "content-type": "application/json", "x-amz-target": GENERATE, "authorization": f"Bearer {user['accessToken']}"})
    assert response.status == 400
    assert (await response.json(content_type=None))["__type"] == "com.amazon.coral.service#UnknownOperationException"


# ---------------------------------------------------------------- named faults

NAMED_FAULT_BODIES = {
    "throttled": (429, BODY_THROTTLED),
    "capacity": (429, b'{"__type":"ThrottlingException","message":"I am experiencing high traffic, please try again '
                      b'shortly.","reason":"INSUFFICIENT_MODEL_CAPACITY"}'),
    "monthly_quota": (400, b'{"__type":"ThrottlingException","message":"Maximum Request reached for this month.",'
                           b'"reason":"MONTHLY_REQUEST_COUNT"}'),
    "monthly_quota_kiro": (402, b'{"__type":"ServiceQuotaExceededException","message":"You have reached the limit.",'
                                b'"reason":"MONTHLY_REQUEST_COUNT"}'),
    "invalid_token": (403, BODY_BEARER_INVALID),
    "invalid_token_401": (401, BODY_BEARER_INVALID),
    "server_error": (500, b'{"__type":"InternalServerException","message":"Encountered an unexpected error when '
                          b'processing the request, please try again."}'),
    "unavailable": (503, b'{"__type":"ServiceUnavailableException","message":"The service is temporarily '
                         b'unavailable. Please try again later."}'),
    "high_load": (500, b'{"__type":"InternalServerException","message":"Encountered unexpectedly high load when '
                       b'processing the request, please try again.","reason":"MODEL_TEMPORARILY_UNAVAILABLE"}'),
    "too_long": (400, BODY_TOO_LONG),
    "malformed": (400, BODY_MALFORMED),
}


@pytest.mark.parametrize("fault", sorted(NAMED_FAULT_BODIES))
async def test_named_fault_answers_its_documented_error_once(sim, fault):
    status, body = NAMED_FAULT_BODIES[fault]
    user = await new_user(sim, script=[{"fault": fault}])
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert response.status == status
    assert response.headers["content-type"] == AWS_JSON
    assert await response.read() == body
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 200


async def test_suspended_fault_is_403_temporarily_suspended_with_the_user_id(sim):
    user = await new_user(sim, script=["suspended"])
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert response.status == 403
    body = await response.json(content_type=None)
    assert body["__type"] == "AccessDeniedException" and body["reason"] == "TEMPORARILY_SUSPENDED"
    assert body["message"].startswith(f"Your User ID ({user['accountId']}) temporarily is suspended. We've locked "
                                      "your account as a security precaution.")


async def test_monthly_quota_kiro_in_the_rest_flavour_has_no_type_in_the_body(sim):
    user = await new_user(sim, script=["monthly_quota_kiro"])
    response = await call_rest(sim, user["accessToken"], generate_body())
    assert response.status == 402
    assert await response.read() == b'{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}'
    assert response.headers["x-amzn-ErrorType"].startswith("ServiceQuotaExceededException")


async def test_throttled_fault_sends_retry_after_only_when_asked(sim):
    user = await new_user(sim, script=[{"fault": "throttled"}, {"fault": "throttled", "retry_after": 7},
                                       "throttled_retry_after"])
    first = await call_generate(sim, user["accessToken"], generate_body())
    second = await call_generate(sim, user["accessToken"], generate_body())
    third = await call_generate(sim, user["accessToken"], generate_body())
    assert "Retry-After" not in first.headers
    assert second.headers["Retry-After"] == "7" and third.headers["Retry-After"] == "2"
    assert {first.status, second.status, third.status} == {429}


async def test_persistent_faults_apply_until_cleared_and_to_management_calls(sim):
    user = await new_user(sim)
    path = f"/_sim/aws/users/{user['userId']}/faults"
    assert (await sim.put(path, json={"faults": ["suspended"]})).status == 200
    for _ in range(2):
        assert (await call_generate(sim, user["accessToken"], generate_body())).status == 403
    models = await sim.post("/amazonq/", data="{}", headers={
        "content-type": AWS_JSON, "x-amz-target": "AmazonCodeWhispererService.ListAvailableModels",
        "authorization": f"Bearer {user['accessToken']}"})
    assert models.status == 403
    assert (await sim.delete(path)).status == 200
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 200


async def test_midstream_error_fault_can_choose_the_exception_type(sim):
    user = await new_user(sim, script=[{"fault": "midstream_error", "exception": "InternalServerException"}])
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body())).read())
    assert frames[-1].headers[":exception-type"] == "InternalServerException"
    assert frames[-1].json == {"message": "Encountered an unexpected error when processing the request, please try again."}


async def test_truncate_fault_drops_the_connection(sim):
    user = await new_user(sim, script=["truncate"])
    response = await call_generate(sim, user["accessToken"], generate_body())
    with pytest.raises(aiohttp.ClientPayloadError):
        await response.read()


async def test_slow_first_byte_and_slow_drip_faults_delay_the_stream(sim):
    user = await new_user(sim, script=[{"fault": "slow_first_byte", "ms": 200}, {"fault": "slow_drip", "ms": 30}])
    started = time.monotonic()
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert time.monotonic() - started >= 0.19
    await response.read()
    started = time.monotonic()
    response = await call_generate(sim, user["accessToken"], generate_body())
    frames = decode_frames(await response.read())
    assert time.monotonic() - started >= 0.03 * (len(frames) - 2)


async def test_long_fault_streams_many_frames(sim):
    user = await new_user(sim, script=[{"fault": "long", "frames": 300}])
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body())).read())
    assert event_types(frames).count("assistantResponseEvent") == 300


async def test_empty_stream_fault_is_a_200_without_frames(sim):
    user = await new_user(sim, script=["empty_stream"])
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert response.status == 200 and await response.read() == b""


async def test_unknown_fault_is_refused_by_the_control_api(sim):
    user = await new_user(sim)
    response = await sim.post(f"/_sim/aws/users/{user['userId']}/script", json={"responses": ["no_such_fault"]})
    assert response.status == 400 and "unknown fault" in (await response.json(content_type=None))["error"]


# ---------------------------------------------------------------- scripted responses


async def test_raw_scripted_response_is_sent_verbatim(sim):
    user = await new_user(sim, script=[{"status": 502, "headers": {"content-type": "text/html", "x-extra": "1"},
                                        "body": "<html>Bad Gateway</html>"}])
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert response.status == 502 and response.headers["x-extra"] == "1"
    assert response.headers["content-type"] == "text/html"
    assert await response.text() == "<html>Bad Gateway</html>"


async def test_raw_scripted_stream_bytes_can_be_sent(sim):
    stream = encode_event("assistantResponseEvent", b'{"content":"hand-made"}')
    user = await new_user(sim, script=[{"status": 200, "headers": {"content-type": "application/vnd.amazon.eventstream"},
                                        "body_base64": base64.b64encode(stream).decode()}])
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert text_of(decode_frames(await response.read())) == "hand-made"


async def test_scripted_steps_are_answered_in_order(sim):
    user = await new_user(sim)
    await sim.post(f"/_sim/aws/users/{user['userId']}/script", json={"responses": [
        {"text": "first"},
        {"steps": [{"thinking": "hmm"}, {"text": "second"}, {"tool_use": {"name": "get_weather", "input": {"city": "Oslo"}}}]},
        {"steps": [{"status": 429}]},
    ]})
    token = user["accessToken"]
    assert text_of(decode_frames(await (await call_generate(sim, token, generate_body())).read())) == "first"
    frames = decode_frames(await (await call_generate(sim, token, generate_body())).read())
    assert text_of(frames) == "<thinking>hmm</thinking>second"
    assert "".join(f.json.get("input", "") for f in frames if f.event_type == "toolUseEvent") == '{"city":"Oslo"}'
    third = await call_generate(sim, token, generate_body())
    assert third.status == 429 and await third.read() == BODY_THROTTLED
    assert (await call_generate(sim, token, generate_body("Hello"))).status == 200


async def test_a_scripted_response_waits_for_a_valid_request(sim):
    user = await new_user(sim, script=[{"text": "scripted"}])
    assert (await call_generate(sim, user["accessToken"], generate_body(""))).status == 400
    frames = decode_frames(await (await call_generate(sim, user["accessToken"], generate_body())).read())
    assert text_of(frames) == "scripted"


# ---------------------------------------------------------------- [[status:…]]


async def test_status_directive_fails_k_times_then_succeeds(sim):
    user = await new_user(sim)
    body = generate_body("Flaky [[status:429*2]]")
    first = await call_generate(sim, user["accessToken"], body)
    second = await call_generate(sim, user["accessToken"], generate_body("Flaky [[status:429*2]]"))  # a fresh conversation id
    third = await call_generate(sim, user["accessToken"], body)
    assert (first.status, second.status, third.status) == (429, 429, 200)
    assert await first.read() == BODY_THROTTLED
    assert "Flaky" in text_of(decode_frames(await third.read()))


async def test_status_attempts_count_across_users_for_failover(sim):
    one, two = await new_user(sim), await new_user(sim)
    body = generate_body("Fail over [[status:500*1]]")
    assert (await call_generate(sim, one["accessToken"], body)).status == 500
    assert (await call_generate(sim, two["accessToken"], body)).status == 200


@pytest.mark.parametrize(("status", "error_type"), [
    (400, "ValidationException"), (401, "AccessDeniedException"), (402, "ServiceQuotaExceededException"),
    (403, "AccessDeniedException"), (429, "ThrottlingException"), (500, "InternalServerException"),
    (503, "ServiceUnavailableException"), (502, "InternalServerException")])
async def test_status_directive_uses_the_canonical_body_of_each_status(sim, status, error_type):
    user = await new_user(sim)
    response = await call_generate(sim, user["accessToken"], generate_body(f"[[status:{status}]]"))
    assert response.status == status
    assert (await response.json(content_type=None))["__type"].endswith(error_type)


# ---------------------------------------------------------------- monthly limit


async def test_a_user_over_the_monthly_limit_gets_the_quota_error(sim):
    user = await new_user(sim, monthly_limit=1)
    assert (await call_generate(sim, user["accessToken"], generate_body())).status == 200
    response = await call_generate(sim, user["accessToken"], generate_body())
    assert response.status == 400 and (await response.json(content_type=None))["reason"] == "MONTHLY_REQUEST_COUNT"
    rest = await call_rest(sim, user["accessToken"], generate_body())
    assert rest.status == 402
