"""One HTTP call to a token-ish endpoint: bounded time, optional proxy, failures as TokenError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from services.refresher.errors import TokenError, classify


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]


def proxy_for(proxy_url: str | None, default: str) -> str | None:
    """The account's own proxy, else HTTP_PROXY; aiohttp speaks only http(s) proxies."""
    chosen = proxy_url or default
    return chosen if chosen.startswith(("http://", "https://")) else None


async def call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    upstream: str,
    timeout_s: float,
    proxy: str | None = None,
    json: Any = None,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """The answer whatever its status; a network failure or timeout raises a transient TokenError."""
    try:
        async with session.request(
            method, url, json=json, data=data, headers=headers, proxy=proxy,
            timeout=aiohttp.ClientTimeout(total=timeout_s), allow_redirects=False,
        ) as response:
            body = await response.read()
            return Answer(response.status, body, {k.lower(): v for k, v in response.headers.items()})
    except TimeoutError:
        raise TokenError("transient", f"{upstream} did not answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise TokenError("transient", f"{upstream} is unreachable: {type(exc).__name__}: {exc}") from None


def raise_for_error(answer: Answer, upstream: str) -> None:
    if answer.status >= 400:
        raise classify(answer.status, answer.body, upstream=upstream, retry_after=answer.headers.get("retry-after"))
