"""End-to-end benchmark of the request path: client → edge → translator → simulator, against the floor.

Run: `.venv/bin/python -m bench.bench_e2e [--quick] [--translators N] [--slow-duration S] …`
(`make bench ARGS=e2e` runs only this one). Method (bench/README.md has the figures):

- the whole stack runs on loopback as in the e2e tests (`q2api.localstack`: private redis-server,
  simulator, accounts, refresher, N translators, edge), LOG_LEVEL=warning;
- `--accounts` simulated Amazon Q accounts with a high max_concurrency, and one API key;
- the load comes from a separate process (`bench.loadgen`: aiohttp + uvloop, keep-alive), which
  reports requests/s, time to first byte, time to first content delta and its own CPU;
- the floor is the same simulator process driven directly (Amazon Q event stream, the same answer);
- CPU of every service is read from /proc/<pid>/stat over the loadgen's measuring window; RSS and
  peak RSS (VmHWM) from /proc/<pid>/status; keep-alive is checked by counting loopback TCP
  connections per hop (established, and TIME_WAIT — a connection closed and not reused).

Scenarios: the floor and q2api at concurrency 1, 32 and 128 (20 text frames per answer) for Anthropic
streaming, Anthropic non-streaming and OpenAI streaming; the same with frames 20 ms apart at 128; and
`--slow-streams` concurrent slow streams (100 frames 100 ms apart) held for `--slow-duration` seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODEL = "claude-sonnet-4-5-20250929"
Q_TARGET = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
OUR_SERVICES = ("edge", "translator", "accounts", "refresher")  # prefixes; simulator and redis are not ours
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ /proc readings


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores; /proc/stat), to see load that is not ours."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak since start) in MB."""
    out = {"rss_mb": float("nan"), "peak_rss_mb": float("nan")}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss_mb"] = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                out["peak_rss_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def io_syscalls(pid: int) -> tuple[int, int]:
    """(read, write) system calls so far (/proc/<pid>/io: syscr, syscw; sockets included)."""
    reads = writes = 0
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("syscr:"):
                reads = int(line.split()[1])
            elif line.startswith("syscw:"):
                writes = int(line.split()[1])
    except OSError:
        pass
    return reads, writes


_TCP_STATES = {"01": "established", "06": "time_wait"}


def tcp_connections(ports: dict[str, set[int]]) -> dict[str, dict[str, int]]:
    """Loopback TCP sockets per hop (a hop = the server ports it connects to): client-side established
    sockets, and TIME_WAIT sockets on either side (each one a connection that was closed)."""
    counts = {hop: {"established": 0, "time_wait": 0} for hop in ports}
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return counts
    for line in lines:
        parts = line.split()
        state = _TCP_STATES.get(parts[3])
        if state is None:
            continue
        local = int(parts[1].rsplit(":", 1)[1], 16)
        remote = int(parts[2].rsplit(":", 1)[1], 16)
        for hop, hop_ports in ports.items():
            if remote in hop_ports or (state == "time_wait" and local in hop_ports):
                counts[hop][state] += 1
    return counts


# ------------------------------------------------------------------ request bodies


def directives(frames: int, delay_ms: int = 0) -> str:
    text = f"Benchmark answer, please. [[frames:{frames}]]"
    return text + (f" [[delay_ms:{delay_ms}]]" if delay_ms else "")


def q_body(frames: int, delay_ms: int = 0) -> bytes:
    """The floor's request: an AWS-JSON GenerateAssistantResponse asking for the same answer."""
    return json.dumps({
        "conversationState": {
            "conversationId": str(uuid.uuid4()),
            "chatTriggerType": "MANUAL",
            "history": [],
            "currentMessage": {"userInputMessage": {
                "content": directives(frames, delay_ms),
                "origin": "CLI",
                "modelId": "claude-sonnet-4.5",
                "userInputMessageContext": {"envState": {"operatingSystem": "linux", "currentWorkingDirectory": "/"}},
            }},
        }
    }).encode()


def anthropic_body(frames: int, delay_ms: int = 0, *, stream: bool = True) -> bytes:
    return json.dumps({"model": MODEL, "max_tokens": 8192, "stream": stream,
                       "messages": [{"role": "user", "content": directives(frames, delay_ms)}]}).encode()


def openai_body(frames: int, delay_ms: int = 0) -> bytes:
    return json.dumps({"model": MODEL, "max_tokens": 8192, "stream": True,
                       "messages": [{"role": "user", "content": directives(frames, delay_ms)}]}).encode()


# ------------------------------------------------------------------ scenarios


