"""API tokens for programs (a district platform, a script): made by a signed-in person with a
session request (so a stolen token cannot mint another), listed and revoked by their owner.

`Authorization: Token <key>` then authenticates every API request as that user, with exactly the
scope the user has on the pages. Only a hash of the key is stored (`ApiToken.key_hash`).

A token ends when its owner signs out (`yezhu.accounts.services.tokens_end_at_sign_out`, on
Django's `user_logged_out`)
and at the latest when a session would (SESSION_COOKIE_AGE): a token made from a borrowed phone
does not outlive the sign-in it came from. Staff (who sign in with password and code) may make a
*long-lived* token for a program: it survives sign-out and lives until revoked.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from yezhu.accounts import token_cache
from yezhu.accounts.models import ApiToken, User
from yezhu.api.authentication import hash_key
from yezhu.api.base import ApiViewMixin
from yezhu.api.throttles import TokenThrottle
from yezhu.audit.log import record, streets_of_user

# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def may_make_long_lived(user) -> bool:
    """Staff (the admin flag or a staff role): they sign in with password and code."""
    from yezhu.accounts.adapter import signs_in_with_password

    return signs_in_with_password(user)


def token_create(*, actor: User, name: str = "default", long_lived: bool = False) -> tuple[ApiToken, str]:
    """Make a token (a token of the same name is replaced: the old key stops working at once).
    Returns the token and its key, which is shown this once."""
    name = (name or "default").strip()[:60] or "default"
    if long_lived and not may_make_long_lived(actor):
        raise exceptions.PermissionDenied(_("Only staff may make a token that survives signing out."))
    key = secrets.token_hex(20)
    with transaction.atomic():
        old = list(ApiToken.objects.filter(user=actor, name=name).values_list("key_hash", flat=True))
        replaced = ApiToken.objects.filter(user=actor, name=name).delete()[0] > 0
        token_cache.forget(old)
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            key_hash=hash_key(key),
            prefix=key[:8],
            long_lived=long_lived,
            expires_at=None
            if long_lived
            else timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE),
        )
        record(
            "api.token_rotated" if replaced else "api.token_created",
            actor=actor,
            summary=("API token rotated" if replaced else "API token created") + f": {name}",
            data={"replaced": replaced, "token": token.pk, "name": name, "long_lived": long_lived},
            streets=streets_of_user(actor),
        )
    return token, key


def token_revoke(*, actor: User, token_id: int | None = None, reason: str = "revoked") -> int:
    """Revoke one of the actor's tokens (or all of them); the number revoked."""
    with transaction.atomic():
        tokens = ApiToken.objects.filter(user=actor)
        if token_id is not None:
            tokens = tokens.filter(pk=token_id)
        gone = list(tokens.values_list("pk", "name", "key_hash"))
        tokens.delete()
        token_cache.forget(key_hash for _pk, _name, key_hash in gone)
        if gone:
            record(
                "api.token_revoked",
                actor=actor,
                summary=f"API token revoked ({reason}): " + ", ".join(name for _pk, name, _hash in gone),
                data={"tokens": [pk for pk, _name, _hash in gone], "reason": reason},
                streets=streets_of_user(actor),
            )
    return len(gone)


# ---------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown once; keep it secret."
    )
    name = serializers.CharField()
    long_lived = serializers.BooleanField()
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField(allow_null=True)


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=60, default="default")
    long_lived = serializers.BooleanField(
        required=False, default=False, help_text="Survives signing out (staff only, for a program)."
    )


class TokenListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the key, to recognise it.")
    long_lived = serializers.BooleanField()
    created = serializers.DateTimeField(source="created_at")
    expires = serializers.DateTimeField(source="expires_at", allow_null=True)


class TokenView(ApiViewMixin, APIView):
    """Session only (with its CSRF check): a token cannot be used to make or remove tokens."""

    authentication_classes = [SessionAuthentication]
    throttled_methods = ("POST",)

    def get_throttles(self):
        return [TokenThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        summary="Create (or, by name, rotate) an API token (session sign-in required)",
        tags=["auth"],
        request=TokenCreateSerializer,
        responses={201: TokenSerializer},
    )
    def post(self, request):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = token_create(
            actor=request.user, name=data.validated_data["name"], long_lived=data.validated_data["long_lived"]
        )
        return Response(
            TokenSerializer(
                {
                    "id": token.pk,
                    "token": key,
                    "name": token.name,
                    "long_lived": token.long_lived,
                    "created": token.created_at,
                    "expires": token.expires_at,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="Revoke all your API tokens", tags=["auth"], request=None, responses={204: None})
    def delete(self, request):
        token_revoke(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(ApiViewMixin, APIView):
    """Your tokens (never their keys). A token may list them too: it shows its owner what exists."""

    pagination_class = None
    queryset = ApiToken.objects.none()  # for the schema: the list is the user's own

    @extend_schema(
        summary="List your API tokens", tags=["auth"], responses={200: TokenListSerializer(many=True)}
    )
    def get(self, request):
        tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
        return Response(TokenListSerializer(tokens, many=True).data)


class TokenDetailView(ApiViewMixin, APIView):
    """Revoke one of your tokens: with the session, or with any of your tokens (a leaked one can be
    ended from the program that still holds a good one)."""

    queryset = ApiToken.objects.none()  # for the schema: the token is one of the user's own

    @extend_schema(
        summary="Revoke one of your API tokens", tags=["auth"], request=None, responses={204: None}
    )
    def delete(self, request, pk: int):
        if not token_revoke(actor=request.user, token_id=pk):
            raise exceptions.NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
