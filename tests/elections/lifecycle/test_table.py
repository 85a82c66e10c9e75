"""The transition table (elections/lifecycle/table.py) is the one place a transition is written:
the staff page, the API, the services and the blockers all read it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from elections import lifecycle as lc
from elections.api.lifecycle import ACTION_PARAMS
from elections.errors import Refused
from elections.forms.transitions import form_class
from elections.lifecycle import stages, table
from elections.models import Election, Stage
from tests.api.conftest import token_client
from tests.elections.test_lifecycle import add_candidates, ready_for_notice
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db

PAGE_ACTION = re.compile(r'action="/manage/e/\d+/do/(\w+)/"')


def page_actions(client: Client, election: Election) -> list[str]:
    html = client.get(f"/manage/e/{election.pk}/").content.decode()
    return PAGE_ACTION.findall(html)


def api_actions(api, election: Election) -> dict:
    response = api.get(f"/api/v1/elections/{election.pk}/actions/")
    assert response.status_code == 200, response.content
    return response.json()


def at_stage(election: Election, stage: str, **fields) -> Election:
    Election.objects.filter(pk=election.pk).update(stage=stage, **fields)
    return Election.objects.get(pk=election.pk)


def test_it_has_one_service_and_one_form_per_transition_and_nothing_else():
    """Every entry names a service of the same name and gets a form and a serializer from its
    parameters; the page and the API take no transition the table does not list."""
    names = [t.name for t in table.TRANSITIONS]
    assert len(names) == len(set(names))
    assert set(stages.SERVICES) == set(names) == set(ACTION_PARAMS) == set(lc.ACTIONS)
    for entry in table.TRANSITIONS:
        assert stages.SERVICES[entry.name].__name__ == entry.name
        assert set(form_class(entry.name)().fields) == {p.name for p in entry.params}
        assert entry.sources, entry.name


@pytest.mark.parametrize("kind", [Election.Kind.REELECTION, Election.Kind.MATTERS_ONLY])
@pytest.mark.parametrize("stage", list(Stage.values))
def test_it_offers_on_the_page_and_in_the_api_exactly_the_tables_actions(compound, street_staff, stage, kind):
    """For every stage (and both kinds of election), the overview's buttons, the API's `allowed`
    and `allowed_actions()` are the same list, in the table's order, each leaving from that stage."""
    election = ready_for_notice(compound, kind=kind)
    if kind != Election.Kind.MATTERS_ONLY:
        add_candidates(election)
    today = timezone.localdate()
    election = at_stage(
        election,
        stage,
        notice_published_on=today - timedelta(days=40),
        voting_opens_at=timezone.now() - timedelta(days=1),
        voting_closes_at=timezone.now() + timedelta(days=5),
    )
    expected = lc.allowed_actions(election)
    assert expected == [t.name for t in table.TRANSITIONS if t.name in expected]
    assert all(stage in table.transition(name).sources for name in expected)
    client = Client()
    client.force_login(street_staff)
    shown = page_actions(client, election)
    assert sorted(shown) == sorted(expected) and len(shown) == len(set(shown))
    body = api_actions(token_client(street_staff), election)
    assert body["allowed"] == expected
    assert body["stage"] == stage


def test_it_gives_a_client_the_code_of_each_blocker_and_of_a_refusal(compound, street_staff):
    """A blocker reaches the API as {code, message}; posting the blocked step is refused with the
    first blocker's code and every problem listed, and a client can switch on the code."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    lc.working_group_form(election=election, actor=OPERATOR)
    api = token_client(street_staff)
    body = api_actions(api, election)
    codes = [b["code"] for b in body["blockers"]]
    assert codes == ["working_group_empty", "no_race", "notice_without_dates"]
    assert all(b["message"] for b in body["blockers"])
    refused = api.post(f"/api/v1/elections/{election.pk}/actions/notice_publish/", {}, format="json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "working_group_empty"
    assert [p["code"] for p in error["problems"]] == codes
    assert Election.objects.get(pk=election.pk).stage == Stage.WORKING_GROUP


def test_it_refuses_in_the_service_what_the_table_says_blocks_it(compound):
    """The service checks the table's preconditions: patching an entry's preconditions changes what
    the service refuses (there is no second copy of the rule in the service)."""
    election = lc.election_create(compound=compound, title="换届选举", actor=OPERATOR)
    entry = table.transition("working_group_form")
    blocked = table.Transition(
        entry.name,
        entry.label,
        sources=entry.sources,
        preconditions=lambda e, now, p: [table.P("test_block", "blocked by the table")],
        params=entry.params,
    )
    original = table.BY_NAME["working_group_form"]
    table.BY_NAME["working_group_form"] = blocked
    try:
        with pytest.raises(Refused) as refused:
            lc.working_group_form(election=election, actor=OPERATOR)
    finally:
        table.BY_NAME["working_group_form"] = original
    assert refused.value.code == "test_block"
    assert Election.objects.get(pk=election.pk).stage == Stage.STARTED


def test_it_gives_each_stage_at_most_one_next_step():
    """blockers() reads the next step of the stage: at most one entry leads from a stage for any
    given election, else the blockers would depend on the order of the table."""
    for stage in Stage.values:
        leading = [t for t in table.TRANSITIONS if stage in t.sources and not (t.danger or t.secondary)]
        assert len([t for t in leading if t.leads is None]) <= 1, (stage, [t.name for t in leading])
