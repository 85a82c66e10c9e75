"""The OpenAPI schema (/api/schema/) and its browsable docs page (/api/docs/), with Swagger UI
served from static/api/ (no CDN; the page's JavaScript is a static file, no inline script)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from yezhu.api.errors import exception_handler
from yezhu.api.schema_settings import SCHEMA_SETTINGS


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of /api/v1/ (public: it holds no data)."""

    custom_settings = SCHEMA_SETTINGS
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get_exception_handler(self):
        return exception_handler


@require_GET
def docs(request):
    return render(request, "api/docs.html", {"schema_url": reverse("api:schema")})
