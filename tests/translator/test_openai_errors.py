"""Anthropic errors → OpenAI errors (client-apis.md §1.4 in, §2.4 out), checked against the SDK's classes."""

from __future__ import annotations

import httpx2
import openai
import orjson
import pytest

from services.translator.anthropic_to_openai import openai_error_from_anthropic, openai_status_from_anthropic


def body(error_type: str, message: str) -> dict:
    return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_1"}


@pytest.mark.parametrize(
    ("status", "anthropic_type", "openai_type", "code", "sdk_error"),
    [
        (400, "invalid_request_error", "invalid_request_error", None, openai.BadRequestError),
        (401, "authentication_error", "invalid_request_error", "invalid_api_key", openai.AuthenticationError),
        (403, "permission_error", "permission_error", None, openai.PermissionDeniedError),
        (413, "request_too_large", "invalid_request_error", "request_too_large", openai.APIStatusError),
        (429, "rate_limit_error", "rate_limit_error", "rate_limit_exceeded", openai.RateLimitError),
        (500, "api_error", "server_error", None, openai.InternalServerError),
        (504, "timeout_error", "server_error", None, openai.InternalServerError),
        (529, "overloaded_error", "server_error", None, openai.InternalServerError),
    ],
)
def test_anthropic_error_maps_to_the_openai_shape_and_sdk_class(
    status: int,
    anthropic_type: str,
    openai_type: str,
    code: str | None,
    sdk_error: type[openai.APIStatusError],
) -> None:
    error = openai_error_from_anthropic(status, body(anthropic_type, "something happened"))
    assert error == {
        "error": {"message": "something happened", "type": openai_type, "param": None, "code": code}
    }

    answer = httpx2.Response(openai_status_from_anthropic(status), content=orjson.dumps(error))
    client = openai.OpenAI(
        api_key="k",
        base_url="http://gateway.test/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(lambda request: answer)),
    )
    with pytest.raises(sdk_error) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert (info.value.type, info.value.code) == (openai_type, code)  # type: ignore[attr-defined]


def test_unknown_model_is_model_not_found_about_the_model_param() -> None:
    error = openai_error_from_anthropic(404, body("not_found_error", "model: claude-nope"))
    assert error["error"] == {
        "message": "model: claude-nope",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


def test_other_not_found_errors_have_no_model_code() -> None:
    assert openai_error_from_anthropic(404, body("not_found_error", "no such file"))["error"]["code"] is None


def test_billing_error_is_insufficient_quota() -> None:
    error = openai_error_from_anthropic(402, body("billing_error", "out of credit"))["error"]
    assert (error["type"], error["code"]) == ("insufficient_quota", "insufficient_quota")


def test_inner_error_object_is_accepted_as_well_as_the_whole_body() -> None:
    inner = {"type": "rate_limit_error", "message": "slow"}
    assert openai_error_from_anthropic(429, inner) == openai_error_from_anthropic(
        429, body("rate_limit_error", "slow")
    )


@pytest.mark.parametrize(
    ("status", "openai_type"),
    [
        (400, "invalid_request_error"),
        (422, "invalid_request_error"),
        (502, "server_error"),
        (200, "server_error"),
    ],
)
def test_unknown_anthropic_type_falls_back_on_the_status(status: int, openai_type: str) -> None:
    error = openai_error_from_anthropic(status, body("stream_error", "x"))["error"]
    assert error["type"] == openai_type and error["code"] is None


def test_missing_message_gets_a_generic_one_naming_the_status() -> None:
    assert (
        openai_error_from_anthropic(502, {"type": "error"})["error"]["message"] == "Upstream error (HTTP 502)"
    )


@pytest.mark.parametrize(("status", "expected"), [(529, 503), (500, 500), (429, 429), (400, 400)])
def test_overloaded_529_is_a_503_for_openai_clients(status: int, expected: int) -> None:
    assert openai_status_from_anthropic(status) == expected
