"""simulator: loopback stand-ins for every upstream (Amazon Q, AWS OIDC, Gemini, Google OAuth)."""

from __future__ import annotations

from aiohttp import web

from shared.service import create_service_app
from shared.settings import Settings


def create_app(settings: Settings) -> web.Application:
    return create_service_app(settings, "simulator")
