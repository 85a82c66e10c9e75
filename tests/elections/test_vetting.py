"""Vetting (资格审查): negative-list flags with evidence, opinions, decisions with reasons, the
candidate rows that approval creates and rejection removes, and the staff pages' scoping."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from elections import nominations as svc
from elections.errors import ElectionError
from elections.models import Candidate, Election, Nomination, Race, Stage, VettingFlag
from grids.models import PartyMember, PartyOrg
from tests.factories import owner_user
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def make_election(compound, *, stage=Stage.NOMINATION) -> Election:
    election = Election.objects.create(compound=compound, title="第二届业主委员会换届选举", stage=stage)
    Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=5)
    return election


def set_stage(election: Election, stage: str) -> None:
    Election.objects.filter(pk=election.pk).update(stage=stage)
    election.refresh_from_db()


def self_nominated(election, code, name, **details) -> tuple:
    user, owner, _ = owner_user(election.compound, code, name=name)
    nomination = svc.nomination_create(
        election=election, race=election.races.get(), nominee=owner, source="self", actor=user, **details
    )
    return user, nomination


@pytest.fixture
def vetted(compound):
    election = make_election(compound)
    nominee_user, nomination = self_nominated(election, "2-1-101", "周丽", bio="会计，热心小区事务。")
    return election, nomination, nominee_user


def test_it_keeps_a_flag_with_a_photo_or_pdf_as_evidence(client, vetted, working_group):
    """Staff note a negative-list finding with a PNG or a PDF, during nominations already, and
    only staff who manage the election can open the evidence."""
    election, nomination, nominee_user = vetted
    client.force_login(working_group)
    response = client.post(
        reverse("manage:vetting_flag", args=[election.pk, nomination.pk]),
        {
            "kind": VettingFlag.Kind.ILLEGAL_BUILDING,
            "note": "阳台违建，城管已立案",
            "evidence": SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    svc.vetting_flag_add(
        nomination=nomination,
        actor=working_group,
        kind=VettingFlag.Kind.UNPAID_FEES,
        evidence=SimpleUploadedFile("欠费通知.pdf", PDF, content_type="application/pdf"),
    )
    flags = list(nomination.flags.order_by("pk"))
    assert [f.kind for f in flags] == ["illegal_building", "unpaid_fees"]
    assert flags[0].evidence.name.startswith("vetting/")
    evidence_url = reverse("manage:vetting_evidence", args=[election.pk, flags[1].pk])
    response = client.get(evidence_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(nominee_user)
    assert client.get(evidence_url).status_code == 404
    assert AuditEntry.objects.filter(action="nomination.flagged").count() == 2
    page = client.get(reverse("manage:vetting", args=[election.pk, nomination.pk]))
    assert page.status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"just some text", "PDF"),
        ("photo.png", PDF, "PDF"),  # a PDF pretending to be a photo
        ("script.svg", b"<svg onload='alert(1)'/>", "PDF"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "5 MB"),
    ],
)
def test_it_refuses_evidence_that_is_not_a_photo_or_pdf_of_at_most_5_mb(
    vetted, working_group, name, content, message
):
    """Evidence must be a real image or PDF (told by its first bytes and its name) of 5 MB or less."""
    _election, nomination, _ = vetted
    with pytest.raises(ElectionError, match=message):
        svc.vetting_flag_add(
            nomination=nomination,
            actor=working_group,
            kind=VettingFlag.Kind.OTHER,
            note="见附件",
            evidence=SimpleUploadedFile(name, content),
        )
    assert not VettingFlag.objects.exists()


def test_it_accepts_evidence_of_exactly_5_mb(vetted, working_group):
    """The limit is inclusive: a 5 MB file is accepted."""
    _election, nomination, _ = vetted
    content = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 9)
    assert len(content) == 5 * 1024 * 1024
    flag = svc.vetting_flag_add(
        nomination=nomination,
        actor=working_group,
        kind=VettingFlag.Kind.UNPAID_FUND,
        evidence=SimpleUploadedFile("scan.pdf", content),
    )
    assert flag.evidence


def test_it_refuses_a_photo_that_is_not_an_image_for_a_nomination(compound):
    """The nominee's photo is an image only: a PDF is refused."""
    election = make_election(compound)
    user, owner, _ = owner_user(compound, "1-1-101")
    with pytest.raises(ElectionError, match="照片"):
        svc.nomination_create(
            election=election,
            race=election.races.get(),
            nominee=owner,
            source="self",
            actor=user,
            photo=SimpleUploadedFile("me.pdf", PDF),
        )


