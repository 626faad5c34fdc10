"""The simulator's own knobs, read once from the environment (they are not q2api settings).

Every knob is also changeable at run time through the control API (`PUT /_sim/aws/settings`);
`POST /_sim/reset` puts the values from here back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class SimulatorConfig:
    access_token_lifetime: float = 3600.0  # seconds; AWS OIDC answers expiresIn 3600 (amazonq.md §5)
    rotate_refresh_tokens: bool = False  # whether a refresh_token grant hands out a new refresh token
    unauthorized_status: int = 403  # 403 or 401: both are seen for an invalid bearer token (§4.2, §9)
    emit_initial_response: bool = True  # the AWS-JSON flavour's first frame (§3.5)
    device_expires_in: int = 600  # StartDeviceAuthorization expiresIn (§6)
    device_interval: int = 1  # StartDeviceAuthorization interval (§6)
    slow_down_increment: int = 5  # RFC 8628 §3.5: a slow_down adds 5 s to the interval
    client_secret_lifetime: int = 90 * 86400  # RegisterClient clientSecretExpiresAt - clientIdIssuedAt
    request_log_size: int = 50  # requests kept per user (and 4x that in the global log)
    log_requests: bool = False  # one info line per request, as other services write (python -m only)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SimulatorConfig:
        """`SIMULATOR_<FIELD>` variables, e.g. SIMULATOR_ACCESS_TOKEN_LIFETIME=60."""
        values: dict[str, object] = {}
        for spec in dataclasses.fields(cls):
            raw = env.get("SIMULATOR_" + spec.name.upper())
            if raw is None:
                continue
            values[spec.name] = parse_value(spec.name, spec.type, raw)
        return cls(**values).checked()

    def replaced(self, changes: Mapping[str, object]) -> SimulatorConfig:
        """A copy with `changes` (JSON values from the control API) applied; ValueError names a bad one."""
        known = {spec.name: spec.type for spec in dataclasses.fields(self)}
        values: dict[str, object] = {}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
            values[name] = parse_value(name, known[name], value)
        return dataclasses.replace(self, **values).checked()

    def checked(self) -> SimulatorConfig:
        if self.unauthorized_status not in (401, 403):
            raise ValueError("unauthorized_status must be 401 or 403")
        for name in ("access_token_lifetime", "device_expires_in", "client_secret_lifetime", "request_log_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.device_interval < 0 or self.slow_down_increment < 0:
            raise ValueError("device_interval and slow_down_increment must not be negative")
        return self


def parse_value(name: str, kind: object, raw: object) -> object:
    """`raw` (environment text or a JSON value) as the field's type."""
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind_name == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if kind_name == "int":
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
            if value != int(value):
                raise ValueError
            return int(value)
        if kind_name == "float":
            if isinstance(raw, bool):
                raise ValueError
            return float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {kind_name}, got {raw!r}") from None
    raise ValueError(f"{name}: unsupported type {kind_name}")
