"""What `q2api up` prints once the stack is ready: where things are and how to make a first call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.admin_password import admin_password_notice

if TYPE_CHECKING:
    from q2api.supervisor import Supervisor


async def welcome(supervisor: Supervisor) -> None:
    url = supervisor.edge_url
    lines = [
        "",
        f"  q2api is up at {url}",
        f"    Anthropic Messages:       {url}/v1/messages",
        f"    OpenAI Chat Completions:  {url}/v1/chat/completions",
        f"    Admin API:                {url}/admin/api  (log in: POST {url}/api/login {{\"password\": …}})"
        if supervisor.settings.enable_console else "    Admin API:                disabled (ENABLE_CONSOLE=false)",
        f"    Claude Code:              ANTHROPIC_BASE_URL={url} claude",
        "",
    ]
    if supervisor.demo:
        from q2api.demo import seed_demo

        lines[-1:-1] = await seed_demo(supervisor)
    if getattr(supervisor, "generated_admin_password", None):
        lines[-1:-1] = [f"  {admin_password_notice(supervisor.generated_admin_password)}"]
    supervisor.banner_lines = lines
