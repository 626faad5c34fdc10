"""The request path at edge: admit + lease, pick a translator, relay its bytes, fail over.

Failover happens only before the first byte reached the client: the translator answers with a
verdict until the upstream has accepted the request. After that, edge relays bytes unchanged and
flushes as they arrive; if the translator dies mid-stream, the client gets an in-stream error event in
its dialect — never a stream that looks complete.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

import msgspec
import yarl
from aiohttp import web

from services.edge.auth import Caller
from services.edge.internal_client import InternalClient, InternalConnectionError, TranslatorAnswer
from services.edge.translators import TranslatorPicker
from shared.dialects import ClientDialect
from shared.internal import (
    FAILOVER_VERDICTS,
    HEADER_DIALECT,
    HEADER_LEASE,
    HEADER_OPERATION,
    HEADER_VERDICT,
    TRANSLATE_PATH,
    VERDICT_OK,
    LeaseGrant,
    Verdict,
    lease_encoder,
    verdict_decoder,
)
from shared.metrics import REGISTRY
from shared.redis.pool import AccountPool, Lease, Refusal
from shared.settings import Settings

log = logging.getLogger("q2api.edge")

requests_total = REGISTRY.counter("q2api_edge_requests_total", "Client requests by dialect and result", ("dialect", "result"))
failovers_total = REGISTRY.counter("q2api_edge_failovers_total", "Failovers to another account, by verdict", ("verdict",))
TRANSLATOR_TRIES = 3


@dataclass
class EdgeContext:
    settings: Settings
    pool: AccountPool
    picker: TranslatorPicker
    internal: InternalClient


@dataclass
class ClientCall:
    dialect: ClientDialect
    operation: str  # generate | count_tokens
    body: bytes
    model: str
    stream: bool
    provider: str
    caller: Caller
    request_id: str
    pin: str = ""
    session_key: str = ""


def error_response(call: ClientCall, status: int, message: str, *, error_type: str | None = None,
                   retry_after: float | None = None, code: str | None = None) -> web.Response:
    headers = {"request-id": call.request_id}
    if status in (400, 401, 403, 404, 413):
        headers["x-should-retry"] = "false"  # client-apis.md §0 item 7
    if retry_after is not None:
        headers["retry-after"] = str(max(1, round(retry_after)))
    body = call.dialect.error_body(status, message, error_type=error_type, code=code, request_id=call.request_id)
    requests_total.inc(call.dialect.name, str(status))
    return web.Response(status=status, body=body, content_type="application/json", headers=headers)


def _refusal_response(call: ClientCall, refusal: Refusal, last: Verdict | None) -> web.Response:
    if refusal.kind == "key_limited":
        what = {"rpm": "requests per minute", "tpm": "tokens per minute", "concurrency": "concurrent requests"}[refusal.reason]
        return error_response(call, 429, f"This API key's limit on {what} is reached; retry after {refusal.retry_after:.0f}s.",
                              retry_after=refusal.retry_after)
    if last is not None:
        return _verdict_response(call, last)
    reason = refusal.reason
    provider = call.provider
    if reason == "no_accounts":
        return error_response(call, 503, f"No {provider} account is enabled on this gateway. Add or enable one in the "
                              "admin console.", error_type="overloaded_error" if call.dialect.name == "anthropic" else None,
                              retry_after=30)
    if reason == "busy":
        return error_response(call, 429, f"Every {provider} account is busy (at its concurrency limit); retry shortly.",
                              retry_after=refusal.retry_after)
    if reason == "cooling":
        return error_response(call, 429, f"Every {provider} account is cooling down after upstream throttling; "
                              f"retry after {refusal.retry_after:.0f}s.", retry_after=refusal.retry_after)
    if reason == "no_token":
        return error_response(call, 503, f"No {provider} account has a valid access token right now (refresh in "
                              "progress); retry shortly.", retry_after=refusal.retry_after)
    if reason == "pinned_missing":
        return error_response(call, 404, "X-Account-ID names no account on this gateway.")
    return error_response(call, 403, "The account named by X-Account-ID cannot serve now (disabled, suspended, busy "
                          "or cooling down).", retry_after=refusal.retry_after or None)


def _verdict_response(call: ClientCall, verdict: Verdict) -> web.Response:
    """The client's answer when the last account tried refused (failover exhausted)."""
    kind = verdict.verdict
    if kind in ("throttled", "quota_exhausted"):
        return error_response(call, 429, f"The upstream is rate limiting every account tried: {verdict.message}",
                              retry_after=verdict.retry_after or 5)
    if kind in ("suspended", "token_expired"):
        return error_response(call, 503, f"No healthy account could serve the request: {verdict.message}",
                              retry_after=5)
    return error_response(call, 502, f"The upstream failed: {verdict.message}", retry_after=2)


