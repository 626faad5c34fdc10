"""Admin password hashing."""

from __future__ import annotations

import pytest

from shared.store import hash_password, verify_password


def test_a_password_verifies_against_its_hash_and_nothing_else() -> None:
    encoded = hash_password("correct horse battery staple")

    assert verify_password("correct horse battery staple", encoded)
    assert not verify_password("correct horse battery stapl", encoded)
    assert not verify_password("", encoded)


def test_hashes_are_salted_and_carry_their_parameters() -> None:
    first, second = hash_password("pw"), hash_password("pw")

    assert first != second
    assert first.startswith("scrypt$n=16384,r=8,p=1$")
    assert "pw" not in first.split("$", 2)[2]


@pytest.mark.parametrize("encoded", [
    "", "plain-text-password", "scrypt$n=16384,r=8,p=1$", "bcrypt$x$y$z",
    "scrypt$n=3,r=8,p=1$c2FsdA$aGFzaA",  # n not a power of two
    "scrypt$n=1073741824,r=8,p=1$c2FsdA$aGFzaA",  # absurd memory cost
    "scrypt$n=16384,r=8,p=1$!!!$aGFzaA",
])
def test_a_malformed_hash_never_matches(encoded: str) -> None:
    assert verify_password("pw", encoded) is False
