"""Amazon Q request/management/error Structs against amazonq.md §2, §4.1 and §7."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from shared.schemas import amazonq as q

# amazonq.md §2.10, verbatim.
_EXAMPLE_2_10 = """
{
  "conversationState": {
    "conversationId": "0f4c6a2e-5d1b-4c55-9a0e-6b3b1f2f7c11",
    "chatTriggerType": "MANUAL",
    "history": [
      {"userInputMessage": {"content": "List the files in /tmp", "origin": "CLI",
        "userInputMessageContext": {"envState": {"operatingSystem": "linux", "currentWorkingDirectory": "/home/u"}}}},
      {"assistantResponseMessage": {"messageId": "7d9b2d7e-4d39-4a8e-9a53-0e7f2b8c1d2a", "content": "",
        "toolUses": [{"toolUseId": "tooluse_hNI7POsrr87ovDvEEV0mlP", "name": "execute_bash", "input": {"command": "ls /tmp"}}]}}
    ],
    "currentMessage": {"userInputMessage": {
      "content": "",
      "origin": "CLI",
      "modelId": "claude-sonnet-4.5",
      "userInputMessageContext": {
        "envState": {"operatingSystem": "linux", "currentWorkingDirectory": "/home/u"},
        "toolResults": [{"toolUseId": "tooluse_hNI7POsrr87ovDvEEV0mlP", "status": "success", "content": [{"text": "a.txt\\nb.txt"}]}],
        "tools": [{"toolSpecification": {"name": "execute_bash", "description": "Run a shell command",
          "inputSchema": {"json": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}}}]
      }}}
  }
}
"""


def _example_as_structs() -> q.GenerateAssistantResponseRequest:
    env = q.EnvState(operating_system="linux", current_working_directory="/home/u")
    tool_use_id = "tooluse_hNI7POsrr87ovDvEEV0mlP"
    return q.GenerateAssistantResponseRequest(
        conversation_state=q.ConversationState(
            conversation_id="0f4c6a2e-5d1b-4c55-9a0e-6b3b1f2f7c11",
            chat_trigger_type="MANUAL",
            history=[
                q.ChatMessage(
                    user_input_message=q.UserInputMessage(
                        content="List the files in /tmp",
                        origin="CLI",
                        user_input_message_context=q.UserInputMessageContext(env_state=env),
                    )
                ),
                q.ChatMessage(
                    assistant_response_message=q.AssistantResponseMessage(
                        message_id="7d9b2d7e-4d39-4a8e-9a53-0e7f2b8c1d2a",
                        content="",
                        tool_uses=[
                            q.ToolUse(
                                tool_use_id=tool_use_id, name="execute_bash", input={"command": "ls /tmp"}
                            )
                        ],
                    )
                ),
            ],
            current_message=q.ChatMessage(
                user_input_message=q.UserInputMessage(
                    content="",
                    origin="CLI",
                    model_id="claude-sonnet-4.5",
                    user_input_message_context=q.UserInputMessageContext(
                        env_state=env,
                        tool_results=[
                            q.ToolResult(
                                tool_use_id=tool_use_id,
                                status="success",
                                content=[q.ToolResultContentBlock(text="a.txt\nb.txt")],
                            )
                        ],
                        tools=[
                            q.Tool(
                                tool_specification=q.ToolSpecification(
                                    name="execute_bash",
                                    description="Run a shell command",
                                    input_schema=q.ToolInputSchema(
                                        json={
                                            "type": "object",
                                            "properties": {"command": {"type": "string"}},
                                            "required": ["command"],
                                        }
                                    ),
                                )
                            )
                        ],
                    ),
                )
            ),
        )
    )


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_null(v) for v in value)
    return False


def test_structs_encode_to_exactly_the_documented_example_request() -> None:
    assert json.loads(msgspec.json.encode(_example_as_structs())) == json.loads(_EXAMPLE_2_10)


def test_example_request_decodes_and_reencodes_unchanged() -> None:
    decoded = msgspec.json.decode(_EXAMPLE_2_10, type=q.GenerateAssistantResponseRequest)
    assert decoded == _example_as_structs()
    assert json.loads(msgspec.json.encode(decoded)) == json.loads(_EXAMPLE_2_10)


def test_encoding_never_writes_null_members() -> None:
    minimal = q.GenerateAssistantResponseRequest(
        conversation_state=q.ConversationState(
            chat_trigger_type="MANUAL",
            current_message=q.ChatMessage(user_input_message=q.UserInputMessage(content="hi")),
        )
    )
    assert json.loads(msgspec.json.encode(minimal)) == {
        "conversationState": {
            "currentMessage": {"userInputMessage": {"content": "hi"}},
            "chatTriggerType": "MANUAL",
        }
    }
    assert not _has_null(json.loads(msgspec.json.encode(_example_as_structs())))


def test_empty_history_is_sent_only_when_asked_for() -> None:
    state = q.ConversationState(
        chat_trigger_type="MANUAL",
        history=[],
        current_message=q.ChatMessage(user_input_message=q.UserInputMessage(content="hi")),
    )
    assert json.loads(msgspec.json.encode(state))["history"] == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "user_input_message": q.UserInputMessage(content="a"),
            "assistant_response_message": q.AssistantResponseMessage(content="b"),
        },
    ],
    ids=["neither", "both"],
)
def test_chat_message_needs_exactly_one_variant(kwargs: dict[str, Any]) -> None:
    with pytest.raises(
        ValueError, match="Expected exactly one of `userInputMessage`, `assistantResponseMessage`"
    ):
        q.ChatMessage(**kwargs)


def test_decoding_an_invalid_union_reports_the_wire_path() -> None:
    body = b'{"conversationState": {"chatTriggerType": "MANUAL", "history": [{}],"currentMessage": {"userInputMessage": {"content": ""}}}}'
    with pytest.raises(msgspec.ValidationError, match=r"at `\$.conversationState.history\[0\]`"):
        msgspec.json.decode(body, type=q.GenerateAssistantResponseRequest)


def test_current_message_must_be_the_user_variant() -> None:
    with pytest.raises(ValueError, match="Expected a `userInputMessage`"):
        q.ConversationState(
            chat_trigger_type="MANUAL",
            current_message=q.ChatMessage(assistant_response_message=q.AssistantResponseMessage(content="x")),
        )


def test_chat_trigger_type_auto_is_not_in_the_enum() -> None:
    body = b'{"conversationState": {"chatTriggerType": "AUTO", "currentMessage": {"userInputMessage": {"content": "x"}}}}'
    with pytest.raises(msgspec.ValidationError, match="Invalid enum value 'AUTO'"):
        msgspec.json.decode(body, type=q.GenerateAssistantResponseRequest)


def test_tool_union_allows_a_cache_point_and_forbids_both() -> None:
    assert msgspec.json.encode(q.Tool(cache_point=q.CachePoint())) == b'{"cachePoint":{"type":"default"}}'
    with pytest.raises(ValueError, match="exactly one of `toolSpecification`, `cachePoint`"):
        q.Tool(
            tool_specification=q.ToolSpecification(name="n", input_schema=q.ToolInputSchema(json={})),
            cache_point=q.CachePoint(),
        )


def test_tool_result_json_block_may_hold_any_json_including_null() -> None:
    assert msgspec.json.encode(q.ToolResultContentBlock(json={"rows": [1, 2]})) == b'{"json":{"rows":[1,2]}}'
    assert msgspec.json.encode(q.ToolResultContentBlock(json=None)) == b'{"json":null}'
    decoded = msgspec.json.decode(b'{"json": null}', type=q.ToolResultContentBlock)
    assert decoded.json is None and decoded.text is None
    with pytest.raises(ValueError, match="exactly one of `text`, `json`"):
        q.ToolResultContentBlock()


def test_images_reasoning_and_cache_members_use_wire_names() -> None:
    user = q.UserInputMessage(
        content="what is this?",
        images=[q.ImageBlock(format="png", source=q.ImageSource(bytes="iVBORw0KGgo="))],
        cache_point=q.CachePoint(),
        client_cache_config=q.ClientCacheConfig(use_client_caching_only=False),
    )
    assert json.loads(msgspec.json.encode(user)) == {
        "content": "what is this?",
        "images": [{"format": "png", "source": {"bytes": "iVBORw0KGgo="}}],
        "cachePoint": {"type": "default"},
        "clientCacheConfig": {"useClientCachingOnly": False},
    }
    assistant = q.AssistantResponseMessage(
        content="",
        reasoning_content=q.ReasoningContent(reasoning_text=q.ReasoningText(text="hmm", signature="s")),
    )
    assert json.loads(msgspec.json.encode(assistant)) == {
        "content": "",
        "reasoningContent": {"reasoningText": {"text": "hmm", "signature": "s"}},
    }


def test_top_level_profile_arn_and_agent_mode() -> None:
    request = q.GenerateAssistantResponseRequest(
        conversation_state=q.ConversationState(
            chat_trigger_type="MANUAL",
            current_message=q.ChatMessage(user_input_message=q.UserInputMessage(content="x")),
            agent_task_type="vibe",
        ),
        profile_arn="arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC",
        agent_mode="vibe",
    )
    wire = json.loads(msgspec.json.encode(request))
    assert (wire["profileArn"], wire["agentMode"], wire["conversationState"]["agentTaskType"]) == (
        "arn:aws:codewhisperer:us-east-1:123456789012:profile/ABC",
        "vibe",
        "vibe",
    )


# -- management (§7) -------------------------------------------------------------------------------------


def test_list_available_models_request_and_response() -> None:
    request = q.ListAvailableModelsRequest(origin="CLI", profile_arn="arn:x")
    assert msgspec.json.encode(request) == b'{"origin":"CLI","profileArn":"arn:x"}'
    body = b"""{"models": [{"modelId": "claude-sonnet-4.5", "modelName": "Claude Sonnet 4.5", "rateMultiplier": 1.3,
        "tokenLimits": {"maxInputTokens": 200000, "maxOutputTokens": 64000}, "supportedInputTypes": ["TEXT", "IMAGE"],
        "supportsPromptCache": true, "unknownFutureMember": 1}],
        "defaultModel": {"modelId": "claude-sonnet-4.5"}, "nextToken": "t2"}"""
    response = msgspec.json.decode(body, type=q.ListAvailableModelsResponse)
    model = response.models[0]
    assert model.token_limits == q.TokenLimits(max_input_tokens=200000, max_output_tokens=64000)
    assert (model.rate_multiplier, model.supports_prompt_cache) == (1.3, True)
    assert response.default_model == q.ModelInfo(model_id="claude-sonnet-4.5")
    assert response.next_token == "t2"


def test_get_usage_limits_response_with_breakdown_decodes() -> None:
    body = b"""{"limits": [{"type": "AGENTIC_REQUEST", "currentUsage": 12, "totalUsageLimit": 50}],
        "nextDateReset": 1767225600.0, "daysUntilReset": 9,
        "usageBreakdownList": [{"resourceType": "CREDIT", "currentUsageWithPrecision": 12.5, "usageLimitWithPrecision": 50.0,
          "nextDateReset": "2026-01-01T00:00:00Z",
          "freeTrialInfo": {"freeTrialStatus": "ACTIVE", "usageLimitWithPrecision": 500.0, "currentUsageWithPrecision": 10}}],
        "subscriptionInfo": {"type": "Q_DEVELOPER_STANDALONE_FREE", "subscriptionTitle": "Free"},
        "userInfo": {"userId": "u", "email": "e@example.com"}}"""
    response = msgspec.json.decode(body, type=q.GetUsageLimitsResponse)
    assert response.limits == [q.UsageLimit(type="AGENTIC_REQUEST", current_usage=12, total_usage_limit=50)]
    breakdown = response.usage_breakdown_list[0]  # type: ignore[index]
    assert breakdown.next_date_reset == "2026-01-01T00:00:00Z" and response.next_date_reset == 1767225600.0
    assert breakdown.free_trial_info == q.FreeTrialInfo(
        free_trial_status="ACTIVE", usage_limit_with_precision=500.0, current_usage_with_precision=10
    )
    assert (
        response.subscription_info is not None
        and response.subscription_info.type == "Q_DEVELOPER_STANDALONE_FREE"
    )
    request = q.GetUsageLimitsRequest(
        origin="AI_EDITOR", resource_type="AGENTIC_REQUEST", is_email_required=True
    )
    assert json.loads(msgspec.json.encode(request)) == {
        "origin": "AI_EDITOR",
        "resourceType": "AGENTIC_REQUEST",
        "isEmailRequired": True,
    }


# -- errors (§4.1) ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "header", "expected"),
    [
        (
            b'{"__type":"com.amazon.aws.codewhisperer#ThrottlingException","message":"Rate limit exceeded","reason":null}',
            None,
            q.AwsError(name="ThrottlingException", message="Rate limit exceeded", reason=None),
        ),
        (
            b'{"__type":"ValidationException","message":"Input is too long.","reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}',
            None,
            q.AwsError(
                name="ValidationException",
                message="Input is too long.",
                reason="CONTENT_LENGTH_EXCEEDS_THRESHOLD",
            ),
        ),
        (
            b'{"message":"You have reached the limit.","reason":"MONTHLY_REQUEST_COUNT"}',
            "ServiceQuotaExceededException:http://internal.amazon.com/coral/com.amazon.aws.codewhisperer/",
            q.AwsError(
                name="ServiceQuotaExceededException",
                message="You have reached the limit.",
                reason="MONTHLY_REQUEST_COUNT",
            ),
        ),
        (
            b'{"Message":"The bearer token included in the request is invalid."}',
            "AccessDeniedException",
            q.AwsError(
                name="AccessDeniedException",
                message="The bearer token included in the request is invalid.",
                reason=None,
            ),
        ),
        (
            b'{"errorMessage":"quota","error":{"reason":"OVERAGE_REQUEST_LIMIT_EXCEEDED"}}',
            None,
            q.AwsError(name=None, message="quota", reason="OVERAGE_REQUEST_LIMIT_EXCEEDED"),
        ),
        (
            b"<html>502</html>",
            "InternalServerException",
            q.AwsError(name="InternalServerException", message="", reason=None),
        ),
    ],
    ids=[
        "prefixed-type",
        "validation",
        "rest-header",
        "Message-spelling",
        "nested-reason",
        "not-json-with-header",
    ],
)
def test_aws_error_bodies_are_normalised(body: bytes, header: str | None, expected: q.AwsError) -> None:
    assert q.decode_aws_error(body, header) == expected


def test_non_json_error_without_header_is_none() -> None:
    assert q.decode_aws_error(b"upstream connect error") is None


def test_simulator_error_body_writes_reason_null() -> None:
    body = q.AwsErrorBody(type="ValidationException", message="Improperly formed request.")
    assert (
        msgspec.json.encode(body)
        == b'{"__type":"ValidationException","message":"Improperly formed request.","reason":null}'
    )
