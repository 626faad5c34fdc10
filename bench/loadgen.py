"""The load generator: one lean process (aiohttp client on uvloop, keep-alive) that drives one URL.

Run: `python -m bench.loadgen --url URL --concurrency N --duration S --body-file FILE --mode MODE
[--api-key KEY] [--header 'name: value']… [--warmup S] [--ramp S]`.

`--concurrency` workers each send the same POST in a loop over keep-alive connections. Workers start
spread over `--ramp` seconds (0: all at once); after `--warmup` seconds the generator prints
`{"measuring": true}` and starts counting, stops starting requests after `--duration` more seconds,
waits for the ones in flight, and prints one JSON line with the figures of the window [measuring,
last answer]: requests, errors (and a sample of their texts), requests/s, time to first body byte,
time to first content delta, whole-answer time (p50/p99, ms), and its own CPU — a generator near 100 %
of a core is the limit of the figure, not the server.

Modes say what a good answer is and which bytes are the first content delta:

- `anthropic-stream`: SSE ending with `message_stop`, no `event: error`; delta = `event: content_block_delta`
- `openai-stream`: SSE ending with `data: [DONE]`, no error chunk; delta = the first `"delta":{"content":"…`
- `anthropic`: one JSON message (`"stop_reason"` present); delta = the body's first byte
- `amazonq-stream`: an Amazon Q event stream (the simulator alone, the floor); delta = the first
  `assistantResponseEvent` frame
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp


@dataclass(frozen=True)
class Mode:
    delta_marker: bytes  # the first occurrence of these bytes is the first content delta (b"": first byte)
    complete_marker: bytes  # a good answer contains these bytes
    error_marker: bytes  # …and not these (b"": no check)


MODES: dict[str, Mode] = {
    "anthropic-stream": Mode(b"event: content_block_delta", b"event: message_stop", b"event: error"),
    "openai-stream": Mode(b'"delta":{"content":"', b"data: [DONE]", b'{"error":'),
    "anthropic": Mode(b"", b'"stop_reason"', b""),
    "amazonq-stream": Mode(b"assistantResponseEvent", b"", b"exception"),
}

MAX_ERROR_SAMPLES = 8


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 3)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Figures:
    def __init__(self) -> None:
        self.ttfb: list[float] = []
        self.first_delta: list[float] = []
        self.total: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.in_flight = 0
        self.peak_in_flight = 0

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(text[:300])


async def one_request(session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str],
                      mode: Mode) -> tuple[float, float, float] | str:
    """(ttfb, first delta, total) seconds for a good answer, or the error's text."""
    started = time.perf_counter()
    marker = mode.delta_marker
    keep = len(marker) - 1
    async with session.post(url, data=body, headers=headers) as response:
        content = response.content
        chunk = await content.readany()
        ttfb = time.perf_counter() - started
        if response.status != 200:
            rest = chunk + await content.read()
            server = response.headers.get("server", "?")
            return f"HTTP {response.status} (server {server}): {rest[:200].decode('utf-8', 'replace')}"
        delta_at = ttfb if not marker or marker in chunk else None
        tail = chunk[-keep:] if keep > 0 else b""
        check_end = mode.complete_marker or mode.error_marker
        seen = [chunk] if check_end else None
        while True:
            chunk = await content.readany()
            if not chunk:
                break
            if delta_at is None:
                if marker in tail + chunk:
                    delta_at = time.perf_counter() - started
                tail = chunk[-keep:]
            if seen is not None:
                seen.append(chunk)
        total = time.perf_counter() - started
    if seen is not None:
        whole = b"".join(seen)
        if mode.error_marker and mode.error_marker in whole:
            index = whole.find(mode.error_marker)
            return "in-stream error: " + whole[index: index + 250].decode("utf-8", "replace")
        if mode.complete_marker and mode.complete_marker not in whole:
            return "incomplete answer: …" + whole[-150:].decode("utf-8", "replace")
    if delta_at is None:
        return "no content delta in the answer"
    return ttfb, delta_at, total


