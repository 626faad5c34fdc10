"""What every upstream adapter provides: start an answer, then yield it as Anthropic stream events.

Anthropic Messages is the hub: every upstream answer is turned into Anthropic stream events (plain
dicts with a `type`), and every client dialect is written from those events. An adapter is one module
in this package that registers itself with `register_upstream`; nothing else lists the upstreams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from shared.internal import LeaseGrant, Verdict
from shared.models import ModelRoute
from shared.schemas import anthropic
from shared.settings import Settings


@dataclass
class UpstreamCall:
    """One request to an upstream, as the adapter needs it."""

    request: anthropic.MessagesRequest
    route: ModelRoute
    lease: LeaseGrant
    request_id: str
    message_id: str
    input_tokens: int
    session: aiohttp.ClientSession
    settings: Settings


@dataclass
class AnswerFailure:
    """How an answer that had started ended badly: the release outcome and what to tell the client."""

    outcome: str  # release outcome: throttled | upstream_error | timeout | …
    error_type: str  # the client-facing error type (Anthropic vocabulary: overloaded_error, api_error, …)
    message: str
    retry_after: float = 0.0


class Answer(Protocol):
    """An upstream answer that has started (the upstream accepted the request)."""

    first_events: list[dict]  # events available at start (message_start, first content)

    async def next_events(self) -> list[dict] | None:
        """The next events, or None at the end. After a failure, the events include one `error` event."""

    def more_ready(self) -> bool:
        """`next_events()` would return without waiting for the upstream (its bytes, or its end, are
        already here): the handler then sends the events so far together with the next ones."""

    @property
    def failure(self) -> AnswerFailure | None: ...

    @property
    def has_output(self) -> bool: ...

    @property
    def output_tokens(self) -> int: ...

    @property
    def input_tokens(self) -> int: ...

    async def close(self) -> None:
        """Stop reading and release the upstream connection (idempotent)."""


class Upstream(Protocol):
    provider: str

    async def start(self, call: UpstreamCall) -> Answer | Verdict:
        """Send the request; return the started answer, or a verdict when the upstream refused it.

        Raises `ConversionError` when the request cannot be expressed for this upstream.
        """


@dataclass
class UpstreamRegistry:
    adapters: dict[str, Upstream] = field(default_factory=dict)

    def register(self, adapter: Upstream) -> Upstream:
        self.adapters[adapter.provider] = adapter
        return adapter

    def get(self, provider: str) -> Upstream | None:
        return self.adapters.get(provider)


UPSTREAMS = UpstreamRegistry()


def register_upstream(factory: Callable[[], Upstream]) -> Callable[[], Upstream]:
    UPSTREAMS.register(factory())
    return factory
