"""Staff pages under /manage/ (elections/views/manage.py): scoping, methods, and what they show."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections.calendar import seed_holidays
from elections.models import CaseStep, Election, Matter, Stage
from tests.elections.test_lifecycle import at, ready_for_notice
from yezhu.actors import OPERATOR, SCHEDULER

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(compound):
    """An election with a matter, a race and a working group member, and a committee with a member."""
    election = ready_for_notice(compound)
    matter = lc.matter_save(election=election, title="修订管理规约", item=2, actor=OPERATOR)
    committee = lc.committee_register(
        compound=compound, term_start=date(2022, 1, 1), term_end=date(2027, 1, 1), actor=OPERATOR
    )
    member = lc.committee_member_save(committee=committee, name="赵六", role="chair", actor=OPERATOR)
    return {
        "election": election,
        "matter": matter,
        "race": election.races.get(),
        "wg": election.working_group.get(role="leader"),
        "committee": committee,
        "member": member,
        "compound": compound,
    }


def _url(world, name):
    e, c = world["election"], world["committee"]
    return {
        "index": reverse("manage:index"),
        "election_new": reverse("manage:election_new"),
        "election": reverse("manage:election", args=[e.pk]),
        "timeline": reverse("manage:timeline", args=[e.pk]),
        "matters": reverse("manage:matters", args=[e.pk]),
        "matter_edit": reverse("manage:matter_edit", args=[e.pk, world["matter"].pk]),
        "race_edit": reverse("manage:race_edit", args=[e.pk, world["race"].pk]),
        "working_group": reverse("manage:working_group", args=[e.pk]),
        "working_group_notice": reverse("manage:working_group_notice", args=[e.pk]),
        "case_file": reverse("manage:case_file", args=[e.pk]),
        "committees": reverse("manage:committees", args=[world["compound"].pk]),
        "committee_new": reverse("manage:committee_new", args=[world["compound"].pk]),
        "committee": reverse("manage:committee", args=[c.pk]),
        # POST only
        "do": reverse("manage:do", args=[e.pk, "notice_publish"]),
        "candidate_notice_publish": reverse("manage:candidate_notice_publish", args=[e.pk]),
        "settings": reverse("manage:settings", args=[e.pk]),
        "override": reverse("manage:override", args=[e.pk]),
        "matter_add": reverse("manage:matter_add", args=[e.pk]),
        "matter_delete": reverse("manage:matter_delete", args=[e.pk, world["matter"].pk]),
        "race_add": reverse("manage:race_add", args=[e.pk]),
        "race_delete": reverse("manage:race_delete", args=[e.pk, world["race"].pk]),
        "working_group_remove": reverse("manage:working_group_remove", args=[e.pk, world["wg"].pk]),
        "case_step": reverse("manage:case_step", args=[e.pk, 1]),
        "committee_member_add": reverse("manage:committee_member_add", args=[c.pk]),
        "committee_member": reverse("manage:committee_member", args=[c.pk, world["member"].pk]),
        "committee_member_remove": reverse("manage:committee_member_remove", args=[c.pk, world["member"].pk]),
    }[name]


GET_PAGES = [
    "election",
    "timeline",
    "matters",
    "matter_edit",
    "race_edit",
    "working_group",
    "working_group_notice",
    "case_file",
    "committees",
    "committee_new",
    "committee",
]
GET_ONLY = {"index", "election", "timeline", "matters", "working_group_notice", "case_file", "committees"}
POST_PAGES = [
    "do",
    "candidate_notice_publish",
    "settings",
    "override",
    "matter_add",
    "matter_delete",
    "race_add",
    "race_delete",
    "working_group_remove",
    "case_step",
    "committee_member_add",
    "committee_member",
    "committee_member_remove",
]


@pytest.mark.parametrize("name", ["index", "election_new", *GET_PAGES])
def test_it_shows_each_page_to_the_streets_staff(client, world, street_staff, name):
    client.force_login(street_staff)
    response = client.get(_url(world, name))
    assert response.status_code == 200
    assert "<script>" not in response.content.decode() and 'style="' not in response.content.decode()


@pytest.mark.parametrize("name", ["index", *GET_PAGES, *POST_PAGES])
def test_it_sends_anonymous_visitors_to_sign_in(client, world, name):
    response = client.post(_url(world, name)) if name in POST_PAGES else client.get(_url(world, name))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


@pytest.mark.parametrize("name", [*GET_PAGES, *POST_PAGES])
def test_it_hides_every_object_from_another_streets_staff(client, world, outsider_staff, name):
    client.force_login(outsider_staff)
    response = client.post(_url(world, name)) if name in POST_PAGES else client.get(_url(world, name))
    assert response.status_code == 404


def test_it_lists_only_the_users_own_compounds_on_the_index(client, world, outsider_staff):
    client.force_login(outsider_staff)
    html = client.get(_url(world, "index")).content.decode()
    assert "西园里" not in html and world["election"].title not in html


@pytest.mark.parametrize("name", sorted(GET_ONLY))
def test_it_refuses_a_post_on_a_read_only_page(client, world, street_staff, name):
    client.force_login(street_staff)
    assert client.post(_url(world, name)).status_code == 405


@pytest.mark.parametrize(
    "name", ["election_new", "matter_edit", "race_edit", "working_group", "committee_new", "committee"]
)
def test_it_refuses_other_methods_on_a_form_page(client, world, street_staff, name):
    client.force_login(street_staff)
    assert client.put(_url(world, name)).status_code == 405


@pytest.mark.parametrize("name", POST_PAGES)
def test_it_refuses_a_get_on_an_action(client, world, street_staff, name):
    client.force_login(street_staff)
    assert client.get(_url(world, name)).status_code == 405


def test_it_lets_the_compounds_working_group_run_its_election(client, world, working_group):
    client.force_login(working_group)
    assert client.get(_url(world, "election")).status_code == 200


def test_it_creates_an_election_for_a_managed_compound(client, compound, street_staff):
    client.force_login(street_staff)
    response = client.post(
        reverse("manage:election_new"),
        {"compound": compound.pk, "title": "第三届换届选举", "kind": "reelection"},
    )
    election = Election.objects.get(title="第三届换届选举")
    assert response.status_code == 302 and response["Location"] == reverse(
        "manage:election", args=[election.pk]
    )
    assert election.created_by == street_staff


def test_it_refuses_to_create_an_election_in_another_streets_compound(
    client, other_compound, compound, street_staff
):
    client.force_login(street_staff)
    response = client.post(
        reverse("manage:election_new"), {"compound": other_compound.pk, "title": "越权", "kind": "reelection"}
    )
    assert response.status_code == 200 and not Election.objects.filter(title="越权").exists()


def test_it_runs_a_transition_and_shows_the_next_blockers(client, compound, street_staff):
    """Forming the working group moves the stage; the overview then says members are missing."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    client.force_login(street_staff)
    html = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert "登记筹备组已成立" in html
    response = client.post(
        reverse("manage:do", args=[election.pk, "working_group_form"]),
        {"working_group_form-on": "2026-02-02"},
    )
    assert response.status_code == 302
    election.refresh_from_db()
    assert election.stage == Stage.WORKING_GROUP and election.working_group_formed_on == date(2026, 2, 2)
    html = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert "请先录入筹备组（换届小组）成员。" in html


