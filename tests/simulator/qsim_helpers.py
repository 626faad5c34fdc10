"""Helpers for the Amazon Q / AWS OIDC simulator tests: the app, a user, requests, frame decoding.

Frames are decoded with botocore's `EventStreamBuffer`, an implementation independent of ours.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from botocore.eventstream import EventStreamBuffer

from services.simulator.app import create_app
from services.simulator.appkeys import SIM_STATE
from services.simulator.config import SimulatorConfig
from services.simulator.state import SimState
from shared.settings import load_settings

GENERATE = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
LIST_MODELS = "AmazonCodeWhispererService.ListAvailableModels"
USAGE_LIMITS = "AmazonCodeWhispererService.GetUsageLimits"
AWS_JSON = "application/x-amz-json-1.0"

# amazonq.md §4.2, verbatim
BODY_MALFORMED = b'{"__type":"ValidationException","message":"Improperly formed request.","reason":null}'
BODY_TOO_LONG = (b'{"__type":"ValidationException","message":"Input is too long.",'
                 b'"reason":"CONTENT_LENGTH_EXCEEDS_THRESHOLD"}')
BODY_INVALID_MODEL = (b'{"__type":"ValidationException","message":"Invalid model. Please select a different '
                      b'model to continue.","reason":"INVALID_MODEL_ID"}')
BODY_BEARER_INVALID = (b'{"__type":"com.amazon.aws.codewhisperer#AccessDeniedException","message":"The bearer '
                       b'token included in the request is invalid.","reason":null}')
BODY_THROTTLED = (b'{"__type":"com.amazon.aws.codewhisperer#ThrottlingException","message":"Rate limit exceeded",'
                  b'"reason":null}')


def sim_app(**config: Any) -> web.Application:
    return create_app(load_settings({}), SimulatorConfig(**config))


def state_of(client) -> SimState:
    return client.server.app[SIM_STATE]


async def new_user(client, **fields: Any) -> dict[str, Any]:
    """A simulated user with an access token (lifetime 3600 s unless given; None: the global setting)."""
    fields.setdefault("access_token_lifetime", 3600)
    fields["access_token"] = True
    fields = {name: value for name, value in fields.items() if value is not None}
    response = await client.post("/_sim/aws/users", json=fields)
    assert response.status == 201, await response.text()
    return await response.json()


def generate_body(
    content: str = "Hello",
    *,
    history: list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
    tool_results: list[dict[str, Any]] | None = None,
    model_id: str | None = "claude-sonnet-4.5",
    origin: str | None = "CLI",
    conversation_id: str | None = None,
    trigger: str = "MANUAL",
    images: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"content": content}
    if origin is not None:
        message["origin"] = origin
    if model_id is not None:
        message["modelId"] = model_id
    context: dict[str, Any] = {"envState": {"operatingSystem": "linux", "currentWorkingDirectory": "/"}}
    if tools is not None:
        context["tools"] = tools
    if tool_results is not None:
        context["toolResults"] = tool_results
    message["userInputMessageContext"] = context
    if images is not None:
        message["images"] = images
    state: dict[str, Any] = {
        "conversationId": conversation_id or str(uuid.uuid4()),
        "chatTriggerType": trigger,
        "history": history or [],
        "currentMessage": {"userInputMessage": message},
    }
    return {"conversationState": state}


def tool_spec(name: str = "get_weather", description: str = "Weather for a city", schema: Any = None) -> dict[str, Any]:
    if schema is None:
        schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    return {"toolSpecification": {"name": name, "description": description, "inputSchema": {"json": schema}}}


def aws_json_headers(token: str | None, target: str = GENERATE) -> dict[str, str]:
    headers = {"content-type": AWS_JSON, "x-amz-target": target}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return headers


async def call_generate(client, token: str | None, body: Any, **kwargs: Any):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return await client.post("/amazonq/", data=data, headers=aws_json_headers(token), **kwargs)


async def call_rest(client, token: str, body: Any):
    return await client.post(
        "/amazonq/generateAssistantResponse",
        data=json.dumps(body),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )


@dataclass(frozen=True)
class Frame:
    headers: dict[str, Any]
    payload: bytes

    @property
    def message_type(self) -> str:
        return self.headers[":message-type"]

    @property
    def event_type(self) -> str | None:
        return self.headers.get(":event-type")

    @property
    def json(self) -> Any:
        return json.loads(self.payload)


def decode_frames(data: bytes) -> list[Frame]:
    """botocore's decoder; it raises on a CRC or length error."""
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [Frame(dict(message.headers), message.payload) for message in buffer]


def event_types(frames: list[Frame]) -> list[str]:
    return [f.event_type or f"exception:{f.headers.get(':exception-type')}" for f in frames]


def text_of(frames: list[Frame]) -> str:
    return "".join(f.json["content"] for f in frames if f.event_type == "assistantResponseEvent")
