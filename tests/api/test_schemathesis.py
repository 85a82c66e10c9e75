"""Contract test: every GET endpoint of /api/v1/, driven by schemathesis from the published schema.

For each operation a bounded number of generated requests (query filters, pages, ids) is sent to
the Django application in process (WSGI), authenticated with a staff user's token (an owner's for
the ballot status). Every response must be a non-5xx that the schema documents: its status, its
content type and its body. (Invalid query values need not be refused: see the excluded check.)
Generated ids are mostly mapped to real objects of the fixture, so the
success bodies are checked too, not only the 404s.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from elections.models import Election, Nomination, Stage
from elections.services import election_tally, roll_freeze, voters_of_user
from elections.voting import ballot_cast_online
from tests.factories import api_token, election_with_ballot_paper, owner_user
from yezhu.actors import OPERATOR
from yezhu.wsgi import application


@pytest.fixture
def keep_connection():
    """The WSGI app is called directly (not through Django's test client), so its request signals
    would close the test's database connection, and its transaction, at each request; the test
    client disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, keep_connection, compound, street_staff):
    """A compound with owners, an election in voting, a published one, and a nomination."""
    owner, owner_record, unit = owner_user(compound, "1-1-101", "90.00")
    owner_user(compound, "1-1-102", "110.00")
    voting = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=voting, actor=OPERATOR)
    closed = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=closed, actor=OPERATOR)
    voter = voters_of_user(election=closed, user=owner)[0]
    ballot_cast_online(election=closed, voter=voter, actor=owner, choices={"matters": {"M1": "yes"}})
    Election.objects.filter(pk=closed.pk).update(
        voting_opens_at=timezone.now() - timedelta(days=8),
        voting_closes_at=timezone.now() - timedelta(hours=1),
        stage=Stage.RESULT_NOTICE,
    )
    closed.refresh_from_db()
    Election.objects.filter(pk=closed.pk).update(result=election_tally(closed))
    nomination = Nomination.objects.create(
        election=voting, race=voting.races.get(), nominee=owner_record, source=Nomination.Source.SELF
    )
    return {
        "staff": api_token(street_staff),
        "owner": api_token(owner),
        "ids": {
            "compounds": [compound.pk],
            "buildings": [unit.building_id],
            "units": [unit.pk],
            "elections": [voting.pk, closed.pk],
            "nominations": [nomination.pk],
        },
    }


def _load_schema():
    """The schema the /api/schema/ view serves, generated in process (no database needed), with
    the Django WSGI application as the transport. (The schema is built here rather than through
    `schemathesis.pytest.from_fixture`, whose lazy loading does not work with pytest 9.)"""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.settings import patched_settings

    from yezhu.api.schema_settings import SCHEMA_SETTINGS

    with patched_settings(SCHEMA_SETTINGS):
        raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(raw, cls=DjangoJSONEncoder)))
    loaded.app = application
    return loaded


schema = _load_schema()


def _real_ids(case, ids: dict) -> None:
    """Map most generated ids to objects that exist (odd ids stay random, to exercise the 404s)."""
    params = case.path_parameters or {}
    collection = case.path.split("/")[3]  # /api/v1/<collection>/...
    for name, value in list(params.items()):
        if not isinstance(value, int) or value % 2:
            continue
        if name == "election_pk" or (
            name == "id" and collection == "elections" and "nominations" not in case.path
        ):
            pool = ids["elections"]
        elif name == "id" and "nominations" in case.path:
            pool = ids["nominations"]
        else:
            pool = ids.get(collection, [])
        if pool:
            params[name] = pool[(value // 2) % len(pool)]


@schema.include(method="GET").parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_it_answers_every_get_within_the_schema(case, world):
    """No 5xx, and every status, header and body is the one the schema documents."""
    _real_ids(case, world["ids"])
    who = "owner" if case.path.endswith("/ballot/") else "staff"
    case.call_and_validate(
        headers={"Authorization": f"Token {world[who]}"},
        # Lenient on purpose, as DRF is: an unusable page_size falls back to the default page size
        # instead of refusing the request, which this check would count as a failure.
        excluded_checks=[schemathesis.checks.negative_data_rejection],
    )
