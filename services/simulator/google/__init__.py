"""The Google side of the simulator: Gemini Code Assist, Google OAuth and the public Gemini API.

`setup_google(app)` registers every route and the shared state on a simulator app:

* ``/codeassist/v1internal:<method>`` and ``/codeassist/v1internal/operations/<id>`` — Code Assist
  (``GEMINI_CODE_ASSIST_ENDPOINT=http://HOST:PORT/codeassist``);
* ``/oauth2/token``, ``/oauth2/auth`` (consent page), ``/oauth2/revoke``, ``/oauth2/tokeninfo``,
  ``/oauth2/v{1,2,3}/userinfo`` — Google OAuth (``GOOGLE_OAUTH_ENDPOINT=http://HOST:PORT/oauth2``);
* ``/gemini/v1beta/models/<model>:<method>`` — the public Gemini API
  (``GEMINI_API_ENDPOINT=http://HOST:PORT/gemini``);
* ``/_sim/google/…`` — control routes (control.py).

Facts: /work/shared/protocols/gemini-code-assist.md and gemini-code-assist-examples.md.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from services.simulator.google.codeassist import add_code_assist_routes
from services.simulator.google.consent import add_consent_routes
from services.simulator.google.control import add_control_routes
from services.simulator.google.gemini_api import add_gemini_api_routes
from services.simulator.google.oauth import add_oauth_routes
from services.simulator.google.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GOOGLE_SIM, GoogleSim

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "GOOGLE_SIM", "GoogleSim", "setup_google"]


def _shared_clock(app: web.Application) -> Callable[[], float] | None:
    """The simulator-wide clock (``POST /_sim/clock``) when the app has one; tests may build a bare app."""
    try:
        from services.simulator.appkeys import SIM_STATE
    except ImportError:
        return None
    state = app.get(SIM_STATE)
    return state.now if state is not None else None


def _shared_reset_hooks(app: web.Application) -> list[Callable[[], None]] | None:
    try:
        from services.simulator.appkeys import SIM_RESET_HOOKS
    except ImportError:
        return None
    return app.get(SIM_RESET_HOOKS)


def setup_google(app: web.Application, *, clients: dict[str, str] | None = None) -> None:
    """Register the Google routes and state on `app`. `clients` adds OAuth client id → secret pairs to
    the default one (the operator's configured pair, so the demo works without a control call)."""
    sim = GoogleSim(clients, clock=_shared_clock(app))
    app[GOOGLE_SIM] = sim
    hooks = _shared_reset_hooks(app)
    if hooks is not None:
        hooks.append(sim.reset)  # POST /_sim/reset forgets the Google side too
    add_oauth_routes(app)
    add_consent_routes(app)
    add_code_assist_routes(app)
    add_gemini_api_routes(app)
    add_control_routes(app)
