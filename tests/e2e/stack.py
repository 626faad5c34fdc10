"""The whole q2api stack on loopback for end-to-end tests (see `q2api.localstack`, shared with the
benchmarks), plus the constants the e2e tests use."""

from __future__ import annotations

import base64

from q2api.localstack import *  # noqa: F403
from q2api.localstack import ADMIN_PASSWORD, RedisServer, Service, Stack

__all__ = ["ADMIN_PASSWORD", "PIXEL", "RedisServer", "Service", "Stack"]

# 1x1 PNG
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)).decode()
