"""Staff pages under /manage/ (namespace "manage")."""

from elections.views import (
    ballot,
    committee_entity,
    manage,
    nominations,
    notices,
    outreach,
    paper,
    proposals,
    public,
    surveys,
    turnout,
)

app_name = "manage"

urlpatterns = [
    *manage.manage_urlpatterns,
    *nominations.manage_urlpatterns,
    *paper.manage_urlpatterns,
    *turnout.manage_urlpatterns,
    *ballot.manage_urlpatterns,
    *public.manage_urlpatterns,
    *notices.manage_urlpatterns,
    *committee_entity.manage_urlpatterns,
    *surveys.manage_urlpatterns,
    *outreach.manage_urlpatterns,
    *proposals.manage_urlpatterns,
]
