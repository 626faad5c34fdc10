"""Gemini Code Assist Structs against gemini-code-assist.md §2, §3, §6 and the examples file."""

from __future__ import annotations

import json

import msgspec
import pytest

from shared.schemas import gemini as g

# gemini-code-assist.md §3.3 (the "…" description replaced by text).
_REQUEST_3_3 = {
    "model": "gemini-2.5-pro",
    "project": "lucid-formula-q7k2m",
    "user_prompt_id": "2b1f7a3e-0c55-4d7e-9a51-6f3b1d2c9e10########3",
    "request": {
        "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        "systemInstruction": {"role": "user", "parts": [{"text": "You are a helpful assistant."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather for a city",
                        "parametersJsonSchema": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        },
                    }
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "safetySettings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "OFF"}],
        "generationConfig": {
            "temperature": 1,
            "topP": 0.95,
            "topK": 64,
            "maxOutputTokens": 65536,
            "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 8192},
        },
        "session_id": "2b1f7a3e-0c55-4d7e-9a51-6f3b1d2c9e10",
    },
}

# §3.4: one SSE event of the real capture, in Google's one-line style.
_EVENT_3_4 = (
    b'{"response": {"candidates": [{"content": {"role": "model","parts": [{"text": "Hi!"}]},"finishReason": "STOP"}],'
    b'"usageMetadata": {"promptTokenCount": 10,"candidatesTokenCount": 17,"totalTokenCount": 51,'
    b'"trafficType": "PROVISIONED_THROUGHPUT","promptTokensDetails": [{"modality": "TEXT","tokenCount": 10}],'
    b'"candidatesTokensDetails": [{"modality": "TEXT","tokenCount": 17}],"thoughtsTokenCount": 24},'
    b'"modelVersion": "gemini-2.5-flash","createTime": "2026-01-10T01:55:29.168589Z","responseId": "kbFhaY2lCr-ZseMPqMiDmAU"},'
    b'"traceId": "55650653afd3c738"}'
)

# Appendix B10, pretty-printed as the server sends it.
_CAPACITY_ERROR = {
    "error": {
        "code": 503,
        "message": "No capacity available for model gemini-3.1-pro-preview on the server",
        "status": "UNAVAILABLE",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "MODEL_CAPACITY_EXHAUSTED",
                "domain": "cloudcode-pa.googleapis.com",
                "metadata": {"model": "gemini-3.1-pro-preview"},
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "9s"},
        ],
    }
}


def test_request_structs_encode_to_the_documented_envelope() -> None:
    request = g.CodeAssistRequest(
        model="gemini-2.5-pro",
        project="lucid-formula-q7k2m",
        user_prompt_id="2b1f7a3e-0c55-4d7e-9a51-6f3b1d2c9e10########3",
        request=g.GenerateContentRequest(
            contents=[g.Content(role="user", parts=[g.Part(text="hello")])],
            system_instruction=g.Content(role="user", parts=[g.Part(text="You are a helpful assistant.")]),
            tools=[
                g.Tool(
                    function_declarations=[
                        g.FunctionDeclaration(
                            name="get_weather",
                            description="Weather for a city",
                            parameters_json_schema={
                                "type": "object",
                                "properties": {"city": {"type": "string"}},
                                "required": ["city"],
                            },
                        )
                    ]
                )
            ],
            tool_config=g.ToolConfig(function_calling_config=g.FunctionCallingConfig(mode="AUTO")),
            safety_settings=[g.SafetySetting(category="HARM_CATEGORY_DANGEROUS_CONTENT", threshold="OFF")],
            generation_config=g.GenerationConfig(
                temperature=1,
                top_p=0.95,
                top_k=64,
                max_output_tokens=65536,
                thinking_config=g.ThinkingConfig(include_thoughts=True, thinking_budget=8192),
            ),
            session_id="2b1f7a3e-0c55-4d7e-9a51-6f3b1d2c9e10",
        ),
    )
    assert json.loads(msgspec.json.encode(request)) == _REQUEST_3_3