async def serve(request: web.Request, ctx: EdgeContext, call: ClientCall) -> web.StreamResponse:
    if call.operation == "count_tokens":
        return await _count_tokens(request, ctx, call)
    settings = ctx.settings
    deadline = time.monotonic() + settings.failover_max_wait
    estimate = len(call.body) // 4 if call.caller.limits.tokens_per_minute else 0
    last: Verdict | None = None
    for attempt in range(settings.failover_attempts):
        outcome = await ctx.pool.lease(
            call.provider, key=call.caller.limits, estimated_tokens=estimate, model=call.model,
            request_id=call.request_id, pin=call.pin, session=call.session_key,
        )
        if isinstance(outcome, Refusal):
            return _refusal_response(call, outcome, last)
        result = await _try_translators(request, ctx, call, outcome)
        if isinstance(result, web.StreamResponse):
            return result
        last = result
        if result.verdict not in FAILOVER_VERDICTS or time.monotonic() >= deadline:
            break
        failovers_total.inc(result.verdict)
        log.info("failing over after %s: %s", result.verdict, result.message,
                 extra={"attempt": attempt + 1, "account": outcome.account_id})
    assert last is not None
    if last.verdict in ("client_error", "bad_request") and last.client_body is not msgspec.UNSET:
        return _client_body_response(call, last)
    return _verdict_response(call, last)


def _client_body_response(call: ClientCall, verdict: Verdict) -> web.Response:
    headers = {"request-id": call.request_id}
    if verdict.client_status in (400, 401, 403, 404, 413):
        headers["x-should-retry"] = "false"
    requests_total.inc(call.dialect.name, str(verdict.client_status))
    return web.Response(status=verdict.client_status or 400, body=bytes(verdict.client_body), content_type="application/json",
                        headers=headers)


def _internal_headers(ctx: EdgeContext, call: ClientCall, lease: LeaseGrant | None) -> dict[str, str]:
    headers = {
        "authorization": f"Bearer {ctx.settings.internal_token}",
        "x-request-id": call.request_id,
        HEADER_DIALECT: call.dialect.name,
        HEADER_OPERATION: call.operation,
        "content-type": "application/json",
    }
    if lease is not None:
        headers[HEADER_LEASE] = lease_encoder.encode(lease).decode()
    return headers


async def _try_translators(request: web.Request, ctx: EdgeContext, call: ClientCall,
                           lease: Lease) -> web.StreamResponse | Verdict:
    """Send the call with this lease to a translator (another one if it can't be reached)."""
    grant = LeaseGrant(
        lease_id=lease.lease_id, account_id=lease.account_id, provider=lease.provider,
        access_token=lease.access_token, region=lease.region, profile_arn=lease.profile_arn,
        project=lease.project, proxy_url=lease.proxy_url, key_id=call.caller.key_id,
    )
    tried: set[str] = set()
    for _ in range(TRANSLATOR_TRIES):
        translator = ctx.picker.pick(tried)
        if translator is None:
            break
        tried.add(translator.url)
        ctx.picker.acquire(translator.url)
        try:
            return await _send(request, ctx, call, translator.url, _internal_headers(ctx, call, grant))
        except _Unreachable:
            ctx.picker.mark_down(translator.url)
            continue
        finally:
            ctx.picker.release(translator.url)
    # No translator took the request: free the lease ourselves (not the account's fault).
    await ctx.pool.release(lease.lease_id, "cancelled", reason="no translator reachable")
    return Verdict("no_translator", "no translator is reachable")


