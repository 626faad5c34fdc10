"""Code Assist's answers to bad requests and unhealthy accounts (gemini-code-assist.md §6, §10; Appendix B)."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.simulator.google import setup_google
from services.simulator.google.control_client import GoogleControl, SimUser

STREAM = "/codeassist/v1internal:streamGenerateContent?alt=sse"
UNARY = "/codeassist/v1internal:generateContent"


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


def envelope(user: SimUser, contents: list | None = None, model: str = "gemini-2.5-pro", **request: object) -> dict:
    contents = contents if contents is not None else [{"role": "user", "parts": [{"text": "hi"}]}]
    return {"model": model, "project": user.project_id, "request": {"contents": contents, **request}}


async def error_of(client: TestClient, body: dict, token: str | None, *, path: str = STREAM) -> tuple[int, dict]:
    """Status and the inner error object; asserts the streaming method's one-element array."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(path, json=body, headers=headers)
    payload = json.loads(await response.read())
    if path == STREAM:
        assert isinstance(payload, list) and len(payload) == 1
        payload = payload[0]
    return response.status, payload["error"]


# ------------------------------------------------------------------ who is calling (§10 bullets 1–3)


async def test_no_authorization_header_is_401_credentials_missing(client, user):
    status, error = await error_of(client, envelope(user), None)
    assert (status, error["status"]) == (401, "UNAUTHENTICATED")
    assert error["message"].startswith("Request is missing required authentication credential.")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"


async def test_an_expired_access_token_is_401_with_the_b5_body(client, control, user):
    await control.expire(access_token=user.access_token)
    status, error = await error_of(client, envelope(user), user.access_token)
    assert status == 401
    assert error["message"].startswith("Request had invalid authentication credentials.")
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_EXPIRED",
                                 "domain": "googleapis.com",
                                 "metadata": {"service": "cloudcode-pa.googleapis.com", "method":
                                              "google.internal.cloud.code.v1internal.CloudCode.StreamGenerateContent"}}]


async def test_a_token_that_outlived_its_lifetime_is_rejected(client, control, user):
    token = await control.access_token(user.user_id, lifetime_s=1)
    await asyncio.sleep(1.05)
    status, _ = await error_of(client, envelope(user), token)
    assert status == 401


async def test_access_tokens_of_a_revoked_grant_stop_working(client, control, user):
    await control.revoke(user_id=user.user_id)
    status, error = await error_of(client, envelope(user), user.access_token)
    assert (status, error["status"]) == (401, "UNAUTHENTICATED")


async def test_a_project_that_is_not_the_users_is_403(client, user):
    status, error = await error_of(client, {**envelope(user), "project": "someone-else"}, user.access_token)
    assert (status, error["status"]) == (403, "PERMISSION_DENIED")
    assert "someone-else" in error["message"]


async def test_a_user_who_never_onboarded_gets_403(client, control):
    fresh = await control.create_user(issue_access_token=True)
    status, _ = await error_of(client, {**envelope(fresh), "project": "anything"}, fresh.access_token)
    assert status == 403