def test_documented_envelope_decodes_and_reencodes_unchanged() -> None:
    request = msgspec.json.decode(json.dumps(_REQUEST_3_3), type=g.CodeAssistRequest)
    assert request.request.session_id == "2b1f7a3e-0c55-4d7e-9a51-6f3b1d2c9e10"
    assert json.loads(msgspec.json.encode(request)) == _REQUEST_3_3


def test_tool_call_history_parts_encode_with_signature_on_the_same_part() -> None:
    model_turn = g.Content(
        role="model",
        parts=[
            g.Part(text="Let me check.", thought=True),
            g.Part(
                function_call=g.FunctionCall(name="read_file", args={"path": "a.txt"}),
                thought_signature="skip_thought_signature_validator",
            ),
            g.Part(inline_data=g.Blob(mime_type="image/png", data="iVBORw0KGgo=")),
        ],
    )
    user_turn = g.Content(
        role="user",
        parts=[g.Part(function_response=g.FunctionResponse(name="read_file", response={"output": "hi"}))],
    )
    assert json.loads(msgspec.json.encode([model_turn, user_turn])) == [
        {
            "role": "model",
            "parts": [
                {"text": "Let me check.", "thought": True},
                {
                    "functionCall": {"name": "read_file", "args": {"path": "a.txt"}},
                    "thoughtSignature": "skip_thought_signature_validator",
                },
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "read_file", "response": {"output": "hi"}}}],
        },
    ]


def test_part_data_fields_support_the_one_data_member_rule() -> None:
    assert g.Part(text="", thought_signature="sig").data_fields() == ["text"]
    assert g.Part(thought=True).data_fields() == []
    both = g.Part(text="a", function_call=g.FunctionCall(name="f"))
    assert both.data_fields() == ["text", "functionCall"]


def test_stream_event_decodes_with_usage_and_trace_id() -> None:
    event = msgspec.json.decode(_EVENT_3_4, type=g.CodeAssistResponse)
    assert event.trace_id == "55650653afd3c738" and event.error is None
    response = event.response
    assert response is not None and response.response_id == "kbFhaY2lCr-ZseMPqMiDmAU"
    candidate = response.candidates[0]
    assert candidate.finish_reason == "STOP" and candidate.index is None
    assert candidate.content == g.Content(role="model", parts=[g.Part(text="Hi!")])
    usage = response.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.thoughts_token_count) == (
        10,
        17,
        24,
    )
    assert usage.total_token_count == 10 + 17 + 24
    assert usage.prompt_tokens_details == [g.ModalityTokenCount(modality="TEXT", token_count=10)]


def test_unary_body_with_avg_logprobs_and_an_intermediate_usage_only_chunk() -> None:
    unary = {
        "response": {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": "Pong."}]},
                    "finishReason": "STOP",
                    "avgLogprobs": -0.2170413136482239,
                }
            ],
            "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 3, "totalTokenCount": 27},
            "modelVersion": "gemini-2.5-flash",
        },
        "traceId": "7c1f0e2ab9d44e13",
    }
    decoded = msgspec.json.decode(json.dumps(unary), type=g.CodeAssistResponse)
    assert decoded.response is not None and decoded.response.candidates[0].avg_logprobs == pytest.approx(
        -0.217, abs=1e-3
    )

    partial = b'{"response": {"candidates": [{"content": {"role": "model","parts": [{"text": "Hi"}]}}],"usageMetadata": {"trafficType": "PROVISIONED_THROUGHPUT"}},"traceId": "t"}'
    usage = msgspec.json.decode(partial, type=g.CodeAssistResponse).response.usage_metadata  # type: ignore[union-attr]
    assert (
        usage == g.UsageMetadata(traffic_type="PROVISIONED_THROUGHPUT") and usage.prompt_token_count is None
    )


def test_bare_gemini_api_response_and_blocked_prompt_decode() -> None:
    bare = b'{"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 4}}'
    response = msgspec.json.decode(bare, type=g.GenerateContentResponse)
    assert response.candidates == [] and response.prompt_feedback == g.PromptFeedback(block_reason="SAFETY")


def test_candidate_without_parts_and_malformed_call_finish_decodes() -> None:
    body = b'{"response": {"candidates": [{"content": {"role": "model"}, "finishReason": "MALFORMED_FUNCTION_CALL", "finishMessage": "Malformed function call: x"}]}}'
    candidate = msgspec.json.decode(body, type=g.CodeAssistResponse).response.candidates[0]  # type: ignore[union-attr]
    assert (
        candidate.content == g.Content(role="model")
        and candidate.finish_message == "Malformed function call: x"
    )


