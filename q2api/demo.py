"""`q2api up --demo`: demo accounts on the simulator, a demo API key, and examples to paste.

The simulator is a fresh process each run, so the demo accounts are recreated each run (their old
credentials mean nothing to the new simulator); the store is a separate demo store (DATA_DIR
defaults to ./data/demo) so a demo never touches real accounts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from shared.admin_password import open_settings_store

if TYPE_CHECKING:
    from q2api.supervisor import Supervisor

DEMO_ACCOUNTS = 3
DEMO_LABEL = "demo-"
DEMO_KEY_NAME = "demo"


async def seed_demo(supervisor: Supervisor) -> list[str]:
    """Create the demo accounts and key; return the banner lines that show how to call the API."""
    env = supervisor.child_env
    simulator = f"http://{supervisor.settings.service_host}:{env['SIMULATOR_PORT']}"
    store = await open_settings_store(supervisor.settings, database_url=env["DATABASE_URL"], data_dir=supervisor.data_dir)
    try:
        session_token = await store.create_session(ttl=600)
    finally:
        await store.close()
    admin = {"authorization": f"Bearer {session_token}"}
    edge = supervisor.edge_url
    async with aiohttp.ClientSession(raise_for_status=True) as http:
        async with http.get(f"{edge}/admin/api/accounts", headers=admin) as response:
            existing = (await response.json())["accounts"]
        for account in existing:
            if (account.get("label") or "").startswith(DEMO_LABEL):
                await (await http.delete(f"{edge}/admin/api/accounts/{account['id']}", headers=admin)).release()
        for index in range(1, DEMO_ACCOUNTS + 1):
            async with http.post(f"{simulator}/_sim/aws/users", json={"access_token": True}) as response:
                user = await response.json()
            body = {"provider": "amazonq", "label": f"{DEMO_LABEL}{index}", "client_id": user["clientId"],
                    "client_secret": user["clientSecret"], "refresh_token": user["refreshToken"],
                    "access_token": user["accessToken"], "access_token_expires_at": user["expiresAt"]}
            await (await http.post(f"{edge}/admin/api/accounts", json=body, headers=admin)).release()
        async with http.get(f"{edge}/admin/api/keys", headers=admin) as response:
            keys = (await response.json())["keys"]
        for key in keys:
            if key["name"] == DEMO_KEY_NAME:
                await (await http.delete(f"{edge}/admin/api/keys/{key['id']}", headers=admin)).release()
        async with http.post(f"{edge}/admin/api/keys", json={"name": DEMO_KEY_NAME}, headers=admin) as response:
            api_key = (await response.json())["key"]
        await (await http.post(f"{edge}/admin/api/logout", headers=admin)).release()
    return demo_examples(edge, api_key)


def demo_examples(edge: str, api_key: str) -> list[str]:
    return [
        f"  Demo: {DEMO_ACCOUNTS} simulated Amazon Q accounts and the API key {api_key}",
        "  Try it:",
        f"    curl -s {edge}/v1/messages -H 'x-api-key: {api_key}' -H 'anthropic-version: 2023-06-01' \\",
        "      -H 'content-type: application/json' \\",
        "      -d '{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 200, \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}'",
        "",
        "    python3 -c \"import anthropic; c = anthropic.Anthropic(base_url='" + edge + "', api_key='" + api_key + "'); "
        "print(c.messages.create(model='claude-sonnet-4-5', max_tokens=200, "
        "messages=[{'role': 'user', 'content': 'Hello'}]).content[0].text)\"",
        "",
        "  The simulator understands directives in your prompt, e.g. [[tool_use:NAME {json}]], [[thinking]],",
        "  [[status:429]], [[midstream_error]] (see the README).",
        "",
    ]
