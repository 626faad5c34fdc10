"""The Store protocol and its SQL implementation cannot drift apart."""

from __future__ import annotations

import inspect

from shared.store import SqlStore, Store


def _public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_the_sql_store_has_every_protocol_method_with_the_same_parameters() -> None:
    protocol = _public_methods(Store)
    implementation = _public_methods(SqlStore)

    assert set(protocol) <= set(implementation)
    for name, signature in protocol.items():
        expected = [(p.name, p.kind) for p in signature.parameters.values()]
        actual = [(p.name, p.kind) for p in implementation[name].parameters.values()]
        assert actual == expected, name


def test_every_public_store_method_is_in_the_protocol() -> None:
    extra = set(_public_methods(SqlStore)) - set(_public_methods(Store))
    assert extra == set(), "add these to shared/store/interface.py or make them private"


async def test_an_open_store_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)
