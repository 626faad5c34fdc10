"""Claude Code itself, headless, through q2api and the simulator: a task that needs one tool call.

Opt-in, because it needs the 245 MB npm package: install it with
`npm install --prefix /tmp/cc @anthropic-ai/claude-code` and run
`Q2API_CLAUDE_CODE=/tmp/cc/node_modules/.bin/claude make test PYTEST_ARGS='-m claude_code'`.
Only loopback is contacted (client-apis.md §4.1: CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from stack import Stack

CLAUDE = os.environ.get("Q2API_CLAUDE_CODE", "")

pytestmark = [
    pytest.mark.claude_code,
    pytest.mark.skipif(not CLAUDE or not os.path.exists(CLAUDE), reason="set Q2API_CLAUDE_CODE to the claude binary"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("e2e-claude-code")).start()
    stack.add_amazonq_account("claude-code")
    yield stack
    stack.stop()


def run_claude(stack: Stack, key: str, workdir, prompt: str, *extra: str) -> dict:
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin", "HOME": str(home),
        "ANTHROPIC_BASE_URL": stack.edge_url, "ANTHROPIC_API_KEY": key,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1", "DISABLE_ERROR_REPORTING": "1", "CLAUDE_CODE_MAX_RETRIES": "0",
    }
    result = subprocess.run(
        [CLAUDE, "-p", prompt, "--output-format", "json", "--max-turns", "4", *extra],
        env=env, cwd=workdir, capture_output=True, text=True, timeout=180,
    )
    assert result.stdout.strip(), f"claude printed nothing (exit {result.returncode}): {result.stderr[-2000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_claude_code_completes_a_task_with_one_tool_call(stack, tmp_path):
    key = stack.create_api_key(name="claude-code")
    target = tmp_path / "hello.txt"
    call = json.dumps({"file_path": str(target), "content": "hi from q2api\n"})
    result = run_claude(stack, key, tmp_path, f"Create the file. [[tool_use:Write {call}]]",
                        "--allowedTools", "Write", "--model", "claude-sonnet-4-5-20250929")
    assert result["is_error"] is False, result
    assert target.read_text() == "hi from q2api\n"
    assert result["num_turns"] >= 2
    assert result["usage"]["output_tokens"] > 0
