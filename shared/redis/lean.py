"""A lean Redis client for the request path's few hot commands: one pipelined connection, hiredis.

Every request leases an account (edge) and releases it (translator); with redis-py each of those
commands costs 100–150 µs of CPU on the caller's side (connection-pool checkout, per-command
bookkeeping, a socket read per reply) — more than Redis spends running the Lua script. This client
writes each command straight onto one shared connection and matches replies to callers in order (Redis
answers a connection's commands in the order it received them), so concurrent callers share one socket
and one read wakes as many of them as it holds replies for. About 10 µs per command.

It does only what the hot path needs: `execute` one command and `run_script` (EVALSHA, loading the
script once on NOSCRIPT). Replies are decoded as UTF-8 strings, like the main client's, and failures
are redis-py's exception types, so callers handle both clients alike. Everything else — pipelines,
transactions, pub/sub, blocking reads — stays on redis-py (`shared.redis.client`).

A cancelled caller does not disturb the others: its reply is read and dropped when it arrives. A lost
connection fails the commands in flight with ConnectionError (a command that may have run is never
sent twice); the next command reconnects.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection, parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

CONNECT_TIMEOUT = 5.0
# URL options this client understands; a URL with others (client certificates, custom CAs, …) is
# left to redis-py.
_KNOWN_OPTIONS = {"host", "port", "db", "username", "password", "path", "connection_class"}


class LuaScript:
    """A script's source and its SHA-1, as EVALSHA wants it."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()


class _ErrorReply:
    """What hiredis builds for an error reply; turned into redis-py's exception by `_as_exception`."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _as_exception(reply: _ErrorReply) -> ResponseError:
    message = reply.message
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message)


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reader = hiredis.Reader(encoding="utf-8", replyError=_ErrorReply)
        self.waiting: deque[asyncio.Future] = deque()
        self.outgoing: list[bytes] = []
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    @property
    def usable(self) -> bool:
        return self.lost is None and self.transport is not None and not self.transport.is_closing()

    def send(self, command: bytes) -> asyncio.Future:
        # Commands issued in the same turn of the event loop (many requests finishing at once) go out
        # in one write: one system call and one wake-up of Redis instead of one each.
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.waiting.append(future)
        if not self.outgoing:
            loop.call_soon(self._flush)
        self.outgoing.append(command)
        return future

    def _flush(self) -> None:
        outgoing = self.outgoing
        if self.usable:
            self.transport.write(outgoing[0] if len(outgoing) == 1 else b"".join(outgoing))  # type: ignore[union-attr]
        outgoing.clear()

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        reader.feed(data)
        waiting = self.waiting
        try:
            while (reply := reader.gets()) is not False:
                future = waiting.popleft()
                if future.done():  # its caller was cancelled
                    continue
                if type(reply) is _ErrorReply:
                    future.set_exception(_as_exception(reply))
                else:
                    future.set_result(reply)
        except (hiredis.ProtocolError, IndexError) as exc:
            self._fail(RedisConnectionError(f"Redis protocol error: {exc}"))
            if self.transport is not None:
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"Connection to Redis lost: {exc or 'closed by the server'}"))

    def _fail(self, error: Exception) -> None:
        if self.lost is None:
            self.lost = error
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
                future.exception()  # retrieved: a caller that has gone must not log "never retrieved"


class LeanRedis:
    """Pipelined commands over one connection to the Redis of `url` (see the module docstring)."""

    def __init__(self, options: dict[str, Any], *, name: str) -> None:
        self._options = options
        self._name = name
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None

    @classmethod
    def from_url(cls, url: str, *, name: str = "q2api") -> LeanRedis | None:
        """A client for `url`, or None when the URL asks for options only redis-py supports."""
        options = parse_url(url)
        if set(options) - _KNOWN_OPTIONS:
            return None
        return cls(options, name=name)

    async def execute(self, *args: str | int | float | bytes) -> Any:
        connection = self._connection
        if connection is None or not connection.usable:
            connection = await self._connect()
        return await connection.send(hiredis.pack_command(args))

    async def run_script(self, script: LuaScript, keys: Sequence[str], args: Sequence[str | int | float]) -> Any:
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:  # a restarted or flushed Redis: load it once, then by SHA again
            await self.execute("SCRIPT", "LOAD", script.source)
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.transport is not None:
            connection.transport.close()

    async def _connect(self) -> _Connection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._connection is not None and self._connection.usable:
                return self._connection
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    connection = await self._open()
            except (TimeoutError, OSError) as exc:
                raise RedisConnectionError(f"Cannot connect to Redis: {exc or type(exc).__name__}") from exc
            self._connection = connection
            return connection

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        options = self._options
        kind = options.get("connection_class")
        if kind is UnixDomainSocketConnection:
            _, connection = await loop.create_unix_connection(_Connection, options["path"])
        else:
            context = ssl.create_default_context() if kind is SSLConnection else None
            _, connection = await loop.create_connection(
                _Connection, options.get("host", "localhost"), options.get("port", 6379), ssl=context
            )
        handshake = []
        if options.get("password"):
            auth = ("AUTH", options["username"], options["password"]) if options.get("username") else (
                "AUTH", options["password"])
            handshake.append(connection.send(hiredis.pack_command(auth)))
        if options.get("db"):
            handshake.append(connection.send(hiredis.pack_command(("SELECT", options["db"]))))
        handshake.append(connection.send(hiredis.pack_command(("CLIENT", "SETNAME", self._name))))
        try:
            await asyncio.gather(*handshake)
        except BaseException:
            if connection.transport is not None:
                connection.transport.close()
            raise
        return connection
