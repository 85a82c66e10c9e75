"""City e-voting platforms (RULES.md §7: 北京 第35条, 杭州 第20条, 深圳, 广州): the profile turns Yezhu's
own online channel off (the ballot page and the API refuse, naming the rule; paper still works),
and staff import the platform's per-unit result as ballots of channel ``platform``, all or nothing,
counted like paper and recounted from the bundle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from elections import lifecycle
from elections import platform as pf
from elections.errors import ElectionError, OnlineChannelClosed
from elections.lifecycle import table
from elections.models import Ballot, Election, PlatformImport, Stage, Voter
from elections.rules.bundle import recount
from elections.rules.profiles import PROFILES
from elections.services import ballot_record, bundle_for
from elections.voting import ballot_cast_online
from tests.elections.test_voting import CHOICES, open_election
from tests.factories import OwnerFactory, UserFactory, owner_user, unit_with_owners
from yezhu.actors import SCHEDULER

pytestmark = pytest.mark.django_db


@pytest.fixture
def homes(compound):
    """Three single-owner homes and a buyer of two (1-1-104 and 2-1-101), all signed up."""
    rows = [
        owner_user(compound, code, area)
        for code, area in (("1-1-101", "90.00"), ("1-1-102", "80.00"), ("1-1-103", "70.00"))
    ]
    two = OwnerFactory(name="两套房", user=UserFactory())
    unit_with_owners(compound, "1-1-104", "60.00", [two])
    unit_with_owners(compound, "2-1-101", "50.00", [two])
    return rows, two


def beijing(election: Election) -> Election:
    Election.objects.filter(pk=election.pk).update(profile="beijing")
    election.refresh_from_db()
    return election


@pytest.fixture
def election(compound, homes):
    return beijing(open_election(compound))


def close(election: Election) -> Election:
    Election.objects.filter(pk=election.pk).update(
        stage=Stage.COUNTING, voting_closes_at=timezone.now() - timedelta(minutes=1)
    )
    election.refresh_from_db()
    return election


def csv_file(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    lines = [header or ["房号", "M1", "M2", "R1"], *rows]
    return ("\ufeff" + "\r\n".join(",".join(r) for r in lines) + "\r\n").encode("utf-8")


def test_it_sends_online_votes_to_the_city_platform_in_beijing_hangzhou_shenzhen_and_guangzhou():
    """RULES.md §7: the profiles of 北京 (第35条), 杭州 (第20条), 深圳 and 广州 require the platform."""
    required = {key for key, p in PROFILES.items() if p.city_platform.value}
    assert required == {"beijing", "hangzhou", "shenzhen", "guangzhou"}
    assert "北京 第35条" in PROFILES["beijing"].city_platform.source
    assert "杭州 第20条" in PROFILES["hangzhou"].city_platform.source


def test_it_refuses_an_online_cast_where_the_city_requires_its_platform_naming_the_rule(election, homes):
    """北京 第35条: the service refuses with the rule in the message; paper still counts."""
    (user, _owner, unit), *_ = homes[0]
    voter = Voter.objects.get(election=election, units=unit)
    with pytest.raises(OnlineChannelClosed, match="北京 第35条"):
        ballot_cast_online(election=election, voter=voter, actor=user, choices=CHOICES)
    assert not Ballot.objects.filter(voter=voter).exists()
    paper = ballot_record(
        election=election,
        voter=voter,
        actor=UserFactory(),
        cast_as=Ballot.CastAs.PAPER,
        channel=Ballot.Channel.PAPER,
        choices=CHOICES,
    )
    assert paper.status == Ballot.Status.VALID


def test_it_refuses_the_ballot_page_and_the_api_cast_in_chinese(client, election, homes):
    (user, _owner, unit), *_ = homes[0]
    voter = Voter.objects.get(election=election, units=unit)
    client.force_login(user)
    page = client.get(reverse("elections:vote", args=[election.pk, voter.pk]))
    assert page.status_code == 403
    text = page.content.decode()
    assert "电子投票平台" in text and "北京 第35条" in text and 'name="step"' not in text
    detail = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert reverse("elections:vote", args=[election.pk, voter.pk]) not in detail
    api = APIClient()
    api.force_authenticate(user)
    response = api.post(
        f"/api/v1/elections/{election.pk}/ballot/", {"voter": voter.pk, "choices": CHOICES}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "online_channel_closed"
    assert "北京 第35条" in response.json()["error"]["message"]


def test_it_keeps_the_online_channel_open_in_a_national_election(compound, homes):
    election = open_election(compound)
    (user, _owner, unit), *_ = homes[0]
    voter = Voter.objects.get(election=election, units=unit)
    assert ballot_cast_online(election=election, voter=voter, actor=user, choices=CHOICES)


def test_it_lets_no_rules_of_procedure_reopen_the_channel_the_city_closed(compound):
    """The city's rule binds the compound (北京 第35条); a national election's rules may choose a platform."""
    election = lifecycle.election_create(compound=compound, title="选举", actor=SCHEDULER, profile="beijing")
    with pytest.raises(ElectionError, match="北京 第35条"):
        lifecycle.election_update_settings(
            election=election, overrides={"city_platform": ("no", "议事规则第八条")}, actor=SCHEDULER
        )
    # One committee election at a time (issue 20): the Beijing one ends before the national one starts.
    Election.objects.filter(pk=election.pk).update(stage=Stage.FAILED)
    national = lifecycle.election_create(compound=compound, title="选举二", actor=SCHEDULER)
    lifecycle.election_update_settings(
        election=national, overrides={"city_platform": ("yes", "议事规则第八条")}, actor=SCHEDULER
    )
    national.refresh_from_db()
    from elections.services import online_channel_refusal

    assert "议事规则第八条" in online_channel_refusal(national)


def test_it_imports_the_platforms_result_as_ballots_with_their_source(election, homes):
    """One ballot per voter (the buyer of two units is one ballot), channel platform, the import and
    its row recorded, the file's digest in the audit row; the count then equals the bundle's recount."""
    election = close(election)
    staff = _staff(election)
    data = csv_file(
        [
            ["1-1-101", "同意", "反对", "C1、C2"],
            ["1-1-104", "同意", "", "C1"],
            ["2-1-101", "同意", "", "C1"],
        ]
    )
    counts = pf.platform_result_import(
        election=election,
        actor=staff,
        data=data,
        filename="平台结果.csv",
        platform="北京市业主决策电子投票平台",
    )
    assert counts == {"rows": 3, "valid": 2, "rejected": 0}
    ballots = list(Ballot.objects.filter(election=election).order_by("seq"))
    assert {b.channel for b in ballots} == {Ballot.Channel.PLATFORM}
    assert [b.source_row for b in ballots] == [2, 3]
    batch = PlatformImport.objects.get()
    assert ballots[0].platform_import == batch and len(batch.sha256) == 64
    assert ballots[0].choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C2"]}}

    assert not table.transition("election_count").problems(election, timezone.now())
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.election_count(election=election, actor=staff)
    election.refresh_from_db()
    assert election.stage == Stage.RESULT_NOTICE
    assert election.result == recount(bundle_for(election))
    assert election.result["participation"]["heads"] == 2


def _staff(election):
    from grids.models import RoleAssignment
    from tests.factories import grant

    user = UserFactory(name="换届小组")
    grant(user, RoleAssignment.Role.WORKING_GROUP, election.compound)
    return user


def test_it_refuses_a_file_with_any_bad_row_naming_every_row_and_writing_nothing(election, homes):
    """All or nothing: an unknown unit, a unit twice, a bad answer, a candidate not in the race and
    two units of one owner that disagree are each named "第 N 行"; no ballot, no import row."""
    election = close(election)
    data = csv_file(
        [
            ["1-1-101", "同意", "", ""],
            ["9-9-999", "同意", "", ""],
            ["1-1-101", "反对", "", ""],
            ["1-1-102", "也许", "", ""],
            ["1-1-103", "同意", "", "C9"],
            ["1-1-104", "同意", "", ""],
            ["2-1-101", "反对", "", ""],
        ]
    )
    with pytest.raises(pf.PlatformImportError) as error:
        pf.platform_result_import(
            election=election, actor=_staff(election), data=data, filename="x.csv", platform="平台"
        )
    rows = [line.split("：")[0] for line in error.value.errors]
    assert rows == ["第 3 行", "第 4 行", "第 5 行", "第 6 行", "第 8 行"]
    assert "9-9-999" in error.value.errors[0] and "1-1-104" in error.value.errors[-1]
    assert not Ballot.objects.filter(election=election).exists()
    assert not PlatformImport.objects.exists()


def test_it_keeps_the_first_valid_ballot_of_a_home_that_also_voted_on_paper(election, homes):
    election = close(election)
    (_user, _owner, unit), *_ = homes[0]
    voter = Voter.objects.get(election=election, units=unit)
    staff = _staff(election)
    ballot_record(
        election=election,
        voter=voter,
        actor=staff,
        cast_as=Ballot.CastAs.PAPER,
        channel=Ballot.Channel.PAPER,
        choices=CHOICES,
    )
    counts = pf.platform_result_import(
        election=election,
        actor=staff,
        data=csv_file([["1-1-101", "反对", "", ""]]),
        filename="x.csv",
        platform="平台",
    )
    assert counts == {"rows": 1, "valid": 0, "rejected": 1}
    rejected = Ballot.objects.get(voter=voter, channel=Ballot.Channel.PLATFORM)
    assert rejected.status == Ballot.Status.REJECTED and "以首张有效票为准" in rejected.reject_reason


def test_it_refuses_to_import_a_home_twice(election, homes):
    election = close(election)
    staff = _staff(election)
    data = csv_file([["1-1-101", "同意", "", ""]])
    pf.platform_result_import(election=election, actor=staff, data=data, filename="a.csv", platform="平台")
    with pytest.raises(pf.PlatformImportError, match="第 2 行"):
        pf.platform_result_import(
            election=election, actor=staff, data=data, filename="a.csv", platform="平台"
        )
    assert Ballot.objects.filter(election=election).count() == 1


def test_it_imports_a_header_only_file_when_nobody_voted_on_the_platform(election, homes):
    election = close(election)
    counts = pf.platform_result_import(
        election=election, actor=_staff(election), data=csv_file([]), filename="empty.csv", platform="平台"
    )
    assert counts == {"rows": 0, "valid": 0, "rejected": 0}
    assert PlatformImport.objects.filter(election=election).exists()


def test_it_refuses_an_import_before_the_close_or_where_no_platform_is_required(compound, election, homes):
    staff = _staff(election)
    with pytest.raises(pf.PlatformImportError, match="voting has closed|投票截止"):
        pf.platform_result_import(
            election=election, actor=staff, data=csv_file([]), filename="a.csv", platform="平台"
        )
    national = close(open_election(compound))
    with pytest.raises(pf.PlatformImportError):
        pf.platform_result_import(
            election=national, actor=staff, data=csv_file([]), filename="a.csv", platform="平台"
        )


def test_it_waits_for_the_platforms_result_before_counting(election, homes):
    """The scheduler's close does not count, and the count is refused with a code until the import."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.voting_close(election=election, actor=SCHEDULER, now=election.voting_closes_at)
    election.refresh_from_db()
    assert election.stage == Stage.COUNTING and election.result is None
    codes = [p.code for p in table.transition("election_count").problems(election, timezone.now())]
    assert codes == ["platform_result_missing"]


def test_it_keeps_the_import_page_to_the_elections_staff(client, election, working_group, outsider_staff):
    url = reverse("manage:platform_import", args=[election.pk])
    assert client.get(url).status_code == 302
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(working_group)
    page = client.get(url)
    assert page.status_code == 200 and "房号" in page.content.decode()


def test_it_imports_through_the_page_as_a_job(client, election, working_group, homes):
    election = close(election)
    client.force_login(working_group)
    upload = SimpleUploadedFile(
        "result.csv", csv_file([["1-1-101", "同意", "", "C1"]]), content_type="text/csv"
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("manage:platform_import", args=[election.pk]), {"platform": "北京平台", "file": upload}
        )
    assert response.status_code == 302
    assert Ballot.objects.filter(election=election, channel=Ballot.Channel.PLATFORM).count() == 1
    job_page = client.get(response["Location"])
    assert job_page.status_code == 200
