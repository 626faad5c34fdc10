"""edge's client for translators (services/edge/internal_client.py) against a real aiohttp server."""

from __future__ import annotations

import asyncio

import pytest
import yarl
from aiohttp import web

from services.edge import internal_client
from services.edge.internal_client import InternalClient, InternalConnectionError

CHUNK = b"event: content_block_delta\ndata: {}\n\n"


class Translator:
    """A stand-in translator: counts connections and answers by path."""

    def __init__(self) -> None:
        self.peers: set[tuple] = set()  # the client ends of the connections requests came on
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.go_on = asyncio.Event()

    @property
    def connections(self) -> int:
        return len(self.peers)

    def app(self) -> web.Application:
        @web.middleware
        async def note_peer(request, handler):
            self.peers.add(request.transport.get_extra_info("peername"))
            return await handler(request)

        app = web.Application(middlewares=[note_peer])
        app.router.add_post("/stream", self.stream)
        app.router.add_post("/verdict", self.verdict)
        app.router.add_post("/cut", self.cut)
        app.router.add_post("/big", self.big)
        return app

    async def stream(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((dict(request.headers), await request.read()))
        response = web.StreamResponse(headers={"x-q2a-verdict": "ok", "content-type": "text/event-stream"})
        await response.prepare(request)
        for _ in range(3):
            await response.write(CHUNK)
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def verdict(self, request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"verdict": "throttled"}, headers={"x-q2a-verdict": "throttled"})

    async def cut(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(CHUNK)
        await asyncio.sleep(0.05)
        request.transport.abort()
        return response

    async def big(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 65536)
        await self.go_on.wait()
        await response.write_eof()
        return response


@pytest.fixture
async def translator(aiohttp_server):
    stand_in = Translator()
    server = await aiohttp_server(stand_in.app())
    stand_in.url = yarl.URL(f"http://127.0.0.1:{server.port}")
    yield stand_in


@pytest.fixture
async def client():
    client = InternalClient()
    yield client
    await client.close()


async def test_a_streamed_answer_arrives_whole_and_the_connection_is_kept(translator, client):
    for _ in range(3):
        answer = await client.post(translator.url / "stream", b'{"a": 1}', {"x-q2a-dialect": "anthropic"})
        assert answer.status == 200 and answer.headers["x-q2a-verdict"] == "ok"
        assert await answer.read() == CHUNK * 3 and answer.is_eof()
        client.release(answer)
    assert translator.connections == 1
    headers, body = translator.requests[-1]
    assert body == b'{"a": 1}' and headers["x-q2a-dialect"] == "anthropic"


async def test_a_verdict_with_a_length_is_read_and_the_connection_kept(translator, client):
    for _ in range(2):
        answer = await client.post(translator.url / "verdict", b"{}", {})
        assert answer.headers["x-q2a-verdict"] == "throttled" and b"throttled" in await answer.read()
        client.release(answer)
    assert translator.connections == 1


async def test_an_unfinished_answer_closes_its_connection(translator, client):
    answer = await client.post(translator.url / "stream", b"{}", {})
    assert await answer.readany()
    client.release(answer)  # the caller gave up mid-answer
    answer = await client.post(translator.url / "stream", b"{}", {})
    await answer.read()
    client.release(answer)
    assert translator.connections == 2


async def test_a_connection_cut_mid_answer_raises(translator, client):
    answer = await client.post(translator.url / "cut", b"{}", {})
    assert await answer.readany() == CHUNK
    with pytest.raises(InternalConnectionError, match="closed the connection"):
        await answer.readany()
    client.release(answer)


async def test_an_unreachable_translator_is_a_connection_error(client):
    with pytest.raises(InternalConnectionError, match="cannot connect"):
        await client.post(yarl.URL("http://127.0.0.1:9/stream"), b"{}", {})


async def test_a_kept_connection_the_translator_closed_is_replaced_without_losing_the_request(translator, client):
    answer = await client.post(translator.url / "stream", b"{}", {})
    await answer.read()
    client.release(answer)
    kept = client._idle[(translator.url.host, translator.url.port)][0]
    kept.transport.pause_reading()  # the close is not seen before the next request is written
    kept.transport.get_extra_info("socket").shutdown(2)  # as the server's idle close would
    answer = await client.post(translator.url / "stream", b'{"again": true}', {})
    assert await answer.read() == CHUNK * 3
    assert translator.requests[-1][1] == b'{"again": true}'


async def test_a_slow_reader_pauses_the_translator_instead_of_buffering_everything(translator, client):
    answer = await client.post(translator.url / "big", b"{}", {})
    await asyncio.sleep(0.2)
    assert answer._paused and answer._buffered <= internal_client.HIGH_WATER + 65536 * 2
    received = 0
    translator.go_on.set()
    while chunk := await answer.readany():
        received += len(chunk)
    assert received == 64 * 65536
    client.release(answer)


async def test_header_values_with_line_breaks_are_refused(translator, client):
    with pytest.raises(ValueError, match="line break"):
        await client.post(translator.url / "stream", b"{}", {"x-request-id": "a\r\nx-evil: 1"})
