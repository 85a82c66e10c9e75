"""Objections (异议): filed by owners only inside the candidate-notice or result-notice window,
answered by staff, both in the audit log; and the candidate notice page with its scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from elections import nominations as svc
from elections.errors import ElectionError
from elections.models import Candidate, Election, Objection, Race, Stage
from tests.factories import UserFactory, owner_user
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

START = dt.date(2025, 5, 10)
END = dt.date(2025, 5, 17)


def make_election(compound, *, stage=Stage.CANDIDATE_NOTICE) -> Election:
    election = Election.objects.create(
        compound=compound,
        title="第二届业主委员会换届选举",
        stage=stage,
        candidate_notice_start=START,
        candidate_notice_end=END,
    )
    race = Race.objects.create(election=election, key="R1", title="业主委员会委员", seats=3)
    Candidate.objects.create(
        race=race, key="C1", name="张三", position=1, party_member=True, bio="小区居住十五年，退休工程师。"
    )
    Candidate.objects.create(race=race, key="C2", name="李四", position=2, birth_year=1970, occupation="医生")
    return election


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (START - dt.timedelta(days=1), False),
        (START, True),
        (END, True),
        (END + dt.timedelta(days=1), False),
    ],
)
def test_it_takes_candidate_objections_only_inside_the_notice_period(compound, day, allowed):
    """The window is the notice period, both ends included."""
    election = make_election(compound)
    user, _, _ = owner_user(compound, "1-1-101")
    candidate = Candidate.objects.get(key="C1")
    if allowed:
        objection = svc.objection_file(
            election=election, actor=user, text="该候选人长期拒交物业费。", candidate=candidate, today=day
        )
        assert objection.kind == Objection.Kind.CANDIDATE
        assert objection.candidate == candidate
    else:
        with pytest.raises(ElectionError, match="公示期"):
            svc.objection_file(election=election, actor=user, text="该候选人长期拒交物业费。", today=day)
        assert not Objection.objects.exists()


def test_it_takes_no_objection_outside_the_notice_stages(compound):
    """During vetting or voting there is no objection window, whatever the dates."""
    user, _, _ = owner_user(compound, "1-1-101")
    for stage in (Stage.VETTING, Stage.VOTING):
        election = make_election(compound, stage=stage)
        with pytest.raises(ElectionError):
            svc.objection_file(election=election, actor=user, text="有异议，请核实。", today=START)
    assert not Objection.objects.exists()


def test_it_takes_result_objections_until_the_window_ends(compound):
    """During the result notice objections run until objection_window_end, included."""
    election = make_election(compound, stage=Stage.RESULT_NOTICE)
    Election.objects.filter(pk=election.pk).update(objection_window_end=dt.date(2025, 7, 8))
    election.refresh_from_db()
    user, _, _ = owner_user(compound, "1-1-101")
    objection = svc.objection_file(
        election=election,
        actor=user,
        text="计票时纸质票数量与登记不符。",
        candidate=Candidate.objects.get(key="C1"),
        today=dt.date(2025, 7, 8),
    )
    assert objection.kind == Objection.Kind.RESULT
    assert objection.candidate is None
    with pytest.raises(ElectionError):
        svc.objection_file(election=election, actor=user, text="再提一条异议。", today=dt.date(2025, 7, 9))


def test_it_takes_objections_only_from_owners_and_with_a_reason(compound, street_staff):
    """Staff and strangers cannot file; an empty objection is refused."""
    election = make_election(compound)
    owner_account, _, _ = owner_user(compound, "1-1-101")
    for user in (street_staff, UserFactory()):
        with pytest.raises(ElectionError, match="业主"):
            svc.objection_file(election=election, actor=user, text="有异议，请核实。", today=START)
    with pytest.raises(ElectionError, match="理由"):
        svc.objection_file(election=election, actor=owner_account, text=" ", today=START)


def test_it_lets_staff_answer_and_the_owner_read_the_answer(client, compound, working_group):
    """The owner files through the page, staff answer on theirs, the owner reads the answer;
    both steps are in the audit log."""
    election = make_election(compound)
    today = timezone.localdate()
    Election.objects.filter(pk=election.pk).update(
        candidate_notice_start=today - dt.timedelta(days=1), candidate_notice_end=today + dt.timedelta(days=6)
    )
    user, _, _ = owner_user(compound, "1-1-101")
    client.force_login(user)
    candidate = Candidate.objects.get(key="C2")
    response = client.post(
        reverse("elections:objection_file", args=[election.pk]),
        {"candidate": candidate.pk, "text": "李四的房屋有违法搭建。"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    client.force_login(working_group)
    listing = client.get(reverse("manage:objections", args=[election.pk])).content.decode()
    assert "李四的房屋有违法搭建。" in listing
    assert "待答复" in listing
    response = client.post(
        reverse("manage:objection_answer", args=[election.pk, objection.pk]),
        {"answer": "经现场核查，搭建已于去年拆除，不影响候选资格。"},
    )
    assert response.status_code == 302
    client.force_login(user)
    page = client.get(reverse("elections:candidate_notice", args=[election.pk])).content.decode()
    assert "经现场核查，搭建已于去年拆除，不影响候选资格。" in page
    actions = list(AuditEntry.objects.filter(election_id=election.pk).values_list("action", flat=True))
    assert "objection.filed" in actions
    assert "objection.answered" in actions


def test_it_refuses_an_answer_from_someone_who_does_not_manage_the_election(compound):
    """An owner cannot answer objections."""
    election = make_election(compound)
    user, _, _ = owner_user(compound, "1-1-101")
    objection = svc.objection_file(election=election, actor=user, text="有异议，请核实。", today=START)
    with pytest.raises(ElectionError):
        svc.objection_answer(objection=objection, actor=user, answer="自己答复")


def test_it_shows_the_candidate_notice_with_bios_party_and_dates(client, compound):
    """Owners read every candidate with bio, party membership and the notice period."""
    election = make_election(compound)
    user, _, _ = owner_user(compound, "1-1-101")
    client.force_login(user)
    response = client.get(reverse("elections:candidate_notice", args=[election.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "张三" in html and "李四" in html
    assert "小区居住十五年，退休工程师。" in html
    assert "中共党员" in html and "群众" in html
    assert "2025年5月10日" in html and "2025年5月17日" in html
    assert "style=" not in html


def test_it_hides_the_candidates_from_owners_before_the_notice_but_not_from_staff(
    client, compound, street_staff
):
    """Before publication owners see that it is not published yet; staff see a preview."""
    election = make_election(compound, stage=Stage.VETTING)
    user, _, _ = owner_user(compound, "1-1-101")
    client.force_login(user)
    html = client.get(reverse("elections:candidate_notice", args=[election.pk])).content.decode()
    assert "候选人公示尚未发布" in html
    assert "张三" not in html
    client.force_login(street_staff)
    html = client.get(reverse("elections:candidate_notice", args=[election.pk])).content.decode()
    assert "工作人员预览" in html
    assert "张三" in html


SCOPED_PAGES = [
    ("elections:candidate_notice", "get", "post", lambda e, o: [e.pk]),
    ("elections:objection_file", "get", "put", lambda e, o: [e.pk]),
    ("elections:candidate_photo", "get", "post", lambda e, o: [e.pk, Candidate.objects.get(key="C1").pk]),
    ("manage:objections", "get", "post", lambda e, o: [e.pk]),
    ("manage:objection_answer", "post", "get", lambda e, o: [e.pk, o.pk]),
]


@pytest.fixture
def scoped(compound, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.base import ContentFile

    election = make_election(compound)
    candidate = Candidate.objects.get(key="C1")
    candidate.photo.save("c1.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16))
    user, _, _ = owner_user(compound, "1-1-101")
    objection = svc.objection_file(election=election, actor=user, text="有异议，请核实。", today=START)
    return election, objection, user


@pytest.mark.parametrize(("name", "method", "wrong", "args"), SCOPED_PAGES)
def test_it_redirects_anonymous_visitors(client, scoped, name, method, wrong, args):
    """Anonymous visitors are sent to sign in."""
    election, objection, _ = scoped
    response = getattr(client, method)(reverse(name, args=args(election, objection)))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


@pytest.mark.parametrize(("name", "method", "wrong", "args"), SCOPED_PAGES)
def test_it_refuses_the_wrong_method(client, scoped, working_group, name, method, wrong, args):
    """A method the page does not take is a 405."""
    election, objection, _ = scoped
    client.force_login(working_group)
    assert getattr(client, wrong)(reverse(name, args=args(election, objection))).status_code == 405


@pytest.mark.parametrize(("name", "method", "wrong", "args"), SCOPED_PAGES)
def test_it_hides_the_pages_from_another_streets_staff(
    client, scoped, outsider_staff, name, method, wrong, args
):
    """Another street's staff get a 404."""
    election, objection, _ = scoped
    client.force_login(outsider_staff)
    assert getattr(client, method)(reverse(name, args=args(election, objection))).status_code == 404


def test_it_serves_a_candidate_photo_to_owners_once_published(client, scoped):
    """The photo is served to the compound's owners during the notice."""
    election, _objection, user = scoped
    client.force_login(user)
    response = client.get(
        reverse("elections:candidate_photo", args=[election.pk, Candidate.objects.get(key="C1").pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


def test_it_keeps_the_objections_list_from_owners(client, scoped):
    """An owner cannot open the staff list of objections."""
    election, _objection, user = scoped
    client.force_login(user)
    assert client.get(reverse("manage:objections", args=[election.pk])).status_code == 404