class _Unreachable(Exception):
    pass


@functools.lru_cache(maxsize=64)
def _translate_url(base: str) -> yarl.URL:
    """A translator's endpoint, parsed once (not on every request)."""
    return yarl.URL(base + TRANSLATE_PATH)


async def _send(request: web.Request, ctx: EdgeContext, call: ClientCall, url: str,
                headers: dict[str, str]) -> web.StreamResponse | Verdict:
    try:
        upstream = await ctx.internal.post(_translate_url(url), call.body, headers)
    except InternalConnectionError as exc:
        raise _Unreachable(str(exc)) from exc
    try:
        verdict = upstream.headers.get(HEADER_VERDICT)
        if upstream.status != 200 or verdict is None:
            text = (await upstream.read())[:300].decode("utf-8", "replace")
            log.error("translator %s answered %s: %s", url, upstream.status, text)
            raise _Unreachable(f"translator answered {upstream.status}")
        if verdict != VERDICT_OK:
            try:
                return verdict_decoder.decode(await upstream.read())
            except msgspec.DecodeError as exc:
                raise _Unreachable("translator sent an unreadable verdict") from exc
        return await _relay(request, call, upstream)
    finally:
        ctx.internal.release(upstream)  # kept only if the answer was read to its end


class _RelayedStream(web.StreamResponse):
    # The status line and headers go out with the first bytes of the answer, in one send: the
    # translator answers only once it has those bytes, so they are at most one read away.
    _send_headers_immediately = False


async def _relay(request: web.Request, call: ClientCall, upstream: TranslatorAnswer) -> web.StreamResponse:
    headers = {"request-id": call.request_id, "content-type": upstream.headers.get("content-type", "application/json")}
    if not call.stream:
        body = await upstream.read()
        requests_total.inc(call.dialect.name, "200")
        return web.Response(body=body, headers=headers)
    headers["cache-control"] = "no-cache"
    headers["x-accel-buffering"] = "no"
    response = _RelayedStream(headers=headers)
    await response.prepare(request)
    try:
        # Each read is written as it came (bytes unchanged, flushed at once); the read that ends the
        # translator's answer goes out together with the end of the chunked body.
        while chunk := await upstream.readany():
            if upstream.is_eof():
                await response.write_eof(chunk)
                break
            await response.write(chunk)
    except InternalConnectionError:
        # The translator went away mid-stream: say so inside the stream.
        log.warning("translator stream broke mid-answer")
        await response.write(call.dialect.error_event(
            "api_error", "The gateway lost the upstream stream mid-answer; the answer is incomplete. Retry the request.",
            request_id=call.request_id))
        requests_total.inc(call.dialect.name, "broken_stream")
        await response.write_eof()
        return response
    requests_total.inc(call.dialect.name, "200")
    await response.write_eof()
    return response


async def _count_tokens(request: web.Request, ctx: EdgeContext, call: ClientCall) -> web.StreamResponse:
    tried: set[str] = set()
    for _ in range(TRANSLATOR_TRIES):
        translator = ctx.picker.pick(tried)
        if translator is None:
            break
        tried.add(translator.url)
        try:
            result = await _send(request, ctx, call, translator.url, _internal_headers(ctx, call, None))
        except _Unreachable:
            ctx.picker.mark_down(translator.url)
            continue
        if isinstance(result, Verdict):
            if result.client_body is not msgspec.UNSET:
                return _client_body_response(call, result)
            return _verdict_response(call, result)
        return result
    return error_response(call, 503, "No translator is reachable right now; retry shortly.", retry_after=2)
