"""The whole q2api stack on loopback for end-to-end tests: a private redis-server, the simulator as
every upstream, and the real services as processes (accounts, refresher, translators, edge).

Nothing of ours is mocked: tests talk to edge with the official SDKs, and act on the upstream through
the simulator's control API.
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from redis_support import RedisServer

from q2api.supervisor import free_port
from shared.demo import simulator_endpoints

# 1x1 PNG
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)).decode()

ADMIN_PASSWORD = "e2e-admin-password-" + secrets.token_hex(4)


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


@dataclass
class Stack:
    directory: Path
    translators: int = 2
    env_overrides: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    redis: RedisServer | None = None
    admin_token: str = ""

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
            "LOG_LEVEL": "info",
            "PYTHONUNBUFFERED": "1",
            "OPENAI_KEYS": "",
        })
        self.env.update(simulator_endpoints(f"http://127.0.0.1:{sim_port}"))
        self.env["ACCOUNTS_URL"] = f"http://127.0.0.1:{self.env['ACCOUNTS_PORT']}"
        self.env["REFRESHER_URL"] = f"http://127.0.0.1:{self.env['REFRESHER_PORT']}"
        self.env.update(self.env_overrides)
        self._spawn("simulator", sim_port)
        self._spawn("accounts", int(self.env["ACCOUNTS_PORT"]))
        self._spawn("refresher", int(self.env["REFRESHER_PORT"]))
        for index in range(self.translators):
            self._spawn(f"translator-{index + 1}", free_port(), module="translator")
        self._spawn("edge", int(self.env["PORT"]))
        for service in self.services.values():
            self._wait_ready(service)
        self.admin_token = self.login()
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
                if httpx.get(service.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
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
        response = httpx.post(self.edge_url + "/api/login", json={"password": ADMIN_PASSWORD}, timeout=10)
        response.raise_for_status()
        return response.json()["token"]

    def admin(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.admin_token}"}
        return httpx.request(method, self.edge_url + path, headers=headers, timeout=30, **kwargs)

    def sim(self, method: str, path: str, **kwargs) -> httpx.Response:
        response = httpx.request(method, self.sim_url + path, timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def add_amazonq_account(self, label: str = "q", *, sim_user: dict | None = None, **account) -> tuple[dict, dict]:
        """A simulated AWS user, and a q2api account that uses its credentials: (account view, sim user)."""
        user = self.sim("POST", "/_sim/aws/users", json={"access_token": True, **(sim_user or {})}).json()
        body = {
            "provider": "amazonq", "label": label, "client_id": user["clientId"], "client_secret": user["clientSecret"],
            "refresh_token": user["refreshToken"], "access_token": user["accessToken"],
            "access_token_expires_at": user["expiresAt"], **account,
        }
        response = self.admin("POST", "/admin/api/accounts", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json(), user

    def create_api_key(self, **fields) -> str:
        response = self.admin("POST", "/admin/api/keys", json={"name": "e2e", **fields})
        assert response.status_code in (200, 201), response.text
        return response.json()["key"]
