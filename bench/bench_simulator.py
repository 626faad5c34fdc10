"""Benchmark of the simulator alone: the floor under every gateway benchmark.

Run: `.venv/bin/python -m bench.bench_simulator` (`--quick`, `--duration`, `--concurrency`, `--frames`, `--json`).
Starts `python -m services.simulator` in a subprocess, creates a simulated user through the control API,
then drives AWS-JSON GenerateAssistantResponse calls from this process (aiohttp + uvloop, keep-alive,
`--concurrency` workers) whose prompt asks for `--frames` text frames. Reports answers per second, time
to first body byte (p50/p99), and the CPU both processes used (a load generator near 100 % of a core
means the figure is the generator's limit, not the simulator's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
TARGET = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds of another process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _request_body(frames: int) -> bytes:
    return json.dumps({
        "conversationState": {
            "conversationId": str(uuid.uuid4()),
            "chatTriggerType": "MANUAL",
            "history": [],
            "currentMessage": {"userInputMessage": {
                "content": f"Benchmark answer, please. [[frames:{frames}]]",
                "origin": "CLI",
                "modelId": "claude-sonnet-4.5",
                "userInputMessageContext": {"envState": {"operatingSystem": "linux", "currentWorkingDirectory": "/"}},
            }},
        }
    }).encode()


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


async def _wait_ready(base: str, process: subprocess.Popen[bytes], within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    async with aiohttp.ClientSession() as session:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the simulator exited with {process.returncode}")
            try:
                async with session.get(base + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the simulator did not become healthy")
            await asyncio.sleep(0.1)


async def _drive(base: str, sim_pid: int, duration: float, concurrency: int, frames: int, warmup: float) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(base + "/_sim/aws/users", json={"access_token_lifetime": 86400}) as response:
            token = (await response.json())["accessToken"]
        url = base + "/amazonq/"
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": TARGET,
            "authorization": "Bearer " + token,
        }
        body = _request_body(frames)
        ttfb: list[float] = []
        errors = 0
        done = 0
        measuring = False
        stop_at = time.perf_counter() + warmup + duration

        async def worker() -> None:
            nonlocal errors, done
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as response:
                        first = await response.content.readany()
                        first_at = time.perf_counter()
                        while await response.content.readany():
                            pass
                        ok = response.status == 200 and bool(first)
                except aiohttp.ClientError:
                    ok = False
                if measuring:
                    if ok:
                        done += 1
                        ttfb.append(first_at - started)
                    else:
                        errors += 1

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        measuring = True
        wall0, cpu0, sim0 = time.perf_counter(), _own_cpu_seconds(), _cpu_seconds_of(sim_pid)
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - wall0
        cpu, sim = _own_cpu_seconds() - cpu0, _cpu_seconds_of(sim_pid) - sim0
    ttfb.sort()
    return {
        "requests_per_s": round(done / wall, 1),
        "answers": done,
        "errors": errors,
        "ttfb_p50_ms": round(_percentile(ttfb, 0.50) * 1000, 3),
        "ttfb_p99_ms": round(_percentile(ttfb, 0.99) * 1000, 3),
        "loadgen_cpu_percent": round(100 * cpu / wall, 1),
        "simulator_cpu_percent": round(100 * sim / wall, 1),
        "simulator_cpu_us_per_answer": round(1e6 * sim / done, 1) if done else None,
        "loadgen_cpu_us_per_answer": round(1e6 * cpu / done, 1) if done else None,
        "seconds": round(wall, 2),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_simulator")
    parser.add_argument("--quick", action="store_true", help="a 2 s smoke run")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured (default 10, quick 2)")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--log-level", default="warning", help="the simulator's LOG_LEVEL")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.duration is None:
        args.duration = 2.0 if args.quick else 10.0

    port = _free_port()
    env = dict(os.environ, LOG_LEVEL=args.log_level)
    process = subprocess.Popen(
        [sys.executable, "-m", "services.simulator", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover
        runner = asyncio.Runner()
    base = f"http://127.0.0.1:{port}"
    try:
        with runner:
            runner.run(_wait_ready(base, process))
            figures = runner.run(_drive(base, process.pid, args.duration, args.concurrency, args.frames, args.warmup))
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    figures.update({"concurrency": args.concurrency, "frames_per_answer": args.frames,
                    "simulator_log_level": args.log_level})
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>24}: {value}")
    return figures


if __name__ == "__main__":
    main()
