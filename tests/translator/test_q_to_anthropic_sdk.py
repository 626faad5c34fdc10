"""The official `anthropic` SDK reads our output: its stream helper assembles the same message that
`collect_message` builds, and a mid-stream failure makes it raise (client-apis.md §3)."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import orjson
import pytest
from test_q_to_anthropic_grammar import (
    SDK_REQUEST,
    decode_body,
    q_body,
    sdk_client,
    sdk_final_message,
    sse_body,
    text,
    tool,
    tool_call,
    translate,
)

from services.translator.anthropic_collect import collect_message
from shared.schemas.amazonq_events import (
    ContextUsageEvent,
    InitialResponse,
    MeteringEvent,
    QEvent,
    QException,
    ReasoningContentEvent,
)

_RICH: list[QEvent] = [
    InitialResponse(conversation_id="c-1"),
    text("<thin"), text("king>The user wants weather; call the tool.</thi"), text("nking>\n\n"),
    text("I'll check Paris — ☃."),
    *tool_call("tooluse_A1", ["", '{"location": "Pa', 'ris", "days": [1, 2]}']),
    *tool_call("tooluse_B2", []),
    MeteringEvent(usage=0.02, unit="credit", unit_plural="credits"),
    ContextUsageEvent(context_usage_percentage=4.2),
]


def _sdk_view(message: Any) -> dict[str, Any]:
    """The fields a client reads, from the SDK's Message or from our collected JSON."""
    data = message if isinstance(message, dict) else message.to_dict()
    content = []
    for block in data["content"]:
        keep = {"text": ("text",), "thinking": ("thinking", "signature"), "tool_use": ("id", "name", "input"),
                "redacted_thinking": ("data",)}[block["type"]]
        content.append({"type": block["type"], **{k: block[k] for k in keep}})
    usage = data["usage"]
    return {"id": data["id"], "model": data["model"], "role": data["role"], "content": content,
            "stop_reason": data["stop_reason"], "stop_sequence": data["stop_sequence"],
            "usage": (usage["input_tokens"], usage["output_tokens"])}


@pytest.mark.parametrize(
    ("q_events", "options"),
    [
        (_RICH, {"thinking": True}),
        (_RICH, {"thinking": False}),
        ([text("Say END here"), text(" and more")], {"stop_sequences": ["END"]}),
        ([text("word " * 200)], {"max_tokens": 17}),
        ([ReasoningContentEvent(text="Native."), ReasoningContentEvent(redacted_content="cmVk"), text("Hi")], {}),
        ([], {}),
    ],
    ids=["thinking-text-tools", "tags-as-text", "stop-sequence", "max-tokens", "native-reasoning", "empty"],
)
def test_sdk_stream_helper_assembles_the_message_collect_builds(q_events: list[QEvent], options: dict) -> None:
    events = translate(q_events, **options)

    assert _sdk_view(sdk_final_message(events)) == _sdk_view(collect_message(events))


def test_sdk_reads_the_thinking_text_and_tools_of_the_rich_stream() -> None:
    final = sdk_final_message(translate(decode_body(q_body(_RICH), 3), thinking=True))

    assert [block.type for block in final.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert final.content[0].thinking == "The user wants weather; call the tool."  # type: ignore[union-attr]
    assert final.content[0].signature  # type: ignore[union-attr]
    assert final.content[1].text == "I'll check Paris — ☃."  # type: ignore[union-attr]
    assert final.content[2].input == {"location": "Paris", "days": [1, 2]}  # type: ignore[union-attr]
    assert final.content[3].input == {}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use" and final.usage.output_tokens > 0


def test_sdk_non_streaming_parse_of_the_collected_message_matches_the_stream() -> None:
    events = translate(_RICH, thinking=True)
    body = orjson.dumps(collect_message(events))
    client = anthropic.Anthropic(
        api_key="k", base_url="http://gateway.test", max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(lambda request: httpx2.Response(200, content=body))),
    )

    created = client.messages.create(**SDK_REQUEST)

    assert _sdk_view(created) == _sdk_view(sdk_final_message(events))


def test_sdk_raises_on_a_mid_stream_error_event() -> None:
    events = translate([text("Half an ans"), QException("ThrottlingException", "Rate limit exceeded")])

    with pytest.raises(anthropic.APIStatusError) as raised, sdk_client(sse_body(events)).messages.stream(**SDK_REQUEST) as stream:
        stream.get_final_message()

    assert raised.value.status_code == 200
    assert raised.value.body["error"]["type"] == "overloaded_error"  # type: ignore[index]


def test_sdk_raises_when_the_stream_was_cut_inside_a_tool_call() -> None:
    events = translate([tool("t1"), tool("t1", input='{"path": "/et')])

    with pytest.raises(anthropic.APIStatusError), sdk_client(sse_body(events)).messages.stream(**SDK_REQUEST) as stream:
        stream.get_final_message()


def test_sdk_raw_event_iteration_sees_every_event_with_its_name() -> None:
    events = translate(_RICH, thinking=True)
    client = sdk_client(sse_body(events))

    seen = [event.type for event in client.messages.create(**SDK_REQUEST, stream=True)]

    assert seen == [e["type"] for e in events if e["type"] != "ping"]  # the SDK swallows pings
