"""Co-owners designate the one of them who votes for their home (共有人指定投票人): proposed by one
co-owner and in force once every other co-owner agrees, or recorded by staff from a written
designation; then only the designee casts, online or through a proxy, and the others see who."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from elections import designations as ds
from elections import voting
from elections.errors import ElectionError
from elections.models import Ballot, Designation, Stage, Voter
from tests.elections.test_voting import CHOICES, open_election
from tests.factories import OwnerFactory, UserFactory, unit_with_owners
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(compound):
    """One home with three co-owners 甲, 乙, 丙 (each signed up), one single-owner home, voting open."""
    users = [UserFactory(name=n) for n in ("甲", "乙", "丙")]
    owners = [OwnerFactory(name=u.name, user=u) for u in users]
    unit = unit_with_owners(compound, "1-1-101", "88.00", owners)
    unit_with_owners(compound, "1-1-102", "90.00", [OwnerFactory(name="丁", user=UserFactory())])
    election = open_election(compound)
    voter = Voter.objects.get(election=election, units=unit)
    return election, voter, users, owners


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("designation.pdf", b"%PDF-1.4 signed by all", content_type="application/pdf")


def test_it_puts_a_designation_in_force_only_when_every_co_owner_agreed(home):
    """甲 proposes 乙; until 丙 agrees it is a proposal and anyone still casts; then only 乙 casts."""
    election, voter, (a, b, c), owners = home
    designation = ds.designation_propose(election=election, voter=voter, actor=a, designee_id=owners[1].pk)
    assert designation.status == Designation.Status.PROPOSED
    assert {o.name for o in ds.waiting_for(designation)} == {"乙", "丙"}
    voting.cast_right(election=election, voter=voter, user=c)  # not in force yet: no refusal
    ds.designation_confirm(designation=designation, actor=b)
    designation = ds.designation_confirm(designation=designation, actor=c)
    assert designation.status == Designation.Status.ACTIVE
    voter.refresh_from_db()
    assert voter.designated_owner_id == owners[1].pk
    with pytest.raises(voting.CastRefused, match="乙"):
        voting.ballot_cast_online(election=election, voter=voter, actor=a, choices=CHOICES)
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=b, choices=CHOICES)
    assert ballot.cast_as == Ballot.CastAs.CO_OWNER and ballot.cast_by == b
    actions = list(
        AuditEntry.objects.filter(election_id=election.pk, action__startswith="designation.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "designation.proposed",
        "designation.confirmed",
        "designation.confirmed",
        "designation.active",
    ]


def test_it_refuses_the_api_cast_of_a_co_owner_who_is_not_designated(home):
    """The API's cast endpoint says it in Chinese, naming the designee (403 not_allowed)."""
    election, voter, (a, b, c), owners = home
    ds.designation_record_paper(
        election=election, voter=voter, actor=_staff(election), designee_id=owners[2].pk, document=pdf()
    )
    client = APIClient()
    client.force_authenticate(a)
    response = client.post(
        f"/api/v1/elections/{election.pk}/ballot/", {"voter": voter.pk, "choices": CHOICES}, format="json"
    )
    assert response.status_code == 403
    assert "丙" in response.json()["error"]["message"] and "指定" in response.json()["error"]["message"]
    assert not Ballot.objects.filter(voter=voter).exists()


def _staff(election):
    from grids.models import RoleAssignment
    from tests.factories import grant

    user = UserFactory(name="换届小组")
    grant(user, RoleAssignment.Role.WORKING_GROUP, election.compound)
    return user


def test_it_lets_only_the_designee_give_a_proxy(home):
    election, voter, (a, b, _c), owners = home
    ds.designation_record_paper(
        election=election, voter=voter, actor=_staff(election), designee_id=owners[1].pk, document=pdf()
    )
    with pytest.raises(ElectionError, match="乙"):
        voting.proxy_authorise(
            election=election, voter=voter, actor=a, proxy_mobile="13911112222", proxy_name="代理"
        )
    proxy = voting.proxy_authorise(
        election=election, voter=voter, actor=b, proxy_mobile="13911112222", proxy_name="代理"
    )
    with pytest.raises(ElectionError, match="乙"):
        voting.proxy_revoke(proxy=proxy, actor=a)
    assert voting.ballot_cast_online(election=election, voter=voter, actor=proxy.proxy_user, choices=CHOICES)


