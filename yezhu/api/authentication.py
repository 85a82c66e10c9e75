"""`Authorization: Token <key>`: the API token of yezhu.accounts.models.ApiToken (see yezhu/api/tokens.py)."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from yezhu.accounts import token_cache


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenAuthentication(TokenAuthentication):
    """Checked against the stored hash; an expired token (or an inactive user's) is refused. One
    cache read (the database on a miss: yezhu/accounts/token_cache.py), nothing written: the
    ballot rush authenticates every cast this way."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = token_cache.lookup(hash_key(key))
        if token is None or (token.expires_at is not None and token.expires_at <= now):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
