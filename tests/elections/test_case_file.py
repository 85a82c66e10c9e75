"""The six-step case file (六步法) of a failed or overdue election."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections.errors import ElectionError
from elections.models import CaseStep
from tests.elections.test_lifecycle import ready_for_notice
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(compound):
    election = ready_for_notice(compound)
    lc.election_fail(election=election, reason="业主参与不足，七名候选人均未过半", actor=OPERATOR)
    return election


def test_it_saves_a_step_with_who_when_and_notes(failed, street_staff):
    step = lc.case_step_save(
        election=failed,
        actor=street_staff,
        step=1,
        responsible="社区党委书记",
        due_on=date(2026, 5, 1),
        done_on=date(2026, 4, 28),
        notes="业主对物业不满，参与意愿低",
    )
    assert (step.responsible, step.done_on) == ("社区党委书记", date(2026, 4, 28))
    assert AuditEntry.objects.get(action="election.case_step").data["step"] == 1


def test_it_takes_the_steps_in_order(failed):
    """Step 3 cannot be done before steps 1 and 2."""
    lc.case_step_save(election=failed, step=1, done_on=date(2026, 4, 28), actor=OPERATOR)
    with pytest.raises(ElectionError, match="第 2 步"):
        lc.case_step_save(election=failed, step=3, done_on=date(2026, 4, 30), actor=OPERATOR)
    lc.case_step_save(
        election=failed, step=3, due_on=date(2026, 5, 10), actor=OPERATOR
    )  # planning ahead is fine
    assert CaseStep.objects.filter(election=failed).count() == 2


def test_it_updates_a_step_instead_of_adding_one(failed):
    lc.case_step_save(election=failed, step=2, responsible="甲", actor=OPERATOR)
    lc.case_step_save(election=failed, step=2, responsible="乙", actor=OPERATOR)
    assert list(CaseStep.objects.filter(election=failed).values_list("responsible", flat=True)) == ["乙"]


def test_it_refuses_a_seventh_step(failed):
    with pytest.raises(ElectionError):
        lc.case_step_save(election=failed, step=7, actor=OPERATOR)


def test_it_wants_a_case_file_for_failed_and_overdue_elections(compound, failed):
    assert lc.case_file_wanted(failed)
    fresh = lc.election_create(compound=compound, title="新的选举", actor=OPERATOR)
    assert not lc.case_file_wanted(fresh)
    lc.working_group_form(
        election=fresh, on=timezone.localdate() - timedelta(days=30), actor=OPERATOR
    )  # list never published
    assert lc.case_file_wanted(fresh)


def test_it_saves_a_step_through_the_page(client, failed, street_staff):
    client.force_login(street_staff)
    response = client.post(
        reverse("manage:case_step", args=[failed.pk, 1]),
        {"s1-responsible": "网格长", "s1-due_on": "2026-05-01", "s1-notes": "逐户走访"},
    )
    assert response.status_code == 302
    step = CaseStep.objects.get(election=failed, step=1)
    assert step.responsible == "网格长" and step.notes == "逐户走访"
    html = client.get(reverse("manage:case_file", args=[failed.pk])).content.decode()
    assert "网格长" in html and "效果检查" in html


def test_it_marks_an_overdue_step_on_the_page(client, failed, street_staff):
    lc.case_step_save(
        election=failed, step=1, due_on=timezone.localdate() - timedelta(days=1), actor=OPERATOR
    )
    client.force_login(street_staff)
    html = client.get(reverse("manage:case_file", args=[failed.pk])).content.decode()
    assert "case-step overdue" in html


def test_it_answers_404_for_a_step_that_does_not_exist(client, failed, street_staff):
    client.force_login(street_staff)
    assert client.post(reverse("manage:case_step", args=[failed.pk, 9])).status_code == 404
