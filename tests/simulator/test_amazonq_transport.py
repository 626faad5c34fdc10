"""How the simulated Amazon Q cuts its stream into transport writes (sans-IO): frames are split at
arbitrary offsets, inside multi-byte UTF-8 characters too, and otherwise several go to one write."""

from __future__ import annotations

from botocore.eventstream import EventStreamBuffer

from services.simulator.amazonq_stream import (
    FRAMES_PER_WRITE,
    Drop,
    Pause,
    render_answer,
    tool_input_fragments,
    transport_writes,
)
from services.simulator.plan import Pacing, Plan, PromptView, Text, Truncate, plan_answer


def _writes(plan: Plan) -> tuple[list[bytes], bytes]:
    answer = render_answer(plan, conversation_id="c-1", input_chars=100)
    writes = [a for a in transport_writes(answer, plan.pacing) if isinstance(a, bytes)]
    return writes, b"".join(f.data for f in answer.frames)


def test_writes_concatenate_to_the_frames_and_decode_with_botocore():
    plan = plan_answer(PromptView("Hello"))
    writes, whole = _writes(plan)
    assert b"".join(writes) == whole
    buffer = EventStreamBuffer()
    for write in writes:
        buffer.add_data(write)
    assert len(list(buffer)) == len(render_answer(plan, conversation_id="c-1", input_chars=100).frames)


def test_a_frame_with_a_multibyte_character_is_split_inside_that_character():
    plan = Plan((Text("plain ascii"), Text("naïve ✓ 你好"), Text("more ascii")))
    writes, whole = _writes(plan)
    boundaries = []
    position = 0
    for write in writes[:-1]:
        position += len(write)
        boundaries.append(position)
    # a write that ends just before a UTF-8 continuation byte ends inside a character
    inside = [b for b in boundaries if 0x80 <= whole[b] <= 0xBF]
    assert inside, "no write boundary falls inside a multi-byte character"


def test_default_answers_carry_multibyte_characters_so_every_answer_exercises_the_split():
    writes, whole = _writes(plan_answer(PromptView("Hi")))
    position, inside = 0, 0
    for write in writes[:-1]:
        position += len(write)
        inside += 0x80 <= whole[position] <= 0xBF
    assert inside >= 1


def test_ascii_frames_go_several_to_a_write_and_one_is_cut_at_an_arbitrary_offset():
    plan = plan_answer(PromptView("[[frames:20]]"))
    answer = render_answer(plan, conversation_id="c-1", input_chars=100)
    writes = [a for a in transport_writes(answer, plan.pacing) if isinstance(a, bytes)]
    assert len(writes) < len(answer.frames) / 2
    frame_ends = set()
    position = 0
    for frame in answer.frames:
        position += len(frame.data)
        frame_ends.add(position)
    position, cut = 0, 0
    for write in writes:
        position += len(write)
        cut += position not in frame_ends
    assert cut >= 1
    assert max(len(w) for w in writes) <= FRAMES_PER_WRITE * max(len(f.data) for f in answer.frames)


def test_the_cuts_are_deterministic():
    plan = plan_answer(PromptView("Hello, determinism"))
    first = [len(a) for a in transport_writes(render_answer(plan, conversation_id="c", input_chars=5), plan.pacing) if isinstance(a, bytes)]
    second = [len(a) for a in transport_writes(render_answer(plan, conversation_id="c", input_chars=5), plan.pacing) if isinstance(a, bytes)]
    assert first == second


def test_per_frame_delay_writes_each_frame_before_pausing():
    plan = Plan((Text("a"), Text("b"), Text("c")), Pacing(delay_first_ms=100, delay_ms=20))
    actions = transport_writes(render_answer(plan, conversation_id=None, input_chars=1), plan.pacing)
    assert actions[0] == Pause(0.1)
    pauses = [a for a in actions if isinstance(a, Pause)]
    assert pauses[1:] == [Pause(0.02)] * 4  # between 5 frames: 3 texts, metering, context usage


def test_truncation_ends_with_a_partial_frame_and_a_drop():
    plan = Plan((Text("a"), Truncate()))
    answer = render_answer(plan, conversation_id=None, input_chars=1)
    actions = transport_writes(answer, plan.pacing)
    assert isinstance(actions[-1], Drop)
    data = b"".join(a for a in actions if isinstance(a, bytes))
    first_length = int.from_bytes(data[:4], "big")
    second_length = int.from_bytes(data[first_length:first_length + 4], "big")
    assert len(data) - first_length < second_length


def test_tool_input_fragments_rejoin_and_cut_inside_the_json_text():
    text = '{"city":"Zürich","days":3,"note":"say \\"hi\\""}'
    fragments = tool_input_fragments(text)
    assert "".join(fragments) == text
    assert len([f for f in fragments if f]) >= 2
    assert tool_input_fragments(text) == fragments
    assert tool_input_fragments("{}") == ["{", "", "}"]
