"""What every q2api service has in common: app skeleton, health, metrics, request ids, running.

A service module provides `create_app(settings) -> web.Application` built on `create_service_app`, and
a `__main__` that calls `run_service`. Resources are opened and closed in `app.cleanup_ctx`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import redis.asyncio as aioredis
from aiohttp import web

from shared.ids import random_hex
from shared.logs import REQUEST_ID, configure_logging
from shared.metrics import REGISTRY
from shared.redis.client import redis_client
from shared.redis.lean import LeanRedis
from shared.settings import Settings, SettingsError, load_settings

log = logging.getLogger("q2api.service")

SETTINGS = web.AppKey("settings", Settings)
SERVICE_NAME = web.AppKey("service_name", str)
REDIS = web.AppKey("redis", aioredis.Redis)
# The lean pipelined client for the request path's scripts (None when REDIS_URL needs redis-py's options).
LEAN_REDIS = web.AppKey("lean_redis", object)
READINESS = web.AppKey("readiness", dict)  # name -> async check that raises when not ready
REQUEST_ID_KEY = web.RequestKey("request_id", str)
LISTEN = web.AppKey("listen", tuple)  # (host, port) the service was started on, when run_service started it
# For a hop inside q2api (edge logs every client request): which answers are routine, so that their
# access line is logged at debug instead of info. Failures and anything else stay at info.
ROUTINE_ANSWER = web.AppKey("routine_answer", Callable[[web.StreamResponse], bool])

REQUEST_ID_HEADER = "x-request-id"
# Pending connections the kernel may queue before accept() (capped by net.core.somaxconn). aiohttp's
# default of 128 overflows when thousands of clients (or edge's pool to a translator) connect at once:
# the kernel then drops SYNs (a 1 s, 3 s, … retry for the client) or resets the connection.
LISTEN_BACKLOG = 4096
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

http_requests = REGISTRY.counter("q2api_http_requests_total", "HTTP requests answered", ("service", "status"))


def new_request_id() -> str:
    return "req_" + random_hex()


def request_id_of(request: web.Request) -> str:
    """The request id edge assigned (or the client sent, if well-formed)."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()


@web.middleware
async def request_context(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    request_id = request_id_of(request)
    request[REQUEST_ID_KEY] = request_id
    token = REQUEST_ID.set(request_id)
    started = time.perf_counter()
    status = 500
    level = logging.INFO
    try:
        response = await handler(request)
        status = response.status
        routine = request.app.get(ROUTINE_ANSWER)
        if routine is not None and routine(response):
            level = logging.DEBUG
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away (nginx's convention)
        raise
    finally:
        REQUEST_ID.reset(token)
        http_requests.inc(request.app[SERVICE_NAME], str(status))
        if log.isEnabledFor(level) and request.path not in ("/healthz", "/readyz", "/metrics"):
            log.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={"request_id": request_id, "status": status, "ms": round((time.perf_counter() - started) * 1000, 2)},
            )


async def _stamp_request_id(request: web.Request, response: web.StreamResponse) -> None:
    # Runs for streamed and plain responses alike, before headers go out.
    request_id = request.get(REQUEST_ID_KEY)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": request.app[SERVICE_NAME]})


async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    ready = True
    for name, check in request.app[READINESS].items():
        try:
            await asyncio.wait_for(check(), timeout=2.0)
            checks[name] = "ok"
        except Exception as exc:  # a readiness probe reports, it does not raise
            ready = False
            checks[name] = f"{type(exc).__name__}: {exc}"[:300]
    body = {"status": "ready" if ready else "not ready", "service": request.app[SERVICE_NAME], "checks": checks}
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    return web.Response(text=REGISTRY.render(), content_type="text/plain", charset="utf-8",
                        headers={"x-prometheus-format": "0.0.4"})


def create_service_app(settings: Settings, service: str, *, client_max_size: int | None = None) -> web.Application:
    """The skeleton every service starts from: /healthz, /readyz, /metrics and request ids."""
    app = web.Application(
        middlewares=[request_context],
        client_max_size=client_max_size or settings.max_body_bytes,
        handler_args={"max_field_size": 65536},
    )
    app[SETTINGS] = settings
    app[SERVICE_NAME] = service
    app[READINESS] = {}
    app.on_response_prepare.append(_stamp_request_id)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


def use_redis(app: web.Application) -> None:
    """Open the process's Redis client for the app's lifetime and make readiness depend on it."""

    async def redis_context(app: web.Application) -> AsyncIterator[None]:
        client = redis_client(app[SETTINGS], service=app[SERVICE_NAME])
        app[REDIS] = client
        lean = LeanRedis.from_url(app[SETTINGS].redis_url, name=f"q2api-{app[SERVICE_NAME]}-lean")
        app[LEAN_REDIS] = lean
        yield
        if lean is not None:
            await lean.aclose()
        await client.aclose()

    async def redis_ready() -> None:
        await app[REDIS].ping()

    app.cleanup_ctx.append(redis_context)
    app[READINESS]["redis"] = redis_ready


def advertised_host(bind_host: str, settings: Settings) -> str:
    """The host name other services use to reach a service bound to `bind_host`."""
    if settings.advertise_host:
        return settings.advertise_host
    if bind_host in ("0.0.0.0", "::", ""):
        return socket.gethostname()
    return bind_host


GC_THRESHOLDS = (50_000, 20, 20)


def run_service(
    service: str,
    create_app: Callable[[Settings], web.Application],
    *,
    default_host: Callable[[Settings], str],
    default_port: Callable[[Settings], int],
    argv: list[str] | None = None,
) -> None:
    """`python -m services.<name> [--host H] [--port P]`: parse settings, log JSON, serve until SIGTERM."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}")
    parser.add_argument("--host", help="address to listen on")
    parser.add_argument("--port", type=int, help="port to listen on")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(service, settings.log_level)
    host = args.host or default_host(settings)
    port = args.port if args.port is not None else default_port(settings)
    try:
        app = create_app(settings)
    except SettingsError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    app[LISTEN] = (host, port)

    async def announce(app: web.Application) -> None:
        log.info("%s listening on http://%s:%s", service, host, port, extra={"host": host, "port": port})

    app.on_startup.append(announce)
    # Everything built so far (modules, settings, the app) lives as long as the process: keep it out
    # of the cyclic collector's generations, so collections under load only walk request garbage.
    gc.collect()
    gc.freeze()
    # A request allocates thousands of short-lived objects (aiohttp, headers, events) that plain
    # reference counting frees; with the default threshold (700) the cyclic collector ran every few
    # requests for nothing. Measured: 7–10 % less CPU per request across edge and translators.
    gc.set_threshold(*GC_THRESHOLDS)
    loop = _new_event_loop()
    with _profiled(service):
        web.run_app(
            app,
            host=host,
            port=port,
            shutdown_timeout=settings.shutdown_timeout,
            backlog=LISTEN_BACKLOG,
            access_log=None,
            print=None,
            handle_signals=True,
            handler_cancellation=True,
            loop=loop,
        )


PROFILE_ENV = "Q2API_PROFILE"


@contextlib.contextmanager
def _profiled(service: str) -> Iterator[None]:
    """With Q2API_PROFILE=<path prefix> (a development switch, not a setting): run under cProfile and
    write `<prefix>-<service>-<pid>.prof` at shutdown (read it with `python -m pstats`)."""
    prefix = os.environ.get(PROFILE_ENV, "")
    if not prefix:
        yield
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(f"{prefix}-{service}-{os.getpid()}.prof")


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux/macOS
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()
