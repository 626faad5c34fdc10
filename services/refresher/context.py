"""What every part of the refresher works with: settings, policy, store, Redis, the HTTP session, and
the named ways to reach an upstream or publish an account into the pool."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from services.refresher.google_oauth import GoogleOAuthClient
from services.refresher.http import proxy_for
from services.refresher.oidc import OidcClient, oidc_base
from services.refresher.policy import RefresherPolicy
from shared.redis.account_sync import sync_account
from shared.redis.pool import AccountPool
from shared.settings import Settings
from shared.store import Account, CredentialCipher, Store, parse_credentials_key
from shared.store.crypto import load_or_create_key_file


def credentials_key(settings: Settings) -> bytes:
    """The key the store seals credentials with; the refresher seals login secrets in Redis with it too."""
    if settings.credentials_key:
        return parse_credentials_key(settings.credentials_key)
    return load_or_create_key_file(Path(settings.data_dir))


@dataclass
class RefresherContext:
    settings: Settings
    policy: RefresherPolicy
    store: Store
    redis: aioredis.Redis
    pool: AccountPool
    session: aiohttp.ClientSession
    cipher: CredentialCipher

    def oidc(self, region: str | None, proxy_url: str | None = None) -> OidcClient:
        return OidcClient(self.session, oidc_base(self.settings.amazonq_oidc_endpoint, region),
                          timeout=self.policy.token_http_timeout,
                          proxy=proxy_for(proxy_url, self.settings.http_proxy))

    def google(self, proxy_url: str | None = None) -> GoogleOAuthClient:
        return GoogleOAuthClient(self.session, self.settings.google_oauth_endpoint,
                                 timeout=self.policy.token_http_timeout,
                                 proxy=proxy_for(proxy_url, self.settings.http_proxy))

    async def publish(self, account: Account, access_token: str | None) -> None:
        """Write the store's view of `account` into the Redis pool (always after the store write)."""
        settings = self.settings
        await sync_account(self.pool, account, access_token,
                           order_by=settings.lazy_account_pool_order_by,
                           descending=settings.lazy_account_pool_order_desc,
                           default_max_concurrency=settings.account_max_concurrency)

    def seal(self, value: str, context: str) -> str:
        return self.cipher.encrypt(value, context=context)

    def unseal(self, value: str, context: str) -> str:
        return self.cipher.decrypt(value, context=context)
