"""Amazon Q (CodeWhisperer streaming, GenerateAssistantResponse): the upstream adapter.

The AWS-JSON flavour (amazonq.md §1.1): POST to the endpoint's `/` with `x-amz-target`, a bearer
token, and the conversation state; the answer is a binary event stream (§3) that is decoded frame by
frame and turned into Anthropic events by `QToAnthropic`. The answer is "started" once a first frame
has been parsed, so a refusal that arrives as the first frame can still fail over.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

import aiohttp
import msgspec
import yarl

from services.translator.anthropic_to_q import build_q_request
from services.translator.q_to_anthropic import QToAnthropic
from services.translator.upstreams.amazonq_errors import classify_q_refusal, outcome_of_failure
from services.translator.upstreams.base import AnswerFailure, UpstreamCall, register_upstream
from shared.ids import random_uuid
from shared.internal import Verdict
from shared.wire.eventstream import EventStreamError
from shared.wire.qevents import QEventDecoder

log = logging.getLogger("q2api.translator.amazonq")

TARGET = "AmazonCodeWhispererStreamingService.GenerateAssistantResponse"
USER_AGENT = "aws-sdk-rust/1.3.9 ua/2.1 api/codewhispererstreaming/0.1.11582 os/linux lang/rust/1.87.0 md/appVersion-1.19.4 app/AmazonQ-For-CLI"
X_AMZ_USER_AGENT = "aws-sdk-rust/1.3.9 ua/2.1 api/codewhispererstreaming/0.1.11582 os/linux lang/rust/1.87.0 m/F app/AmazonQ-For-CLI"
MAX_ERROR_BODY = 64 * 1024
READ_CHUNK = 64 * 1024

_encode = msgspec.json.encode


def endpoint_url(template: str, region: str) -> str:
    return template.replace("{region}", region or "us-east-1")


@functools.lru_cache(maxsize=256)
def _endpoint(template: str, region: str) -> yarl.URL:
    """The parsed endpoint URL (parsed once per template and region, not per request)."""
    return yarl.URL(endpoint_url(template, region))


class QAnswer:
    """A started Amazon Q answer, read frame by frame as the client reads."""

    def __init__(self, response: aiohttp.ClientResponse, decoder: QEventDecoder, machine: QToAnthropic) -> None:
        self.response = response
        self.decoder = decoder
        self.machine = machine
        self.first_events: list[dict] = []
        self._failure: AnswerFailure | None = None
        self._ended = False
        self.frames = 0

    # -- what the handler reads

    @property
    def failure(self) -> AnswerFailure | None:
        return self._failure

    @property
    def has_output(self) -> bool:
        return self.machine.has_output

    @property
    def output_tokens(self) -> int:
        return self.machine.output_tokens

    @property
    def input_tokens(self) -> int:
        return self.machine.input_tokens

    # -- reading

    def _feed(self, chunk: bytes) -> list[dict]:
        events: list[dict] = []
        for event in self.decoder.feed(chunk):
            self.frames += 1
            events.extend(self.machine.feed(event))
            if self.machine.done:
                break
        return events

    def _fail(self, outcome: str, error_type: str, message: str, retry_after: float = 0.0) -> list[dict]:
        self._failure = AnswerFailure(outcome, error_type, message, retry_after)
        self._ended = True
        return self.machine.fail(error_type, message)

    def _after_machine(self, events: list[dict]) -> list[dict]:
        """Close the answer when the machine is done (limit reached, or an exception frame arrived)."""
        failure = self.machine.failure
        if failure is not None:
            error_type, message = failure.anthropic_error()
            return events + self._fail(outcome_of_failure(failure), error_type, message)
        if self.machine.done:
            return events + self._finish()
        return events

    def _finish(self) -> list[dict]:
        """End a clean answer; the machine may still refuse (e.g. a tool call cut before its stop)."""
        self._ended = True
        events = self.machine.finish()
        failure = self.machine.failure
        if failure is not None and self._failure is None:
            error_type, message = failure.anthropic_error()
            self._failure = AnswerFailure(outcome_of_failure(failure), error_type, message)
        return events

    async def read_first(self) -> None:
        """Read until the first frame is parsed (or the upstream fails before it)."""
        while True:
            chunk = await self.response.content.readany()
            if not chunk:
                self.first_events = await self._at_eof([])
                return
            try:
                events = self._feed(chunk)
            except EventStreamError as exc:
                self.first_events = self._fail("upstream_error", "api_error", f"Amazon Q sent a corrupt event stream: {exc}")
                return
            if self.decoder_saw_frames():
                self.first_events = self._after_machine(events)
                return

    def decoder_saw_frames(self) -> bool:
        return self.frames > 0

    async def _at_eof(self, events: list[dict]) -> list[dict]:
        self._ended = True
        try:
            self.decoder.finish()
        except EventStreamError as exc:
            return events + self._fail("upstream_error", "api_error",
                                       f"the connection to Amazon Q ended inside a frame ({exc}); the answer is incomplete")
        if not self.decoder_saw_frames():
            return events + self._fail("upstream_error", "api_error", "Amazon Q returned an empty answer")
        return events + self._finish()

    async def next_events(self) -> list[dict] | None:
        if self._ended:
            return None
        try:
            chunk = await self.response.content.readany()
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            return self._fail("upstream_error", "api_error",
                              f"the connection to Amazon Q broke mid-answer ({type(exc).__name__}); the answer is incomplete")
        except TimeoutError:
            return self._fail("timeout", "api_error", "Amazon Q stopped sending mid-answer (idle timeout); the answer is incomplete")
        if not chunk:
            return await self._at_eof([])
        try:
            events = self._feed(chunk)
        except EventStreamError as exc:
            return self._fail("upstream_error", "api_error", f"Amazon Q sent a corrupt frame ({exc}); the answer is incomplete")
        return self._after_machine(events)

    def more_ready(self) -> bool:
        # After readany() nothing is left in the reader's buffer, so only a reached end (the answer's,
        # or the body's, which arrives with the last bytes) makes the next read immediate.
        return self._ended or self.response.content.is_eof()

    async def close(self) -> None:
        self._ended = True
        if not self.response.closed:
            self.response.close()


class AmazonQ:
    provider = "amazonq"

    async def start(self, call: UpstreamCall) -> QAnswer | Verdict:
        settings = call.settings
        lease = call.lease
        conversion = build_q_request(
            call.request, call.route, conversation_id=random_uuid(),
            profile_arn=lease.profile_arn or None, origin=settings.amazonq_origin,
        )
        if conversion.repairs:
            log.debug("request repaired for Amazon Q", extra={"repairs": list(conversion.repairs)})
        headers = {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": TARGET,
            "authorization": f"Bearer {lease.access_token}",
            "user-agent": USER_AGENT,
            "x-amz-user-agent": X_AMZ_USER_AGENT,
            "amz-sdk-invocation-id": random_uuid(),
            "amz-sdk-request": "attempt=1; max=1",
            "x-amzn-codewhisperer-optout": "true",
            "accept": "application/vnd.amazon.eventstream",
        }
        url = _endpoint(settings.amazonq_api_endpoint, lease.region)
        proxy = lease.proxy_url or settings.http_proxy or None
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.upstream_connect_timeout,
                                        sock_read=settings.upstream_idle_timeout)
        try:
            async with asyncio.timeout(settings.upstream_first_byte_timeout):
                response = await call.session.post(url, data=_encode(conversion.body), headers=headers,
                                                   proxy=proxy, timeout=timeout)
        except TimeoutError:
            return Verdict("upstream_error", f"Amazon Q did not answer within {settings.upstream_first_byte_timeout:.0f}s")
        except aiohttp.ClientError as exc:
            return Verdict("upstream_error", f"could not reach Amazon Q at {url}: {exc}")

        if response.status != 200:
            try:
                body = await response.content.read(MAX_ERROR_BODY)
            except (aiohttp.ClientError, TimeoutError):
                body = b""
            finally:
                response.release()
            return classify_q_refusal(response.status, body, response.headers)

        machine = QToAnthropic(
            message_id=call.message_id,
            model=call.route.upstream_model,
            input_tokens=call.input_tokens,
            max_tokens=call.request.max_tokens,
            stop_sequences=call.request.stop_sequences or (),
            thinking=conversion.thinking,
            client_tool_name=conversion.tool_names.client_name,
        )
        answer = QAnswer(response, QEventDecoder(settings.eventstream_max_frame_bytes), machine)
        start_events = machine.start()
        try:
            async with asyncio.timeout(settings.upstream_first_byte_timeout):
                await answer.read_first()
        except TimeoutError:
            await answer.close()
            return Verdict("upstream_error", "Amazon Q accepted the request but sent nothing in time")
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            await answer.close()
            return Verdict("upstream_error", f"the connection to Amazon Q broke before the answer started: {exc}")
        failure = answer.failure
        if failure is not None and not answer.has_output:
            # Refused in the first frame: nothing reached the client, so another account may serve it.
            with contextlib.suppress(Exception):
                await answer.close()
            outcome = failure.outcome if failure.outcome in ("throttled", "upstream_error") else "upstream_error"
            return Verdict(outcome, failure.message, retry_after=failure.retry_after)
        answer.first_events = start_events + answer.first_events
        return answer


register_upstream(AmazonQ)