async def test_an_unknown_model_is_404_requested_entity_not_found(client, user):
    status, error = await error_of(client, envelope(user, model="gemini-9-ultra"), user.access_token)
    assert (status, error) == (404, {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"})


async def test_a_preview_model_without_preview_access_is_404(client, control):
    user = await control.create_user(onboarded=True, issue_access_token=True, preview_access=False)
    status, _ = await error_of(client, envelope(user, model="gemini-3-pro-preview"), user.access_token)
    assert status == 404


# ------------------------------------------------------------------ request shape (§10 bullets 4–9)


async def test_empty_contents_is_400(client, user):
    status, error = await error_of(client, envelope(user, contents=[]), user.access_token)
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")
    assert "contents is not specified" in error["message"]


async def test_a_part_without_data_is_the_oneof_error(client, user):
    contents = [{"role": "user", "parts": [{"thought": True}]}]
    status, error = await error_of(client, envelope(user, contents), user.access_token)
    assert status == 400
    assert "required oneof field 'data' must have one initialized field" in error["message"]


async def test_a_part_with_two_data_fields_is_rejected(client, user):
    contents = [{"role": "user", "parts": [{"text": "a", "inlineData": {"mimeType": "image/png", "data": "AA=="}}]}]
    status, error = await error_of(client, envelope(user, contents), user.access_token)
    assert status == 400 and "Oneof field 'data' is already set" in error["message"]


async def test_an_unknown_role_is_400(client, user):
    status, error = await error_of(client, envelope(user, [{"role": "assistant", "parts": [{"text": "x"}]}]),
                                   user.access_token)
    assert (status, error["message"]) == (400, "Please use a valid role: user, model.")


async def test_unequal_call_and_response_counts_give_the_b3_body(client, user):
    contents = [
        {"role": "user", "parts": [{"text": "two lookups"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}},
                                    {"functionCall": {"name": "b", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "a", "response": {"output": "1"}}}]},
    ]
    status, error = await error_of(client, envelope(user, contents), user.access_token)
    message = ("Please ensure that the number of function response parts is equal to the number of function call "
               "parts of the function call turn.")
    assert status == 400
    assert error == {"code": 400, "message": message,
                     "errors": [{"message": message, "domain": "global", "reason": "badRequest"}],
                     "status": "INVALID_ARGUMENT"}


async def test_a_call_turn_answered_by_plain_text_is_b3(client, user):
    contents = [
        {"role": "user", "parts": [{"text": "look up"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}]},
        {"role": "user", "parts": [{"text": "never mind"}]},
    ]
    status, error = await error_of(client, envelope(user, contents), user.access_token)
    assert status == 400 and error["message"].startswith("Please ensure that the number of function response parts")


async def test_a_function_response_needs_a_name(client, user):
    contents = [
        {"role": "user", "parts": [{"text": "look up"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "", "response": {}}}]},
    ]
    status, error = await error_of(client, envelope(user, contents), user.access_token)
    assert status == 400 and "function_response.name: Name cannot be empty." in error["message"]


async def test_function_responses_grouped_under_role_function_are_accepted(client, user):
    contents = [
        {"role": "user", "parts": [{"text": "look up"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "a", "args": {}}}]},
        {"role": "function", "parts": [{"functionResponse": {"name": "a", "response": {"result": 1}}}]},
    ]
    response = await client.post(UNARY, json=envelope(user, contents), headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_an_invalid_function_name_is_400(client, user):
    tools = [{"functionDeclarations": [{"name": "read file", "parametersJsonSchema": {"type": "object"}}]}]
    status, error = await error_of(client, envelope(user, tools=tools), user.access_token)
    assert status == 400 and "[FIELD_INVALID] Invalid function name." in error["message"]
    assert "tools[0].function_declarations[0].name" in error["message"]


async def test_json_schema_keywords_in_parameters_give_the_b1_body(client, user):
    parameters = {"type": "object", "additionalProperties": False,
                  "properties": {"n": {"type": "integer", "exclusiveMinimum": 0}}}
    tools = [{"functionDeclarations": [{"name": "a", "parametersJsonSchema": {}}, {"name": "b", "parametersJsonSchema": {}},
                                       {"name": "c", "parameters": parameters}]}]
    status, error = await error_of(client, envelope(user, tools=tools), user.access_token)
    first = ("Invalid JSON payload received. Unknown name \"additionalProperties\" at "
             "'request.tools[0].function_declarations[2].parameters': Cannot find field.")
    second = ("Invalid JSON payload received. Unknown name \"exclusiveMinimum\" at "
              "'request.tools[0].function_declarations[2].parameters.properties[0].value': Cannot find field.")
    assert status == 400
    assert error == {"code": 400, "message": f"{first}\n{second}", "status": "INVALID_ARGUMENT", "details": [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
            {"field": "request.tools[0].function_declarations[2].parameters", "description": first},
            {"field": "request.tools[0].function_declarations[2].parameters.properties[0].value",
             "description": second}]}]}


