"""Benchmark of the account pool's Redis scripts: what one lease and one release cost Redis, by pool size.

Run: `.venv/bin/python -m bench.bench_pool [--quick] [--accounts 16 200] [--json]`. Starts a private
redis-server, fills the Amazon Q pool with N usable accounts (high max_concurrency), then from this
process keeps `--concurrency` lease → release cycles going for `--duration` seconds per pool size.
Reports cycles per second and, from Redis's own `INFO commandstats`, the server time per script call
(µs per EVALSHA: a lease and a release are one call each), plus the redis-server CPU per cycle and
this process's CPU per cycle (what the client costs the caller), once with the scripts sent by redis-py
and once by the lean pipelined client edge and the translators use (`shared/redis/lean.py`).
The random lease draws accounts at random and takes the first usable one (O(log n)); a growing
"lease µs" with the pool size is the figure to watch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _cpu_seconds_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _fill(pool, accounts: int) -> None:
    for index in range(accounts):
        await pool.sync_account(
            f"acct-{index:04d}", version=1, score=float(index), in_pool=True,
            fields={"provider": "amazonq", "enabled": "1", "status": "active", "token": "tok", "token_exp": 0,
                    "max_conc": 10_000, "region": "us-east-1", "profile_arn": "", "project": "", "proxy_url": ""},
        )


async def _script_usec(redis) -> tuple[int, int]:
    stats = await redis.info("commandstats")
    entry = stats.get("cmdstat_evalsha", {})
    return int(entry.get("calls", 0)), int(entry.get("usec", 0))


async def _measure(url: str, redis_pid: int, accounts: int, concurrency: int, duration: float,
                   strategy: str, client: str) -> dict[str, Any]:
    from shared.redis import keys
    from shared.redis.client import connect_redis
    from shared.redis.lean import LeanRedis
    from shared.redis.pool import AccountPool, KeyLimits, PoolPolicy

    redis = connect_redis(url)
    lean = LeanRedis.from_url(url) if client == "lean" else None
    try:
        await redis.flushall()
        pool = AccountPool(redis, PoolPolicy(strategy=strategy, events_maxlen=10_000), lean=lean)
        await _fill(pool, accounts)
        limits = KeyLimits("bench-key")
        cycles = 0
        stop_at = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal cycles
            while time.perf_counter() < stop_at:
                lease = await pool.lease("amazonq", key=limits, model="claude-sonnet-4.5", request_id="req")
                if not hasattr(lease, "lease_id"):
                    raise RuntimeError(f"no lease: {lease}")
                await pool.release(lease.lease_id, "success", input_tokens=10, output_tokens=20)
                cycles += 1

        # Redis's time per call, for leases and releases apart (commandstats counts EVALSHA as one).
        await redis.config_resetstat()
        for _ in range(200):
            await pool.lease("amazonq", key=limits)
        lease_calls, lease_usec = await _script_usec(redis)
        leases = await redis.zrange(keys.LEASES, 0, -1)
        await redis.config_resetstat()
        for lease_id in leases:
            await pool.release(lease_id, "success")
        release_calls, release_usec = await _script_usec(redis)

        cpu0, own0 = _cpu_seconds_of(redis_pid), time.process_time()
        wall0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - wall0
        cpu, own = _cpu_seconds_of(redis_pid) - cpu0, time.process_time() - own0
        return {
            "accounts": accounts,
            "strategy": strategy,
            "client": client,
            "cycles_per_s": round(cycles / wall, 1),
            "lease_usec_per_call": round(lease_usec / max(1, lease_calls), 1),
            "release_usec_per_call": round(release_usec / max(1, release_calls), 1),
            "redis_cpu_us_per_cycle": round(1e6 * cpu / max(1, cycles), 1),
            "redis_cpu_percent": round(100 * cpu / wall, 1),
            # the caller's side: two script calls per cycle
            "client_cpu_us_per_cycle": round(1e6 * own / max(1, cycles), 1),
        }
    finally:
        if lean is not None:
            await lean.aclose()
        await redis.aclose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_pool", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--accounts", type=int, nargs="+", default=[16, 200])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--duration", type=float, default=None, help="seconds per pool size (default 3, quick 1)")
    parser.add_argument("--strategy", default="random")
    parser.add_argument("--clients", nargs="+", default=["redis-py", "lean"], choices=["redis-py", "lean"])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    duration = args.duration if args.duration is not None else (1.0 if args.quick else 3.0)

    from q2api.localstack import RedisServer

    directory = Path(tempfile.mkdtemp(prefix="q2api-bench-pool-"))
    server = RedisServer(directory)
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover
        runner = asyncio.Runner()
    rows = []
    try:
        with runner:
            for accounts in args.accounts:
                for client in args.clients:
                    rows.append(runner.run(_measure(server.url, server.process.pid, accounts, args.concurrency,
                                                    duration, args.strategy, client)))
    finally:
        server.stop()
    print(f"{'accounts':>8} {'strategy':>9} {'client':>8} {'cycles/s':>9} {'lease µs':>9} {'release µs':>10} {'redis µs/cycle':>14} "
          f"{'client µs/cycle':>15}")
    for r in rows:
        print(f"{r['accounts']:>8} {r['strategy']:>9} {r['client']:>8} {r['cycles_per_s']:>9} {r['lease_usec_per_call']:>9} "
              f"{r['release_usec_per_call']:>10} {r['redis_cpu_us_per_cycle']:>14} {r['client_cpu_us_per_cycle']:>15}")
    figures = {"concurrency": args.concurrency, "seconds_per_size": duration, "pool_sizes": rows}
    if args.json:
        print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
