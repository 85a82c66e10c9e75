"""Links between pages are reversed from their names, with no fallback that would hide a typo.

Each helper below used to catch NoReverseMatch and fall back to a hand-written path, another name
or nothing; a renamed page now fails loudly (here and at the first request) instead."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from elections.forms.ballot import candidate_photo_url
from elections.models import Candidate, Stage
from elections.notices import inbox_url
from elections.notices_print import election_public_url
from grids.models import RoleAssignment
from tests.factories import UserFactory, election_with_ballot_paper, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(compound):
    return election_with_ballot_paper(compound, stage=Stage.NOMINATION)


def test_it_links_a_text_message_to_the_inbox_page(settings):
    settings.SITE_URL = "https://yezhu.example.cn/"
    assert inbox_url() == "https://yezhu.example.cn" + reverse("elections:inbox")


def test_it_prints_the_address_of_the_election_page(election, settings):
    settings.SITE_URL = "https://yezhu.example.cn"
    assert election_public_url(election) == f"https://yezhu.example.cn/e/{election.pk}/"


def test_it_serves_a_candidates_photo_through_its_view_never_the_media_url(election, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    candidate = Candidate.objects.filter(race__election=election).first()
    candidate.photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n")
    candidate.save()
    url = candidate_photo_url(election.pk, candidate)
    assert url == reverse("elections:candidate_photo", args=[election.pk, candidate.pk])
    assert url != candidate.photo.url
    candidate.photo = None
    assert candidate_photo_url(election.pk, candidate) == ""


def test_it_links_the_nominations_page_to_the_election_and_its_steps(client, election, working_group):
    client.force_login(working_group)
    context = client.get(reverse("manage:nominations", args=[election.pk])).context
    assert context["manage_page"] == reverse("manage:election", args=[election.pk])
    assert context["vetting_start_url"] == reverse("manage:do", args=[election.pk, "vetting_start"])
    assert context["publish_url"] == reverse("manage:candidate_notice_publish", args=[election.pk])


def test_it_links_the_street_compound_page_to_the_election_and_the_committees(client, street_staff, election):
    """A street staff member who may manage the compound gets the timeline and the committee register."""
    client.force_login(street_staff)
    context = client.get(reverse("street:compound", args=[election.compound_id])).context
    assert (election, reverse("manage:timeline", args=[election.pk])) in context["elections"]
    assert context["committees_url"] == reverse("manage:committees", args=[election.compound_id])


def test_it_links_the_home_page_to_the_work_of_each_role(client, working_group, street_staff):
    client.force_login(working_group)
    context = client.get(reverse("home")).context
    assert {link["url"] for link in context["staff_links"]} == {
        reverse("manage:index"),
        reverse("grids:compounds"),
    }
    assert context["claim_url"] == reverse("grids:claim")
    client.force_login(street_staff)
    assert reverse("street:board") in {
        link["url"] for link in client.get(reverse("home")).context["staff_links"]
    }


def test_it_links_the_home_page_to_the_audit_log_for_auditors_only(client, street, street_staff):
    """An auditor's work is the audit log: the home page leads there (it was reachable only by
    typing /audit/); street staff, who may not read it, get no such link."""
    auditor = UserFactory(name="审计员")
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    client.force_login(auditor)
    links = {link["url"] for link in client.get(reverse("home")).context["staff_links"]}
    assert reverse("audit:index") in links
    client.force_login(street_staff)
    links = {link["url"] for link in client.get(reverse("home")).context["staff_links"]}
    assert reverse("audit:index") not in links


def test_it_links_the_election_page_to_the_candidate_notice(client, election, working_group):
    client.force_login(working_group)
    context = client.get(reverse("elections:detail", args=[election.pk])).context
    assert context["candidate_notice_url"] == reverse("elections:candidate_notice", args=[election.pk])
