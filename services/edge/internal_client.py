"""edge's HTTP/1.1 client for the one call it makes per request: POST to a translator, relay the answer.

aiohttp's client costs about 190 µs of CPU per request here (session bookkeeping, timers, cookie and
redirect handling, a stream reader per response) — more than the translator spends converting the
answer. The translator is our own aiohttp server on the internal network, so this client does only
what that hop needs: keep-alive connections per translator, one write per request (head and body),
httptools (llhttp) to parse the answer, the body handed over in the pieces that arrived, and
back-pressure when the client reads slower than the translator writes.

A connection is reused only after its answer was read to the end; anything else (an error, a client
that went away) closes it. A kept connection the translator closed while idle is noticed on the next
request, which is then sent once more on a fresh connection — the translator never saw it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import httptools
import yarl

CONNECT_TIMEOUT = 5.0
IDLE_SECONDS = 30.0  # aiohttp servers close idle keep-alive connections after 75 s
MAX_IDLE_PER_HOST = 4096
HIGH_WATER = 256 * 1024  # bytes buffered before reading from the translator pauses (resumes once handed out)


class InternalConnectionError(ConnectionError):
    """The translator could not be reached, or the connection broke before the answer ended."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; also the response of the request in flight on it."""

    def __init__(self, key: tuple[str, int]) -> None:
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.idle_since = 0.0
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.keep_alive = False
        self.headers: dict[str, str] = {}
        self.responded = False  # any byte of the answer arrived
        self.complete = False
        self.error: Exception | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._headers_ready: asyncio.Future | None = None
        self._data_ready: asyncio.Future | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.responded = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(InternalConnectionError(f"unreadable answer from the translator: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete:
            self._fail(InternalConnectionError(f"the translator closed the connection ({exc or 'EOF'})"))

    # -- httptools callbacks -------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("utf-8", "surrogateescape")

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the message ends
        if self._headers_ready is not None and not self._headers_ready.done():
            self._headers_ready.set_result(None)

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()

    # -- the response ----------------------------------------------------------------------------

    def _fail(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        for waiter in (self._headers_ready, self._data_ready):
            if waiter is not None and not waiter.done():
                waiter.set_exception(error)
                waiter.exception()  # retrieved, even when nobody waits any more

    def _wake(self) -> None:
        if self._data_ready is not None and not self._data_ready.done():
            self._data_ready.set_result(None)

    async def _wait_headers(self) -> None:
        if self.status:
            return
        if self.error is not None:
            raise self.error
        self._headers_ready = asyncio.get_running_loop().create_future()
        await self._headers_ready

    async def readany(self) -> bytes:
        """The body bytes that arrived since the last call (waiting for some), or b"" at the end."""
        while not self._chunks:
            if self.complete:
                return b""
            if self.error is not None:
                raise self.error
            self._data_ready = asyncio.get_running_loop().create_future()
            await self._data_ready
        chunks = self._chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    def is_eof(self) -> bool:
        """The answer ended and every byte of it was handed out."""
        return self.complete and not self._chunks

    async def read(self) -> bytes:
        parts = []
        while chunk := await self.readany():
            parts.append(chunk)
        return b"".join(parts)

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


TranslatorAnswer = _Connection  # what `InternalClient.post` returns: status, headers, readany, read, is_eof


class InternalClient:
    """Keep-alive POSTs to translators (see the module docstring)."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list[_Connection]] = {}

    async def post(self, url: yarl.URL, body: bytes, headers: dict[str, str]) -> TranslatorAnswer:
        """Send the request; returns once the answer's status and headers are in.

        Raises InternalConnectionError when the translator cannot be reached or drops the request.
        Call `release` with the answer when done with it.
        """
        key = (url.raw_host or "", url.port or 80)
        head = [f"POST {url.raw_path_qs} HTTP/1.1\r\nhost: {key[0]}:{key[1]}\r\ncontent-length: {len(body)}\r\n"]
        for name, value in headers.items():
            if "\n" in value or "\r" in value:
                raise ValueError(f"header {name} holds a line break")
            head.append(f"{name}: {value}\r\n")
        head.append("\r\n")
        request = "".join(head).encode() + body
        connection = self._take_idle(key)
        if connection is not None:
            try:
                return await self._exchange(connection, request)
            except InternalConnectionError:
                if connection.responded:
                    raise
                # closed by the translator while idle: it never saw this request
        return await self._exchange(await self._connect(key), request)

    def release(self, connection: _Connection) -> None:
        """Keep the connection for another request if its answer ended cleanly; close it otherwise."""
        if connection.closed or not connection.complete or connection.error is not None or not connection.keep_alive:
            connection.abort()
            return
        idle = self._idle.setdefault(connection.key, [])
        if len(idle) >= MAX_IDLE_PER_HOST:
            connection.abort()
            return
        connection._reset()
        connection.idle_since = time.monotonic()
        idle.append(connection)

    async def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.abort()
        self._idle.clear()

    def _take_idle(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_SECONDS:
                return connection
            connection.abort()
        return None

    async def _connect(self, key: tuple[str, int]) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                _, connection = await loop.create_connection(lambda: _Connection(key), key[0], key[1])
        except (OSError, TimeoutError) as exc:
            raise InternalConnectionError(f"cannot connect to the translator at {key[0]}:{key[1]}: "
                                          f"{exc or type(exc).__name__}") from exc
        return connection

    @staticmethod
    async def _exchange(connection: _Connection, request: bytes) -> _Connection:
        assert connection.transport is not None
        connection.transport.write(request)
        try:
            await connection._wait_headers()
        except BaseException:
            connection.abort()
            raise
        return connection
