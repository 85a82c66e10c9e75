"""The router every app's API uses: no root view, no format suffixes."""

from rest_framework.routers import DefaultRouter


class Router(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False
