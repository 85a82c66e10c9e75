"""Owner-facing election pages under /e/ (namespace "elections")."""

from elections.views import (
    ballot,
    designations,
    manage,
    nominations,
    notices,
    paper,
    proposals,
    public,
    surveys,
    turnout,
)

app_name = "elections"

urlpatterns = [
    *public.urlpatterns,
    *ballot.urlpatterns,
    *designations.urlpatterns,
    *nominations.urlpatterns,
    *turnout.urlpatterns,
    *paper.urlpatterns,
    *manage.urlpatterns,
    *notices.urlpatterns,
    *surveys.urlpatterns,
    *proposals.urlpatterns,
]