def test_it_requires_a_reason_for_rejection_that_the_nominee_reads(client, vetted, working_group):
    """A rejection without a reason is refused; with one, the nominee reads it on their page."""
    election, nomination, nominee_user = vetted
    set_stage(election, Stage.VETTING)
    client.force_login(working_group)
    response = client.post(
        reverse("manage:nomination_decide", args=[election.pk, nomination.pk]),
        {"decision": "reject", "reason": ""},
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.ACCEPTED
    with pytest.raises(ElectionError, match="理由"):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=False, reason="  ")
    svc.nomination_decide(
        nomination=nomination,
        actor=working_group,
        approve=False,
        reason="经核实，有拒交物业费记录，暂不符合候选人条件。",
    )
    nomination.refresh_from_db()
    assert nomination.status == Nomination.Status.REJECTED
    client.force_login(nominee_user)
    page = client.get(reverse("elections:my_nominations", args=[election.pk])).content.decode()
    assert "经核实，有拒交物业费记录，暂不符合候选人条件。" in page
    assert "换届小组的审查决定" in page
    assert not Candidate.objects.exists()
    assert AuditEntry.objects.get(action="nomination.rejected").data["reason"].startswith("经核实")


def test_it_decides_only_in_the_vetting_stage(vetted, working_group):
    """During nominations staff may flag and write opinions but not decide; after the candidate
    notice is published, nothing changes any more."""
    election, nomination, _ = vetted
    with pytest.raises(ElectionError, match="资格审查阶段"):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    svc.vetting_update(
        nomination=nomination,
        actor=working_group,
        opinion_party="同意",
        opinion_owners="无异议",
        opinion_self="愿意参选",
        positive_notes="按时缴费",
        party_member=False,
        branch_member=False,
        branch_secretary=False,
    )
    set_stage(election, Stage.CANDIDATE_NOTICE)
    with pytest.raises(ElectionError, match="已经发布"):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    with pytest.raises(ElectionError):
        svc.vetting_flag_add(nomination=nomination, actor=working_group, kind="illegal_rental")


def test_it_approves_only_accepted_nominations(compound, working_group):
    """A nomination still waiting for the nominee's answer cannot be approved."""
    election = make_election(compound)
    _, owner, _ = owner_user(compound, "1-1-101")
    nomination = svc.nomination_create(
        election=election,
        race=election.races.get(),
        nominee=owner,
        source="working_group",
        actor=working_group,
    )
    set_stage(election, Stage.VETTING)
    with pytest.raises(ElectionError, match="已同意"):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    assert not Candidate.objects.exists()


def test_it_removes_a_candidate_rejected_after_approval_and_renumbers(compound, working_group):
    """Rejecting an approved nomination before the notice removes the candidate, and the keys
    close up (C1, C2) so the ballot has no gap."""
    election = make_election(compound)
    _, first = self_nominated(election, "1-1-101", "甲")
    _, second = self_nominated(election, "1-1-102", "乙")
    _, third = self_nominated(election, "1-1-103", "丙")
    set_stage(election, Stage.VETTING)
    for nomination in (first, second, third):
        svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    assert dict(Candidate.objects.values_list("name", "key")) == {"甲": "C1", "乙": "C2", "丙": "C3"}
    svc.nomination_decide(nomination=first, actor=working_group, approve=False, reason="本人户籍不在本小区")
    assert dict(Candidate.objects.values_list("name", "key")) == {"乙": "C1", "丙": "C2"}
    # Reconsidered: approved again, it takes the next number.
    svc.nomination_decide(nomination=first, actor=working_group, approve=True, reason="复核后符合条件")
    assert dict(Candidate.objects.values_list("name", "key")) == {"乙": "C1", "丙": "C2", "甲": "C3"}


