"""Routes of the API (mounted at /api/ by yezhu/urls.py; namespace "api").

Each app's endpoints are in its own `api` module (grids.api, elections.api.urls), included here by
name, so this plumbing imports no domain app.
"""

from django.urls import include, path, re_path

from yezhu.api import docs
from yezhu.api.errors import not_found
from yezhu.api.tokens import TokenDetailView, TokenListView, TokenView

app_name = "api"

v1 = [
    path("", include("grids.api")),
    path("", include("elections.api.urls")),
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", TokenListView.as_view(), name="token-list"),
    path("auth/tokens/<int:pk>/", TokenDetailView.as_view(), name="token-detail"),
    re_path(r"^[\s\S]*$", not_found),  # last: the JSON 404 for everything else under /api/v1/
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
]
