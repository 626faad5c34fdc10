"""Helpers for the Anthropic → Amazon Q golden tests (no tests here).

A golden test writes the Anthropic request as JSON-shaped dicts, converts it and compares the whole
``conversationState`` (as a dict) with the expected one built from ``user``/``assistant``/``current``.
"""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import msgspec
import orjson
import pytest

from services.translator.anthropic_to_q import QConversion, build_q_request
from shared.models import ModelRoute
from shared.schemas import anthropic
from shared.schemas.decoding import convert

ROUTE = ModelRoute("claude-sonnet-4-5-20250929", "amazonq", "claude-sonnet-4.5", 200_000)
CONVERSATION_ID = "3f1c2a9e-7b4d-4c1e-9a2b-5d6e7f8a9b0c"
ORIGIN = "KIRO_CLI"
SYSTEM_MARKERS = "--- SYSTEM PROMPT BEGIN ---\n{}\n--- SYSTEM PROMPT END ---"


def body(messages: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"model": ROUTE.requested, "max_tokens": 1024, "messages": messages, **fields}


def decode(request: dict[str, Any], kind: type = anthropic.MessagesRequest) -> Any:
    return convert(request, kind)


def conversion(request: dict[str, Any], **kwargs: Any) -> QConversion:
    kwargs.setdefault("conversation_id", CONVERSATION_ID)
    return build_q_request(decode(request), ROUTE, **kwargs)


def wire(result: QConversion) -> dict[str, Any]:
    """The body exactly as sent upstream, parsed back."""
    return orjson.loads(msgspec.json.encode(result.body))


def state(request: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return wire(conversion(request, **kwargs))["conversationState"]


def current_message(request: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return state(request, **kwargs)["currentMessage"]["userInputMessage"]


# -- expected shapes -----------------------------------------------------------------------------------


def result(tool_use_id: str, *texts: str, status: str = "success") -> dict[str, Any]:
    return {"toolUseId": tool_use_id, "content": [{"text": text} for text in texts], "status": status}


def user(content: str, *, results: list[dict[str, Any]] | None = None, images: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"content": content, "origin": ORIGIN}
    if results:
        message["userInputMessageContext"] = {"toolResults": results}
    if images:
        message["images"] = images
    return {"userInputMessage": message}


def assistant(content: str, *uses: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    message: dict[str, Any] = {"content": content}
    if uses:
        message["toolUses"] = [{"toolUseId": i, "name": n, "input": inp} for i, n, inp in uses]
    return {"assistantResponseMessage": message}


def current(
    content: str,
    *,
    results: list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
    images: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"content": content}
    context: dict[str, Any] = {}
    if results:
        context["toolResults"] = results
    if tools:
        context["tools"] = tools
    if context:
        message["userInputMessageContext"] = context
    message["origin"] = ORIGIN
    if images:
        message["images"] = images
    message["modelId"] = ROUTE.upstream_model
    return {"userInputMessage": message}


def conversation(history: list[dict[str, Any]], current_entry: dict[str, Any]) -> dict[str, Any]:
    expected: dict[str, Any] = {"conversationId": CONVERSATION_ID}
    if history:
        expected["history"] = history
    expected["currentMessage"] = current_entry
    expected["chatTriggerType"] = "MANUAL"
    return expected


def spec(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"toolSpecification": {"name": name, "description": description,
                                  "inputSchema": {"json": schema if schema is not None else {"type": "object"}}}}


def tool(name: str, description: str = "A tool", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """An Anthropic tool definition."""
    return {"name": name, "description": description,
            "input_schema": schema if schema is not None else {"type": "object"}}


# -- Anthropic blocks --------------------------------------------------------------------------------------


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": value, **extra}


def tool_use(tool_use_id: str, name: str, tool_input: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_use_id, "name": name, "input": tool_input or {}}


def tool_result(tool_use_id: str, content: Any = "", **extra: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": content, **extra}


def png_bytes(width: int = 1, height: int = 1) -> bytes:
    """A real PNG (one grey pixel row per line) of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def png_base64(width: int = 1, height: int = 1) -> str:
    return base64.b64encode(png_bytes(width, height)).decode()


def image(data: str | None = None, media_type: str = "image/png") -> dict[str, Any]:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data or png_base64()}}


def q_image(data: str | None = None, image_format: str = "png") -> dict[str, Any]:
    return {"format": image_format, "source": {"bytes": data or png_base64()}}


# -- the simulator's validator ---------------------------------------------------------------------------------


def simulator_verdict(wire_body: dict[str, Any]) -> str | None:
    """``None`` when the simulator (which validates like the real Q) accepts the body, else its detail."""
    try:
        from services.simulator.amazonq_validate import validate_generate_request
    except ImportError:
        pytest.skip("services/simulator/amazonq_validate.py is not present yet")
    error = validate_generate_request(wire_body)
    if error is None:
        return None
    return str(getattr(error, "detail", None) or error)