async def test_the_same_keywords_are_fine_in_parameters_json_schema(client, user):
    schema = {"type": "object", "additionalProperties": False, "properties": {"n": {"type": ["integer", "null"]}}}
    tools = [{"functionDeclarations": [{"name": "c", "parametersJsonSchema": schema}]}]
    response = await client.post(UNARY, json=envelope(user, tools=tools),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_parameters_and_parameters_json_schema_together_are_400(client, user):
    tools = [{"functionDeclarations": [{"name": "c", "parameters": {"type": "OBJECT"},
                                        "parametersJsonSchema": {"type": "object"}}]}]
    status, _ = await error_of(client, envelope(user, tools=tools), user.access_token)
    assert status == 400


async def test_snake_case_field_names_are_accepted(client, user):
    body = envelope(user, system_instruction={"parts": [{"text": "be brief"}]},
                    generation_config={"max_output_tokens": 100})
    response = await client.post(UNARY, json=body, headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_an_unknown_request_field_is_a_parse_error(client, user):
    status, error = await error_of(client, envelope(user, temperature=1), user.access_token)
    assert status == 400
    assert error["message"] == 'Invalid JSON payload received. Unknown name "temperature" at \'request\': Cannot find field.'


# ------------------------------------------------------------------ thought signatures (B2, B4)


def gemini3_history(signature: str | None) -> list[dict]:
    call: dict = {"functionCall": {"name": "read_file", "args": {"path": "a"}}}
    if signature is not None:
        call["thoughtSignature"] = signature
    return [
        {"role": "user", "parts": [{"text": "read it"}]},
        {"role": "model", "parts": [call]},
        {"role": "user", "parts": [{"functionResponse": {"name": "read_file", "response": {"output": "x"}}}]},
    ]


async def test_gemini3_call_without_signature_gives_b2(client, user):
    status, error = await error_of(client, envelope(user, gemini3_history(None), model="gemini-3-pro-preview"),
                                   user.access_token)
    assert status == 400
    assert error["message"] == ("Unable to submit request because function call `default_api:read_file` in the 2. "
                                "content block is missing a `thought_signature`. Learn more: "
                                "https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures")


async def test_gemini3_accepts_the_bypass_sentinel(client, user):
    body = envelope(user, gemini3_history("skip_thought_signature_validator"), model="gemini-3-pro-preview")
    response = await client.post(UNARY, json=body, headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_gemini3_rejects_a_signature_it_never_issued(client, user):
    body = envelope(user, gemini3_history("c2lnbmF0dXJlLWZyb20tZWxzZXdoZXJl"), model="gemini-3-pro-preview")
    status, error = await error_of(client, body, user.access_token)
    assert (status, error["message"]) == (400, "Corrupted thought signature.")


async def test_gemini25_does_not_require_signatures(client, user):
    response = await client.post(UNARY, json=envelope(user, gemini3_history(None)),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_signatures_before_the_last_user_text_turn_are_not_required(client, user):
    contents = [*gemini3_history(None), {"role": "model", "parts": [{"text": "done"}]},
                {"role": "user", "parts": [{"text": "thanks"}]}]
    response = await client.post(UNARY, json=envelope(user, contents, model="gemini-3-pro-preview"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_a_signature_that_is_not_base64_gives_b4(client, user):
    status, error = await error_of(client, envelope(user, gemini3_history("not base64!!")), user.access_token)
    assert status == 400
    assert error["message"] == ("Invalid value at 'request.contents[1].parts[0].thought_signature' (TYPE_BYTES), "
                                'Base64 decoding failed for "not base64!!"')


# ------------------------------------------------------------------ thinkingConfig


@pytest.mark.parametrize(("model", "config"), [
    ("gemini-2.5-pro", {"thinkingBudget": 0}),
    ("gemini-2.5-pro", {"thinkingLevel": "HIGH"}),
    ("gemini-3-pro-preview", {"thinkingLevel": "high", "thinkingBudget": 1024}),
    ("gemini-3-pro-preview", {"thinkingLevel": "MEDIUM"}),
    ("gemini-2.5-flash", {"thinkingBudget": 999999}),
])
async def test_thinking_config_rules_reject(client, user, model, config):
    body = envelope(user, model=model, generationConfig={"thinkingConfig": config})
    status, error = await error_of(client, body, user.access_token)
    assert (status, error["status"]) == (400, "INVALID_ARGUMENT")


@pytest.mark.parametrize(("model", "config"), [
    ("gemini-2.5-flash", {"thinkingBudget": 0}),
    ("gemini-2.5-pro", {"thinkingBudget": -1, "includeThoughts": True}),
    ("gemini-3-pro-preview", {"thinkingLevel": "high"}),
    ("gemini-3-flash-preview", {"thinkingLevel": "minimal"}),
])
async def test_thinking_config_rules_accept(client, user, model, config):
    body = envelope(user, model=model, generationConfig={"thinkingConfig": config})
    response = await client.post(UNARY, json=body, headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


# ------------------------------------------------------------------ quota and account faults (§6.2, §6.3)


async def test_an_exhausted_quota_gives_a_429_array_with_error_info_and_retry_info(client, control, user):
    await control.quota(user.user_id, 1, model="gemini-2.5-pro", window_s=3600)
    assert (await client.post(UNARY, json=envelope(user), headers={"Authorization": f"Bearer {user.access_token}"})).status == 200
    status, error = await error_of(client, envelope(user), user.access_token)
    assert (status, error["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert error["message"].startswith("You have exhausted your capacity on this model. Your quota will reset after ")
    info, retry = error["details"]
    assert info["reason"] == "QUOTA_EXHAUSTED" and info["domain"] == "cloudcode-pa.googleapis.com"
    assert info["metadata"]["model"] == "gemini-2.5-pro" and info["metadata"]["quotaResetDelay"].startswith("59m")
    assert info["metadata"]["quotaResetTimeStamp"].endswith("Z")
    assert retry["@type"] == "type.googleapis.com/google.rpc.RetryInfo" and retry["retryDelay"].endswith("s")


async def test_quota_is_counted_per_model(client, control, user):
    await control.quota(user.user_id, 1, model="gemini-2.5-pro")
    await client.post(UNARY, json=envelope(user), headers={"Authorization": f"Bearer {user.access_token}"})
    response = await client.post(UNARY, json=envelope(user, model="gemini-2.5-flash"),
                                 headers={"Authorization": f"Bearer {user.access_token}"})
    assert response.status == 200


async def test_rate_limit_quota_says_rate_limit_exceeded(client, control, user):
    await control.quota(user.user_id, 0, reason="RATE_LIMIT_EXCEEDED", window_s=60)
    status, error = await error_of(client, envelope(user), user.access_token)
    assert status == 429 and error["details"][0]["reason"] == "RATE_LIMIT_EXCEEDED"


@pytest.mark.parametrize(("fault", "status", "reason"), [
    ("capacity", 503, "MODEL_CAPACITY_EXHAUSTED"),
    ("rate_limited", 429, "RATE_LIMIT_EXCEEDED"),
    ("quota_exhausted", 429, "QUOTA_EXHAUSTED"),
    ("validation_required", 403, "VALIDATION_REQUIRED"),
    ("service_disabled", 403, "SERVICE_DISABLED"),
    ("unauthenticated", 401, "ACCESS_TOKEN_EXPIRED"),
])
async def test_error_faults_answer_their_appendix_b_body(client, control, user, fault, status, reason):
    await control.fault(user.user_id, fault, times=1)
    got_status, error = await error_of(client, envelope(user), user.access_token)
    assert got_status == status and error["details"][0]["reason"] == reason
    ok = await client.post(UNARY, json=envelope(user), headers={"Authorization": f"Bearer {user.access_token}"})
    assert ok.status == 200  # times=1: the fault is used up


async def test_a_fault_for_everyone_hits_every_user(client, control, user):
    await control.fault("*", "server_error")
    status, error = await error_of(client, envelope(user), user.access_token)
    assert (status, error["message"]) == (500, "Internal error encountered.")
    await control.clear_faults()
    ok = await client.post(UNARY, json=envelope(user), headers={"Authorization": f"Bearer {user.access_token}"})
    assert ok.status == 200


async def test_count_tokens_counts_and_checks_parts(client, user):
    headers = {"Authorization": f"Bearer {user.access_token}"}
    body = {"request": {"model": "models/gemini-2.5-pro", "contents": [{"role": "user", "parts": [{"text": "hello"}]}]}}
    response = await client.post("/codeassist/v1internal:countTokens", json=body, headers=headers)
    assert response.status == 200 and (await response.json())["totalTokens"] == 2
    body["request"]["contents"][0]["parts"] = [{"thought": True}]
    response = await client.post("/codeassist/v1internal:countTokens", json=body, headers=headers)
    assert response.status == 400
