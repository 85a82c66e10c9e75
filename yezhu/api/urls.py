"""Routes of the API (mounted at /api/ by yezhu/urls.py; namespace "api")."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from yezhu.api import docs
from yezhu.api.ballots import BallotView
from yezhu.api.compounds import BuildingViewSet, CompoundViewSet, UnitViewSet
from yezhu.api.elections import ElectionViewSet, NominationViewSet
from yezhu.api.errors import not_found
from yezhu.api.lifecycle import ElectionActionsView, ElectionActionView
from yezhu.api.tokens import TokenView

app_name = "api"


class Router(DefaultRouter):
    include_root_view = False
    include_format_suffixes = False


router = Router()
router.register("compounds", CompoundViewSet, basename="compound")
router.register("buildings", BuildingViewSet, basename="building")
router.register("units", UnitViewSet, basename="unit")
router.register("elections", ElectionViewSet, basename="election")

nominations = NominationViewSet.as_view({"get": "list", "post": "create"})
nomination = NominationViewSet.as_view({"get": "retrieve"})

v1 = [
    *router.urls,
    path("elections/<int:pk>/actions/", ElectionActionsView.as_view(), name="election-actions"),
    path("elections/<int:pk>/actions/<str:name>/", ElectionActionView.as_view(), name="election-action"),
    path("elections/<int:election_pk>/nominations/", nominations, name="nomination-list"),
    path("elections/<int:election_pk>/nominations/<int:pk>/", nomination, name="nomination-detail"),
    path(
        "elections/<int:election_pk>/nominations/<int:pk>/accept/",
        NominationViewSet.as_view({"post": "accept"}),
        name="nomination-accept",
    ),
    path(
        "elections/<int:election_pk>/nominations/<int:pk>/decline/",
        NominationViewSet.as_view({"post": "decline"}),
        name="nomination-decline",
    ),
    path(
        "elections/<int:election_pk>/nominations/<int:pk>/decide/",
        NominationViewSet.as_view({"post": "decide"}),
        name="nomination-decide",
    ),
    path(
        "elections/<int:election_pk>/nominations/<int:pk>/support/",
        NominationViewSet.as_view({"post": "support"}),
        name="nomination-support",
    ),
    path("elections/<int:election_pk>/ballot/", BallotView.as_view(), name="ballot"),
    path("auth/token/", TokenView.as_view(), name="token"),
    re_path(r"^[\s\S]*$", not_found),  # last: the JSON 404 for everything else under /api/v1/
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.docs, name="docs"),
]
