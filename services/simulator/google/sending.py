"""Putting prepared bytes on the wire, with the timing and breakage a fault asks for.

The bytes are decided elsewhere (render.py); this module only decides *how* they leave: paced, cut into
tiny TCP writes, or with the connection dropped before the chunked body is complete — which a client
sees as a broken transfer, the way a real mid-stream disconnect looks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiohttp import web

from services.simulator.google.render import fragments
from services.simulator.google.state import RawAnswer


async def _pause(ms: float) -> None:
    if ms > 0:
        await asyncio.sleep(ms / 1000)


def drop_connection(request: web.Request) -> None:
    """Close the socket after what was written so far is flushed; no terminating chunk is sent."""
    transport = request.transport
    if transport is not None:
        transport.close()


async def send_events(request: web.Request, response: web.StreamResponse, events: Sequence[bytes], *,
                      delay_first_ms: float = 0.0, delay_ms: float = 0.0, fragment_bytes: int | None = None,
                      fragment_delay_ms: float = 0.0, drop_after: bool = False) -> web.StreamResponse:
    await response.prepare(request)
    for index, event in enumerate(events):
        await _pause(delay_first_ms if index == 0 else delay_ms)
        if fragment_bytes:
            for piece in fragments(event, fragment_bytes):
                await response.write(piece)
                await asyncio.sleep(fragment_delay_ms / 1000)  # sleep(0) still yields, so writes stay separate
        else:
            await response.write(event)
    if drop_after:
        response.force_close()
        await asyncio.sleep(0)
        drop_connection(request)
        return response
    await response.write_eof()
    return response


async def send_raw(request: web.Request, raw: RawAnswer) -> web.StreamResponse:
    """A scripted answer, byte for byte (status, headers, body pieces with an optional pause between)."""
    response = web.StreamResponse(status=raw.status)
    for name, value in raw.headers:
        response.headers[name] = value
    return await send_events(request, response, raw.chunks, delay_ms=raw.delay_ms)


async def send_cut_body(request: web.Request, body: bytes, content_type: str,
                        headers: dict[str, str]) -> web.StreamResponse:
    """A unary answer whose body stops half-way: Content-Length promises more than arrives."""
    response = web.StreamResponse(status=200, headers=headers)
    response.headers["Content-Type"] = content_type
    response.content_length = len(body)
    return await send_events(request, response, [body[: len(body) // 2]], drop_after=True)