async def drive(args: argparse.Namespace, body: bytes) -> dict[str, Any]:
    mode = MODES[args.mode]
    headers = {"content-type": "application/json"}
    if args.api_key:
        headers["x-api-key"] = args.api_key
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip().lower()] = value.strip()
    connector = aiohttp.TCPConnector(limit=args.concurrency, limit_per_host=0, keepalive_timeout=60,
                                     enable_cleanup_closed=False, force_close=False)
    timeout = aiohttp.ClientTimeout(total=args.request_timeout)
    figures = Figures()
    measuring = False
    loop = asyncio.get_running_loop()
    started_at = loop.time()
    measure_at = started_at + args.warmup
    stop_at = measure_at + args.duration
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, auto_decompress=False,
                                     cookie_jar=aiohttp.DummyCookieJar(), skip_auto_headers=("User-Agent",)) as session:

        async def worker(delay: float) -> None:
            if delay:
                await asyncio.sleep(delay)
            while loop.time() < stop_at:
                figures.in_flight += 1
                figures.peak_in_flight = max(figures.peak_in_flight, figures.in_flight)
                try:
                    result = await one_request(session, args.url, body, headers, mode)
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    result = f"{type(exc).__name__}: {exc}"
                finally:
                    figures.in_flight -= 1
                if not measuring:
                    continue
                if isinstance(result, str):
                    figures.error(result)
                else:
                    figures.ttfb.append(result[0])
                    figures.first_delta.append(result[1])
                    figures.total.append(result[2])

        spread = args.ramp / max(1, args.concurrency)
        tasks = [asyncio.create_task(worker(index * spread)) for index in range(args.concurrency)]
        await asyncio.sleep(max(0.0, measure_at - loop.time()))
        measuring = True
        print(json.dumps({"measuring": True}), flush=True)
        wall0, cpu0 = time.perf_counter(), own_cpu_seconds()
        await asyncio.gather(*tasks)
        wall, cpu = time.perf_counter() - wall0, own_cpu_seconds() - cpu0

    done = len(figures.total)
    for values in (figures.ttfb, figures.first_delta, figures.total):
        values.sort()
    return {
        "mode": args.mode,
        "concurrency": args.concurrency,
        "requests": done,
        "errors": figures.errors,
        "error_samples": figures.error_samples,
        "rps": round(done / wall, 1) if wall > 0 else 0.0,
        "ttfb_p50_ms": _ms(percentile(figures.ttfb, 0.50)),
        "ttfb_p99_ms": _ms(percentile(figures.ttfb, 0.99)),
        "first_delta_p50_ms": _ms(percentile(figures.first_delta, 0.50)),
        "first_delta_p99_ms": _ms(percentile(figures.first_delta, 0.99)),
        "total_p50_ms": _ms(percentile(figures.total, 0.50)),
        "total_p99_ms": _ms(percentile(figures.total, 0.99)),
        "peak_in_flight": figures.peak_in_flight,
        "seconds": round(wall, 3),
        "loadgen_cpu_s": round(cpu, 3),
        "loadgen_cpu_percent": round(100 * cpu / wall, 1) if wall > 0 else None,
        "loadgen_cpu_us_per_request": round(1e6 * cpu / done, 1) if done else None,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring starts")
    parser.add_argument("--ramp", type=float, default=0.0, help="start the workers spread over this many seconds")
    parser.add_argument("--body-file", required=True)
    parser.add_argument("--mode", choices=sorted(MODES), default="anthropic-stream")
    parser.add_argument("--api-key", default="")
    parser.add_argument("--header", action="append", default=[], help="'name: value', repeatable")
    parser.add_argument("--request-timeout", type=float, default=120.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover
        runner = asyncio.Runner()
    with runner:
        result = runner.run(drive(args, Path(args.body_file).read_bytes()))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