def test_it_shows_party_membership_as_the_working_group_confirmed_it(client, compound, working_group):
    """The nominee's own declaration is corrected by the working group, the branch secretary is
    a branch member and a party member, and the approved candidate carries the confirmed flags;
    the party roll is offered as a hint."""
    election = make_election(compound)
    _, nomination = self_nominated(election, "1-1-101", "刘强", party_member=False)
    org = PartyOrg.objects.create(name="西园里党支部", level=PartyOrg.Level.COMPOUND, compound=compound)
    PartyMember.objects.create(
        org=org, name="刘强", owner=nomination.nominee, role=PartyMember.Role.SECRETARY
    )
    assert svc.party_roll_hint(nomination.nominee, compound) == {
        "party_member": True,
        "branch_member": True,
        "branch_secretary": True,
    }
    client.force_login(working_group)
    page = client.get(reverse("manage:vetting", args=[election.pk, nomination.pk])).content.decode()
    assert "党员名册记录" in page
    assert "小区党支部书记" in page
    client.post(
        reverse("manage:vetting_opinions", args=[election.pk, nomination.pk]),
        {"opinion_party": "支持", "branch_secretary": "on"},
    )
    nomination.refresh_from_db()
    assert (nomination.party_member, nomination.branch_member, nomination.branch_secretary) == (
        True,
        True,
        True,
    )
    assert nomination.opinion_party == "支持"
    set_stage(election, Stage.VETTING)
    svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    candidate = Candidate.objects.get()
    assert (candidate.party_member, candidate.branch_member, candidate.branch_secretary) == (True, True, True)
    assert AuditEntry.objects.get(action="nomination.vetted").data["after"]["branch_secretary"] is True


def test_it_lists_nominations_with_status_supporters_and_flags(client, compound, working_group):
    """The staff list shows each nomination's source, supporters, acceptance and findings."""
    election = make_election(compound)
    Election.objects.filter(pk=election.pk).update(nominations_required=2)
    election.refresh_from_db()
    nominator, _, _ = owner_user(compound, "1-1-101")
    _, nominee, _ = owner_user(compound, "1-1-102", name="赵敏")
    nomination = svc.nomination_create(
        election=election, race=election.races.get(), nominee=nominee, source="owners", actor=nominator
    )
    svc.vetting_flag_add(nomination=nomination, actor=working_group, kind="illegal_rental")
    client.force_login(working_group)
    html = client.get(reverse("manage:nominations", args=[election.pk])).content.decode()
    assert "赵敏" in html
    assert "1/2" in html
    assert "还差 1 位联名" in html
    assert "业主推荐" in html
    assert "候选人结构" in html


# ---------------------------------------------------------------------------------------------
# Scoping of every staff page
# ---------------------------------------------------------------------------------------------

STAFF_PAGES = [
    ("manage:nominations", "get", "post", lambda e, n: [e.pk]),
    ("manage:nomination_new", "get", "put", lambda e, n: [e.pk]),
    ("manage:vetting", "get", "post", lambda e, n: [e.pk, n.pk]),
    ("manage:vetting_flag", "post", "get", lambda e, n: [e.pk, n.pk]),
    ("manage:vetting_opinions", "post", "get", lambda e, n: [e.pk, n.pk]),
    ("manage:nomination_decide", "post", "get", lambda e, n: [e.pk, n.pk]),
    ("manage:nomination_paper_answer", "post", "get", lambda e, n: [e.pk, n.pk]),
    ("manage:nomination_photo", "get", "post", lambda e, n: [e.pk, n.pk]),
    ("manage:vetting_evidence", "get", "post", lambda e, n: [e.pk, n.flags.get().pk]),
]


