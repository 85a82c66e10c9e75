"""The lifecycle actions through the API (elections/api/lifecycle.py): each moves the election as its
service does, a refused one changes nothing, and only the staff in charge may take them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from elections import lifecycle as lc
from elections.api.lifecycle import ACTION_PARAMS
from elections.calendar import seed_holidays
from elections.forms.transitions import form_class
from elections.models import Election, Stage
from grids.models import RoleAssignment
from tests.elections.test_lifecycle import add_candidates, ready_for_notice
from tests.factories import CompoundFactory, UserFactory, election_with_ballot_paper, grant
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def holidays(db):
    seed_holidays(years=[2026], actor=OPERATOR)


def url(election, name: str = "") -> str:
    return f"/api/v1/elections/{election.pk}/actions/" + (f"{name}/" if name else "")


def stage_moves(election) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(election_id=election.pk, action="election.stage")
        .order_by("id")
        .values_list("data__from", "data__to")
    )


def fresh(election) -> Election:
    return Election.objects.get(pk=election.pk)


def started(compound) -> Election:
    return lc.election_create(compound=compound, title="第二届业主委员会换届选举", actor=OPERATOR)


def ready_to_open(compound) -> Election:
    """At the candidate notice, with notice periods long past, so voting may open today."""
    election = ready_for_notice(compound)
    add_candidates(election)
    today = timezone.localdate()
    Election.objects.filter(pk=election.pk).update(
        stage=Stage.CANDIDATE_NOTICE,
        notice_published_on=today - timedelta(days=40),
        candidate_notice_start=today - timedelta(days=30),
        candidate_notice_end=today - timedelta(days=20),
        voting_opens_at=None,
        voting_closes_at=None,
    )
    return fresh(election)


# -- reading what may be done ------------------------------------------------------------------


def test_it_lists_the_stage_the_allowed_actions_and_the_blockers(as_user, compound, street_staff):
    """GET answers what the overview page shows: the stage, allowed_actions and blockers."""
    election = started(compound)
    body = as_user(street_staff).get(url(election)).json()
    assert body["stage"] == "started" and body["election"] == election.pk
    assert body["allowed"] == lc.allowed_actions(election)
    assert "working_group_form" in body["allowed"] and "notice_publish" not in body["allowed"]
    blockers = lc.blockers(election)
    assert body["blockers"] == [{"code": b.code, "message": str(b)} for b in blockers] and blockers
    assert body["blockers"][0]["code"] == "working_group_not_formed"


def test_it_takes_the_same_parameters_as_the_page_for_every_action():
    """Every transition of the table has parameters here, and they are the fields of the page's form,
    required alike."""
    assert set(ACTION_PARAMS) == set(lc.ACTIONS) == set(lc.SERVICES)
    for name in lc.ACTIONS:
        api_fields = ACTION_PARAMS[name]().fields
        page_fields = form_class(name)().fields
        assert set(api_fields) == set(page_fields), name
        for field in page_fields:
            assert api_fields[field].required == page_fields[field].required, (name, field)
    assert form_class("election_fail")().fields["reason"].required


# -- each action moves the election as its service does ----------------------------------------


def test_it_forms_the_working_group_as_the_service_does(as_user, compound, street_staff):
    """working_group_form: started → working_group with the date, one audit row by this user."""
    # A compound elects one committee at a time (issue 20): the twin runs in a neighbouring compound.
    neighbour = CompoundFactory(community=compound.community, code="TWIN", name="双子苑")
    election, twin = started(compound), started(neighbour)
    response = as_user(street_staff).post(
        url(election, "working_group_form"), {"on": "2026-02-02"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == election.pk and body["stage"] == "working_group"
    assert body["key_dates"]["working_group_formed_on"] == "2026-02-02"
    lc.working_group_form(election=twin, actor=street_staff, on=date(2026, 2, 2))
    assert (fresh(election).stage, fresh(election).working_group_formed_on) == (
        fresh(twin).stage,
        fresh(twin).working_group_formed_on,
    )
    assert stage_moves(election) == stage_moves(twin) == [("started", "working_group")]
    row = AuditEntry.objects.get(election_id=election.pk, action="election.stage")
    assert row.actor == street_staff and row.data["formed_on"] == "2026-02-02"


def test_it_defaults_the_date_to_today_as_the_page_prefills_it(as_user, compound, working_group):
    """A date action without `on` records today; the compound's working group may run it."""
    election = started(compound)
    response = as_user(working_group).post(url(election, "working_group_form"), format="json")
    assert response.status_code == 200, response.content
    assert fresh(election).working_group_formed_on == timezone.localdate()


