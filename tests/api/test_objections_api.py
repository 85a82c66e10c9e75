"""Objections (异议) through the API, as on the pages: owners file them inside the candidate-notice or
result-notice window and see their own; the staff in charge see all and answer them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from elections.models import Candidate, Election, Objection, Stage
from tests.factories import election_with_ballot_paper, owner_user
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

TEXT = "计票结果与公示板不一致，请复核。"


@pytest.fixture
def result_notice(compound, owners):
    """An election whose result is posted, the objection window open until five days from today."""
    today = timezone.localdate()
    election = election_with_ballot_paper(compound, stage=Stage.RESULT_NOTICE)
    Election.objects.filter(pk=election.pk).update(
        result_published_on=today - timedelta(days=1), objection_window_end=today + timedelta(days=5)
    )
    election.refresh_from_db()
    return election


def url(election, rest: str = "") -> str:
    return f"/api/v1/elections/{election.pk}/objections/{rest}"


def test_it_lets_an_owner_object_to_the_result_inside_the_window(as_user, result_notice, owners):
    """201 with the objection (kind result, mine); the row and its audit entry are written."""
    user = owners[0][0]
    response = as_user(user).post(url(result_notice), {"text": TEXT}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "result" and body["is_mine"] is True and body["text"] == TEXT
    assert body["answer"] == "" and body["candidate"] is None and "filed_by" not in body
    objection = Objection.objects.get()
    assert objection.filed_by == user and objection.election == result_notice
    entry = AuditEntry.objects.get(action="objection.filed")
    assert entry.actor == user and entry.election_id == result_notice.pk


def test_it_refuses_an_objection_after_the_window(as_user, result_notice, owners):
    """The day after the window ends: 400 refused with the page's sentence, nothing recorded."""
    Election.objects.filter(pk=result_notice.pk).update(
        objection_window_end=timezone.localdate() - timedelta(days=1)
    )
    response = as_user(owners[0][0]).post(url(result_notice), {"text": TEXT}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refused"
    assert "公示" in response.json()["error"]["message"]
    assert not Objection.objects.exists()
    assert not AuditEntry.objects.filter(action="objection.filed").exists()


def test_it_refuses_staff_who_own_nothing_and_a_text_too_short(as_user, result_notice, owners, street_staff):
    """Only owners of the compound object; a text of fewer than five characters is refused too."""
    staff = as_user(street_staff).post(url(result_notice), {"text": TEXT}, format="json")
    assert staff.status_code == 400 and staff.json()["error"]["code"] == "refused"
    short = as_user(owners[0][0]).post(url(result_notice), {"text": "不对"}, format="json")
    assert short.status_code == 400 and short.json()["error"]["code"] == "refused"
    empty = as_user(owners[0][0]).post(url(result_notice), {}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()["error"]["fields"]
    assert not Objection.objects.exists()


def test_it_takes_a_candidate_during_the_candidate_notice_only_of_this_election(as_user, compound, owners):
    """During the candidate notice an objection names one of this election's candidates; another
    election's candidate is a 400 under fields.candidate and nothing is recorded."""
    today = timezone.localdate()
    election = election_with_ballot_paper(compound, stage=Stage.CANDIDATE_NOTICE)
    Election.objects.filter(pk=election.pk).update(
        candidate_notice_start=today - timedelta(days=1), candidate_notice_end=today + timedelta(days=6)
    )
    other = election_with_ballot_paper(compound, stage=Stage.CANDIDATE_NOTICE)
    mine = Candidate.objects.get(race__election=election, key="C2")
    foreign = Candidate.objects.get(race__election=other, key="C2")
    client = as_user(owners[0][0])
    wrong = client.post(
        url(election), {"text": "该候选人长期拒交物业费。", "candidate": foreign.pk}, format="json"
    )
    assert wrong.status_code == 400 and "candidate" in wrong.json()["error"]["fields"]
    assert not Objection.objects.exists()
    right = client.post(
        url(election), {"text": "该候选人长期拒交物业费。", "candidate": mine.pk}, format="json"
    )
    assert right.status_code == 201, right.content
    assert right.json()["kind"] == "candidate"
    assert right.json()["candidate"] == {"id": mine.pk, "key": "C2", "name": mine.name}


def test_it_ignores_a_candidate_during_the_result_notice(as_user, compound, result_notice, owners):
    """As the page, whose form has no candidate field then: any candidate sent is left out and the
    objection is to the result."""
    other = election_with_ballot_paper(compound, stage=Stage.CANDIDATE_NOTICE)
    for candidate in (
        Candidate.objects.get(race__election=result_notice, key="C1"),
        Candidate.objects.get(race__election=other, key="C1"),
    ):
        response = as_user(owners[0][0]).post(
            url(result_notice), {"text": TEXT, "candidate": candidate.pk}, format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == "result" and response.json()["candidate"] is None
    assert list(Objection.objects.values_list("candidate", flat=True)) == [None, None]


def test_it_shows_an_owner_only_their_own_and_the_staff_all(as_user, result_notice, owners, street_staff):
    """Each owner lists their own objection; the staff in charge list both, with who filed them."""
    (user_a, _o, _u), (user_b, _o2, _u2) = owners
    as_user(user_a).post(url(result_notice), {"text": TEXT}, format="json")
    as_user(user_b).post(url(result_notice), {"text": "投票期间有人代签，请核实。"}, format="json")
    mine = as_user(user_a).get(url(result_notice)).json()
    assert mine["count"] == 1 and mine["results"][0]["text"] == TEXT
    assert mine["results"][0]["is_mine"] is True and "filed_by" not in mine["results"][0]
    staff = as_user(street_staff).get(url(result_notice)).json()
    assert staff["count"] == 2
    assert {row["filed_by"] for row in staff["results"]} == {str(user_a), str(user_b)}
    assert all(row["is_mine"] is False for row in staff["results"])
    stranger, _owner, _unit = owner_user(result_notice.compound, "2-1-101")
    assert as_user(stranger).get(url(result_notice)).json()["count"] == 0


def test_it_lets_the_staff_in_charge_answer(as_user, result_notice, owners, street_staff):
    """The answer is saved with who and when and logged; the owner reads it on their list."""
    user = owners[0][0]
    oid = as_user(user).post(url(result_notice), {"text": TEXT}, format="json").json()["id"]
    response = as_user(street_staff).post(
        url(result_notice, f"{oid}/answer/"), {"answer": "已复核，公示板与计票一致。"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["answer"] == "已复核，公示板与计票一致。"
    assert response.json()["answered_by"] == str(street_staff)
    objection = Objection.objects.get(pk=oid)
    assert objection.answered_by == street_staff and objection.answered_at is not None
    assert AuditEntry.objects.filter(action="objection.answered", actor=street_staff).count() == 1
    assert (
        as_user(user).get(url(result_notice)).json()["results"][0]["answer"] == "已复核，公示板与计票一致。"
    )


def test_it_refuses_an_answer_from_an_owner_or_an_empty_one(as_user, result_notice, owners, street_staff):
    """An owner answering: 403; staff sending no answer: 400 under fields.answer; nothing saved."""
    user = owners[0][0]
    oid = as_user(user).post(url(result_notice), {"text": TEXT}, format="json").json()["id"]
    denied = as_user(user).post(url(result_notice, f"{oid}/answer/"), {"answer": "我自己答复"}, format="json")
    assert denied.status_code == 403
    empty = as_user(street_staff).post(url(result_notice, f"{oid}/answer/"), {"answer": ""}, format="json")
    assert empty.status_code == 400 and "answer" in empty.json()["error"]["fields"]
    assert Objection.objects.get(pk=oid).answer == ""
    assert not AuditEntry.objects.filter(action="objection.answered").exists()


def test_it_answers_404_for_an_objection_of_another_election(
    as_user, compound, result_notice, owners, street_staff
):
    """An objection id reached through another election of the same compound is 404."""
    oid = as_user(owners[0][0]).post(url(result_notice), {"text": TEXT}, format="json").json()["id"]
    other = election_with_ballot_paper(compound, stage=Stage.RESULT_NOTICE)
    response = as_user(street_staff).post(url(other, f"{oid}/answer/"), {"answer": "答复"}, format="json")
    assert response.status_code == 404
    assert Objection.objects.get(pk=oid).answer == ""


def test_it_answers_404_to_another_street(as_user, result_notice, owners, outsider_staff, other_compound):
    """Another street's staff and another compound's owner: 404 on the list, filing and answering."""
    oid = as_user(owners[0][0]).post(url(result_notice), {"text": TEXT}, format="json").json()["id"]
    stranger, _owner, _unit = owner_user(other_compound, "1-1-101")
    for user in (outsider_staff, stranger):
        client = as_user(user)
        assert client.get(url(result_notice)).status_code == 404
        assert client.post(url(result_notice), {"text": TEXT}, format="json").status_code == 404
        answer = client.post(url(result_notice, f"{oid}/answer/"), {"answer": "外街道答复"}, format="json")
        assert answer.status_code == 404
    assert Objection.objects.count() == 1 and Objection.objects.get().answer == ""


def test_it_answers_401_to_anonymous_and_405_to_a_wrong_method(as_user, result_notice, street_staff):
    """Anonymous: 401; GET on the answer route and PUT on the list: 405."""
    assert as_user(None).get(url(result_notice)).status_code == 401
    client = as_user(street_staff)
    assert client.put(url(result_notice), {}, format="json").status_code == 405
    assert client.get(url(result_notice, "1/answer/")).status_code == 405
