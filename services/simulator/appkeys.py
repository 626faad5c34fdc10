"""The simulator's typed application keys."""

from __future__ import annotations

from aiohttp import web

from services.simulator.state import SimState

SIM_STATE = web.AppKey("simulator_state", SimState)
# Callables run by POST /_sim/reset after the AWS state is reset (other upstreams may add theirs).
SIM_RESET_HOOKS = web.AppKey("simulator_reset_hooks", list)
