"""The admin shows the committee's life between elections (issue 17: vacancies, removals, the
物管会, filing deadlines, escalations) and the mass sends (issue 18), and changes none of them: they
are written only through the pages, whose services check the law and write the audit rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from elections.committee_models import CommitteeDeadline, Escalation, PropertyCommittee
from elections.mass_send_models import MassSend
from elections.vacancy_models import MemberRemoval, Vacancy
from tests.factories import UserFactory, sign_in
from tests.security import build_world
from tests.security.test_url_scoping import _a_mass_send, _deadline, _escalation, _property_committee

MODELS = [Vacancy, MemberRemoval, PropertyCommittee, CommitteeDeadline, Escalation, MassSend]


@pytest.fixture
def rows(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = build_world()
    body = _property_committee(w)
    body.members.create(name="物管会主任", affiliation="街道办事处", chair=True, position=1)
    _deadline(w)
    _escalation(w).steps.create(kind="raised", on=date(2026, 8, 1), by_label="系统", note="逾期")
    _a_mass_send(w)
    Vacancy.objects.create(
        committee=w.committee,
        name="辞职委员",
        role="member",
        reason=Vacancy.Reason.RESIGNED,
        left_on=date(2026, 3, 2),
    )
    MemberRemoval.objects.create(
        committee=w.committee, member_name="被提议委员", route=MemberRemoval.Route.MEMBERS
    )
    return w


@pytest.fixture
def admin_client(db, client):
    sign_in(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_lists_and_shows_each_row_and_offers_no_way_to_change_it(admin_client, rows, model):
    listing = admin_client.get(url(model, "changelist"))
    assert listing.status_code == 200
    row = model.objects.get()
    assert url(model, "change", row.pk) in listing.content.decode()
    assert admin_client.get(url(model, "changelist"), {"q": "某个不存在的小区"}).status_code == 200
    shown = admin_client.get(url(model, "change", row.pk))
    assert shown.status_code == 200
    page = shown.content.decode()
    assert 'name="_save"' not in page  # a view page: no save button
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.get(url(model, "delete", row.pk)).status_code == 403
    before = model.objects.count()
    assert admin_client.post(url(model, "change", row.pk), {}).status_code == 403
    assert model.objects.count() == before


def test_it_shows_the_property_committees_members_and_an_escalations_steps(admin_client, rows):
    body = PropertyCommittee.objects.get()
    assert "物管会主任" in admin_client.get(url(PropertyCommittee, "change", body.pk)).content.decode()
    escalation = Escalation.objects.get()
    assert "逾期" in admin_client.get(url(Escalation, "change", escalation.pk)).content.decode()