def test_mid_stream_error_event_decodes_into_the_envelope() -> None:
    body = json.dumps(
        {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}
    )
    event = msgspec.json.decode(body, type=g.CodeAssistResponse)
    assert event.response is None and event.error == g.GeminiError(
        code=500, message="Internal error encountered.", status="INTERNAL"
    )


# -- errors (§6.1) -------------------------------------------------------------------------------------------


def test_error_body_as_object_decodes() -> None:
    error = g.decode_gemini_error(json.dumps(_CAPACITY_ERROR).encode())
    assert error is not None and (error.code, error.status) == (503, "UNAVAILABLE")
    assert error.reason == "MODEL_CAPACITY_EXHAUSTED" and error.retry_delay == "9s"
    assert error.detail("google.rpc.ErrorInfo")["metadata"] == {"model": "gemini-3.1-pro-preview"}  # type: ignore[index]


def test_error_body_as_pretty_printed_array_decodes_the_same() -> None:
    as_array = json.dumps([_CAPACITY_ERROR], indent=2).encode()
    assert g.decode_gemini_error(as_array) == g.decode_gemini_error(json.dumps(_CAPACITY_ERROR).encode())


def test_legacy_errors_member_and_missing_details_decode() -> None:
    body = b"""{"error": {"code": 400, "message": "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.",
        "errors": [{"message": "x", "domain": "global", "reason": "badRequest"}], "status": "INVALID_ARGUMENT"}}"""
    error = g.decode_gemini_error(body)
    assert (
        error is not None
        and error.status == "INVALID_ARGUMENT"
        and error.reason is None
        and error.retry_delay is None
    )
    assert error.errors == [{"message": "x", "domain": "global", "reason": "badRequest"}]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>Bad Gateway</html>",
        b"[]",
        b'{"message": "no error member"}',
        b'{"error": "invalid_grant"}',
        b"[1]",
    ],
)
def test_bodies_that_are_not_google_errors_give_none(body: bytes) -> None:
    assert g.decode_gemini_error(body) is None


