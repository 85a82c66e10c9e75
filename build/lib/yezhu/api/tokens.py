"""API tokens for programs (a district platform): a signed-in user creates or rotates their own
token with a session request (so a stolen token cannot mint another), and may revoke it.

`Authorization: Token <key>` then authenticates every API request as that user, with exactly the
scope the user has on the pages.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from yezhu.accounts.models import User
from yezhu.api.base import ApiViewMixin
from yezhu.api.throttles import TokenThrottle
from yezhu.audit.log import record, streets_of_user


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as `Authorization: Token <token>`. Shown once; keep it secret."
    )
    created = serializers.DateTimeField()


def token_rotate(*, actor: User) -> Token:
    """Replace the user's token by a new one (the old one stops working at once)."""
    with transaction.atomic():
        replaced = Token.objects.filter(user=actor).delete()[0] > 0
        token = Token.objects.create(user=actor)
        record(
            "api.token_rotated" if replaced else "api.token_created",
            actor=actor,
            summary="API token rotated" if replaced else "API token created",
            data={"replaced": replaced},
            streets=streets_of_user(actor),
        )
    return token


def token_revoke(*, actor: User) -> bool:
    with transaction.atomic():
        deleted = Token.objects.filter(user=actor).delete()[0] > 0
        if deleted:
            record(
                "api.token_revoked",
                actor=actor,
                summary="API token revoked",
                streets=streets_of_user(actor),
            )
    return deleted


class TokenView(ApiViewMixin, APIView):
    """Session only (with its CSRF check): a token cannot be used to make or remove tokens."""

    authentication_classes = [SessionAuthentication]
    throttled_methods = ("POST",)

    def get_throttles(self):
        return [TokenThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        summary="Create or rotate your API token (session sign-in required)",
        tags=["auth"],
        request=None,
        responses={201: TokenSerializer},
    )
    def post(self, request):
        token = token_rotate(actor=request.user)
        return Response(
            TokenSerializer({"token": token.key, "created": token.created}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(summary="Revoke your API token", tags=["auth"], request=None, responses={204: None})
    def delete(self, request):
        token_revoke(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
