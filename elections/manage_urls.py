"""Staff pages under /manage/ (namespace "manage")."""

from elections.views import (
    ballot,
    committee_entity,
    designations,
    manage,
    mass_sends,
    meeting,
    nominations,
    notices,
    outreach,
    paper,
    platform,
    proposals,
    public,
    surveys,
    turnout,
    vacancies,
)

app_name = "manage"

urlpatterns = [
    *manage.manage_urlpatterns,
    *nominations.manage_urlpatterns,
    *paper.manage_urlpatterns,
    *platform.manage_urlpatterns,
    *meeting.manage_urlpatterns,
    *turnout.manage_urlpatterns,
    *ballot.manage_urlpatterns,
    *designations.manage_urlpatterns,
    *public.manage_urlpatterns,
    *notices.manage_urlpatterns,
    *mass_sends.manage_urlpatterns,
    *committee_entity.manage_urlpatterns,
    *surveys.manage_urlpatterns,
    *outreach.manage_urlpatterns,
    *proposals.manage_urlpatterns,
    *vacancies.manage_urlpatterns,
]
