"""Owners' proposals for a temporary assembly (临时业主大会会议; 指导规则 第二十一条; 物业管理条例
第十三条; RULES.md §7): owners sign online, one signature per voter of the compound's current roll,
withdrawable until the proposal reaches 20 % of the area AND 20 % of the heads ("以上" includes
20 %); then the committee is told by a notice, and the street board shows the compound until staff
record the assembly convened."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse

from elections import proposals as svc
from elections.board import board_rows
from elections.models import (
    AssemblyProposal,
    Committee,
    CommitteeMember,
    Delivery,
    Election,
    Notice,
    ProposalSignature,
)
from grids.models import Compound, RoleAssignment, Unit
from tests.conftest import requires_postgres
from tests.factories import OwnerFactory, UserFactory, grant, owner_user, unit_with_owners
from tests.race import race
from yezhu.accounts.models import SmsMessage
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry
from yezhu.errors import DomainError

pytestmark = pytest.mark.django_db
Status = AssemblyProposal.Status


def owners_of(compound, areas: list[str]) -> list:
    """One signed-up owner per area, each alone on one home: their users, in order."""
    return [owner_user(compound, f"1-1-{101 + i}", area)[0] for i, area in enumerate(areas)]


def propose(compound, user) -> AssemblyProposal:
    return svc.proposal_create(
        compound=compound, actor=user, title="罢免业主委员会主任", text="理由：长期不履职。"
    )


def sign(proposal, user) -> AssemblyProposal:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return svc.proposal_sign(proposal=proposal, actor=user)


# ---------------------------------------------------------------------------------------------
# The threshold, exactly (20 % of the area AND 20 % of the heads)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first_area", "reached"), [("200.00", True), ("199.99", False)])
def test_it_reaches_the_threshold_at_exactly_twenty_percent_of_the_area(compound, first_area, reached):
    """5 owners (one is 20 % of the heads): the proposer holds 200.00 of 1,000.00 ㎡ (20 %, enough)
    or 199.99 of 1,000.00 ㎡ (just below): the area alone decides."""
    rest = Decimal("1000.00") - Decimal(first_area)
    users = owners_of(compound, [first_area, "200.00", "200.00", "200.00", f"{rest - 600:.2f}"])
    proposal = propose(compound, users[0])
    proposal.refresh_from_db()
    support = svc.proposal_support(proposal)
    assert support.signed_heads == 1 and support.total_heads == 5 and support.total_area == Decimal("1000.00")
    assert support.heads_met and support.area_met is reached
    assert proposal.status == (Status.REACHED if reached else Status.OPEN)


@pytest.mark.parametrize(("others", "reached"), [(8, True), (9, False)])
def test_it_reaches_the_threshold_at_exactly_twenty_percent_of_the_heads(compound, others, reached):
    """Two signers holding 600 ㎡ (well over 20 % of the area) are 2 of 10 owners (20 %, enough) or
    2 of 11 (18.2 %, just below): the heads alone decide."""
    users = owners_of(compound, ["300.00", "300.00", *["50.00"] * others])
    proposal = propose(compound, users[0])
    proposal = sign(proposal, users[1])
    support = svc.proposal_support(proposal)
    assert support.area_met and support.heads_met is reached
    assert proposal.status == (Status.REACHED if reached else Status.OPEN)


def test_it_counts_co_owners_as_one_signature_and_a_buyer_of_two_homes_as_one(compound):
    """RULES.md §1: {A, B} on one home are one voter; a buyer's two homes are one voter with their
    areas added: each signs once, and a co-owner cannot sign a second time."""
    a, b, c = UserFactory(name="共有人甲"), UserFactory(name="共有人乙"), UserFactory(name="两套房")
    oa, ob, oc = OwnerFactory(user=a), OwnerFactory(user=b), OwnerFactory(user=c)
    unit_with_owners(compound, "1-1-101", "90.00", [oa, ob])
    unit_with_owners(compound, "1-1-102", "60.00", [oc])
    unit_with_owners(compound, "1-1-103", "40.00", [oc])
    for i in range(7):
        unit_with_owners(compound, f"2-1-{101 + i}", "100.00", [OwnerFactory()])
    proposal = propose(compound, a)
    with pytest.raises(svc.ProposalError, match="已经联署"):
        svc.proposal_sign(proposal=proposal, actor=b)
    proposal = sign(proposal, c)
    support = svc.proposal_support(proposal)
    assert (support.signed_heads, support.signed_area) == (2, Decimal("190.00"))
    assert (support.total_heads, support.total_area) == (9, Decimal("890.00"))
    assert ProposalSignature.objects.get(signed_by=c).unit_codes == "1-1-102, 1-1-103"


def test_it_leaves_parking_spaces_and_the_developer_out_of_the_signers(compound):
    """The roll counts what grids.roll counts: a parking space is not on it (指导规则 25, off), and
    an owner of a sold but undelivered home signs nothing (the developer's voter)."""
    user = UserFactory()
    owner = OwnerFactory(user=user)
    unit_with_owners(compound, "P-001", "12.00", [owner], kind=Unit.Kind.PARKING, building="P")
    unit_with_owners(compound, "9-1-901", "100.00", [owner], status=Unit.Status.SOLD_UNDELIVERED)
    owners_of(compound, ["100.00"])
    with pytest.raises(svc.ProposalError):
        propose(compound, user)


# ---------------------------------------------------------------------------------------------
# Withdrawing
# ---------------------------------------------------------------------------------------------


def test_it_lets_a_signer_withdraw_while_the_proposal_is_open(compound):
    users = owners_of(compound, ["100.00"] * 10)
    proposal = propose(compound, users[0])
    svc.proposal_withdraw(proposal=proposal, actor=users[0])
    assert svc.proposal_support(proposal).signed_heads == 0
    assert AuditEntry.objects.filter(action="proposal.withdrawn", compound_id=compound.pk).exists()
    with pytest.raises(svc.ProposalError, match="尚未联署|没有联署"):
        svc.proposal_withdraw(proposal=proposal, actor=users[0])
    proposal = sign(proposal, users[0])  # signing again after a withdrawal is allowed
    assert svc.proposal_support(proposal).signed_heads == 1


def test_it_refuses_to_withdraw_once_the_threshold_is_reached(compound):
    users = owners_of(compound, ["100.00"] * 10)
    proposal = propose(compound, users[0])
    proposal = sign(proposal, users[1])
    assert proposal.status == Status.REACHED
    with pytest.raises(svc.ProposalError, match="不能再撤回"):
        svc.proposal_withdraw(proposal=proposal, actor=users[1])
    with pytest.raises(svc.ProposalError):
        svc.proposal_sign(proposal=proposal, actor=users[2])
    assert svc.proposal_support(proposal).signed_heads == 2


def test_it_lets_no_one_withdraw_a_co_owners_signature(compound):
    a, b = UserFactory(), UserFactory()
    unit_with_owners(compound, "3-1-101", "90.00", [OwnerFactory(user=a), OwnerFactory(user=b)])
    owners_of(compound, ["100.00"] * 9)
    proposal = propose(compound, a)
    with pytest.raises(svc.ProposalError):
        svc.proposal_withdraw(proposal=proposal, actor=b)


# ---------------------------------------------------------------------------------------------
# The committee is told, once; the street board shows it until convened
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def committee(compound):
    committee = Committee.objects.create(
        compound=compound, term_start=date(2024, 1, 1), term_end=date(2029, 1, 1), filed_on=date(2024, 1, 20)
    )
    chair_user, chair, _unit = owner_user(compound, "8-1-101", "50.00", name="主任")
    CommitteeMember.objects.create(committee=committee, name="主任", owner=chair, role="chair")
    CommitteeMember.objects.create(
        committee=committee, name="候补", owner=OwnerFactory(mobile="13900000001"), role="alternate"
    )
    return committee


def test_it_tells_the_committee_by_notice_and_audits_the_figures_once(compound, committee):
    users = owners_of(compound, ["100.00"] * 9)  # with the chair's home: 10 owners, 950 ㎡
    proposal = propose(compound, users[0])
    proposal = sign(proposal, users[1])
    assert proposal.status == Status.REACHED and proposal.reached_at is not None
    assert (proposal.signed_heads, proposal.roll_heads) == (2, 10)
    assert (proposal.signed_area, proposal.roll_area) == (Decimal("200.00"), Decimal("950.00"))
    notice = proposal.notice
    assert (notice.kind, notice.audience, notice.status) == (
        Notice.Kind.PROPOSAL,
        Notice.Audience.COMMITTEE,
        "sent",
    )
    assert (
        "罢免业主委员会主任" in notice.title and "20" in notice.body and "指导规则 第二十一条" in notice.body
    )
    chair = CommitteeMember.objects.get(role="chair").owner
    keys = set(Delivery.objects.filter(notice=notice).values_list("recipient_key", flat=True))
    assert keys == {f"owner:{chair.pk}"}  # the alternate sits without a vote: not told
    assert SmsMessage.objects.filter(phone=chair.mobile, purpose=f"notice:{notice.pk}").exists()
    entry = AuditEntry.objects.get(action="proposal.reached")
    assert (
        entry.data["signed_heads"] == 2
        and entry.data["roll_heads"] == 10
        and entry.data["notice"] == notice.pk
    )
    assert Notice.objects.filter(kind=Notice.Kind.PROPOSAL).count() == 1


def test_it_tells_the_street_office_where_no_committee_sits(compound, street_staff):
    users = owners_of(compound, ["100.00"] * 6)
    proposal = propose(compound, users[0])
    assert proposal.status == Status.OPEN
    proposal = sign(proposal, users[1])
    assert proposal.notice.audience == Notice.Audience.STREET_STAFF
    assert "没有" in proposal.notice.body or "无" in proposal.notice.body
    assert Delivery.objects.filter(notice=proposal.notice, user=street_staff).exists()


def test_it_shows_the_compound_on_the_street_board_until_the_assembly_is_convened(
    client, compound, committee, street_staff, outsider_staff
):
    users = owners_of(compound, ["100.00"] * 9)
    proposal = sign(propose(compound, users[0]), users[1])
    rows = board_rows(Compound.objects.filter(pk=compound.pk))
    assert [p.pk for p in rows[0].proposals] == [proposal.pk]
    client.force_login(street_staff)
    html = client.get(reverse("street:board")).content.decode()
    assert "proposals-waiting" in html and "罢免业主委员会主任" in html
    client.force_login(outsider_staff)
    assert "罢免业主委员会主任" not in client.get(reverse("street:board")).content.decode()

    election = svc.proposal_convene(proposal=proposal, actor=street_staff, title="")
    assert election.temporary_meeting and election.kind == Election.Kind.MATTERS_ONLY
    assert list(election.matters.values_list("title", "text")) == [
        ("罢免业主委员会主任", "理由：长期不履职。")
    ]
    proposal.refresh_from_db()
    assert proposal.status == Status.CONVENED and proposal.election == election
    assert board_rows(Compound.objects.filter(pk=compound.pk))[0].proposals == []
    client.force_login(street_staff)
    assert "proposals-waiting" not in client.get(reverse("street:board")).content.decode()
    assert AuditEntry.objects.filter(action="proposal.convened", compound_id=compound.pk).exists()


def test_it_convenes_only_a_reached_proposal_and_only_once_by_the_staff_in_charge(
    compound, committee, street_staff, outsider_staff
):
    users = owners_of(compound, ["100.00"] * 9)
    proposal = propose(compound, users[0])
    with pytest.raises(svc.ProposalError, match="20"):
        svc.proposal_convene(proposal=proposal, actor=street_staff)
    proposal = sign(proposal, users[1])
    with pytest.raises(svc.ElectionError):
        svc.proposal_convene(proposal=proposal, actor=outsider_staff)
    with pytest.raises(svc.ElectionError):
        svc.proposal_convene(proposal=proposal, actor=users[2])
    svc.proposal_convene(
        proposal=proposal, actor=street_staff, kind=Election.Kind.REELECTION, title="提前换届"
    )
    with pytest.raises(svc.ProposalError):
        svc.proposal_convene(proposal=proposal, actor=street_staff)
    assert Election.objects.filter(compound=compound).count() == 1


# ---------------------------------------------------------------------------------------------
# Scoping: the pages
# ---------------------------------------------------------------------------------------------


def test_it_lets_owners_propose_and_sign_on_their_pages(client, compound):
    users = owners_of(compound, ["100.00"] * 10)
    client.force_login(users[0])
    response = client.post(
        reverse("elections:proposal_new"),
        {"compound": compound.pk, "title": "解聘物业服务企业", "text": "物业服务长期不达标。"},
    )
    proposal = AssemblyProposal.objects.get()
    assert response["Location"] == reverse("elections:proposal", args=[proposal.pk])
    client.force_login(users[1])
    html = client.get(reverse("elections:proposal", args=[proposal.pk])).content.decode()
    assert "解聘物业服务企业" in html and "10.0%" in html and 'class="mark at20"' in html
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("elections:proposal_sign", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == Status.REACHED
    assert client.get(reverse("elections:proposal_sign", args=[proposal.pk])).status_code == 405


def test_it_lets_no_owner_of_another_compound_see_or_sign(client, compound, other_compound):
    users = owners_of(compound, ["100.00"] * 10)
    proposal = propose(compound, users[0])
    stranger, _owner, _unit = owner_user(other_compound, "1-1-101", "100.00")
    client.force_login(stranger)
    assert client.get(reverse("elections:proposal", args=[proposal.pk])).status_code == 404
    assert client.post(reverse("elections:proposal_sign", args=[proposal.pk])).status_code == 404
    assert client.post(reverse("elections:proposal_withdraw", args=[proposal.pk])).status_code == 404
    assert "罢免" not in client.get(reverse("elections:proposals")).content.decode()
    with pytest.raises(svc.ProposalError):
        svc.proposal_sign(proposal=proposal, actor=stranger)
    assert svc.proposal_support(proposal).signed_heads == 1


def test_it_refuses_a_person_without_a_home_and_anonymous_visitors(client, compound):
    users = owners_of(compound, ["100.00"] * 10)
    proposal = propose(compound, users[0])
    assert client.get(reverse("elections:proposals")).status_code == 302
    assert client.post(reverse("elections:proposal_sign", args=[proposal.pk])).status_code == 302
    client.force_login(UserFactory())
    assert client.get(reverse("elections:proposal_new")).status_code == 404
    with pytest.raises(DomainError):
        svc.proposal_sign(proposal=proposal, actor=OPERATOR)


def test_it_hides_a_compounds_proposals_from_another_streets_staff(
    client, compound, street_staff, outsider_staff
):
    users = owners_of(compound, ["100.00"] * 10)
    proposal = sign(propose(compound, users[0]), users[1])
    client.force_login(outsider_staff)
    assert client.get(reverse("manage:proposals", args=[compound.pk])).status_code == 404
    assert client.get(reverse("elections:proposal", args=[proposal.pk])).status_code == 404
    assert (
        client.post(
            reverse("manage:proposal_convene", args=[proposal.pk]), {"kind": "matters_only"}
        ).status_code
        == 404
    )
    client.force_login(street_staff)
    html = client.get(reverse("manage:proposals", args=[compound.pk])).content.decode()
    assert "罢免业主委员会主任" in html and reverse("manage:proposal_convene", args=[proposal.pk]) in html
    response = client.post(
        reverse("manage:proposal_convene", args=[proposal.pk]), {"kind": "matters_only", "title": ""}
    )
    election = Election.objects.get(compound=compound)
    assert response["Location"] == reverse("manage:election", args=[election.pk])


def test_it_lets_a_grid_leader_read_but_not_convene(client, compound):
    from tests.factories import GridFactory

    users = owners_of(compound, ["100.00"] * 10)
    proposal = sign(propose(compound, users[0]), users[1])
    leader = UserFactory()
    grant(leader, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))
    client.force_login(leader)
    assert client.get(reverse("manage:proposals", args=[compound.pk])).status_code == 404
    assert (
        client.post(
            reverse("manage:proposal_convene", args=[proposal.pk]), {"kind": "matters_only"}
        ).status_code
        == 404
    )


# ---------------------------------------------------------------------------------------------
# Two owners sign at once (PostgreSQL): the threshold is reached once, the committee told once
# ---------------------------------------------------------------------------------------------

CHILD = r"""
from elections import proposals
from elections.models import AssemblyProposal
from yezhu.accounts.models import User
proposal = AssemblyProposal.objects.get(pk=args["proposal"])
user = User.objects.get(pk=args["user"])
wait_for_go()
try:
    proposals.proposal_sign(proposal=proposal, actor=user)
    print(json.dumps({"outcome": "signed"}))
except proposals.ProposalError as error:
    print(json.dumps({"outcome": "refused", "message": str(error)}, ensure_ascii=False))
finally:
    connection.close()
"""


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_reaches_the_threshold_once_when_two_owners_sign_at_the_same_moment(compound, tmp_path):
    """3 of 15 owners reach 20 %: two already signed, two more sign at once in two processes. The
    row lock serialises them: the first reaches the threshold, the second is told no more
    signatures are needed, and one notice goes out."""
    users = owners_of(compound, ["100.00"] * 15)
    proposal = propose(compound, users[0])
    sign(proposal, users[1])
    outcomes = race(CHILD, [{"proposal": proposal.pk, "user": u.pk} for u in users[2:4]], tmp_path)
    assert sorted(o["outcome"] for o in outcomes) == ["refused", "signed"], outcomes
    proposal.refresh_from_db()
    assert svc.proposal_support(proposal).signed_heads == 3
    assert proposal.status == Status.REACHED
    assert Notice.objects.filter(kind=Notice.Kind.PROPOSAL).count() == 1
    assert AuditEntry.objects.filter(action="proposal.reached").count() == 1
