import pytest

from shared.settings import SettingsError, load_settings, settings_env, settings_markdown


def test_defaults_load_from_an_empty_environment():
    settings = load_settings({})
    assert settings.port == 8000
    assert settings.amazonq_api_endpoint == "https://q.us-east-1.amazonaws.com/"
    assert settings.amazonq_oidc_endpoint == "https://oidc.us-east-1.amazonaws.com"
    assert settings.enable_console is True
    assert settings.openai_keys == ()
    assert settings.token_count_multiplier == 1.0


def test_seed_names_are_read():
    settings = load_settings({
        "PORT": "9000", "OPENAI_KEYS": " a, b ,,c ", "ENABLE_CONSOLE": "disabled", "MAX_ERROR_COUNT": "5",
        "TOKEN_COUNT_MULTIPLIER": "1.5", "LAZY_ACCOUNT_POOL_ENABLED": "yes", "LAZY_ACCOUNT_POOL_ORDER_BY": "success_count",
        "HTTP_PROXY": "http://127.0.0.1:3128", "DATABASE_URL": "postgres://u:p@h:5432/db",
    })
    assert settings.port == 9000
    assert settings.openai_keys == ("a", "b", "c")
    assert settings.enable_console is False
    assert settings.max_error_count == 5
    assert settings.token_count_multiplier == 1.5
    assert settings.lazy_account_pool_enabled is True
    assert settings.lazy_account_pool_order_by == "success_count"
    assert settings.database_url.startswith("postgres://")


def test_upstream_endpoints_accept_region_placeholder_and_loopback_prefixes():
    settings = load_settings({
        "AMAZONQ_API_ENDPOINT": "https://q.{region}.amazonaws.com/",
        "AMAZONQ_OIDC_ENDPOINT": "http://127.0.0.1:9999/oidc",
        "GEMINI_CODE_ASSIST_ENDPOINT": "http://127.0.0.1:9999/codeassist",
    })
    assert settings.amazonq_api_endpoint == "https://q.{region}.amazonaws.com/"
    assert settings.amazonq_oidc_endpoint == "http://127.0.0.1:9999/oidc"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORT", "abc", "PORT='abc': expected an integer from 1 to 65535"),
        ("PORT", "70000", "PORT='70000': expected an integer from 1 to 65535"),
        ("ENABLE_CONSOLE", "maybe", "ENABLE_CONSOLE='maybe': expected true/false"),
        ("AMAZONQ_API_ENDPOINT", "q.amazonaws.com", "AMAZONQ_API_ENDPOINT='q.amazonaws.com': expected a URL"),
        ("GEMINI_API_ENDPOINT", "https://{zone}.x", "placeholders are not accepted here"),
        ("AMAZONQ_API_ENDPOINT", "https://q.{zone}.x", "the only placeholder accepted is {region}"),
        ("DATABASE_URL", "mysql://u@h/db", "DATABASE_URL='mysql://u@h/db': expected empty"),
        ("LAZY_ACCOUNT_POOL_ORDER_BY", "random", "expected one of: created_at, id, success_count"),
        ("TOKEN_COUNT_MULTIPLIER", "nan", "expected a number"),
        ("MODEL_MAP", "claude-x", "expected comma-separated name=target pairs"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_it_accepts(name, value, expected):
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    assert expected in str(caught.value)


def test_secret_values_are_not_echoed_in_errors():
    with pytest.raises(SettingsError) as caught:
        load_settings({"HTTP_PROXY": "not a url", "OPENAI_KEYS": "sk-secret"})
    assert "sk-secret" not in str(caught.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        load_settings({"PORT": "x", "MAX_ERROR_COUNT": "0"})
    assert "PORT" in str(caught.value) and "MAX_ERROR_COUNT" in str(caught.value)


def test_settings_env_reproduces_the_settings():
    original = load_settings({"OPENAI_KEYS": "a,b", "MODEL_MAP": "x=y,z=w", "ENABLE_CONSOLE": "false"})
    assert load_settings(settings_env(original)) == original


def test_readme_settings_table_is_generated_from_the_settings():
    readme = open("README.md", encoding="utf-8").read()
    begin, end = "<!-- settings:begin -->\n", "<!-- settings:end -->"
    assert begin in readme and end in readme, "README.md lost its settings markers"
    table = readme.split(begin, 1)[1].split(end, 1)[0]
    assert table == settings_markdown(), "README settings table is stale: run `.venv/bin/q2api settings --markdown`"
