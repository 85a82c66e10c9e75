"""Response headers that every page carries."""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware

log = logging.getLogger(__name__)

# No inline script anywhere: the little JavaScript there is lives in static/js/.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


# Swagger UI (/api/docs/) sets style attributes from its script, so that page allows inline
# styles; its scripts are static files (static/api/), so script-src stays 'self' there. Its
# Function("return this") calls are fallbacks behind globalThis and need no 'unsafe-eval'.
API_DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
# The admin keeps the looser policy it was given with its own pages.
ADMIN_CSP = API_DOCS_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            if not settings.DEBUG:
                response.setdefault("Content-Security-Policy", API_DOCS_CSP)
        elif request.path.startswith("/admin/"):
            if not settings.DEBUG:
                response.setdefault("Content-Security-Policy", ADMIN_CSP)
        else:
            response.setdefault("Content-Security-Policy", CSP)
        return response


HEALTHZ_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answer the container's health check (docker-compose.yml) before anything else looks at the request.

    The check comes from inside the container as http://127.0.0.1:8000/healthz: with DEBUG off
    that Host is not in ALLOWED_HOSTS (400) and plain HTTP is redirected to HTTPS (301), so the
    check would never see a 200. This middleware stands first in MIDDLEWARE and hands exactly that
    path to the healthz view (which still runs `SELECT 1`), before SecurityMiddleware and
    CommonMiddleware read the Host header. The answer carries nothing that depends on the Host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTHZ_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from django.db import DatabaseError
        from django.http import JsonResponse

        from yezhu.views import healthz

        try:
            return healthz(request)
        except DatabaseError:
            return JsonResponse({"status": "error", "database": "unavailable"}, status=503)


class ChineseFirstLocaleMiddleware:
    """Chinese unless the person chose English with the switch in the footer (the language cookie).

    Browsers' Accept-Language is ignored on purpose: an owner's phone set to English (or a WeChat
    browser that says en) must still get the notices and ballot in the language the law is in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import translation

        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class DatabaseUnavailableMiddleware:
    """While the database is away (a restart, a failover), answer 503 "try again" at once.

    A request whose database connection breaks raised OperationalError and gave a bare 500. Nothing
    it did was committed unless it answered success (a ballot's receipt comes only after its
    transaction committed), so the honest answer is "try again": 503 with Retry-After, the API's
    error body for /api/, the error page (which tells a voter how to check their vote) otherwise.
    Django replaces the broken connection on the next request (conn_health_checks), so the site
    serves again as soon as the database is back, without a restart.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError
        from django.http import HttpResponse, JsonResponse
        from django.template.loader import render_to_string
        from django.utils.translation import gettext as _

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        message = _("The service is busy for a moment. Nothing was saved: please try again in a minute.")
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"error": {"code": "try_again", "message": message, "fields": {}}}, status=503
            )
        else:
            response = HttpResponse(render_to_string("500.html"), status=503)
        response["Retry-After"] = "5"
        return response


API_PREFIX = "/api/"


def api_too_large(limit: int):
    """The API's own refusal of an oversized body: JSON 413 `too_large`, never Django's HTML 400."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    from yezhu.api.errors import error_body

    megabytes = max(1, limit // (1024 * 1024))
    return JsonResponse(
        error_body(
            "too_large",
            _("The request body is too large: at most %(mb)s MB. Send a smaller file or split the data.")
            % {"mb": megabytes},
        ),
        status=413,
        json_dumps_params={"ensure_ascii": False},
    )


class ApiBodyLimitMiddleware:
    """An API request whose body is over the limit gets the API's JSON error (413 `too_large`).

    Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE by raising RequestDataTooBig when the
    body is read, which reaches the client as the site's HTML 400 page: a program talking JSON
    gets a page it cannot read. Here the declared length is checked before anything reads the
    body (multipart uploads may be as large as API_MAX_UPLOAD_BYTES, the largest file the API
    takes; anything else DATA_UPLOAD_MAX_MEMORY_SIZE), and a RequestDataTooBig raised later (a
    body that lied about its length) is turned into the same answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _limit(request) -> int | None:
        if request.content_type == "multipart/form-data":
            return settings.API_MAX_UPLOAD_BYTES
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request):
        if request.path.startswith(API_PREFIX):
            limit = self._limit(request)
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if limit is not None and length > limit:
                return api_too_large(limit)
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig

        if request.path.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return api_too_large(self._limit(request) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None


# ---------------------------------------------------------------------------------------------
# The API's lean path
# ---------------------------------------------------------------------------------------------


def is_token_api_request(request) -> bool:
    """An API request that authenticates with `Authorization: Token …`: a program or the owner's
    app, never a browser's session. DRF's token authentication either accepts the token or refuses
    the request (401) before any session is looked at, so the session, CSRF cookie, messages,
    Django's lazy user and allauth's middleware have nothing to do for it."""
    return request.path_info.startswith(API_PREFIX) and request.META.get("HTTP_AUTHORIZATION", "").startswith(
        "Token "
    )


class _SkippedForTokenApi:
    """Mixed into a middleware of Django's: a token API request (`is_token_api_request`) passes
    it by; every other request goes through it unchanged. Subclasses, so that the checks that
    look for Django's middleware (the admin's) still find them.

    The ballot rush spends a few per cent of a cast in middleware that a token request does not
    need (docs/performance.md); the headers every answer carries (security, CSP, frame options)
    and the locale, body limit, database and audit middleware stay on every path."""

    get_response: Any

    def __call__(self, request):
        if is_token_api_request(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class LeanSessionMiddleware(_SkippedForTokenApi, SessionMiddleware):
    """Django's SessionMiddleware; no session for a token API request (DRF reads none for it)."""


class LeanAuthenticationMiddleware(_SkippedForTokenApi, AuthenticationMiddleware):
    """Django's AuthenticationMiddleware; DRF sets `request.user` from the token itself."""


class LeanMessageMiddleware(_SkippedForTokenApi, MessageMiddleware):
    """Django's MessageMiddleware; the API shows no flash messages."""
