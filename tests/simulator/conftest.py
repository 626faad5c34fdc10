"""Fixtures of the simulator tests. Helpers live in qsim_helpers (imported by the Amazon Q / OIDC tests)."""

from __future__ import annotations

import pytest
from qsim_helpers import sim_app


@pytest.fixture
async def sim(aiohttp_client):
    """A test client of a fresh simulator app (default knobs)."""
    return await aiohttp_client(sim_app())
