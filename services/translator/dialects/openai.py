"""The OpenAI Chat Completions dialect, built on the Anthropic hub: the request becomes Anthropic
Messages, and Anthropic events become `chat.completion.chunk`s (or one `chat.completion`)."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from services.translator.anthropic_to_openai import AnthropicToOpenAI, collect_completion
from services.translator.dialects.base import DIALECTS, ClientRequest
from services.translator.errors import ConversionError
from services.translator.openai_to_anthropic import build_anthropic_request, uses_legacy_functions
from shared.dialects import DIALECTS as CLIENT_DIALECTS
from shared.settings import Settings
from shared.wire.openai_sse import OPENAI_DONE, openai_chunk


class OpenAIStreamWriter:
    content_type = "text/event-stream"

    def __init__(self, machine: AnthropicToOpenAI) -> None:
        self.machine = machine

    def encode(self, events: list[dict]) -> bytes:
        out = []
        for event in events:
            if event.get("type") == "error":
                error = event.get("error") or {}
                for chunk in self.machine.fail(error.get("message", "upstream failure"), "server_error"):
                    out.append(openai_chunk(chunk))
                out.append(OPENAI_DONE)
                continue
            for chunk in self.machine.feed(event):
                out.append(openai_chunk(chunk))
        return b"".join(out)

    def end(self) -> bytes:
        return b"".join(openai_chunk(chunk) for chunk in self.machine.finish()) + OPENAI_DONE


class OpenAIChat:
    name = "openai"
    client = CLIENT_DIALECTS["openai"]

    def decode(self, body: bytes, operation: str, settings: Settings) -> ClientRequest:
        if operation != "generate":
            raise ConversionError("the OpenAI API has no token counting endpoint", status=404, error_type="not_found_error")
        request = self.client.decode(body, operation)
        converted = build_anthropic_request(request, default_max_tokens=settings.default_max_tokens)
        include_usage = bool(request.stream_options and request.stream_options.include_usage)
        return ClientRequest(anthropic=converted, model=request.model, stream=bool(request.stream),
                             include_usage=include_usage, legacy_functions=uses_legacy_functions(request))

    def stream_writer(self, request: ClientRequest, *, message_id: str, model: str, created: int) -> OpenAIStreamWriter:
        machine = AnthropicToOpenAI(completion_id=_completion_id(message_id), created=created, model=model,
                                    include_usage=request.include_usage, legacy_functions=request.legacy_functions)
        return OpenAIStreamWriter(machine)

    def collect(self, request: ClientRequest, events: Iterable[dict], *, message_id: str, model: str, created: int) -> bytes:
        return orjson.dumps(collect_completion(events, completion_id=_completion_id(message_id), created=created,
                                               model=model, legacy_functions=request.legacy_functions))

    def count_tokens_body(self, input_tokens: int) -> bytes:
        raise ConversionError("the OpenAI API has no token counting endpoint", status=404, error_type="not_found_error")


def _completion_id(message_id: str) -> str:
    return "chatcmpl-" + message_id.removeprefix("msg_")


DIALECTS.register(OpenAIChat())
