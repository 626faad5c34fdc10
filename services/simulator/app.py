"""simulator: loopback stand-ins for every upstream (Amazon Q, AWS OIDC, Gemini, Google OAuth).

One port, one prefix per upstream (shared.demo.SIMULATOR_PREFIXES): Amazon Q under `/amazonq/`, AWS
SSO-OIDC under `/oidc`, the Google side (when its package is present) under `/codeassist`, `/oauth2`,
`/gemini`, and the control API under `/_sim/`. Knobs of its own come from `SIMULATOR_*` variables
(`SimulatorConfig`).
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from services.simulator.amazonq import setup_amazonq
from services.simulator.appkeys import SIM_RESET_HOOKS, SIM_STATE
from services.simulator.config import SimulatorConfig
from services.simulator.control import setup_control
from services.simulator.oidc import setup_oidc
from services.simulator.state import SimState
from shared.service import create_service_app
from shared.settings import Settings, SettingsError

log = logging.getLogger("q2api.simulator")

# Images are up to 10 x 10 MiB as base64 text (amazonq.md §2.6): more than a client body.
_MAX_UPSTREAM_BODY = 160 * 1024 * 1024


def create_app(settings: Settings, config: SimulatorConfig | None = None) -> web.Application:
    if config is None:
        try:
            config = SimulatorConfig.from_env(os.environ)
        except ValueError as error:
            raise SettingsError(f"SIMULATOR_*: {error}") from None
    app = create_service_app(settings, "simulator", client_max_size=max(settings.max_body_bytes, _MAX_UPSTREAM_BODY))
    app[SIM_STATE] = SimState(config)
    app[SIM_RESET_HOOKS] = []
    setup_amazonq(app)
    setup_oidc(app)
    setup_control(app)
    try:
        from services.simulator.google import setup_google
    except ImportError:  # the Google side is optional
        log.warning("simulator: services.simulator.google is not importable; Google upstreams are not served")
    else:
        setup_google(app)
    return app