def test_simulator_writes_the_error_body_in_both_shapes() -> None:
    body = g.GeminiErrorBody(
        error=g.GeminiError(code=404, message="Requested entity was not found.", status="NOT_FOUND")
    )
    expected = {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
    assert json.loads(msgspec.json.encode(body)) == expected
    assert json.loads(msgspec.json.encode([body])) == [expected]


# -- countTokens and setup -------------------------------------------------------------------------------------


def test_count_tokens_request_and_response() -> None:
    request = g.CountTokensRequest(
        request=g.CountTokensBody(
            model="models/gemini-2.5-pro", contents=[g.Content(role="user", parts=[g.Part(text="hello")])]
        )
    )
    assert json.loads(msgspec.json.encode(request)) == {
        "request": {
            "model": "models/gemini-2.5-pro",
            "contents": [{"role": "user", "parts": [{"text": "hello"}]}],
        }
    }
    assert msgspec.json.decode(b'{"totalTokens": 2}', type=g.CountTokensResponse).total_tokens == 2
    assert msgspec.json.decode(b"{}", type=g.CountTokensResponse).total_tokens is None


def test_load_code_assist_for_an_onboarded_free_user() -> None:
    body = b"""{
      "currentTier": {"id": "free-tier", "name": "Gemini Code Assist for individuals",
        "userDefinedCloudaicompanionProject": false, "privacyNotice": {"showNotice": false},
        "hasAcceptedTos": true, "hasOnboardedPreviously": true},
      "allowedTiers": [
        {"id": "free-tier", "name": "Gemini Code Assist for individuals", "isDefault": true, "userDefinedCloudaicompanionProject": false},
        {"id": "standard-tier", "name": "Gemini Code Assist", "userDefinedCloudaicompanionProject": true}],
      "paidTier": {"id": "g1-pro-tier", "availableCredits": [{"creditType": "GOOGLE_ONE_AI", "creditAmount": "1000"}]},
      "cloudaicompanionProject": "lucid-formula-q7k2m"}"""
    response = msgspec.json.decode(body, type=g.LoadCodeAssistResponse)
    assert response.current_tier is not None and response.current_tier.id == "free-tier"
    assert response.project_id == "lucid-formula-q7k2m"
    assert response.default_tier() == response.allowed_tiers[0]  # type: ignore[index]
    assert response.paid_tier.available_credits == [
        g.Credit(credit_type="GOOGLE_ONE_AI", credit_amount="1000")
    ]  # type: ignore[union-attr]


def test_never_onboarded_user_has_no_tier_and_no_project() -> None:
    body = b'{"allowedTiers": [{"id": "free-tier", "isDefault": true}], "ineligibleTiers": [{"reasonCode": "VALIDATION_REQUIRED", "validationUrl": "https://v"}]}'
    response = msgspec.json.decode(body, type=g.LoadCodeAssistResponse)
    assert response.current_tier is None and response.project_id is None
    assert response.ineligible_tiers == [
        g.IneligibleTier(reason_code="VALIDATION_REQUIRED", validation_url="https://v")
    ]


def test_setup_requests_omit_the_project_when_not_given() -> None:
    metadata = g.ClientMetadata(
        ide_type="IDE_UNSPECIFIED", platform="PLATFORM_UNSPECIFIED", plugin_type="GEMINI"
    )
    assert json.loads(msgspec.json.encode(g.OnboardUserRequest(tier_id="free-tier", metadata=metadata))) == {
        "tierId": "free-tier",
        "metadata": {
            "ideType": "IDE_UNSPECIFIED",
            "platform": "PLATFORM_UNSPECIFIED",
            "pluginType": "GEMINI",
        },
    }
    load = g.LoadCodeAssistRequest(cloudaicompanion_project="p", metadata=g.ClientMetadata(duet_project="p"))
    assert json.loads(msgspec.json.encode(load)) == {
        "cloudaicompanionProject": "p",
        "metadata": {"duetProject": "p"},
    }


@pytest.mark.parametrize(
    ("body", "done", "project"),
    [
        (b'{"name": "operations/onb-7f3a", "done": false}', False, None),
        (
            b'{"name": "operations/onb-7f3a", "done": true, "response": {"cloudaicompanionProject": {"id": "lucid-formula-q7k2m", "name": "lucid-formula-q7k2m"}}}',
            True,
            "lucid-formula-q7k2m",
        ),
        (
            b'{"done": true, "response": {"cloudaicompanionProject": "plain-string-project"}}',
            True,
            "plain-string-project",
        ),
    ],
    ids=["pending", "project-object", "project-string"],
)
def test_onboard_operation_accepts_project_as_object_or_string(
    body: bytes, done: bool, project: str | None
) -> None:
    operation = msgspec.json.decode(body, type=g.OnboardUserOperation)
    assert bool(operation.done) is done
    assert (operation.response.project_id if operation.response else None) == project


def test_pending_operation_encodes_an_explicit_done_false() -> None:
    operation = g.OnboardUserOperation(name="operations/onb-7f3a", done=False)
    assert msgspec.json.encode(operation) == b'{"name":"operations/onb-7f3a","done":false}'


def test_retrieve_user_quota_buckets_decode() -> None:
    body = b"""{"buckets": [
        {"modelId": "gemini-2.5-pro", "tokenType": "REQUESTS", "remainingFraction": 0.75, "resetTime": "2026-08-21T07:00:00Z"},
        {"modelId": "gemini-2.5-flash", "tokenType": "REQUESTS", "remainingAmount": "1380", "remainingFraction": 0.92, "resetTime": "2026-08-21T07:00:00Z"},
        {"modelId": "gemini-3-pro-preview", "tokenType": "REQUESTS", "remainingFraction": 0.0, "resetTime": "2026-08-21T07:00:00Z"}]}"""
    buckets = msgspec.json.decode(body, type=g.RetrieveUserQuotaResponse).buckets
    assert [b.remaining_fraction for b in buckets] == [0.75, 0.92, 0.0]
    assert buckets[1].remaining_amount == "1380"
    assert msgspec.json.encode(g.RetrieveUserQuotaRequest(project="p")) == b'{"project":"p"}'