@dataclass
class Scenario:
    name: str
    target: str  # floor | q2api
    mode: str  # loadgen mode
    concurrency: int
    frames: int = 20
    delay_ms: int = 0
    duration: float = 8.0
    warmup: float = 1.5
    ramp: float = 0.0
    sample_memory: bool = False

    def body(self) -> bytes:
        if self.target == "floor":
            return q_body(self.frames, self.delay_ms)
        if self.mode == "openai-stream":
            return openai_body(self.frames, self.delay_ms)
        return anthropic_body(self.frames, self.delay_ms, stream=self.mode != "anthropic")


@dataclass
class Bench:
    stack: Any
    api_key: str
    sim_token: str
    directory: Path
    profile_dir: Path | None = None
    profile_services: tuple[str, ...] = ("edge", "translator-1", "accounts")
    profile_native: bool = False
    results: list[dict[str, Any]] = field(default_factory=list)

    def pids(self) -> dict[str, int]:
        pids = {name: service.process.pid for name, service in self.stack.services.items()}
        pids["redis"] = self.stack.redis.process.pid
        return pids

    def hop_ports(self) -> dict[str, set[int]]:
        services = self.stack.services
        return {
            "client→edge": {services["edge"].port},
            "edge→translator": {s.port for n, s in services.items() if n.startswith("translator")},
            "translator→simulator": {services["simulator"].port},
        }

    def run(self, scenario: Scenario) -> dict[str, Any]:
        body_file = self.directory / f"body-{scenario.name}.json"
        body_file.write_bytes(scenario.body())
        if scenario.target == "floor":
            url = self.stack.sim_url + "/amazonq/"
            extra = ["--header", "content-type: application/x-amz-json-1.0", "--header", f"x-amz-target: {Q_TARGET}",
                     "--header", f"authorization: Bearer {self.sim_token}"]
        else:
            path = "/v1/chat/completions" if scenario.mode == "openai-stream" else "/v1/messages"
            url = self.stack.edge_url + path
            extra = ["--api-key", self.api_key]
        argv = [sys.executable, "-m", "bench.loadgen", "--url", url, "--mode", scenario.mode,
                "--concurrency", str(scenario.concurrency), "--duration", str(scenario.duration),
                "--warmup", str(scenario.warmup), "--ramp", str(scenario.ramp), "--body-file", str(body_file), *extra]
        pids = self.pids()
        ports = self.hop_ports()
        tcp_before = tcp_connections(ports)
        process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()
            if not line.startswith('{"measuring"'):
                raise RuntimeError(f"loadgen: {line}{process.stderr.read()[-3000:]}")
            cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
            io0 = {name: io_syscalls(pid) for name, pid in pids.items()}
            busy0 = machine_busy_seconds()
            sampler = MemorySampler(pids) if scenario.sample_memory else None
            profilers = self._start_profilers(scenario, pids)
            line = process.stdout.readline()
            cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()}
            io1 = {name: io_syscalls(pid) for name, pid in pids.items()}
            busy1 = machine_busy_seconds()
            if sampler is not None:
                sampler.stop()
            for profiler in profilers:
                profiler.wait(scenario.duration + 30)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if not line.strip():
            raise RuntimeError(f"loadgen gave no result: {process.stderr.read()[-3000:]}")
        figures = json.loads(line)
        figures.update({"scenario": scenario.name, "target": scenario.target, "frames": scenario.frames,
                        "delay_ms": scenario.delay_ms})
        done = max(1, figures["requests"])
        wall = figures["seconds"] or 1.0
        services: dict[str, Any] = {}
        for name, pid in pids.items():
            used = cpu1[name] - cpu0[name]
            services[name] = {"cpu_s": round(used, 3), "cpu_percent": round(100 * used / wall, 1),
                              "cpu_us_per_request": round(1e6 * used / done, 1),
                              "reads_per_request": round((io1[name][0] - io0[name][0]) / done, 2),
                              "writes_per_request": round((io1[name][1] - io0[name][1]) / done, 2),
                              **{k: round(v, 1) for k, v in memory_mb(pid).items()}}
        ours = sum(v["cpu_s"] for n, v in services.items() if n.startswith(OUR_SERVICES))
        figures["services"] = services
        figures["our_cpu_ms_per_request"] = round(1000 * ours / done, 3)
        figures["our_cpu_percent"] = round(100 * ours / wall, 1)
        known = sum(v["cpu_s"] for v in services.values()) + figures["loadgen_cpu_s"]
        figures["other_cpu_percent"] = round(100 * max(0.0, busy1 - busy0 - known) / wall, 1)
        tcp_after = tcp_connections(ports)
        figures["tcp"] = {hop: {"established": tcp_after[hop]["established"],
                                "new_time_wait": max(0, tcp_after[hop]["time_wait"] - tcp_before[hop]["time_wait"])}
                          for hop in ports}
        if sampler is not None:
            figures["memory"] = sampler.summary()
        if self.profile_dir is not None:
            from bench.profile_report import summary

            figures["profile"] = {p.stem.split("__")[-1]: summary(p) for p in sorted(self.profile_dir.glob(f"{_slug(scenario.name)}__*.txt"))}
        self.results.append(figures)
        print(_row(figures), flush=True)
        return figures

    def _start_profilers(self, scenario: Scenario, pids: dict[str, int]) -> list[subprocess.Popen]:
        """py-spy on the chosen services for the measuring window (collapsed stacks, see profile_report)."""
        if self.profile_dir is None or scenario.target != "q2api":
            return []
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if spy is None:
            raise RuntimeError("--profile needs py-spy: make install-test (it is in the test extra)")
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        out = []
        for name in self.profile_services:
            if name not in pids:
                continue
            path = self.profile_dir / f"{_slug(scenario.name)}__{name}.txt"
            argv = [spy, "record", "-p", str(pids[name]), "-o", str(path), "--format", "raw", "-r", "200",
                    "-d", str(max(1, int(scenario.duration)))]
            # Native frames need the process paused while sampled; Python frames are read without pausing.
            argv.append("--native" if self.profile_native else "--nonblocking")
            out.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return out


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


