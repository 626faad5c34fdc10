"""When tokens expire and when they are refreshed: expiry sources, jitter, lead caps, the lazy window."""

from __future__ import annotations

import base64

import orjson

from services.refresher.oidc import oidc_base
from services.refresher.schedule import kept_warm
from services.refresher.tokens import expiry_of, refresh_due


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256'})}.{part(claims)}.signature"


def test_expiry_comes_from_expires_in_then_the_jwt_exp_else_is_unknown():
    now = 1_000.0
    token = _jwt({"exp": 5_000, "iat": 900})
    assert expiry_of(token, 3600, now) == 4_600.0
    assert expiry_of(token, None, now) == 5_000.0
    assert expiry_of("aoaAAAAopaque-token", None, now) is None
    assert expiry_of("not.a.jwt", None, now) is None


def test_refresh_is_due_one_lead_time_plus_a_stable_jitter_before_expiry():
    dues = [refresh_due(f"acct-{i}", 10_000.0, lead=300, jitter_fraction=0.2) for i in range(20)]
    assert all(10_000 - 360 <= due <= 10_000 - 300 for due in dues)
    assert len(set(dues)) == 20, "accounts expiring together are spread out"
    assert refresh_due("acct-1", 10_000.0, lead=300, jitter_fraction=0.2) == dues[1], "every replica agrees"


def test_a_lead_longer_than_the_token_lives_is_capped_at_half_its_lifetime():
    due = refresh_due("a", 1_180.0, lead=300, jitter_fraction=0.2, issued_at=1_000.0)
    assert due == 1_090.0


def test_the_oidc_region_fills_the_placeholder_or_the_default_aws_host():
    assert oidc_base("https://oidc.{region}.amazonaws.com", "eu-west-1") == "https://oidc.eu-west-1.amazonaws.com"
    assert oidc_base("https://oidc.us-east-1.amazonaws.com", "eu-west-1") == "https://oidc.eu-west-1.amazonaws.com"
    assert oidc_base("https://oidc.us-east-1.amazonaws.com/", None) == "https://oidc.us-east-1.amazonaws.com"
    assert oidc_base("http://127.0.0.1:9/oidc", "eu-west-1") == "http://127.0.0.1:9/oidc"


async def test_lazy_pool_keeps_only_its_window_and_reserve_warm(store, settings_for):
    accounts = []
    for i in range(5):
        accounts.append(await store.create_account("amazonq", refresh_token=f"rt-{i}", client_id="c",
                                                   client_secret="s", created_at=1_000.0 + i))
    gemini = await store.create_account("gemini", refresh_token="g-rt", created_at=1_000.0)
    disabled = await store.create_account("amazonq", refresh_token="rt-x", enabled=False, created_at=900.0)
    await store.create_account("gemini_api", api_key="k" * 20, created_at=900.0)
    everyone = await store.list_accounts()

    lazy = settings_for(LAZY_ACCOUNT_POOL_ENABLED="true", LAZY_ACCOUNT_POOL_SIZE="1",
                        LAZY_ACCOUNT_POOL_REFRESH_OFFSET="1")
    assert {a.id for a in kept_warm(everyone, lazy)} == {accounts[0].id, accounts[1].id, gemini.id}

    newest_first = settings_for(LAZY_ACCOUNT_POOL_ENABLED="true", LAZY_ACCOUNT_POOL_SIZE="2",
                                LAZY_ACCOUNT_POOL_REFRESH_OFFSET="0", LAZY_ACCOUNT_POOL_ORDER_DESC="true")
    assert {a.id for a in kept_warm(everyone, newest_first)} == {accounts[4].id, accounts[3].id, gemini.id}

    everything = {a.id for a in kept_warm(everyone, settings_for())}
    assert everything == {a.id for a in accounts} | {gemini.id}
    assert disabled.id not in everything
