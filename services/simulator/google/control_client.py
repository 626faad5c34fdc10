"""A small typed client for the ``/_sim/google/…`` control routes, for tests and the demo.

Works with anything that has aiohttp's ``request(method, url, **kwargs)`` — an ``aiohttp.ClientSession``
with ``base_url`` set to the simulator, or pytest-aiohttp's ``TestClient`` — so end-to-end tests of the
gateway can set the Google side up in the same words as this package's own tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class _Http(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class SimUser:
    user_id: str
    email: str
    refresh_token: str
    client_id: str
    project_id: str | None
    access_token: str | None = None


class GoogleControl:
    def __init__(self, http: _Http, base: str = "") -> None:
        self.http = http
        self.base = base.rstrip("/")

    async def _call(self, method: str, path: str, payload: dict[str, Any] | None = None,
                    params: dict[str, str] | None = None) -> Any:
        response = await self.http.request(method, f"{self.base}/_sim/google/{path}", json=payload, params=params)
        body = await response.json()
        if response.status >= 400:
            raise RuntimeError(f"simulator control {method} {path}: {response.status} {body}")
        return body

    async def create_user(self, **settings: Any) -> SimUser:
        """See control.create_user for the settings (onboarded, issue_access_token, tier_id, …)."""
        body = await self._call("POST", "users", settings)
        return SimUser(body["user_id"], body["email"], body["refresh_token"], body["client_id"], body["project_id"],
                       body.get("access_token"))

    async def access_token(self, user_id: str, lifetime_s: float | None = None) -> str:
        payload = {"lifetime_s": lifetime_s} if lifetime_s is not None else {}
        return (await self._call("POST", f"users/{user_id}/access_token", payload))["access_token"]

    async def user(self, user_id: str) -> dict[str, Any]:
        return await self._call("GET", f"users/{user_id}")

    async def update_user(self, user_id: str, **settings: Any) -> dict[str, Any]:
        return await self._call("PATCH", f"users/{user_id}", settings)

    async def create_api_key(self, **settings: Any) -> str:
        return (await self._call("POST", "api_keys", settings))["api_key"]

    async def revoke(self, *, refresh_token: str | None = None, user_id: str | None = None) -> int:
        payload = {"refresh_token": refresh_token} if refresh_token else {"user_id": user_id}
        return (await self._call("POST", "revoke", payload))["revoked"]

    async def expire(self, *, access_token: str | None = None, user_id: str | None = None) -> int:
        payload = {"access_token": access_token} if access_token else {"user_id": user_id}
        return (await self._call("POST", "expire", payload))["expired"]

    async def register_client(self, client_id: str, client_secret: str) -> None:
        await self._call("POST", "clients", {"client_id": client_id, "client_secret": client_secret})

    async def fault(self, principal: str, fault: str, *, times: int | None = None, **params: Any) -> None:
        payload: dict[str, Any] = {"principal": principal, "fault": fault, "params": params}
        if times is not None:
            payload["times"] = times
        await self._call("POST", "faults", payload)

    async def clear_faults(self, principal: str | None = None) -> None:
        await self._call("DELETE", "faults", params={"principal": principal} if principal else None)

    async def script(self, principal: str, *entries: dict[str, Any]) -> int:
        return (await self._call("POST", "scripts", {"principal": principal, "entries": list(entries)}))["queued"]

    async def quota(self, principal: str, limit: int | None, *, model: str = "*", reason: str = "QUOTA_EXHAUSTED",
                    window_s: float = 86400) -> None:
        await self._call("POST", "quota", {"principal": principal, "model": model, "limit": limit, "reason": reason,
                                           "window_s": window_s})

    async def requests(self, **filters: str) -> list[dict[str, Any]]:
        return (await self._call("GET", "requests", params=filters))["requests"]

    async def configure(self, **settings: Any) -> dict[str, Any]:
        return await self._call("POST", "config", settings)

    async def reset(self) -> None:
        await self._call("POST", "reset")