class MemorySampler:
    """Sums VmRSS over our services (and over everything) once a second while a scenario runs."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.peak_ours = 0.0
        self.peak_all = 0.0
        self.peak_by_service: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            ours = total = 0.0
            for name, pid in self.pids.items():
                rss = memory_mb(pid)["rss_mb"]
                if math.isnan(rss):
                    continue
                self.peak_by_service[name] = max(self.peak_by_service.get(name, 0.0), rss)
                total += rss
                if name.startswith(OUR_SERVICES):
                    ours += rss
            self.peak_ours = max(self.peak_ours, ours)
            self.peak_all = max(self.peak_all, total)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, Any]:
        return {"peak_rss_ours_mb": round(self.peak_ours, 1), "peak_rss_all_mb": round(self.peak_all, 1),
                "peak_rss_by_service_mb": {k: round(v, 1) for k, v in self.peak_by_service.items()}}


# ------------------------------------------------------------------ printing


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


HEADER = (f"{'scenario':<36} {'c':>5} {'req/s':>8} {'ttfb p50':>9} {'p99':>8} {'delta p50':>10} {'p99':>8} "
          f"{'err':>4} {'ours ms/req':>11} {'ours %cpu':>9} {'sim %cpu':>8} {'lg %cpu':>7} {'other':>5}")


def _row(f: dict[str, Any]) -> str:
    sim = f["services"].get("simulator", {}).get("cpu_percent")
    ours = f["our_cpu_ms_per_request"] if f["target"] == "q2api" else None
    ours_pct = f["our_cpu_percent"] if f["target"] == "q2api" else None
    return (f"{f['scenario']:<36} {f['concurrency']:>5} {_fmt(f['rps'], 1):>8} {_fmt(f['ttfb_p50_ms']):>9} "
            f"{_fmt(f['ttfb_p99_ms']):>8} {_fmt(f['first_delta_p50_ms']):>10} {_fmt(f['first_delta_p99_ms']):>8} "
            f"{f['errors']:>4} {_fmt(ours, 3):>11} {_fmt(ours_pct, 1):>9} {_fmt(sim, 1):>8} "
            f"{_fmt(f['loadgen_cpu_percent'], 1):>7} {_fmt(f['other_cpu_percent'], 0):>5}")


def _service_table(results: list[dict[str, Any]]) -> str:
    lines = ["", "per service (q2api scenarios): CPU µs per request, and RSS / peak RSS (MB) at the end",
             f"{'scenario':<36} " + " ".join(f"{n:>22}" for n in _service_names(results))]
    for f in results:
        if f["target"] != "q2api":
            continue
        cells = []
        for name in _service_names(results):
            s = f["services"].get(name)
            cells.append(f"{_fmt(s['cpu_us_per_request'], 0):>6}µs {_fmt(s['rss_mb'], 0):>5}/{_fmt(s['peak_rss_mb'], 0):>5}MB"
                         if s else f"{'-':>22}")
        lines.append(f"{f['scenario']:<36} " + " ".join(f"{c:>22}" for c in cells))
    return "\n".join(lines)


def _syscall_table(results: list[dict[str, Any]]) -> str:
    names = _service_names(results)
    lines = ["", "read / write system calls per request (/proc/<pid>/io), q2api scenarios",
             f"{'scenario':<36} " + " ".join(f"{n:>14}" for n in names)]
    for f in results:
        if f["target"] != "q2api":
            continue
        cells = [f"{f['services'][n]['reads_per_request']:.1f}/{f['services'][n]['writes_per_request']:.1f}" for n in names]
        lines.append(f"{f['scenario']:<36} " + " ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def _service_names(results: list[dict[str, Any]]) -> list[str]:
    return list(results[0]["services"]) if results else []


# ------------------------------------------------------------------ targets


def _find(results: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((r for r in results if r["scenario"] == name), None)


def evaluate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of the issue, with the figure reached and whether it is met."""
    checks: list[dict[str, Any]] = []

    def check(target: str, reached: str, met: bool | None) -> None:
        checks.append({"target": target, "reached": reached, "met": met})

    floor1, q1 = _find(results, "floor c=1"), _find(results, "anthropic-stream c=1")
    if floor1 and q1:
        d50 = q1["ttfb_p50_ms"] - floor1["ttfb_p50_ms"]
        d99 = q1["ttfb_p99_ms"] - floor1["ttfb_p99_ms"]
        check("c=1 TTFB adds <= 1 ms p50 over the floor", f"+{d50:.2f} ms", d50 <= 1.0)
        check("c=1 TTFB adds <= 3 ms p99 over the floor", f"+{d99:.2f} ms", d99 <= 3.0)
    for mode in ("anthropic-stream", "openai-stream"):
        for c in (32, 128):
            r = _find(results, f"{mode} c={c}")
            if r is None:
                continue
            check(f"{mode} c={c}: >= 1500 req/s", f"{r['rps']:.0f} req/s", r["rps"] >= 1500)
            check(f"{mode} c={c}: zero errors", f"{r['errors']} errors", r["errors"] == 0)
            check(f"{mode} c={c}: <= 1 ms CPU/request over our services",
                  f"{r['our_cpu_ms_per_request']:.3f} ms", r["our_cpu_ms_per_request"] <= 1.0)
    floor_paced, q_paced = _find(results, "floor 20ms-frames c=128"), _find(results, "anthropic-stream 20ms-frames c=128")
    if floor_paced and q_paced:
        ratio = q_paced["rps"] / floor_paced["rps"] if floor_paced["rps"] else 0.0
        check("20 ms frames c=128: >= 0.95 x floor req/s", f"{ratio:.3f} x ({q_paced['rps']:.0f} vs {floor_paced['rps']:.0f})",
              ratio >= 0.95)
        d = q_paced["first_delta_p99_ms"] - floor_paced["first_delta_p99_ms"]
        check("20 ms frames c=128: first-delta p99 within 10 ms of the floor's",
              f"+{d:.2f} ms ({q_paced['first_delta_p99_ms']:.1f} vs {floor_paced['first_delta_p99_ms']:.1f})", d <= 10.0)
    slow = next((r for r in results if r["scenario"].startswith("slow streams")), None)
    if slow:
        check(f"{slow['concurrency']} slow streams: zero errors", f"{slow['errors']} errors (of {slow['requests']})",
              slow["errors"] == 0)
        peak = slow["memory"]["peak_rss_ours_mb"]
        check(f"{slow['concurrency']} slow streams: total RSS of our services < 600 MB", f"{peak:.0f} MB", peak < 600)
    return checks


