"""Routes of the elections API, included under /api/v1/ by yezhu/api/urls.py (namespace "api")."""

from django.urls import path

from elections.api.ballots import BallotView
from elections.api.elections import ElectionViewSet
from elections.api.lifecycle import ElectionActionsView, ElectionActionView
from elections.api.nominations import NominationViewSet
from yezhu.api.routers import Router

router = Router()
router.register("elections", ElectionViewSet, basename="election")

nominations = NominationViewSet.as_view({"get": "list", "post": "create"})
nomination = NominationViewSet.as_view({"get": "retrieve"})

urlpatterns = [
    *router.urls,
    path("elections/<int:pk>/actions/", ElectionActionsView.as_view(), name="election-actions"),
    path("elections/<int:pk>/actions/<str:name>/", ElectionActionView.as_view(), name="election-action"),
    path("elections/<int:election_pk>/nominations/", nominations, name="nomination-list"),
    path("elections/<int:election_pk>/nominations/<int:pk>/", nomination, name="nomination-detail"),
    *[
        path(
            f"elections/<int:election_pk>/nominations/<int:pk>/{verb}/",
            NominationViewSet.as_view({"post": verb}),
            name=f"nomination-{verb}",
        )
        for verb in ("accept", "decline", "decide", "support")
    ],
    path("elections/<int:election_pk>/ballot/", BallotView.as_view(), name="ballot"),
]
