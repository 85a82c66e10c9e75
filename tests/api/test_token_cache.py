"""The cached token lookup (yezhu/accounts/token_cache.py): a token is read from the cache after
its first use, and every way of ending a token stops it at once, cached or not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import UserFactory
from yezhu.accounts import token_cache
from yezhu.accounts.services import tokens_end_at_sign_out
from yezhu.api.authentication import hash_key
from yezhu.api.tokens import token_create, token_revoke

URL = "/api/v1/auth/tokens/"


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _used(key: str) -> APIClient:
    """A client whose token has been used once, so the token is in the cache."""
    client = _client(key)
    assert client.get(URL).status_code == 200
    return client


@pytest.mark.django_db
def test_it_reads_a_used_token_from_the_cache():
    """After the first request the token (and its user) come from the cache: no token query."""
    _token, key = token_create(actor=UserFactory())
    client = _used(key)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    assert not [q for q in queries if '"accounts_apitoken"."key_hash" =' in q["sql"]]
    assert len(queries) > 0  # the list itself is read


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_revoked_token_at_once():
    """Revoked by its owner: the next request is 401, though the token was in the cache."""
    user = UserFactory()
    _token, key = token_create(actor=user)
    client = _used(key)
    token_revoke(actor=user)
    assert client.get(URL).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_it_stops_one_revoked_token_and_keeps_the_others():
    user = UserFactory()
    kept, kept_key = token_create(actor=user, name="kept")
    gone, gone_key = token_create(actor=user, name="gone")
    gone_client, kept_client = _used(gone_key), _used(kept_key)
    token_revoke(actor=user, token_id=gone.pk)
    assert gone_client.get(URL).status_code == 401
    assert kept_client.get(URL).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_token_replaced_by_name():
    """Rotating a token by name ends the old key at once."""
    user = UserFactory()
    _token, old_key = token_create(actor=user)
    client = _used(old_key)
    token_create(actor=user)
    assert client.get(URL).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_it_stops_a_token_ended_at_sign_out():
    user = UserFactory()
    _token, key = token_create(actor=user)
    client = _used(key)
    assert tokens_end_at_sign_out(actor=user) == 1
    assert client.get(URL).status_code == 401


@pytest.mark.django_db
def test_it_forgets_nothing_it_was_not_told_to():
    """The cache entry is keyed by the hash of the key, never by the key itself."""
    _token, key = token_create(actor=UserFactory())
    _used(key)
    from django.core.cache import cache

    assert cache.get(token_cache.cache_key(hash_key(key))) is not None
    assert cache.get(token_cache.cache_key(key)) is None