# ------------------------------------------------------------------ main


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    d, w = args.duration, args.warmup
    short = max(1.0, d * 0.6)
    out: list[Scenario] = []
    for c in (1, 32, 128):
        out.append(Scenario(f"floor c={c}", "floor", "amazonq-stream", c, duration=short if c == 1 else d, warmup=w))
    for mode in ("anthropic-stream", "anthropic", "openai-stream"):
        for c in (1, 32, 128):
            out.append(Scenario(f"{mode} c={c}", "q2api", mode, c, duration=short if c == 1 else d, warmup=w))
    out.append(Scenario("floor 20ms-frames c=128", "floor", "amazonq-stream", 128, delay_ms=20, duration=d, warmup=w + 0.5))
    out.append(Scenario("anthropic-stream 20ms-frames c=128", "q2api", "anthropic-stream", 128, delay_ms=20,
                        duration=d, warmup=w + 0.5))
    if args.slow_streams > 0 and args.slow_duration > 0:
        stream_s = 0.1 * (100 + 2)  # initial-response, 100 text frames, metering, context usage: 102 pauses
        out.append(Scenario(f"slow streams x{args.slow_streams}", "q2api", "anthropic-stream", args.slow_streams,
                            frames=100, delay_ms=100, duration=args.slow_duration, warmup=stream_s + 1,
                            ramp=stream_s, sample_memory=True))
    if args.only:
        out = [s for s in out if any(word in s.name for word in args.only)]
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_e2e", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke): 2 s per scenario, slow streams held 10 s")
    parser.add_argument("--duration", type=float, default=None, help="seconds measured per scenario (default 8, quick 2)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before measuring (default 1.5, quick 0.5)")
    parser.add_argument("--translators", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=16)
    parser.add_argument("--slow-streams", type=int, default=2000)
    parser.add_argument("--slow-duration", type=float, default=None, help="seconds the slow streams are held (default 60, quick 10)")
    parser.add_argument("--only", nargs="*", default=[], help="run only the scenarios whose name contains one of these")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for every service, repeatable")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="py-spy the services during each q2api scenario; collapsed stacks and a report go to DIR")
    parser.add_argument("--profile-services", default="edge,translator-1,accounts")
    parser.add_argument("--native", action="store_true", help="with --profile: include native (C) frames")
    parser.add_argument("--keep", action="store_true", help="keep the stack's directory (logs) after the run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    args.duration = args.duration if args.duration is not None else (2.0 if args.quick else 8.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 1.5)
    args.slow_duration = args.slow_duration if args.slow_duration is not None else (10.0 if args.quick else 60.0)

    from q2api.localstack import Stack

    directory = Path(tempfile.mkdtemp(prefix="q2api-bench-"))
    env = dict(item.split("=", 1) for item in args.env)
    # Capacity for the slow streams with room to spare: leases are spread at random.
    per_account = max(16, math.ceil(1.5 * args.slow_streams / args.accounts))
    started = time.perf_counter()
    stack = Stack(directory, translators=args.translators, env_overrides=env, log_level=args.log_level)
    print(f"starting the stack ({args.translators} translators, {args.accounts} accounts x {per_account}) in {directory}",
          flush=True)
    stack.start()
    try:
        for index in range(args.accounts):
            stack.add_amazonq_account(f"bench-{index + 1}", max_concurrency=per_account)
        api_key = stack.create_api_key(name="bench")
        sim_token = _sim_token(stack)
        time.sleep(1.0)  # accounts mirrors the pool into Redis
        bench = Bench(stack, api_key, sim_token, directory, profile_dir=args.profile,
                      profile_services=tuple(args.profile_services.split(",")), profile_native=args.native)
        print(HEADER, flush=True)
        for scenario in scenarios(args):
            bench.run(scenario)
        results = bench.results
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    print("\n" + HEADER)
    for r in results:
        print(_row(r))
    print(_service_table(results))
    print(_syscall_table(results))
    slow = next((r for r in results if "memory" in r), None)
    if slow:
        m = slow["memory"]
        print(f"\n{slow['scenario']}: peak total RSS, our services {m['peak_rss_ours_mb']:.0f} MB "
              f"(with simulator and redis {m['peak_rss_all_mb']:.0f} MB); by service {m['peak_rss_by_service_mb']}")
    print("\nkeep-alive (loopback TCP after each scenario: client-side established / TIME_WAIT created)")
    for r in results:
        print(f"  {r['scenario']:<36} " + "  ".join(f"{hop} {v['established']}/{v['new_time_wait']}" for hop, v in r["tcp"].items()))
    checks = evaluate(results)
    print("\ntargets")
    for c in checks:
        mark = "met" if c["met"] else "NOT met"
        print(f"  [{mark:>7}] {c['target']}: {c['reached']}")
    figures = {"translators": args.translators, "accounts": args.accounts, "account_max_concurrency": per_account,
               "cpu_count": os.cpu_count(), "log_level": args.log_level,
               "seconds": round(time.perf_counter() - started, 1), "scenarios": results, "targets": checks}
    if args.json:
        print(json.dumps(figures, indent=2))
    return figures


def _sim_token(stack: Any) -> str:
    from q2api.localstack import _http

    status, raw = _http("POST", stack.sim_url + "/_sim/aws/users", body={"access_token_lifetime": 86400})
    if status >= 400:
        raise RuntimeError(f"the simulator refused a user: {raw[:300]!r}")
    return json.loads(raw)["accessToken"]


if __name__ == "__main__":
    main()