def test_it_frees_the_vote_again_when_a_co_owner_withdraws(home):
    """Any co-owner may withdraw (their consent was needed); the first ballot then stands again."""
    election, voter, (a, b, c), owners = home
    designation = ds.designation_record_paper(
        election=election, voter=voter, actor=_staff(election), designee_id=owners[1].pk, document=pdf()
    )
    ds.designation_withdraw(designation=designation, actor=c)
    voter.refresh_from_db()
    assert voter.designated_owner_id is None
    assert voting.ballot_cast_online(election=election, voter=voter, actor=a, choices=CHOICES)
    with pytest.raises(ElectionError, match="已经投票|already voted"):
        ds.designation_propose(election=election, voter=voter, actor=b, designee_id=owners[1].pk)


@pytest.mark.parametrize(
    "case", ["single owner", "not a co-owner", "outsider proposes", "proxy holds", "twice"]
)
def test_it_refuses_a_designation_that_does_not_fit(home, compound, case):
    election, voter, (a, b, _c), owners = home
    kwargs = {"election": election, "voter": voter, "actor": a, "designee_id": owners[1].pk}
    if case == "single owner":
        single = Voter.objects.get(election=election, unit_codes="1-1-102")
        owner = single.units.get().ownerships.get().owner
        kwargs.update(voter=single, actor=owner.user, designee_id=owner.pk)
    elif case == "not a co-owner":
        kwargs["designee_id"] = OwnerFactory().pk
    elif case == "outsider proposes":
        kwargs["actor"] = UserFactory()
    elif case == "proxy holds":
        voting.proxy_authorise(
            election=election, voter=voter, actor=b, proxy_mobile="13911113333", proxy_name="代理"
        )
    elif case == "twice":
        ds.designation_propose(**kwargs)
    with pytest.raises(ElectionError):
        ds.designation_propose(**kwargs)
    assert Designation.objects.filter(voter=kwargs["voter"]).count() == (1 if case == "twice" else 0)


def test_it_refuses_designations_once_voting_has_closed(home):
    election, voter, (a, _b, _c), owners = home
    election.stage = Stage.COUNTING
    election.save(update_fields=["stage"])
    with pytest.raises(ElectionError):
        ds.designation_propose(election=election, voter=voter, actor=a, designee_id=owners[0].pk)


def test_it_shows_co_owners_who_is_designated_and_hides_the_page_from_others(client, home):
    election, voter, (a, b, _c), owners = home
    ds.designation_record_paper(
        election=election, voter=voter, actor=_staff(election), designee_id=owners[1].pk, document=pdf()
    )
    client.force_login(a)
    detail = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert "乙" in detail and "指定" in detail
    assert reverse("elections:vote", args=[election.pk, voter.pk]) not in detail
    page = client.get(reverse("elections:designate", args=[election.pk, voter.pk]))
    assert page.status_code == 200 and "乙" in page.content.decode()
    client.force_login(UserFactory())
    assert client.get(reverse("elections:designate", args=[election.pk, voter.pk])).status_code == 404


def test_it_proposes_and_confirms_on_the_owners_page(client, home):
    election, voter, (a, b, c), owners = home
    url = reverse("elections:designate", args=[election.pk, voter.pk])
    client.force_login(a)
    client.post(url, {"action": "propose", "designee": owners[0].pk})
    for user in (b, c):
        client.force_login(user)
        client.post(url, {"action": "confirm"})
    voter.refresh_from_db()
    assert voter.designated_owner_id == owners[0].pk


def test_it_records_a_written_designation_on_the_staff_page(client, home, working_group):
    election, voter, _users, owners = home
    client.force_login(working_group)
    url = reverse("manage:designations", args=[election.pk])
    response = client.post(url, {"unit": "1-1-101", "designee_name": "丙", "document": pdf()})
    assert response.status_code == 302
    voter.refresh_from_db()
    assert voter.designated_owner_id == owners[2].pk
    assert Designation.objects.get(voter=voter).via == Designation.Via.PAPER


def test_it_keeps_the_staff_designation_page_to_the_compounds_staff(client, home, outsider_staff):
    election, voter, _users, owners = home
    url = reverse("manage:designations", args=[election.pk])
    assert client.get(url).status_code == 302  # anonymous: to sign in
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    assert client.post(url, {"unit": "1-1-101", "designee_name": "丙", "document": pdf()}).status_code == 404
    assert not Designation.objects.exists()
