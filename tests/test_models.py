import pytest

from shared.models import ModelTable, UnknownModelError


@pytest.mark.parametrize(
    ("requested", "provider", "upstream", "family"),
    [
        ("claude-sonnet-4-5-20250929", "amazonq", "claude-sonnet-4.5", False),
        ("claude-sonnet-4-5", "amazonq", "claude-sonnet-4.5", False),
        ("claude-haiku-4-5-20251001", "amazonq", "claude-haiku-4.5", False),
        ("claude-opus-4-5-20251101", "amazonq", "claude-opus-4.5", False),
        ("claude-sonnet-4-20250514", "amazonq", "claude-sonnet-4", False),
        ("claude-3-7-sonnet-latest", "amazonq", "claude-3.7-sonnet", False),
        ("claude-sonnet-4.5", "amazonq", "claude-sonnet-4.5", False),
        ("claude-opus-4-8", "amazonq", "claude-opus-4.5", True),
        ("claude-3-5-haiku-20241022", "amazonq", "claude-haiku-4.5", True),
        ("gemini-2.5-pro", "gemini", "gemini-2.5-pro", False),
    ],
)
def test_client_names_resolve_to_a_provider_and_upstream_id(requested, provider, upstream, family):
    route = ModelTable().resolve(requested)
    assert (route.provider, route.upstream_model, route.family_default) == (provider, upstream, family)


@pytest.mark.parametrize("name", ["gpt-4o", "gemini-9-ultra", "", "llama"])
def test_unknown_names_list_what_is_available(name):
    with pytest.raises(UnknownModelError) as caught:
        ModelTable().resolve(name)
    assert "claude-sonnet-4.5" in str(caught.value) and "MODEL_MAP" in str(caught.value)


def test_operator_overrides_come_first():
    table = ModelTable([("gpt-4o", "claude-sonnet-4.5"), ("claude-opus-4-8", "claude-opus-4.6"), ("g", "gemini:gemini-2.5-pro")])
    assert table.resolve("gpt-4o").upstream_model == "claude-sonnet-4.5"
    assert table.resolve("claude-opus-4-8").upstream_model == "claude-opus-4.6"
    assert table.resolve("g").provider == "gemini"
    assert "gpt-4o" in table.names()
