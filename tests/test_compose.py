"""deploy/compose.yaml: every service it runs exists in services/, every setting it passes exists."""

import re
from pathlib import Path

from shared.settings import env_names

COMPOSE = Path("deploy/compose.yaml").read_text()
INFRA = {"redis", "postgres", "lb"}
# Variables that configure the infrastructure images, not q2api.
INFRA_VARIABLES = {"POSTGRES_PASSWORD", "POSTGRES_USER", "POSTGRES_DB"}


def compose_services() -> set[str]:
    body = COMPOSE.split("\nservices:\n", 1)[1].split("\nvolumes:\n", 1)[0]
    return set(re.findall(r"^  ([a-z][a-z0-9_-]*):\s*$", body, flags=re.M))


def test_every_compose_service_is_a_q2api_service_or_infrastructure():
    services = compose_services()
    assert {"redis", "postgres", "accounts", "refresher", "translator", "edge", "lb"} <= services
    for name in services - INFRA:
        assert Path(f"services/{name}/__main__.py").exists(), f"compose runs {name} but services/{name} does not exist"
        assert f"services.{name}" in COMPOSE


def test_every_setting_compose_passes_exists():
    known = env_names() | INFRA_VARIABLES
    passed = set(re.findall(r"^\s{4}([A-Z][A-Z0-9_]+):", COMPOSE, flags=re.M))
    passed |= {line.split("=", 1)[0] for line in Path("deploy/.env.example").read_text().splitlines()
               if line and not line.startswith("#")}
    unknown = passed - known
    assert not unknown, f"compose passes settings q2api does not have: {sorted(unknown)}"


def test_edge_and_translator_are_replicated_behind_the_load_balancer():
    for name in ("edge", "translator"):
        block = COMPOSE.split(f"\n  {name}:\n", 1)[1].split("\n  lb:", 1)[0]
        assert "replicas: 2" in block
    assert '"${PORT:-8000}:8000"' in COMPOSE
    assert COMPOSE.count("healthcheck:") >= 7
