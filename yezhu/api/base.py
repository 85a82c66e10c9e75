"""What every API view shares: authentication, the error handler, pagination, filtering, and the
schema class that documents the error body on every operation.

These are set per view (DRF allows it), so the API works whatever REST_FRAMEWORK in settings says.
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination

from yezhu.api.authentication import ApiTokenAuthentication
from yezhu.api.errors import exception_handler
from yezhu.api.permissions import SignedIn


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="A stable word a program can switch on, e.g. not_found, already_voted."
    )
    message = serializers.CharField(help_text="What happened, in the user's language (Chinese first).")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per request field, e.g. {"file": ["第 3 行：…"]}; empty unless the data was invalid.',
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "The data sent is not valid, or a rule refused the action (the message says which).",
    "401": "Not signed in: send a session cookie or `Authorization: Token <key>`.",
    "403": "Signed in but not allowed (or the CSRF token is missing for a session request).",
    "404": "Not found, or outside your scope.",
    "409": "Conflicts with the current state (e.g. this vote was already cast).",
    "413": "The upload is too large.",
    "429": "Too many requests: wait and try again (see Retry-After).",
}


class ApiAutoSchema(AutoSchema):
    """Documents the common error body for 400/401/403/404 on every operation (and 429 where the
    view is throttled), so a client and the contract tests know every refusal's shape."""

    def _error_codes(self) -> list[str]:
        codes = ["400", "401", "403", "404"]
        throttled = getattr(self.view, "throttled_methods", ())
        if self.method in throttled:
            codes.append("429")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = ERROR_DESCRIPTIONS[code]
        for code, response in responses.items():
            if code in ERROR_DESCRIPTIONS and not response.get("description"):
                response["description"] = ERROR_DESCRIPTIONS[code]
        return responses


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ApiViewMixin:
    """Token first, so an anonymous request gets 401 with `WWW-Authenticate: Token`."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [SignedIn]
    pagination_class = ApiPagination
    filter_backends = [DjangoFilterBackend]
    schema = ApiAutoSchema()
    throttled_methods: tuple[str, ...] = ()

    def get_exception_handler(self):
        return exception_handler
