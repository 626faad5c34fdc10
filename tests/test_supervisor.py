"""`q2api up` brings the stack up, answers /healthz, and Ctrl-C leaves no process or port behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from q2api.supervisor import free_port, port_is_free


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def listening_ports(pids: set[int]) -> set[int]:
    """TCP ports in LISTEN state owned by `pids` (via /proc/<pid>/fd and /proc/net/tcp)."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class OutputWatcher:
    """Collects a process's output lines in a thread, so a test can wait for one."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for raw in process.stdout:
            self.lines.append(raw.decode("utf-8", "replace"))

    def wait_for(self, needle: str, process: subprocess.Popen, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in self.lines):
                return
            if process.poll() is not None:
                pytest.fail(f"q2api up exited early with code {process.returncode}:\n{''.join(self.lines)[-3000:]}")
            time.sleep(0.1)
        pytest.fail(f"q2api up never printed {needle!r}:\n{''.join(self.lines)[-3000:]}")


@pytest.mark.slow
def test_up_serves_health_and_ctrl_c_leaves_nothing_behind(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PORT")}
    env.update({"PORT": str(port), "DATA_DIR": str(tmp_path / "data"), "SHUTDOWN_TIMEOUT": "5"})
    process = subprocess.Popen(
        [sys.executable, "-m", "q2api", "up", "--translators", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        watcher = OutputWatcher(process)
        watcher.wait_for("ready — press Ctrl-C", process)  # every child answered /readyz
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            assert response.status == 200
        children = descendants(process.pid)
        ports = listening_ports(children | {process.pid})
        # redis, accounts, refresher, 2 translators, edge
        assert len(children) >= 6, children
        assert port in ports and len(ports) >= 6, ports
        assert (tmp_path / "data" / "redis").is_dir()

        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        watcher.thread.join(5)
        output = "".join(watcher.lines).encode()
        assert process.returncode == 0, output.decode()
        deadline = time.monotonic() + 5
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in children if alive(pid)], "child processes outlived q2api up"
        assert all(port_is_free("127.0.0.1", p) for p in ports), "a port is still bound"
        assert b"stopped" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_up_refuses_a_port_in_use_with_a_clear_message(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
        env.update({"PORT": str(port), "DATA_DIR": str(tmp_path)})
        result = subprocess.run([sys.executable, "-m", "q2api", "up"], env=env, capture_output=True, timeout=30)
    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stdout.decode()


def test_up_rejects_bad_settings_naming_the_variable(tmp_path):
    env = dict(os.environ, PORT="eighty", DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "q2api", "up"], env=env, capture_output=True, timeout=30)
    assert result.returncode == 2
    assert b"PORT='eighty'" in result.stderr
