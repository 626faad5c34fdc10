"""A private redis-server for tests, on a free port, never one the tests did not start.

The same launcher the stack launcher uses (q2api.localstack.RedisServer)."""

from __future__ import annotations

from q2api.localstack import RedisServer

__all__ = ["RedisServer"]
