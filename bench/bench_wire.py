"""Benchmark of the event-stream decoder against botocore's `EventStreamBuffer` on the same bytes.

Run: `.venv/bin/python -m bench.bench_wire` (add `--quick` for a smoke run, `--json` for raw figures).
Workloads: (a) a realistic Amazon Q stream — initial-response, ~1,950 short text deltas, one tool-use
group, metering, contextUsage (amazonq.md §3.4) — fed in 1-4 KiB transport chunks; (b) large 64 KiB and
1 MiB payloads. Also reports typed-event throughput (`QEventDecoder`) and our decoder's peak memory.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from botocore.eventstream import EventStreamBuffer

from shared.wire.eventstream import EventStreamDecoder, encode_event
from shared.wire.qevents import QEventDecoder

KIB = 1024
MIB = 1024 * KIB


def realistic_q_stream(rng: random.Random, frames: int = 2000) -> bytes:
    """A Q response body shaped like amazonq.md §3.4, with compact alphabetical JSON as Q sends it."""
    out = [encode_event("initial-response", b'{"conversationId":"6f1c2a4e-0d6b-4f7e-9a51-3d2c8b7e1f00"}')]
    tool_fragments = 40
    words = "the of and to in is you that it he was for on are as with his they at be this have from".split()
    for _ in range(frames - 1 - (tool_fragments + 2) - 2):
        text = " ".join(rng.choice(words) for _ in range(8))[: rng.randint(5, 30)]
        out.append(encode_event("assistantResponseEvent", json.dumps({"content": text}).encode()))
    tool = {"name": "get_weather", "toolUseId": "tooluse_hNI7POsrr87ovDvEEV0mlP"}
    out.append(encode_event("toolUseEvent", json.dumps(tool, sort_keys=True).encode()))
    arguments = json.dumps({"location": "Paris, France", "unit": "celsius", "days": 3} | {"note": "x" * 200})
    step = max(1, len(arguments) // tool_fragments)
    for index in range(tool_fragments):
        piece = arguments[index * step : (index + 1) * step if index < tool_fragments - 1 else None]
        payload = json.dumps({"input": piece, **tool}, sort_keys=True).encode()
        out.append(encode_event("toolUseEvent", payload))
    out.append(encode_event("toolUseEvent", json.dumps({"stop": True, **tool}, sort_keys=True).encode()))
    out.append(
        encode_event("meteringEvent", b'{"unit":"credit","unitPlural":"credits","usage":0.0169543708291874}')
    )
    out.append(encode_event("contextUsageEvent", b'{"contextUsagePercentage":35.28}'))
    return b"".join(out)


def large_payload_stream(payload_bytes: int, frames: int) -> bytes:
    payload = json.dumps({"content": "x" * (payload_bytes - 14)}).encode()
    return encode_event("assistantResponseEvent", payload) * frames


def chunked(data: bytes, rng: random.Random, low: int, high: int) -> list[bytes]:
    chunks = []
    position = 0
    while position < len(data):
        size = rng.randint(low, high)
        chunks.append(data[position : position + size])
        position += size
    return chunks


def run_ours(chunks: list[bytes]) -> int:
    decoder = EventStreamDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    decoder.finish()
    return count


def run_q_events(chunks: list[bytes]) -> int:
    decoder = QEventDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    decoder.finish()
    return count


def run_botocore(chunks: list[bytes]) -> int:
    buffer = EventStreamBuffer()
    count = 0
    for chunk in chunks:
        buffer.add_data(chunk)
        for _message in buffer:
            count += 1
    return count


def best_seconds(run: Callable[[list[bytes]], int], chunks: list[bytes], budget: float) -> tuple[float, int]:
    """Best wall time of one full decode over repeated runs within `budget` seconds (at least 3 runs)."""
    best = float("inf")
    frames = 0
    started = time.perf_counter()
    runs = 0
    while runs < 3 or time.perf_counter() - started < budget:
        began = time.perf_counter()
        frames = run(chunks)
        best = min(best, time.perf_counter() - began)
        runs += 1
    return best, frames


def peak_memory(chunks: list[bytes]) -> int:
    """Peak bytes allocated while our decoder runs over `chunks` (input excluded, frames dropped)."""
    decoder = EventStreamDecoder()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        for chunk in chunks:
            decoder.feed(chunk)
        decoder.finish()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="bench.bench_wire", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short time budget (smoke run)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    budget = 0.2 if args.quick else 1.5
    rng = random.Random(20240601)

    realistic = realistic_q_stream(rng)
    medium = large_payload_stream(64 * KIB, 64)
    large = large_payload_stream(MIB, 8)
    workloads = {
        "realistic Q stream, 1-4 KiB chunks": (realistic, chunked(realistic, rng, 1 * KIB, 4 * KIB)),
        "64 KiB payloads x 64, 16 KiB chunks": (medium, chunked(medium, rng, 16 * KIB, 16 * KIB)),
        "1 MiB payloads x 8, 64 KiB chunks": (large, chunked(large, rng, 64 * KIB, 64 * KIB)),
    }
    results: dict[str, Any] = {"workloads": {}}
    for name, (data, chunks) in workloads.items():
        ours_seconds, frames = best_seconds(run_ours, chunks, budget)
        boto_seconds, boto_frames = best_seconds(run_botocore, chunks, budget)
        if boto_frames != frames:
            raise AssertionError(f"{name}: botocore decoded {boto_frames} frames, we decoded {frames}")
        results["workloads"][name] = {
            "frames": frames,
            "bytes": len(data),
            "ours_frames_per_s": frames / ours_seconds,
            "ours_mb_per_s": len(data) / ours_seconds / 1e6,
            "botocore_frames_per_s": frames / boto_seconds,
            "botocore_mb_per_s": len(data) / boto_seconds / 1e6,
            "speedup": boto_seconds / ours_seconds,
            "ours_peak_memory_bytes": peak_memory(chunks),
            "largest_chunk_bytes": max(len(chunk) for chunk in chunks),
            "largest_frame_bytes": max(_frame_sizes(data)),
        }
    realistic_chunks = workloads["realistic Q stream, 1-4 KiB chunks"][1]
    q_seconds, q_events = best_seconds(run_q_events, realistic_chunks, budget)
    results["q_events_per_s"] = q_events / q_seconds
    results["q_events_mb_per_s"] = len(realistic) / q_seconds / 1e6

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    return results


def _frame_sizes(data: bytes) -> list[int]:
    sizes = []
    position = 0
    while position < len(data):
        size = int.from_bytes(data[position : position + 4], "big")
        sizes.append(size)
        position += size
    return sizes


def print_table(results: dict[str, Any]) -> None:
    header = f"{'workload':38} {'decoder':9} {'frames/s':>12} {'MB/s':>9} {'speedup':>8} {'peak mem':>10}"
    print(header)
    print("-" * len(header))
    for name, row in results["workloads"].items():
        peak = f"{row['ours_peak_memory_bytes'] / MIB:.2f} MiB"
        print(
            f"{name:38} {'q2api':9} {row['ours_frames_per_s']:12,.0f} {row['ours_mb_per_s']:9.1f} "
            f"{row['speedup']:7.1f}x {peak:>10}"
        )
        print(f"{'':38} {'botocore':9} {row['botocore_frames_per_s']:12,.0f} {row['botocore_mb_per_s']:9.1f}")
        print(
            f"{'':38} ({row['frames']} frames, {row['bytes'] / MIB:.2f} MiB; largest frame "
            f"{row['largest_frame_bytes']:,} B, largest chunk {row['largest_chunk_bytes']:,} B)"
        )
    print(
        f"\nQEventDecoder (frames -> typed Q events), realistic stream: "
        f"{results['q_events_per_s']:,.0f} events/s, {results['q_events_mb_per_s']:.1f} MB/s"
    )


if __name__ == "__main__":
    main()
