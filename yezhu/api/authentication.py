"""`Authorization: Token <key>` or `Authorization: Bearer <key>`: the API token of
yezhu.accounts.models.ApiToken (see yezhu/api/tokens.py).

Both words name the same key: `Token` is what the API has always taken, `Bearer` is what the
schema declares (an HTTP bearer scheme), so a client generated from /api/schema/ works as it is."""

from __future__ import annotations

import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from yezhu.accounts import token_cache

KEYWORDS = ("token", "bearer")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenAuthentication(TokenAuthentication):
    """Checked against the stored hash; an expired token (or an inactive user's) is refused. One
    cache read (the database on a miss: yezhu/accounts/token_cache.py), nothing written: the
    ballot rush authenticates every cast this way."""

    keyword = "Token"

    def authenticate(self, request):
        auth = get_authorization_header(request).split()
        if not auth or auth[0].lower().decode(errors="replace") not in KEYWORDS:
            return None
        # DRF's own messages (and their translations) for a malformed header.
        if len(auth) == 1:
            raise exceptions.AuthenticationFailed(_("Invalid token header. No credentials provided."))
        if len(auth) > 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain spaces.")
            )
        try:
            key = auth[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header. Token string should not contain invalid characters.")
            ) from error
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key):
        now = timezone.now()
        token = token_cache.lookup(hash_key(key))
        if token is None or (token.expires_at is not None and token.expires_at <= now):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token as the schema declares it: HTTP bearer, what generated clients send."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from POST /api/v1/auth/token/, sent as "
            "`Authorization: Bearer <key>` (`Authorization: Token <key>` is taken too).",
        }
