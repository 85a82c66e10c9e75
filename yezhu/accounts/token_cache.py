"""The API token lookup, cached (docs/performance.md: the ballot rush authenticates every cast).

A token is cached under the hash of its key (never the key) for TOKEN_CACHE_SECONDS, with its
user. Every code path that ends tokens (`yezhu.api.tokens.token_create` replacing one by name,
`token_revoke`, `yezhu.accounts.services.tokens_end_at_sign_out`) calls `forget` with the hashes
it deleted, in the same request, so a revoked token stops working at once on every web node (the
cache is the shared Redis). What the TTL bounds is only what no service sees: a user deactivated
or deleted by hand in the admin keeps a cached token working for at most TOKEN_CACHE_SECONDS.
With Redis down the cache misses and every request reads the database, as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

TOKEN_CACHE_SECONDS = 30
_PREFIX = "api-token:"


def cache_key(key_hash: str) -> str:
    return _PREFIX + key_hash


def lookup(key_hash: str):
    """The ApiToken (with its user) of this hash, from the cache or the database; None if none."""
    from yezhu.accounts.models import ApiToken

    token = cache.get(cache_key(key_hash))
    if token is None:
        token = ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
        if token is not None:
            cache.set(cache_key(key_hash), token, TOKEN_CACHE_SECONDS)
    return token


def forget(key_hashes: Iterable[str]) -> None:
    """Drop these tokens from the cache now, and again once the transaction commits: a request
    that read the token from the database just before the delete committed may have cached it
    again in between."""
    keys = [cache_key(h) for h in key_hashes]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
