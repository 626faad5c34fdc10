"""The admin routes are served by accounts; edge forwards them unchanged (streaming both ways), so
one public address serves the API, the console and the admin API."""

from __future__ import annotations

import aiohttp
from aiohttp import web

ADMIN_PREFIXES = ("/admin/api", "/v2/", "/api/login")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}

ADMIN_SESSION = web.AppKey("admin_proxy_session", aiohttp.ClientSession)
ADMIN_BASE = web.AppKey("admin_proxy_base", str)


async def forward(request: web.Request) -> web.StreamResponse:
    base = request.app[ADMIN_BASE]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    headers["x-forwarded-for"] = request.remote or ""
    try:
        upstream = await request.app[ADMIN_SESSION].request(
            request.method, base + request.rel_url.path_qs, headers=headers,
            data=request.content if request.body_exists else None, allow_redirects=False,
        )
    except aiohttp.ClientError:
        return web.json_response({"error": "the accounts service (admin API) is not reachable; retry shortly"}, status=502)
    async with upstream:
        response = web.StreamResponse(status=upstream.status, headers={
            k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP})
        await response.prepare(request)
        async for chunk in upstream.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
        return response


def add_admin_proxy(app: web.Application) -> None:
    app.router.add_route("*", "/admin/api/{tail:.*}", forward)
    app.router.add_route("*", "/v2/{tail:.*}", forward)
    app.router.add_post("/api/login", forward)
    app.router.add_route("*", "/console/{tail:.*}", forward)