def test_it_publishes_the_assembly_notice(as_user, compound, street_staff):
    """notice_publish: working_group → notice on the date given, with its audit row."""
    election = ready_for_notice(compound)
    before = stage_moves(election)
    response = as_user(street_staff).post(
        url(election, "notice_publish"), {"on": "2026-03-02"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "notice"
    election = fresh(election)
    assert election.stage == Stage.NOTICE and election.notice_published_on == date(2026, 3, 2)
    assert stage_moves(election) == [*before, ("working_group", "notice")]


def test_it_schedules_and_opens_voting(as_user, compound, owners, street_staff):
    """voting_schedule sets the window (stage unchanged, audit row); voting_open freezes the roll."""
    election = ready_to_open(compound)
    client = as_user(street_staff)
    opens = timezone.localtime() - timedelta(hours=1)
    closes = opens + timedelta(days=7)
    scheduled = client.post(
        url(election, "voting_schedule"),
        {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
        format="json",
    )
    assert scheduled.status_code == 200, scheduled.content
    election = fresh(election)
    assert election.stage == Stage.CANDIDATE_NOTICE
    assert abs(election.voting_opens_at - opens) < timedelta(seconds=1)
    assert abs(election.voting_closes_at - closes) < timedelta(seconds=1)
    assert (
        AuditEntry.objects.filter(
            election_id=election.pk, action="election.voting_scheduled", actor=street_staff
        ).count()
        == 1
    )
    assert "voting_open" in client.get(url(election)).json()["allowed"]

    opened = client.post(url(election, "voting_open"), format="json")
    assert opened.status_code == 200, opened.content
    assert opened.json()["stage"] == "voting" and opened.json()["voting_open"] is True
    election = fresh(election)
    assert election.roll_frozen_at is not None and election.total_heads == 2
    assert stage_moves(election)[-1] == ("candidate_notice", "voting")
    assert AuditEntry.objects.filter(election_id=election.pk, action="election.voting_opened").count() == 1


def test_it_refuses_a_window_without_its_close(as_user, compound, street_staff):
    """voting_schedule needs both ends: 400 under fields.closes_at, nothing saved, nothing logged."""
    election = ready_to_open(compound)
    response = as_user(street_staff).post(
        url(election, "voting_schedule"), {"opens_at": "2026-12-01T09:00"}, format="json"
    )
    assert response.status_code == 400
    assert "closes_at" in response.json()["error"]["fields"]
    assert fresh(election).voting_opens_at is None
    assert not AuditEntry.objects.filter(
        election_id=election.pk, action="election.voting_scheduled", actor=street_staff
    ).exists()


def test_it_closes_voting_early_only_with_a_reason(as_user, voting_election, street_staff):
    """voting_close before the scheduled close: refused without a reason (nothing moves), then
    with the decision as the reason it counts and posts the result."""
    client = as_user(street_staff)
    refused = client.post(url(voting_election, "voting_close"), {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "close_early_needs_reason"
    assert refused.json()["error"]["message"] == " ".join(lc.blockers(voting_election))
    assert fresh(voting_election).stage == Stage.VOTING
    assert stage_moves(voting_election) == []

    with TestCase.captureOnCommitCallbacks(execute=True):
        closed = client.post(
            url(voting_election, "voting_close"), {"reason": "街道办决定提前结束投票"}, format="json"
        )
    assert closed.status_code == 200, closed.content
    assert closed.json()["stage"] == "counting"  # the answer comes before the count job runs
    election = fresh(voting_election)
    assert election.stage == "result_notice" and election.result is not None
    election = fresh(voting_election)
    assert election.result is not None and election.decided_on == timezone.localdate()
    assert stage_moves(election) == [("voting", "counting"), ("counting", "result_notice")]
    first = AuditEntry.objects.filter(election_id=election.pk, action="election.stage").order_by("id")[0]
    assert first.data["early"] is True and first.data["reason"] == "街道办决定提前结束投票"


def test_it_marks_an_election_failed_only_with_a_reason(as_user, voting_election, street_staff):
    """election_fail needs a reason (400 under fields.reason, unchanged); with it → failed."""
    client = as_user(street_staff)
    missing = client.post(url(voting_election, "election_fail"), {"reason": "  "}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert fresh(voting_election).stage == Stage.VOTING
    failed = client.post(
        url(voting_election, "election_fail"), {"reason": "街道办决定终止本次选举"}, format="json"
    )
    assert failed.status_code == 200, failed.content
    election = fresh(voting_election)
    assert election.stage == Stage.FAILED and election.failed_reason == "街道办决定终止本次选举"
    assert stage_moves(election) == [("voting", "failed")]


def test_it_restarts_a_failed_election_and_answers_the_new_one(as_user, compound, street_staff):
    """election_restart answers the new election (at the notice: working_group); the old stays failed."""
    election = ready_for_notice(compound)
    lc.election_fail(election=election, reason="筹备组解散", actor=OPERATOR)
    response = as_user(street_staff).post(url(election, "election_restart"), {"at": "notice"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] != election.pk and body["stage"] == "working_group"
    assert body["title"] == "第二届业主委员会换届选举（第2次）"
    old = fresh(election)
    assert old.stage == Stage.FAILED and old.rule_overrides["_restarted_as"] == body["id"]
    assert AuditEntry.objects.filter(election_id=election.pk, action="election.restarted").count() == 1
    again = as_user(street_staff).post(url(election, "election_restart"), {"at": "notice"}, format="json")
    assert again.status_code == 400
    assert Election.objects.filter(rule_overrides___restart_of=election.pk).count() == 1


# -- refusals change nothing -------------------------------------------------------------------


def test_it_refuses_a_blocked_action_with_the_blockers_and_changes_nothing(as_user, compound, street_staff):
    """notice_publish with no working group list and no race: 400 with the blockers' sentences,
    the stage as it was and no audit row."""
    election = started(compound)
    lc.working_group_form(election=election, on=date(2026, 2, 2), actor=OPERATOR)
    election = fresh(election)
    rows = AuditEntry.objects.filter(election_id=election.pk).count()
    response = as_user(street_staff).post(
        url(election, "notice_publish"), {"on": "2026-03-02"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    blockers = lc.blockers(election)
    assert error["code"] == blockers[0].code == "working_group_empty"
    assert error["problems"] == [{"code": b.code, "message": str(b)} for b in blockers]
    assert {"working_group_empty", "no_race"} <= {p["code"] for p in error["problems"]}
    assert error["message"] == " ".join(blockers)
    assert error["message"] and error["fields"] == {}
    election = fresh(election)
    assert election.stage == Stage.WORKING_GROUP and election.notice_published_on is None
    assert AuditEntry.objects.filter(election_id=election.pk).count() == rows


def test_it_answers_404_for_an_unknown_action(as_user, compound, street_staff):
    """An action name that is not a lifecycle action: JSON 404 unknown_action, nothing changes."""
    election = started(compound)
    response = as_user(street_staff).post(url(election, "delete_everything"), {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_action"
    assert "working_group_form" in response.json()["error"]["message"]
    assert fresh(election).stage == Stage.STARTED
    assert not AuditEntry.objects.filter(election_id=election.pk, action="election.stage").exists()


def test_it_answers_403_to_an_owner_and_an_auditor(as_user, compound, owners, street):
    """Owners and the street's auditor see the election but do not run it: 403, nothing changes."""
    election = election_with_ballot_paper(compound, stage=Stage.STARTED)
    auditor = UserFactory(name="审计员")
    grant(auditor, RoleAssignment.Role.AUDITOR, street)
    for user in (owners[0][0], auditor):
        client = as_user(user)
        assert client.get(url(election)).status_code == 403
        denied = client.post(url(election, "working_group_form"), {"on": "2026-02-02"}, format="json")
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    assert fresh(election).stage == Stage.STARTED
    assert stage_moves(election) == []


def test_it_answers_404_to_another_streets_staff(as_user, compound, outsider_staff):
    """Staff of another street: 404 on the list and on an action, and the election does not move."""
    election = started(compound)
    client = as_user(outsider_staff)
    assert client.get(url(election)).status_code == 404
    response = client.post(url(election, "working_group_form"), {"on": "2026-02-02"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.post(url(election, "delete_everything"), {}, format="json").status_code == 404
    assert fresh(election).stage == Stage.STARTED


def test_it_answers_401_to_anonymous_and_405_to_a_wrong_method(as_user, compound, street_staff):
    """Anonymous: 401 on both; GET on an action and POST on the list: 405."""
    election = started(compound)
    assert as_user(None).get(url(election)).status_code == 401
    assert as_user(None).post(url(election, "working_group_form"), {}, format="json").status_code == 401
    client = as_user(street_staff)
    assert client.get(url(election, "working_group_form")).status_code == 405
    assert client.post(url(election), {}, format="json").status_code == 405
    assert fresh(election).stage == Stage.STARTED
