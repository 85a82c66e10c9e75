"""Nominations (推荐/自荐): who may nominate whom, supporters, acceptance, duplicates, and the
owner-facing pages with their scoping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from elections import nominations as svc
from elections.errors import ElectionError
from elections.models import Candidate, Election, Nomination, Race, Stage
from elections.views.nominations import support_token
from grids.models import RoleAssignment, Unit
from tests.factories import OwnerFactory, UserFactory, grant, owner_user, unit_with_owners
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_election(compound, *, stage=Stage.NOMINATION, required=1, seats=5) -> Election:
    election = Election.objects.create(
        compound=compound, title="第二届业主委员会换届选举", stage=stage, nominations_required=required
    )
    Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=seats)
    return election


def set_stage(election: Election, stage: str) -> None:
    Election.objects.filter(pk=election.pk).update(stage=stage)
    election.refresh_from_db()


def test_it_takes_a_self_nomination_through_vetting_to_candidate_c1(client, compound, working_group):
    """An owner nominates themself on the page; it counts as accepted; staff vet and approve it
    in the vetting stage, and the candidate C1 carries the nominee's details."""
    user, owner, _unit = owner_user(compound, "3-1-201", name="王秀英")
    election = make_election(compound)
    client.force_login(user)
    response = client.post(
        reverse("elections:nominate", args=[election.pk]),
        {
            "race": election.races.get().pk,
            "who": "self",
            "bio": "退休教师，在小区住了二十年。",
            "birth_year": "1958",
            "occupation": "退休教师",
            "party_member": "on",
        },
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert nomination.source == Nomination.Source.SELF
    assert nomination.status == Nomination.Status.ACCEPTED
    assert nomination.accepted_at is not None
    assert nomination.nominee == owner

    set_stage(election, Stage.VETTING)
    client.force_login(working_group)
    response = client.post(
        reverse("manage:nomination_decide", args=[election.pk, nomination.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    candidate = Candidate.objects.get()
    assert candidate.key == "C1"
    assert candidate.name == "王秀英"
    assert candidate.owner == owner
    assert candidate.nomination == nomination
    assert candidate.bio == "退休教师，在小区住了二十年。"
    assert candidate.birth_year == 1958
    assert candidate.party_member is True
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.APPROVED
    actions = set(AuditEntry.objects.filter(election_id=election.pk).values_list("action", flat=True))
    assert {"nomination.created", "nomination.approved"} <= actions


def test_it_numbers_candidates_in_approval_order(compound, working_group):
    """Keys follow the order of approval, not the order of nomination."""
    election = make_election(compound)
    owners = [owner_user(compound, f"1-1-10{i}", name=f"业主{i}") for i in range(1, 4)]
    noms = [
        svc.nomination_create(election=election, race=election.races.get(), nominee=o, source="self", actor=u)
        for u, o, _ in owners
    ]
    set_stage(election, Stage.VETTING)
    for nomination in (noms[2], noms[0], noms[1]):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    keys = dict(Candidate.objects.values_list("name", "key"))
    assert keys == {"业主3": "C1", "业主1": "C2", "业主2": "C3"}


def test_it_holds_an_owners_nomination_until_enough_owners_support_it(client, compound):
    """With 3 owners required, the nominator counts as the first; the nominee is asked only
    once two more distinct owners have supported it, and nobody supports twice."""
    election = make_election(compound, required=3)
    nominator, _o1, _ = owner_user(compound, "1-1-101", name="推荐人")
    nominee_user, nominee, _ = owner_user(compound, "1-1-102", name="被推荐人")
    second, _o3, _ = owner_user(compound, "1-1-103", name="联名二")
    third, _o4, _ = owner_user(compound, "1-1-104", name="联名三")

    client.force_login(nominator)
    response = client.post(
        reverse("elections:nominate", args=[election.pk]),
        {"race": election.races.get().pk, "who": "other", "unit_code": "1-1-102", "name": "被推荐人"},
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert nomination.source == Nomination.Source.OWNERS
    assert nomination.supporters.count() == 1
    assert svc.supporters_needed(nomination) == 2
    assert svc.my_pending_nominations(nominee_user, election) == []
    with pytest.raises(ElectionError, match="已经"):
        svc.nomination_support(nomination=nomination, actor=nominator)
    with pytest.raises(ElectionError):
        svc.nomination_accept(nomination=nomination, actor=nominee_user)
    with pytest.raises(ElectionError):
        svc.nomination_support(nomination=nomination, actor=nominee_user)

    url = reverse("elections:nomination_support", args=[election.pk, support_token(nomination)])
    client.force_login(second)
    assert "联名" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert svc.supporters_needed(nomination) == 1
    assert svc.my_pending_nominations(nominee_user, election) == []

    client.force_login(third)
    client.post(url)
    assert svc.supporters_needed(nomination) == 0
    assert svc.my_pending_nominations(nominee_user, election) == [nomination]

    client.force_login(nominee_user)
    page = client.get(reverse("elections:my_nominations", args=[election.pk])).content.decode()
    assert "您被推荐了" in page
    response = client.post(
        reverse("elections:nomination_accept", args=[election.pk, nomination.pk]),
        {"bio": "热心公益", "occupation": "工程师"},
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.ACCEPTED
    assert nomination.bio == "热心公益"


def test_it_refuses_a_forged_support_link(client, compound):
    """A support link with a tampered signature is a 404, not a way to browse nominations."""
    election = make_election(compound, required=2)
    nominator, _, _ = owner_user(compound, "1-1-101")
    _, nominee, _ = owner_user(compound, "1-1-102")
    nomination = svc.nomination_create(
        election=election, race=election.races.get(), nominee=nominee, source="owners", actor=nominator
    )
    client.force_login(nominator)
    url = reverse("elections:nomination_support", args=[election.pk, f"{nomination.pk}:forged"])
    assert client.get(url).status_code == 404


def test_it_refuses_a_non_owner_as_nominator_or_nominee(client, compound, other_compound, working_group):
    """A user with no home in the compound cannot nominate; an owner elsewhere, or of an
    undelivered unit, cannot be nominated."""
    election = make_election(compound)
    race = election.races.get()
    stranger = UserFactory()
    me, my_owner, _ = owner_user(compound, "1-1-101")
    with pytest.raises(ElectionError, match="业主"):
        svc.nomination_create(election=election, race=race, nominee=my_owner, source="owners", actor=stranger)
    _, elsewhere, _ = owner_user(other_compound, "9-9-909", name="外小区业主")
    with pytest.raises(ElectionError, match="不能被推荐"):
        svc.nomination_create(election=election, race=race, nominee=elsewhere, source="owners", actor=me)
    buyer = OwnerFactory(name="未交付买家")
    unit_with_owners(compound, "8-1-801", "90.00", [buyer], status=Unit.Status.SOLD_UNDELIVERED)
    with pytest.raises(ElectionError, match="不能被推荐"):
        svc.nomination_create(
            election=election, race=race, nominee=buyer, source="paper", actor=working_group
        )
    assert not Nomination.objects.exists()
    # Through the page: the unit number and name find no owner, so nothing is recorded.
    client.force_login(me)
    response = client.post(
        reverse("elections:nominate", args=[election.pk]),
        {"race": race.pk, "who": "other", "unit_code": "9-9-909", "name": "外小区业主"},
    )
    assert response.status_code == 200
    assert "没有登记名为该姓名的业主" in response.content.decode()
    assert not Nomination.objects.exists()


def test_it_finds_the_nominee_by_unit_and_exact_name_only(compound):
    """The owner is found by unit code and name together; full-width digits are accepted."""
    _, owner, _ = owner_user(compound, "3-1-201", name="李建国")
    assert svc.find_owner(compound, unit_code="３－１－２０１", name=" 李建国 ") == owner
    assert svc.find_owner(compound, unit_code="3-1-201", name="李建") is None
    assert svc.find_owner(compound, unit_code="3-1-202", name="李建国") is None


def test_it_ends_a_nomination_the_nominee_declines(client, compound, working_group):
    """A decline ends the nomination; it cannot be accepted or approved afterwards, and the
    owner may be nominated again later."""
    election = make_election(compound)
    nominator, _, _ = owner_user(compound, "1-1-101")
    nominee_user, nominee, _ = owner_user(compound, "1-1-102")
    nomination = svc.nomination_create(
        election=election, race=election.races.get(), nominee=nominee, source="owners", actor=nominator
    )
    client.force_login(nominee_user)
    response = client.post(
        reverse("elections:nomination_decline", args=[election.pk, nomination.pk]), {"note": "身体原因"}
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.DECLINED
    assert nomination.opinion_self == "身体原因"
    with pytest.raises(ElectionError):
        svc.nomination_accept(nomination=nomination, actor=nominee_user)
    set_stage(election, Stage.VETTING)
    with pytest.raises(ElectionError):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    set_stage(election, Stage.NOMINATION)
    again = svc.nomination_create(
        election=election,
        race=election.races.get(),
        nominee=nominee,
        source="working_group",
        actor=working_group,
    )
    assert again.status == Nomination.Status.AWAITING_ACCEPTANCE


def test_it_refuses_a_duplicate_nomination_with_a_message(client, compound, working_group):
    """A second live nomination of the same owner for the same race is refused with a message
    that says what to do instead."""
    election = make_election(compound)
    race = election.races.get()
    first, _, _ = owner_user(compound, "1-1-101")
    second, _, _ = owner_user(compound, "1-1-103")
    _, nominee, _ = owner_user(compound, "1-1-102", name="张伟")
    svc.nomination_create(election=election, race=race, nominee=nominee, source="owners", actor=first)
    with pytest.raises(ElectionError, match="张伟已有"):
        svc.nomination_create(
            election=election, race=race, nominee=nominee, source="paper", actor=working_group
        )
    client.force_login(second)
    response = client.post(
        reverse("elections:nominate", args=[election.pk]),
        {"race": race.pk, "who": "other", "unit_code": "1-1-102", "name": "张伟"},
    )
    assert response.status_code == 200
    assert "张伟已有" in response.content.decode()
    assert Nomination.objects.count() == 1


def test_it_accepts_nominations_only_in_the_nomination_stage(compound, working_group):
    """Before nominations open and after they close, no nomination is taken."""
    election = make_election(compound, stage=Stage.NOTICE)
    user, owner, _ = owner_user(compound, "1-1-101")
    race = election.races.get()
    with pytest.raises(ElectionError, match="未开放"):
        svc.nomination_create(election=election, race=race, nominee=owner, source="self", actor=user)
    set_stage(election, Stage.VETTING)
    with pytest.raises(ElectionError, match="未开放"):
        svc.nomination_create(
            election=election, race=race, nominee=owner, source="paper", actor=working_group
        )


def test_it_lets_only_staff_nominate_for_the_working_group_party_or_paper(client, compound, working_group):
    """组织推荐 and paper forms are staff work; an owner cannot claim them. Staff nominations go
    straight to the nominee, and staff may record an acceptance given on paper."""
    election = make_election(compound)
    race = election.races.get()
    owner_account, _, _ = owner_user(compound, "1-1-101")
    nominee_user, nominee, _ = owner_user(compound, "1-1-102", name="陈明")
    with pytest.raises(ElectionError, match="换届小组"):
        svc.nomination_create(
            election=election, race=race, nominee=nominee, source="party", actor=owner_account
        )
    client.force_login(working_group)
    response = client.post(
        reverse("manage:nomination_new", args=[election.pk]),
        {"race": race.pk, "source": "party", "unit_code": "1-1-102", "name": "陈明"},
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get()
    assert nomination.source == Nomination.Source.PARTY
    assert svc.my_pending_nominations(nominee_user, election) == [nomination]
    response = client.post(
        reverse("manage:nomination_paper_answer", args=[election.pk, nomination.pk]),
        {"answer": "accept", "note": "本人在同意书上签字"},
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.ACCEPTED
    assert AuditEntry.objects.get(action="nomination.accepted").data == {"on_paper": True}


def test_it_does_not_let_another_owner_accept_someone_elses_nomination(client, compound, working_group):
    """Only the nominee answers: another owner gets a 404 from the page and an error from the service."""
    election = make_election(compound)
    _, nominee, _ = owner_user(compound, "1-1-102")
    other, _, _ = owner_user(compound, "1-1-103")
    nomination = svc.nomination_create(
        election=election, race=election.races.get(), nominee=nominee, source="paper", actor=working_group
    )
    client.force_login(other)
    assert (
        client.get(reverse("elections:nomination_respond", args=[election.pk, nomination.pk])).status_code
        == 404
    )
    response = client.post(reverse("elections:nomination_accept", args=[election.pk, nomination.pk]))
    assert response.status_code == 404
    with pytest.raises(ElectionError, match="被推荐人本人"):
        svc.nomination_accept(nomination=nomination, actor=other)
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.AWAITING_ACCEPTANCE


def test_it_shows_the_nominate_page_to_an_owner_in_chinese(client, compound):
    """The nominate page asks in plain Chinese and never lists the compound's owners."""
    user, _, _ = owner_user(compound, "1-1-101")
    owner_user(compound, "1-1-102", name="不应出现的名字")
    election = make_election(compound)
    client.force_login(user)
    html = client.get(reverse("elections:nominate", args=[election.pk])).content.decode()
    assert "推荐候选人" in html
    assert "不应出现的名字" not in html
    assert "style=" not in html
    assert "<script>" not in html


def test_it_tells_a_staff_user_who_is_not_an_owner_to_use_the_manage_pages(client, compound, street_staff):
    """Street staff may see the page, but online nomination is for owners."""
    election = make_election(compound)
    client.force_login(street_staff)
    response = client.get(reverse("elections:nominate", args=[election.pk]))
    assert response.status_code == 200
    assert "只有本小区业主" in response.content.decode()


# ---------------------------------------------------------------------------------------------
# Scoping of every owner-facing page: anonymous, wrong method, another street's staff
# ---------------------------------------------------------------------------------------------


OWNER_PAGES = [
    ("elections:nominate", "get", "put", lambda e, n: [e.pk]),
    ("elections:my_nominations", "get", "post", lambda e, n: [e.pk]),
    ("elections:nomination_respond", "get", "post", lambda e, n: [e.pk, n.pk]),
    ("elections:nomination_accept", "post", "get", lambda e, n: [e.pk, n.pk]),
    ("elections:nomination_decline", "post", "get", lambda e, n: [e.pk, n.pk]),
    ("elections:nomination_support", "get", "put", lambda e, n: [e.pk, support_token(n)]),
]


@pytest.fixture
def scoped(compound, working_group):
    election = make_election(compound, required=2)
    nominator, _, _ = owner_user(compound, "1-1-101")
    nominee_user, nominee, _ = owner_user(compound, "1-1-102")
    nomination = svc.nomination_create(
        election=election, race=election.races.get(), nominee=nominee, source="paper", actor=working_group
    )
    return election, nomination, nominee_user


@pytest.mark.parametrize(("name", "method", "wrong", "args"), OWNER_PAGES)
def test_it_redirects_anonymous_visitors_to_sign_in(client, scoped, name, method, wrong, args):
    """Every owner page asks an anonymous visitor to sign in."""
    election, nomination, _ = scoped
    response = getattr(client, method)(reverse(name, args=args(election, nomination)))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


@pytest.mark.parametrize(("name", "method", "wrong", "args"), OWNER_PAGES)
def test_it_refuses_the_wrong_method(client, scoped, name, method, wrong, args):
    """Each owner page answers 405 to a method it does not take."""
    election, nomination, nominee_user = scoped
    client.force_login(nominee_user)
    assert getattr(client, wrong)(reverse(name, args=args(election, nomination))).status_code == 405


@pytest.mark.parametrize(("name", "method", "wrong", "args"), OWNER_PAGES)
def test_it_hides_the_pages_from_another_streets_staff(
    client, scoped, outsider_staff, name, method, wrong, args
):
    """Staff of another street get a 404, never a hint that the election exists."""
    election, nomination, _ = scoped
    client.force_login(outsider_staff)
    assert getattr(client, method)(reverse(name, args=args(election, nomination))).status_code == 404


def test_it_shows_the_nominee_the_pages_that_concern_them(client, scoped):
    """Success: the nominee opens their list and the answer page."""
    election, nomination, nominee_user = scoped
    client.force_login(nominee_user)
    assert client.get(reverse("elections:my_nominations", args=[election.pk])).status_code == 200
    page = client.get(reverse("elections:nomination_respond", args=[election.pk, nomination.pk]))
    assert page.status_code == 200
    assert "我愿意参选" in page.content.decode()


def test_it_gives_a_grid_leader_no_nominating_rights(compound):
    """A grid leader who owns no home here sees the election but cannot nominate."""
    from tests.factories import GridFactory

    election = make_election(compound)
    leader = UserFactory()
    grant(leader, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))
    _, owner, _ = owner_user(compound, "1-1-101")
    with pytest.raises(ElectionError):
        svc.nomination_create(
            election=election, race=election.races.get(), nominee=owner, source="owners", actor=leader
        )