def test_it_turns_a_refused_transition_into_a_message(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    client.force_login(street_staff)
    response = client.post(reverse("manage:do", args=[election.pk, "nominations_open"]), follow=True)
    assert "不能进行这一步" in response.content.decode()
    assert Election.objects.get(pk=election.pk).stage == Stage.STARTED


def test_it_answers_404_for_an_unknown_action(client, world, street_staff):
    client.force_login(street_staff)
    assert (
        client.post(reverse("manage:do", args=[world["election"].pk, "delete_everything"])).status_code == 404
    )


def test_it_shows_a_notice_twelve_days_before_voting_as_a_violation(client, compound, street_staff):
    """Notice on 3-02, voting from 3-15: 12 full days between, 15 required."""
    seed_holidays(years=[2026], actor=OPERATOR)
    election = ready_for_notice(compound)
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    lc.voting_schedule(election=election, opens_at=at(2026, 3, 15), closes_at=at(2026, 3, 25), actor=OPERATOR)
    client.force_login(street_staff)
    html = client.get(reverse("manage:timeline", args=[election.pk])).content.decode()
    assert "公告于投票开始前12日发出，少于规定的15日" in html
    assert "物业管理条例 第14条" in html
    overview = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert "项不符合规定" in overview


def test_it_shows_a_rule_of_procedure_as_the_source(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    client.force_login(street_staff)
    client.post(
        reverse("manage:override", args=[election.pk]),
        {"name": "working_group_publish_days", "value": "10", "reason": "议事规则第五条"},
    )
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    html = client.get(reverse("manage:timeline", args=[election.pk])).content.decode()
    assert "议事规则: 议事规则第五条" in html and "2026-02-12" in html


def test_it_saves_the_rules_form(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    client.force_login(street_staff)
    client.post(
        reverse("manage:settings", args=[election.pk]),
        {"quorum_numerator": 3, "quorum_denominator": 4, "proxy_limit": 2, "nominations_required": 5},
    )
    election.refresh_from_db()
    assert (election.quorum_numerator, election.quorum_denominator, election.proxy_limit) == (3, 4, 2)
    assert election.nominations_required == 5


def test_it_edits_matters_before_the_notice_and_refuses_after(client, compound, street_staff):
    election = ready_for_notice(compound)
    client.force_login(street_staff)
    client.post(reverse("manage:matter_add", args=[election.pk]), {"title": "改变车库用途", "item": 8})
    assert Matter.objects.get(election=election).category == "special"
    lc.notice_publish(election=election, on=date(2026, 3, 2), actor=OPERATOR)
    response = client.post(
        reverse("manage:matter_add", args=[election.pk]), {"title": "新增事项", "item": 9}, follow=True
    )
    assert "公告发布后不得更改表决事项" in response.content.decode()
    assert Matter.objects.filter(election=election).count() == 1
    page = client.get(reverse("manage:matters", args=[election.pk])).content.decode()
    assert 'action="' + reverse("manage:matter_add", args=[election.pk]) not in page


def test_it_refuses_an_even_committee_in_the_races_editor(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    client.force_login(street_staff)
    response = client.post(
        reverse("manage:race_add", args=[election.pk]),
        {"title": "委员", "seats": 6, "alternates": 0},
        follow=True,
    )
    assert "单数" in response.content.decode() and not election.races.exists()


def test_it_adds_working_group_members_and_prints_the_notice(client, compound, street_staff):
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    client.force_login(street_staff)
    client.post(
        reverse("manage:working_group", args=[election.pk]),
        {"name": "钱七", "affiliation": "police", "role": "member", "party_member": "on"},
    )
    member = election.working_group.get()
    assert member.party_member and member.affiliation == "police"
    html = client.get(reverse("manage:working_group_notice", args=[election.pk])).content.decode()
    assert "钱七" in html and "派出所" in html and "成员名单公告" in html


def test_it_shows_turnout_but_no_result_while_voting_is_open(client, compound, street_staff):
    """Ballot secrecy: during voting staff see how many voted, never a count of choices."""
    seed_holidays(years=[2026], actor=OPERATOR)
    from tests.factories import owner_user

    owner_user(compound, "1-1-101")
    election = ready_for_notice(compound, kind=Election.Kind.MATTERS_ONLY)
    today = timezone.localdate()
    Election.objects.filter(pk=election.pk).update(
        notice_published_on=today - timedelta(days=30), stage=Stage.NOTICE
    )
    lc.voting_schedule(
        election=election,
        opens_at=timezone.now() - timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=7),
        actor=OPERATOR,
    )
    lc.voting_open(election=election, actor=SCHEDULER)
    client.force_login(street_staff)
    html = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert "已投票 0 户，共 1 户" in html
    assert "参与人数达到规定" not in html and "参与人数未达到规定" not in html


def test_it_shows_the_reelection_alert_on_the_index(client, compound, street_staff):
    today = timezone.localdate()
    lc.committee_register(
        compound=compound,
        term_start=today - timedelta(days=1800),
        term_end=today - timedelta(days=1),
        actor=OPERATOR,
    )
    client.force_login(street_staff)
    html = client.get(reverse("manage:index")).content.decode()
    assert "应换未换" in html and "西园里" in html


def test_it_shows_the_case_file_on_a_failed_election(client, compound, street_staff):
    election = ready_for_notice(compound)
    lc.election_fail(election=election, reason="业主参与不足", actor=OPERATOR)
    CaseStep.objects.create(election=election, step=1, responsible="社区书记")
    client.force_login(street_staff)
    html = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert "六步法工作档案" in html and "社区书记" in html and "明确问题" in html
    assert "重新启动选举" in html


def test_it_shows_the_count_and_its_progress_to_the_staff_in_charge_only(
    client, world, street_staff, outsider_staff
):
    """At the count the overview shows the count job's progress bar, fed by a JSON endpoint that
    the staff in charge read whoever started the count (the scheduler, mostly) and nobody else."""
    from yezhu.jobs.models import Job

    election = world["election"]
    Election.objects.filter(pk=election.pk).update(stage=Stage.COUNTING)
    Job.objects.create(
        kind="count",
        election_id=election.pk,
        compound_id=election.compound_id,
        done=1,
        total=3,
        status="running",
        message="正在计票",
    )
    client.force_login(street_staff)
    page = client.get(reverse("manage:election", args=[election.pk])).content.decode()
    assert reverse("manage:count_status", args=[election.pk]) in page and "正在计票" in page
    body = client.get(reverse("manage:count_status", args=[election.pk])).json()
    assert (body["status"], body["percent"]) == ("running", 33)
    client.force_login(outsider_staff)
    assert client.get(reverse("manage:count_status", args=[election.pk])).status_code == 404
