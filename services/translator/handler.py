"""The translator's internal endpoint: one client request, translated, sent upstream, streamed back.

Protocol with edge: `shared.internal`. The lease edge took is released here exactly once, with the
outcome and usage, on every path — success, refusal, failure mid-answer, client gone (`cancelled`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from dataclasses import dataclass

import aiohttp
import msgspec
from aiohttp import web

from services.translator.dialects import DIALECTS, ClientRequest, TranslatorDialect
from services.translator.errors import ConversionError
from services.translator.request_tokens import count_request_tokens
from services.translator.upstreams import UPSTREAMS, Answer, UpstreamCall
from shared.ids import random_hex
from shared.internal import (
    HEADER_DIALECT,
    HEADER_LEASE,
    HEADER_OPERATION,
    HEADER_VERDICT,
    VERDICT_OK,
    LeaseGrant,
    Verdict,
    lease_decoder,
    verdict_encoder,
)
from shared.metrics import REGISTRY
from shared.models import ModelTable, UnknownModelError
from shared.redis.pool import AccountPool
from shared.schemas.decoding import ClientBodyError
from shared.settings import Settings

log = logging.getLogger("q2api.translator")

answers_total = REGISTRY.counter("q2api_translator_answers_total", "Answers by dialect and outcome", ("dialect", "outcome"))
inflight_gauge = REGISTRY.gauge("q2api_translator_inflight", "Requests this translator is serving")
first_byte_seconds = REGISTRY.histogram("q2api_translator_upstream_first_event_seconds",
                                        "Time from request to the upstream's first parsed frame", ("provider",))


@dataclass
class TranslatorState:
    settings: Settings
    pool: AccountPool
    session: aiohttp.ClientSession
    models: ModelTable
    inflight: int = 0


STATE = web.AppKey("translator_state", TranslatorState)


def _verdict_response(verdict: Verdict) -> web.Response:
    return web.Response(body=verdict_encoder.encode(verdict), content_type="application/json",
                        headers={HEADER_VERDICT: verdict.verdict})


def _client_error(dialect: TranslatorDialect, status: int, message: str, request_id: str, *,
                  error_type: str | None = None, param: str | None = None, code: str | None = None) -> web.Response:
    body = dialect.client.error_body(status, message, error_type=error_type, param=param, code=code, request_id=request_id)
    verdict = Verdict("client_error", message, client_status=status, client_body=msgspec.Raw(body))
    return _verdict_response(verdict)


class LeaseKeeper:
    """Releases a lease exactly once, and keeps it alive while a long answer streams."""

    def __init__(self, pool: AccountPool, lease: LeaseGrant | None, ttl: float) -> None:
        self.pool = pool
        self.lease = lease
        self.ttl = ttl
        self.released = False
        self._heartbeat: asyncio.Task | None = None
        self._first_beat: asyncio.TimerHandle | None = None

    def keep_alive(self) -> None:
        # Most answers end before the first beat is due: a timer is far cheaper than a task per
        # request, and the beating task starts only when the timer fires.
        if self.lease is not None and self._heartbeat is None and self._first_beat is None:
            self._first_beat = asyncio.get_running_loop().call_later(self._beat_interval(), self._start_beating)

    def _beat_interval(self) -> float:
        return max(1.0, self.ttl / 3)

    def _start_beating(self) -> None:
        if not self.released:
            self._heartbeat = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        assert self.lease is not None
        while True:
            with contextlib.suppress(Exception):
                await self.pool.extend(self.lease.lease_id, self.ttl)
            await asyncio.sleep(self._beat_interval())

    async def release(self, outcome: str, *, reason: str = "", retry_after: float = 0.0,
                      input_tokens: int = 0, output_tokens: int = 0) -> None:
        if self.released or self.lease is None:
            return
        self.released = True
        if self._first_beat is not None:
            self._first_beat.cancel()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        try:
            # Shielded: a client that goes away must not cancel the bookkeeping of its own request.
            await asyncio.shield(self.pool.release(
                self.lease.lease_id, outcome, retry_after=retry_after, reason=reason,
                input_tokens=input_tokens, output_tokens=output_tokens,
            ))
        except Exception:  # Redis down: the lease deadline reaps it
            log.warning("could not release lease %s", self.lease.lease_id, exc_info=True)


async def translate(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    settings = state.settings
    presented = request.headers.get("authorization", "")
    if not hmac.compare_digest(presented.encode(), f"Bearer {settings.internal_token}".encode()):
        raise web.HTTPUnauthorized(text="internal endpoint: missing or wrong internal token")

    dialect = DIALECTS.get(request.headers.get(HEADER_DIALECT, ""))
    if dialect is None:
        raise web.HTTPBadRequest(text=f"unknown dialect {request.headers.get(HEADER_DIALECT)!r}")
    operation = request.headers.get(HEADER_OPERATION, "generate")
    request_id = request.headers.get("x-request-id", "")
    lease_header = request.headers.get(HEADER_LEASE)
    lease = lease_decoder.decode(lease_header) if lease_header else None
    keeper = LeaseKeeper(state.pool, lease, settings.lease_ttl)

    state.inflight += 1
    inflight_gauge.inc()
    try:
        return await _serve(request, state, dialect, operation, request_id, keeper)
    finally:
        state.inflight -= 1
        inflight_gauge.dec()
        if not keeper.released:  # any path that forgot, including cancellation
            await keeper.release("cancelled")


async def _serve(request: web.Request, state: TranslatorState, dialect: TranslatorDialect, operation: str,
                 request_id: str, keeper: LeaseKeeper) -> web.StreamResponse:
    settings = state.settings
    body = await request.read()
    try:
        client = dialect.decode(body, operation, settings)
    except ClientBodyError as exc:
        await keeper.release("bad_request", reason=exc.message)
        return _client_error(dialect, 400, exc.message, request_id)
    except ConversionError as exc:
        await keeper.release("bad_request", reason=exc.message)
        return _client_error(dialect, exc.status, exc.message, request_id, error_type=exc.error_type, param=exc.param)

    input_tokens = count_request_tokens(client.anthropic, settings.token_count_multiplier)
    if operation == "count_tokens":
        try:
            return web.Response(body=dialect.count_tokens_body(input_tokens), content_type="application/json",
                                headers={HEADER_VERDICT: VERDICT_OK})
        except ConversionError as exc:
            return _client_error(dialect, exc.status, exc.message, request_id, error_type=exc.error_type)

    try:
        route = state.models.resolve(client.model)
    except UnknownModelError as exc:
        await keeper.release("bad_request", reason="unknown model")
        return _client_error(dialect, 404, str(exc), request_id, code="model_not_found")
    if keeper.lease is None:
        raise web.HTTPBadRequest(text="generate needs a lease")
    window = min(route.context_window, settings.context_window)
    if input_tokens > window:
        message = f"prompt is too long: {input_tokens} tokens > {window} maximum"
        await keeper.release("bad_request", reason=message)
        return _client_error(dialect, 400, message, request_id)

    upstream = UPSTREAMS.get(keeper.lease.provider)
    if upstream is None:
        await keeper.release("bad_request", reason="no adapter")
        return _client_error(dialect, 400, f"provider {keeper.lease.provider!r} is not supported by this translator", request_id)

    message_id = "msg_" + random_hex(24)
    call = UpstreamCall(request=client.anthropic, route=route, lease=keeper.lease, request_id=request_id,
                        message_id=message_id, input_tokens=input_tokens, session=state.session, settings=settings)
    started = time.perf_counter()
    try:
        answer = await upstream.start(call)
    except ConversionError as exc:
        await keeper.release("bad_request", reason=exc.message)
        return _client_error(dialect, exc.status, exc.message, request_id, error_type=exc.error_type, param=exc.param)
    if isinstance(answer, Verdict):
        outcome = answer.verdict if answer.verdict != "client_error" else "bad_request"
        await keeper.release(outcome, reason=answer.message, retry_after=answer.retry_after)
        answers_total.inc(dialect.name, answer.verdict)
        if answer.verdict == "bad_request":
            return _client_error(dialect, answer.client_status or 400, answer.message, request_id)
        return _verdict_response(answer)
    first_byte_seconds.observe(time.perf_counter() - started, keeper.lease.provider)
    keeper.keep_alive()
    created = int(time.time())
    if client.stream:
        return await _stream(request, dialect, client, answer, keeper, message_id, route.upstream_model, created)
    return await _collect(dialect, client, answer, keeper, message_id, route.upstream_model, created)


async def _collect(dialect: TranslatorDialect, client: ClientRequest, answer: Answer, keeper: LeaseKeeper,
                   message_id: str, model: str, created: int) -> web.Response:
    """Non-streaming: the whole answer is read before anything is sent, so a failure can still fail over."""
    events = list(answer.first_events)
    try:
        while (more := await answer.next_events()) is not None:
            events.extend(more)
    finally:
        await answer.close()
    failure = answer.failure
    if failure is not None:
        await keeper.release(failure.outcome, reason=failure.message, retry_after=failure.retry_after,
                             input_tokens=answer.input_tokens, output_tokens=answer.output_tokens)
        answers_total.inc(dialect.name, failure.outcome)
        verdict = failure.outcome if failure.outcome in ("throttled", "upstream_error") else "upstream_error"
        return _verdict_response(Verdict(verdict, failure.message, retry_after=failure.retry_after))
    try:
        body = dialect.collect(client, events, message_id=message_id, model=model, created=created)
    except Exception as exc:  # the events did not form a complete answer: nothing was sent, so fail over
        message = f"the upstream answer was incomplete ({exc})"
        await keeper.release("upstream_error", reason=message, input_tokens=answer.input_tokens,
                             output_tokens=answer.output_tokens)
        answers_total.inc(dialect.name, "upstream_error")
        return _verdict_response(Verdict("upstream_error", message))
    await keeper.release("success", input_tokens=answer.input_tokens, output_tokens=answer.output_tokens)
    answers_total.inc(dialect.name, "success")
    return web.Response(body=body, content_type="application/json", headers={HEADER_VERDICT: VERDICT_OK})


class _AnswerStream(web.StreamResponse):
    # The status line and headers go out with the answer's first bytes, in one send (they follow at once).
    _send_headers_immediately = False


async def _stream(request: web.Request, dialect: TranslatorDialect, client: ClientRequest, answer: Answer,
                  keeper: LeaseKeeper, message_id: str, model: str, created: int) -> web.StreamResponse:
    writer = dialect.stream_writer(client, message_id=message_id, model=model, created=created)
    response = _AnswerStream(headers={
        HEADER_VERDICT: VERDICT_OK,
        "content-type": writer.content_type,
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
    })
    outcome = "cancelled"
    try:
        await response.prepare(request)
        # Bytes go out as soon as no more are ready without waiting: events decoded from what the
        # upstream already sent share one write (and the last ones share it with the end of the body),
        # so a burst costs one send instead of one per read, and nothing is held back.
        pending = writer.encode(answer.first_events)
        while True:
            if pending and not answer.more_ready():
                await response.write(pending)
                pending = b""
            events = await answer.next_events()
            if events is None:
                break
            if events:
                pending += writer.encode(events)
        failure = answer.failure
        if failure is None:
            pending += writer.end()
            outcome = "success"
        else:
            outcome = failure.outcome
        await response.write_eof(pending)
        return response
    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
        outcome = "cancelled"  # edge (the client) went away
        return response
    finally:
        await answer.close()
        failure = answer.failure
        await keeper.release(outcome, reason=failure.message if failure and outcome != "cancelled" else "",
                             retry_after=failure.retry_after if failure else 0.0,
                             input_tokens=answer.input_tokens, output_tokens=answer.output_tokens)
        answers_total.inc(dialect.name, outcome)