@pytest.fixture
def scoped(compound, working_group):
    election = make_election(compound)
    user, owner, _ = owner_user(compound, "1-1-101")
    nomination = svc.nomination_create(
        election=election,
        race=election.races.get(),
        nominee=owner,
        source="self",
        actor=user,
        photo=SimpleUploadedFile("me.png", PNG),
    )
    svc.vetting_flag_add(
        nomination=nomination,
        actor=working_group,
        kind="other",
        note="见附件",
        evidence=SimpleUploadedFile("a.png", PNG),
    )
    return election, nomination, user


@pytest.mark.parametrize(("name", "method", "wrong", "args"), STAFF_PAGES)
def test_it_redirects_anonymous_visitors_from_staff_pages(client, scoped, name, method, wrong, args):
    """An anonymous visitor is sent to sign in."""
    election, nomination, _ = scoped
    response = getattr(client, method)(reverse(name, args=args(election, nomination)))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


@pytest.mark.parametrize(("name", "method", "wrong", "args"), STAFF_PAGES)
def test_it_refuses_the_wrong_method_on_staff_pages(client, scoped, working_group, name, method, wrong, args):
    """A method the page does not take is a 405."""
    election, nomination, _ = scoped
    client.force_login(working_group)
    assert getattr(client, wrong)(reverse(name, args=args(election, nomination))).status_code == 405


@pytest.mark.parametrize(("name", "method", "wrong", "args"), STAFF_PAGES)
def test_it_hides_staff_pages_from_another_street_and_from_owners(
    client, scoped, outsider_staff, name, method, wrong, args
):
    """Another street's staff and the owner themself get a 404."""
    election, nomination, owner_account = scoped
    for user in (outsider_staff, owner_account):
        client.force_login(user)
        assert getattr(client, method)(reverse(name, args=args(election, nomination))).status_code == 404


@pytest.mark.parametrize(
    "name", ["manage:nominations", "manage:nomination_new", "manage:vetting", "manage:nomination_photo"]
)
def test_it_shows_staff_pages_to_street_staff(client, scoped, street_staff, name):
    """Street staff of the compound's street open every staff page."""
    election, nomination, _ = scoped
    client.force_login(street_staff)
    args = (
        [election.pk]
        if name in ("manage:nominations", "manage:nomination_new")
        else [election.pk, nomination.pk]
    )
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    if name != "manage:nomination_photo":
        assert "style=" not in response.content.decode()


def test_it_closes_nominations_and_publishes_the_notice_from_the_nominations_page(
    client, compound, working_group
):
    """The step buttons on the nominations page post to the overview's transitions with the
    field names those expect: nomination → vetting → candidate notice."""
    import re

    election = make_election(compound)
    _, nomination = self_nominated(election, "1-1-101", "孙红")
    client.force_login(working_group)
    page = client.get(reverse("manage:nominations", args=[election.pk])).content.decode()
    action = re.search(r'<form method="post" action="([^"]+/do/vetting_start/)"', page).group(1)
    client.post(action)
    election.refresh_from_db()
    assert election.stage == Stage.VETTING
    svc.nomination_decide(nomination=nomination, actor=working_group, approve=True)
    page = client.get(reverse("manage:nominations", args=[election.pk])).content.decode()
    action = re.search(r'<form method="post" action="([^"]+/candidate-notice/publish/)"', page).group(1)
    start_name = re.search(r'name="(candidate_notice_publish-start)"', page).group(1)
    start = timezone.localdate()
    client.post(action, {start_name: start.isoformat()})
    election.refresh_from_db()
    assert election.stage == Stage.CANDIDATE_NOTICE
    assert election.candidate_notice_start == start
    assert election.candidate_notice_end > start
