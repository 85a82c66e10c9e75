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

import functools
from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection, transaction

from yezhu import sql

TOKEN_CACHE_SECONDS = 30
_PREFIX = "api-token:"


def cache_key(key_hash: str) -> str:
    return _PREFIX + key_hash


@functools.cache
def _lookup_statement(vendor: str) -> tuple[str, list, list]:
    """The token and its user by the key's hash (unique), written once per vendor: most owners
    use their token once, so the cast pays this on a miss, and the ORM's compile of a join of
    every column of both cost more than the statement (docs/performance.md, issue 19)."""
    from yezhu.accounts.models import ApiToken

    user_model = ApiToken._meta.get_field("user").related_model
    quote = connection.ops.quote_name
    token_select, token_fields = sql.columns(
        ApiToken, [f.attname for f in ApiToken._meta.concrete_fields], "t"
    )
    user_select, user_fields = sql.columns(
        user_model, [f.attname for f in user_model._meta.concrete_fields], "u"
    )
    statement = (
        f"SELECT {token_select}, {user_select} FROM {quote(ApiToken._meta.db_table)} t "  # noqa: S608
        f"JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(user_model._meta.pk.column)} = t.{quote(ApiToken._meta.get_field('user').column)} "
        f"WHERE t.{quote(ApiToken._meta.get_field('key_hash').column)} = %s"
    )
    return statement, token_fields, user_fields


def lookup(key_hash: str):
    """The ApiToken (with its user) of this hash, from the cache or the database; None if none."""
    from yezhu.accounts.models import ApiToken

    token = cache.get(cache_key(key_hash))
    if token is None:
        statement, token_fields, user_fields = _lookup_statement(connection.vendor)
        row = sql.fetch(statement, (key_hash,), (*token_fields, *user_fields))
        if row is not None:
            token = sql.instance(ApiToken, token_fields, row[: len(token_fields)])
            token.user = sql.instance(user_fields[0].model, user_fields, row[len(token_fields) :])
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
