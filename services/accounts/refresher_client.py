"""Calls to the refresher's internal API, authenticated with the shared INTERNAL_TOKEN.

- `POST {REFRESHER_URL}/internal/v1/refresh/{account id}` → `{"ok": bool, "account": {...}, "error"?: str}`
- `{METHOD} {REFRESHER_URL}/internal/v1/auth/{tail}` — the login flows (device code start / status /
  claim, Google OAuth start / callback), forwarded as they come.

The refresher writes tokens (and accounts a login creates) to the store itself; accounts answers
with its own view of the account, re-read from the store, so no secret the refresher might return
ever reaches an admin client.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from services.accounts.api_errors import ApiError

REFRESH_PATH = "/internal/v1/refresh/"
AUTH_PATH = "/internal/v1/auth/"
REFRESH_TIMEOUT = aiohttp.ClientTimeout(total=90, connect=5)
# a device-code claim blocks until the user approves (up to 5 minutes, seeds §1.2 EP-Q-15)
AUTH_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=5, sock_read=420)
MAX_JSON_ANSWER = 4 * 1024 * 1024


class RefresherUnavailable(ApiError):
    def __init__(self, base_url: str, detail: str) -> None:
        super().__init__(502, "refresher_unavailable",
                         f"the refresher service is not reachable at {base_url} ({detail}); "
                         "check that it is running and that REFRESHER_URL points at it")


class RefresherClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, internal_token: str) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.internal_token = internal_token

    def headers(self, request_id: str | None = None) -> dict[str, str]:
        headers = {"authorization": f"Bearer {self.internal_token}"}
        if request_id:
            headers["x-request-id"] = request_id
        return headers

    async def refresh(self, account_id: str, *, request_id: str | None = None) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON answer) of a refresh-now request; raises RefresherUnavailable."""
        url = f"{self.base_url}{REFRESH_PATH}{account_id}"
        try:
            async with self.session.post(url, headers=self.headers(request_id), timeout=REFRESH_TIMEOUT) as answer:
                raw = await answer.read()
                status = answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RefresherUnavailable(self.base_url, type(exc).__name__) from None
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            raise RefresherUnavailable(self.base_url, f"answered HTTP {status} without a JSON object")
        return status, body

    def auth_url(self, tail: str, query: str) -> str:
        return f"{self.base_url}{AUTH_PATH}{tail}" + (f"?{query}" if query else "")
