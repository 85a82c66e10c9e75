"""Issue surveys (问题征集, issue 16 part 4): the committee, the branch or the working group asks,
one answer per home (a database constraint), open for a set time; results as a chart and an export;
never a vote of the assembly and never mixed with one."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from elections import surveys as svc
from elections.models import Ballot, Committee, CommitteeMember, Survey, SurveyResponse, Voter
from grids.models import Ownership, PartyMember, PartyOrg
from tests.factories import OwnerFactory, UserFactory, election_with_ballot_paper, owner_user, sign_in
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

NOT_A_VOTE = "问题征集不是业主大会的表决"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def homes(compound):
    """Three owners with accounts, one home each."""
    return [
        owner_user(compound, code, name=name)
        for code, name in (("1-1-101", "张一"), ("1-1-102", "王二"), ("2-1-101", "李三"))
    ]


def open_survey(compound, actor, *, asker="working_group") -> Survey:
    now = timezone.now()
    survey = svc.survey_create(
        compound=compound,
        actor=actor,
        asker=asker,
        title="小区最需要解决的问题",
        intro="请每户选出最关心的问题。",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
    )
    svc.survey_question_add(
        survey=survey,
        actor=actor,
        kind="single",
        text="最需要解决的问题",
        options=["消防隐患", "停车难", "电梯老化"],
    )
    svc.survey_question_add(
        survey=survey,
        actor=actor,
        kind="multiple",
        text="愿意参加哪些活动",
        options=["志愿巡查", "议事会"],
        required=False,
    )
    svc.survey_question_add(survey=survey, actor=actor, kind="text", text="其他意见", required=False)
    svc.survey_publish(survey=survey, actor=actor)
    survey.refresh_from_db()
    return survey


def answers_for(survey: Survey, first: int, many: list[int] | None = None, text: str = "") -> dict:
    single, multiple, free = survey.questions.order_by("position")
    return {single.pk: [first], multiple.pk: many or [], free.pk: text}


# ---------------------------------------------------------------------------------------------
# Who asks
# ---------------------------------------------------------------------------------------------


def test_the_working_group_asks_in_any_name_and_drafts_until_published(compound, working_group):
    now = timezone.now()
    survey = svc.survey_create(
        compound=compound,
        actor=working_group,
        asker="committee",
        title="t",
        opens_at=now,
        closes_at=now + timedelta(days=1),
    )
    with pytest.raises(svc.SurveyError):
        svc.survey_publish(survey=survey, actor=working_group)  # no question yet
    svc.survey_question_add(survey=survey, actor=working_group, kind="single", text="q", options=["a", "b"])
    svc.survey_publish(survey=survey, actor=working_group)
    with pytest.raises(svc.SurveyError):
        svc.survey_question_add(survey=survey, actor=working_group, kind="text", text="late")
    assert [a.action for a in AuditEntry.objects.filter(action__startswith="survey.").order_by("id")] == [
        "survey.created",
        "survey.question_added",
        "survey.published",
    ]


def test_a_branch_officer_asks_for_the_branch_and_a_committee_member_for_the_committee(compound):
    officer_user, officer_owner, _unit = owner_user(compound, "3-1-101", name="书记")
    branch = PartyOrg.objects.create(level="compound", compound=compound, name="党支部")
    PartyMember.objects.create(
        org=branch, name="书记", owner=officer_owner, user=officer_user, role="secretary"
    )
    member_user, member_owner, _unit2 = owner_user(compound, "3-1-102", name="委员")
    committee = Committee.objects.create(
        compound=compound, term_start=date(2024, 1, 1), term_end=date(2028, 12, 31)
    )
    CommitteeMember.objects.create(committee=committee, name="委员", owner=member_owner, role="member")
    assert svc.askers_for(officer_user, compound) == ["branch"]
    assert svc.askers_for(member_user, compound) == ["committee"]
    now = timezone.now()
    with pytest.raises(svc.SurveyForbidden):
        svc.survey_create(
            compound=compound,
            actor=officer_user,
            asker="committee",
            title="t",
            opens_at=now,
            closes_at=now + timedelta(days=1),
        )
    survey = svc.survey_create(
        compound=compound,
        actor=officer_user,
        asker="branch",
        title="支部问题征集",
        opens_at=now,
        closes_at=now + timedelta(days=1),
    )
    with pytest.raises(svc.SurveyForbidden):
        svc.survey_question_add(survey=survey, actor=member_user, kind="text", text="q")
    assert client_for(member_user).post(f"/manage/surveys/{survey.pk}/publish/").status_code == 403
    assert client_for(officer_user).get(f"/manage/c/{compound.pk}/surveys/").status_code == 200


def test_it_refuses_another_streets_staff_and_owners_on_every_page(
    compound, homes, working_group, outsider_staff, other_compound
):
    survey = open_survey(compound, working_group)
    question = survey.questions.first()
    far_user, _far, _unit = owner_user(other_compound, "1-1-1", name="外人")
    for who in (outsider_staff, far_user):
        client = client_for(who)
        assert client.get(f"/e/surveys/{survey.pk}/").status_code == 404
        assert client.post(f"/e/surveys/{survey.pk}/", {f"q{question.pk}": "0"}).status_code == 404
        assert "小区最需要解决的问题" not in client.get("/e/surveys/").content.decode()
        for url in (
            f"/manage/c/{compound.pk}/surveys/",
            f"/manage/surveys/{survey.pk}/",
            f"/manage/surveys/{survey.pk}/export.xlsx",
        ):
            assert client.get(url).status_code == 404, url
        for url in (
            f"/manage/surveys/{survey.pk}/questions/",
            f"/manage/surveys/{survey.pk}/questions/{question.pk}/delete/",
            f"/manage/surveys/{survey.pk}/publish/",
            f"/manage/surveys/{survey.pk}/close/",
        ):
            assert client.post(url).status_code == 404, url
    assert not SurveyResponse.objects.exists()
    assert Client().get(f"/e/surveys/{survey.pk}/").status_code == 302


# ---------------------------------------------------------------------------------------------
# One answer per home
# ---------------------------------------------------------------------------------------------


def test_an_owner_answers_once_for_their_home(compound, homes, working_group):
    survey = open_survey(compound, working_group)
    user, _owner, unit = homes[0]
    svc.survey_answer(survey=survey, unit=unit, actor=user, answers=answers_for(survey, 0, [1], "楼道堆物"))
    with pytest.raises(svc.AlreadyAnswered):
        svc.survey_answer(survey=survey, unit=unit, actor=user, answers=answers_for(survey, 1))
    co_owner_user = UserFactory()
    Ownership.objects.create(unit=unit, owner=OwnerFactory(user=co_owner_user))
    with pytest.raises(svc.AlreadyAnswered):
        svc.survey_answer(survey=survey, unit=unit, actor=co_owner_user, answers=answers_for(survey, 2))
    assert SurveyResponse.objects.filter(survey=survey).count() == 1


def test_the_database_allows_one_answer_per_home(compound, homes, working_group):
    survey = open_survey(compound, working_group)
    user, _owner, unit = homes[0]
    SurveyResponse.objects.create(survey=survey, unit=unit, answered_by=user, answers={})
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(survey=survey, unit=unit, answered_by=user, answers={})


@pytest.mark.parametrize(
    "bad",
    [
        lambda s, q: {q[0].pk: [0, 1]},  # two options for one choice
        lambda s, q: {q[0].pk: [7]},  # not an option
        lambda s, q: {q[1].pk: [0]},  # the required question left out
    ],
)
def test_it_refuses_answers_the_questions_do_not_allow(compound, homes, working_group, bad):
    survey = open_survey(compound, working_group)
    user, _owner, unit = homes[0]
    questions = list(survey.questions.order_by("position"))
    with pytest.raises(svc.SurveyError):
        svc.survey_answer(survey=survey, unit=unit, actor=user, answers=bad(survey, questions))
    assert not SurveyResponse.objects.exists()


def test_it_refuses_someone_elses_home_and_a_closed_survey(compound, homes, working_group):
    survey = open_survey(compound, working_group)
    user, _owner, _unit = homes[0]
    _other_user, _other, neighbours = homes[1]
    with pytest.raises(svc.SurveyForbidden):
        svc.survey_answer(survey=survey, unit=neighbours, actor=user, answers=answers_for(survey, 0))
    svc.survey_close(survey=survey, actor=working_group)
    with pytest.raises(svc.SurveyError):
        svc.survey_answer(survey=survey, unit=homes[0][2], actor=user, answers=answers_for(survey, 0))
    assert AuditEntry.objects.filter(action="survey.closed_early").exists()


# ---------------------------------------------------------------------------------------------
# Results, the pages, never a vote
# ---------------------------------------------------------------------------------------------


def test_it_counts_homes_per_option(compound, homes, working_group):
    survey = open_survey(compound, working_group)
    for (user, _owner, unit), first in zip(homes, (0, 0, 1), strict=True):
        svc.survey_answer(
            survey=survey, unit=unit, actor=user, answers=answers_for(survey, first, [0], "意见")
        )
    results = svc.survey_results(survey)
    assert (results.responses, results.homes) == (3, 3)
    single, multiple, free = results.questions
    assert [(o.count, o.percent) for o in single.options] == [(2, "66.7%"), (1, "33.3%"), (0, "0.0%")]
    assert multiple.options[0].count == 3 and free.texts == ["意见", "意见", "意见"]


def test_an_owner_answers_on_the_page_and_sees_the_results_after_the_close(compound, homes, working_group):
    survey = open_survey(compound, working_group)
    user, _owner, unit = homes[0]
    phone = client_for(user)
    assert "小区最需要解决的问题" in phone.get("/").content.decode()
    page = phone.get(f"/e/surveys/{survey.pk}/").content.decode()
    assert NOT_A_VOTE in page and "消防隐患" in page
    single, multiple, free = survey.questions.order_by("position")
    phone.post(
        f"/e/surveys/{survey.pk}/",
        {f"q{single.pk}": "0", f"q{multiple.pk}": ["0", "1"], f"q{free.pk}": "消防通道被占"},
    )
    response = SurveyResponse.objects.get(survey=survey)
    assert response.unit == unit and response.answers[str(single.pk)] == [0]
    assert "都已回答" in phone.get(f"/e/surveys/{survey.pk}/").content.decode()
    assert "征集结果" not in phone.get(f"/e/surveys/{survey.pk}/").content.decode()
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    after = phone.get(f"/e/surveys/{survey.pk}/").content.decode()
    assert "征集结果" in after and "消防通道被占" in after and NOT_A_VOTE in after
    assert 'class="w100"' in after and "1 户 · 100.0%" in after  # the one home chose 消防隐患


def test_staff_see_the_results_chart_and_export_them(compound, homes, working_group):
    survey = open_survey(compound, working_group)
    user, _owner, unit = homes[0]
    svc.survey_answer(survey=survey, unit=unit, actor=user, answers=answers_for(survey, 0, text="=CMD()"))
    client = client_for(working_group)
    page = client.get(f"/manage/surveys/{survey.pk}/").content.decode()
    assert NOT_A_VOTE in page and 'class="bars"' in page
    response = client.get(f"/manage/surveys/{survey.pk}/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    results, texts = book.worksheets
    assert NOT_A_VOTE in results["A1"].value and NOT_A_VOTE in texts["A1"].value
    rows = [[c.value for c in r] for r in results.iter_rows()]
    assert ["最需要解决的问题", "消防隐患", 1, 1.0] in rows
    cell = next(c for r in texts.iter_rows() for c in r if c.value == "=CMD()")
    assert cell.data_type == "s" and cell.quotePrefix
    assert AuditEntry.objects.filter(action="survey.exported").exists()


def test_a_survey_is_never_mixed_with_a_vote(compound, homes, working_group):
    """Answering a survey during a vote writes no ballot and no voter, changes no tally, and the
    election's pages do not show the survey."""
    election = election_with_ballot_paper(compound, stage="voting")
    from elections.services import election_tally, roll_freeze
    from yezhu.actors import OPERATOR

    roll_freeze(election=election, actor=OPERATOR)
    before = election_tally(election)
    voters = Voter.objects.filter(election=election).count()
    survey = open_survey(compound, working_group)
    for user, _owner, unit in homes:
        svc.survey_answer(survey=survey, unit=unit, actor=user, answers=answers_for(survey, 0))
    assert Ballot.objects.count() == 0 and Voter.objects.filter(election=election).count() == voters
    assert election_tally(election) == before
    user = homes[0][0]
    assert "小区最需要解决的问题" not in client_for(user).get(f"/e/{election.pk}/").content.decode()


@pytest.mark.parametrize("name", ["survey", "outreachvisit", "reservecandidate"])
def test_the_admin_reads_surveys_outreach_and_the_reserve_but_writes_none(
    client, compound, working_group, name
):
    open_survey(compound, working_group)
    sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    assert client.get(f"/admin/elections/{name}/", {"q": "1"}).status_code == 200
    assert client.get(f"/admin/elections/{name}/add/").status_code == 403
    survey = Survey.objects.get()
    if name == "survey":
        assert (
            "最需要解决的问题" in client.get(f"/admin/elections/survey/{survey.pk}/change/").content.decode()
        )
