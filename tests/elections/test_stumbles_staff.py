"""Issue 20, the staff side: one committee election at a time and the board keeps the live vote;
the assembly notice needs its voting dates and names its signer; the candidate notice cannot
predate its nominations and the timeline flags a step out of order; SMS titles say things once;
the serial sits under the QR code; the admin and the audit log speak Chinese."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections.errors import ElectionError, ElectionUnderWay
from elections.models import Candidate, Election, Nomination, Notice, Stage
from elections.notices import notice_create
from elections.notices_print import notice_context
from elections.paper import serial_for
from elections.rules import timeline as tl
from elections.services import roll_freeze
from elections.sms_deliveries import sms_message
from tests.elections.test_lifecycle import add_working_group, at, ready_for_notice
from tests.elections.test_street_board import make_election, make_voting, row_for
from tests.factories import OwnerFactory, election_with_ballot_paper, owner_user, sign_in
from yezhu.actors import OPERATOR
from yezhu.audit.labels import action_label

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------- one at a time


def test_it_refuses_a_second_committee_election_while_one_is_under_way(compound, working_group):
    first = lc.election_create(compound=compound, title="第二届换届选举", actor=working_group)
    with pytest.raises(ElectionUnderWay, match="第二届换届选举"):
        lc.election_create(compound=compound, title="又一次换届", actor=working_group)
    with pytest.raises(ElectionError):  # under way, and no committee in office to fill seats of
        lc.election_create(
            compound=compound,
            title="补选",
            kind=Election.Kind.BY_ELECTION,
            actor=working_group,
            concurrent=True,
        )
    assert Election.objects.filter(compound=compound).count() == 1
    Election.objects.filter(pk=first.pk).update(stage=Stage.FAILED)
    assert lc.election_create(compound=compound, title="重新换届", actor=working_group).pk != first.pk


def test_it_asks_for_confirmation_before_a_vote_on_matters_beside_an_election(compound, working_group):
    lc.election_create(compound=compound, title="第二届换届选举", actor=working_group)
    with pytest.raises(ElectionUnderWay, match="确认"):
        lc.election_create(
            compound=compound, title="续聘物业", kind=Election.Kind.MATTERS_ONLY, actor=working_group
        )
    matters = lc.election_create(
        compound=compound,
        title="续聘物业",
        kind=Election.Kind.MATTERS_ONLY,
        actor=working_group,
        concurrent=True,
    )
    assert matters.kind == Election.Kind.MATTERS_ONLY


def test_it_shows_the_refusal_on_the_new_election_page(client, compound, working_group):
    lc.election_create(compound=compound, title="第二届换届选举", actor=working_group)
    client.force_login(working_group)
    response = client.post(
        reverse("manage:election_new"), {"compound": compound.pk, "title": "又一次换届", "kind": "reelection"}
    )
    assert response.status_code == 200
    assert "已有一场业主委员会委员选举正在进行" in response.content.decode()
    assert Election.objects.filter(compound=compound).count() == 1


def test_it_keeps_the_live_vote_on_the_street_board(street, compound):
    """A newer election started beside a vote in progress does not hide the vote."""
    today = timezone.localdate()
    voting = make_voting(compound, today=today)
    make_election(compound, stage=Stage.STARTED, kind=Election.Kind.MATTERS_ONLY)
    row = row_for(street, compound, today)
    assert row.election.pk == voting.pk
    assert row.turnout is not None


# ---------------------------------------------------------------------------------------------- notices


def test_it_refuses_the_assembly_notice_before_the_voting_dates_are_set(compound):
    election = lc.election_create(compound=compound, title="第二届换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR, on=date(2026, 2, 2))
    add_working_group(election)
    lc.working_group_publish(election=election, actor=OPERATOR, on=date(2026, 2, 5))
    lc.race_save(election=election, actor=OPERATOR, title="业主委员会委员", seats=5)
    with pytest.raises(ElectionError, match="请先设定投票时间") as refused:
        lc.notice_publish(election=election, actor=OPERATOR, on=date(2026, 3, 2))
    assert refused.value.code == "notice_without_dates"
    assert Election.objects.get(pk=election.pk).notice_published_on is None
    lc.voting_schedule(
        election=election, opens_at=at(2026, 3, 20), closes_at=at(2026, 3, 27, 18), actor=OPERATOR
    )
    lc.notice_publish(election=election, actor=OPERATOR, on=date(2026, 3, 2))
    printed = notice_context(Election.objects.get(pk=election.pk), "assembly")
    assert printed["voting_opens"] and printed["voting_closes"]
    assert "换届小组" in printed["issuer"]


def test_it_signs_a_first_assemblys_notice_as_its_preparatory_group(compound):
    election = election_with_ballot_paper(compound, stage=Stage.NOTICE)
    Election.objects.filter(pk=election.pk).update(kind=Election.Kind.FIRST_ASSEMBLY)
    election.refresh_from_db()
    issuer = notice_context(election, "assembly")["issuer"]
    assert "筹备组" in issuer and "换届小组" not in issuer


def test_it_refuses_a_candidate_notice_dated_before_its_nominations(compound):
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, actor=OPERATOR, on=date(2026, 3, 2))
    lc.nominations_open(election=election, actor=OPERATOR)
    nominee = OwnerFactory(name="被推荐人")
    Nomination.objects.create(
        election=election, race=election.races.get(), nominee=nominee, source=Nomination.Source.SELF
    )
    lc.vetting_start(election=election, actor=OPERATOR)
    Candidate.objects.create(race=election.races.get(), key="C1", name="候选人1", position=1)
    month_ago = timezone.localdate() - timedelta(days=30)
    with pytest.raises(ElectionError, match="实际张贴") as refused:
        lc.candidate_notice_publish(election=election, actor=OPERATOR, start=month_ago)
    assert refused.value.code == "candidate_notice_before_nominations"
    assert Election.objects.get(pk=election.pk).stage == Stage.VETTING
    lc.candidate_notice_publish(election=election, actor=OPERATOR, start=timezone.localdate())
    assert Election.objects.get(pk=election.pk).stage == Stage.CANDIDATE_NOTICE


def test_it_flags_a_step_recorded_before_the_one_that_must_precede_it():
    """A candidate notice dated before the assembly notice is out of order, not done."""
    kd = tl.KeyDates(
        working_group_formed=date(2026, 2, 2),
        working_group_published=date(2026, 2, 5),
        assembly_notice_published=date(2026, 3, 2),
        candidate_notice_start=date(2026, 2, 20),
    )
    profile = tl.PROFILES["national"]
    plain = tl.TableCalendar([], [], [])
    milestones = {m.key: m for m in tl.compute_timeline(kd, profile, plain, date(2026, 3, 10))}
    assert milestones["candidate_notice_start"].status == tl.MilestoneStatus.OUT_OF_ORDER
    assert milestones["assembly_notice"].status != tl.MilestoneStatus.OUT_OF_ORDER
    found = [v for v in tl.violations(kd, profile, plain) if v.key == "candidate_notice_start_out_of_order"]
    assert len(found) == 1 and "早于" in found[0].message
    in_order = tl.KeyDates(
        assembly_notice_published=date(2026, 3, 2), candidate_notice_start=date(2026, 3, 5)
    )
    assert not tl.out_of_order(in_order)


def test_it_does_not_repeat_the_notice_kind_or_the_compound_in_a_text_message(compound):
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    notice = notice_create(
        compound=compound,
        election=election,
        kind=Notice.Kind.CANDIDATES,
        audience=Notice.Audience.ALL_OWNERS,
        channels=["sms"],
        title="候选人公示：第二届业主委员会候选人名单",
        body="……",
        actor=OPERATOR,
    )
    _kind, params = sms_message(notice)
    assert params["title"] == "第二届业主委员会候选人名单"
    reminder = notice_create(
        compound=compound,
        election=election,
        kind=Notice.Kind.REMINDER,
        audience=Notice.Audience.NON_VOTERS,
        channels=["sms"],
        title="投票提醒：投票将于 2026-12-15 18:00 截止",
        body="……",
        actor=OPERATOR,
    )
    kind, params = sms_message(reminder)
    assert kind == "reminder" and params["title"] == election.title
    assert "投票提醒" not in params["title"] and compound.name not in params["title"]


def test_it_prints_the_serial_under_the_qr_code(client, compound, working_group):
    owner_user(compound, "1-1-101")
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    voter = election.voters.get()
    client.force_login(working_group)
    html = client.get(reverse("manage:paper_print_voter", args=[election.pk, voter.pk])).content.decode()
    figure = re.search(r'<figure class="qr">(.*?)</figure>', html, re.S).group(1)
    assert "<svg" in figure
    caption = re.search(r"<figcaption[^>]*>([^<]+)</figcaption>", figure).group(1)
    assert caption == serial_for(voter)


# ---------------------------------------------------------------------------------------------- admin and audit


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(name="管理员", is_staff=True, is_superuser=True)


def test_it_speaks_chinese_in_the_admin(client, compound, admin_user):
    election = election_with_ballot_paper(compound, stage=Stage.NOTICE)
    Election.objects.filter(pk=election.pk).update(profile="hangzhou")
    sign_in(client, admin_user)
    listing = client.get(reverse("admin:elections_election_changelist")).content.decode()
    assert "Compound" not in listing and "小区" in listing
    assert "hangzhou" not in re.sub(r'href="[^"]*"', "", listing)
    assert "杭州" in listing
    title = re.search(r"<title>(.*?)</title>", listing, re.S).group(1)
    assert "房屋" not in title
    assert "首页" in listing
    matters = client.get(reverse("admin:elections_matter_changelist")).content.decode()
    assert "Election" not in matters and "Position" not in matters and "POSITION" not in matters
    street = client.get(reverse("admin:grids_street_changelist")).content.decode()
    assert "national" not in re.sub(r'href="[^"]*"', "", street)
    change = client.get(reverse("admin:grids_compound_change", args=[compound.pk])).content.decode()
    assert "手机或邮箱" not in change


def test_it_shows_audit_actions_in_words(client, compound, street_staff, admin_user):
    from yezhu.audit.log import record

    assert action_label("ballot.cast") == "投票"
    assert action_label("sign_in") == "登录"
    assert action_label("something.new") == "something.new"
    record("sign_in", actor=street_staff, obj=street_staff, summary="signed in", compound_id=compound.pk)
    sign_in(client, admin_user)
    html = client.get(reverse("audit:index")).content.decode()
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "登录" in table and "signed in" not in table
