"""One error body for every refusal of the API, in the user's language (Chinese first).

    {"error": {"code": "not_found", "message": "未找到。", "fields": {}}}

`code` is a stable English word a program can switch on; `message` is a sentence a person can act
on; `fields` maps a request field to its list of messages (validation errors only, else empty).
Service errors (`yezhu.errors.DomainError` and its subclasses in each app) keep their own code,
status and message: `AlreadyVoted` is 409 `already_voted` (it says when, how and by whom the vote
was cast), any other `ElectionError` is 400 `refused` (or the code of the rule that refused it),
`RollError` is 409, a roll file with bad rows is 400 with every "第 N 行：…" line under `fields.file`.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

from yezhu.errors import DomainError


class ApiError(exceptions.APIException):
    """A refusal decided by the API itself, with its own code, status and message."""

    def __init__(
        self, message: str, *, code: str, status_code: int = status.HTTP_400_BAD_REQUEST, fields=None
    ):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested validation detail as {"field": ["message", …]}; nested keys joined with dots."""
    fields: dict[str, list[str]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                fields.setdefault(prefix or "non_field_errors", []).extend(str(v) for v in value)
            else:
                for i, inner in enumerate(value):
                    walk(f"{prefix}.{i}" if prefix else str(i), inner)
        else:
            fields.setdefault(prefix or "non_field_errors", []).append(str(value))

    walk("", detail)
    return fields


def _standard(exc: exceptions.APIException) -> tuple[str, str, dict]:
    """(code, message, fields) for DRF's own exceptions, with our own Chinese sentences."""
    if isinstance(exc, exceptions.ValidationError):
        return "invalid", _("Some of the data sent is not valid; see the fields."), _flatten(exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated):
        return "not_authenticated", _("Please sign in first, or send your API token."), {}
    if isinstance(exc, exceptions.AuthenticationFailed):
        return "authentication_failed", _("The sign-in or the API token is not valid."), {}
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        return (
            "csrf_failed",
            _("The form has expired or the CSRF token is missing. Reload the page and try again."),
            {},
        )
    if isinstance(exc, exceptions.PermissionDenied):
        default = exceptions.PermissionDenied.default_detail
        message = str(exc.detail)
        if message == str(default):
            message = _("You may not do this.")
        return "permission_denied", message, {}
    if isinstance(exc, exceptions.NotFound):
        return "not_found", _("Not found, or you may not see it."), {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "method_not_allowed", _("This address does not accept this method."), {}
    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait
        if wait is None:
            return "throttled", _("Too many requests. Please wait a moment and try again."), {}
        return (
            "throttled",
            _("Too many requests. Please try again in %(seconds)s seconds.")
            % {"seconds": max(1, math.ceil(wait))},
            {},
        )
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return (
            "unsupported_media_type",
            _("The request body is in a format this address does not accept."),
            {},
        )
    if isinstance(exc, exceptions.ParseError):
        return "parse_error", _("The request body could not be read (malformed JSON or form data)."), {}
    if isinstance(exc, exceptions.NotAcceptable):
        return "not_acceptable", _("This address cannot answer in the format asked for."), {}
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
    return code, str(exc.detail), {}


def exception_handler(exc, context):
    """DRF's exception handler giving `{"error": {...}}` for every refusal and service error."""
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, ApiError):
        return Response(
            error_body(exc.error_code, str(exc.detail), exc.fields), status=exc.status_code, headers=headers
        )
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.public_message(), exc.fields), status=exc.status)
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handling and logging

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    code, message, fields = _standard(exc)
    return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)


@csrf_exempt  # a POST to an unknown path is a 404 in JSON, not Django's HTML CSRF page
def not_found(request, *args, **kwargs):
    """Any other address under /api/v1/ (an id that is not a number, a misspelt path): the JSON 404."""
    return JsonResponse(error_body("not_found", _("Not found, or you may not see it.")), status=404)
