"""The edge → translator hop: what edge sends and what the translator answers before the first byte.

Edge POSTs the client's body unchanged to `TRANSLATE_PATH` with:

- `authorization: Bearer <INTERNAL_TOKEN>` (services trust each other through the shared token),
- `x-request-id`,
- `x-q2a-dialect`: the client API (`anthropic`, `openai`),
- `x-q2a-operation`: `generate` or `count_tokens`,
- `x-q2a-lease`: the leased account as JSON (`LeaseGrant`) — absent for `count_tokens`.

The translator answers with header `x-q2a-verdict`:

- `ok`: the upstream accepted the request; the body is the client's response (SSE or JSON) and edge
  relays its bytes unchanged;
- anything else: the upstream refused before any output, and the body is a `Verdict` JSON. Edge fails
  over to another account for `throttled`, `suspended`, `token_expired`, `quota_exhausted` and
  `upstream_error`; for `bad_request` (and `client_error`) it returns the verdict's `client_status` and
  `client_body` — already in the client's dialect — to the client.

The translator has released the lease (with the outcome) by the time a verdict is sent.
"""

from __future__ import annotations

import msgspec

TRANSLATE_PATH = "/internal/v1/translate"

HEADER_DIALECT = "x-q2a-dialect"
HEADER_OPERATION = "x-q2a-operation"
HEADER_LEASE = "x-q2a-lease"
HEADER_VERDICT = "x-q2a-verdict"

VERDICT_OK = "ok"
FAILOVER_VERDICTS = frozenset({"throttled", "suspended", "token_expired", "quota_exhausted", "upstream_error"})


class LeaseGrant(msgspec.Struct, omit_defaults=True):
    lease_id: str
    account_id: str
    provider: str
    access_token: str = ""
    region: str = ""
    profile_arn: str = ""
    project: str = ""
    proxy_url: str = ""
    key_id: str = ""


class Verdict(msgspec.Struct, omit_defaults=True):
    """Why the upstream call did not start, in terms edge can act on."""

    verdict: str  # throttled | suspended | token_expired | quota_exhausted | upstream_error | bad_request | client_error
    message: str
    retry_after: float = 0.0
    upstream_status: int = 0
    client_status: int = 0  # for bad_request / client_error: the status to show the client
    client_body: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET  # …and the body, in the client's dialect


lease_encoder = msgspec.json.Encoder()
lease_decoder = msgspec.json.Decoder(LeaseGrant)
verdict_encoder = msgspec.json.Encoder()
verdict_decoder = msgspec.json.Decoder(Verdict)
