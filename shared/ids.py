"""Random identifiers for requests, leases, messages and upstream calls.

They need to be unique, not secret, so they come from the process's Mersenne Twister (seeded from
the OS at start) instead of `uuid.uuid4()`, which asks the kernel for fresh bytes on every call — a
system call per id, several per request, and system calls are the dearest thing on the request path.
"""

from __future__ import annotations

import random
import uuid

_bits = random.getrandbits


def random_hex(length: int = 32) -> str:
    """`length` lowercase hex digits (32 = 128 random bits)."""
    return f"{_bits(length * 4):0{length}x}"


def random_uuid() -> str:
    """A version-4 UUID in its usual text form."""
    return str(uuid.UUID(int=_bits(128), version=4))
