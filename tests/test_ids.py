"""Random identifiers (shared/ids.py)."""

from __future__ import annotations

import re
import uuid

from shared.ids import random_hex, random_uuid


def test_hex_ids_have_the_asked_length_and_do_not_repeat():
    ids = {random_hex() for _ in range(10_000)}
    assert len(ids) == 10_000 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert re.fullmatch(r"[0-9a-f]{24}", random_hex(24))


def test_uuids_are_version_4_and_distinct():
    values = {random_uuid() for _ in range(1000)}
    assert len(values) == 1000
    for value in list(values)[:10]:
        parsed = uuid.UUID(value)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122 and str(parsed) == value
