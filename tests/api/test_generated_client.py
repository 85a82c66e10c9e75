"""A client generated from /api/schema/ by openapi-python-client works as generated: an owner's
program signs in with the session it has, makes a token, reads the election and casts a ballot
through the generated functions, over HTTP against the live server. No workaround: the schema
declares the token as the bearer scheme the API takes, an election's id is an integer in every
operation, and the enums have English names."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from elections.models import Ballot
from tests.factories import api_token

PACKAGE = "yezhu_generated_client"


def _schema() -> dict:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture(scope="module")
def schema() -> dict:
    return _schema()


@pytest.fixture(scope="module")
def generated(schema, tmp_path_factory):
    """The package openapi-python-client makes from the schema, imported."""
    generator = shutil.which("openapi-python-client") or str(
        Path(sys.executable).parent / "openapi-python-client"
    )
    if not os.path.exists(generator):
        pytest.fail("openapi-python-client is missing: pip install -e '.[test]'")
    where = tmp_path_factory.mktemp("client")
    (where / "schema.json").write_text(json.dumps(schema))
    result = subprocess.run(
        [generator, "generate", "--path", "schema.json", "--meta", "none", "--output-path", PACKAGE],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (where / PACKAGE / "client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_it_declares_the_token_as_the_bearer_scheme_it_takes(schema):
    """The token is an HTTP bearer scheme; the token endpoint asks for the session only."""
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {**schemes["tokenAuth"], "type": "http", "scheme": "bearer"}
    assert schema["paths"]["/api/v1/auth/token/"]["post"]["security"] == [{"cookieAuth": []}]


def test_it_types_every_id_in_a_path_as_an_integer(schema):
    """An election's id (`id` or `election_pk`) and every other id in a path is an integer."""
    ids = [
        (path, parameter["name"], parameter["schema"])
        for path, item in schema["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] != "name"
    ]
    assert ids
    assert [i for i in ids if i[2] != {"type": "integer"}] == []


def test_it_gives_no_enum_a_chinese_name(schema):
    """Enums keep their Chinese labels in the description, and no Chinese title names their type."""

    def titled_enums(node):
        if isinstance(node, dict):
            if "enum" in node and "title" in node:
                yield node["title"]
            for value in node.values():
                yield from titled_enums(value)
        elif isinstance(node, list):
            for value in node:
                yield from titled_enums(value)

    assert [t for t in titled_enums(schema) if not t.isascii()] == []
    assert all(name.isascii() for name in schema["components"]["schemas"])
    stage = next(
        p for p in schema["paths"]["/api/v1/elections/"]["get"]["parameters"] if p["name"] == "stage"
    )
    assert "投票" in stage["description"]


@pytest.mark.django_db(transaction=True)
def test_it_casts_a_ballot_through_the_generated_client(generated, live_server, voting_election, owners):
    """Session → token (as the schema types it), then the election and the cast with the bearer token."""
    from yezhu_generated_client import AuthenticatedClient
    from yezhu_generated_client import Client as SessionClient
    from yezhu_generated_client.api.auth import auth_token_create
    from yezhu_generated_client.api.ballot import elections_ballot_create, elections_ballot_retrieve
    from yezhu_generated_client.api.elections import elections_list, elections_retrieve
    from yezhu_generated_client.models import BallotCastRequest, ChoicesRequest, TokenCreateRequest

    user = owners[0][0]
    browser = Client()
    browser.force_login(user)
    csrf = "a" * 32
    # The token endpoint takes the session only (cookieAuth in the schema): the program sends the
    # cookies of a sign-in and the CSRF token, as a page's script would.
    session = SessionClient(
        base_url=live_server.url,
        cookies={
            settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value,
            "csrftoken": csrf,
        },
        headers={"X-CSRFToken": csrf},
    )
    made = auth_token_create.sync(client=session, body=TokenCreateRequest(name="generated"))
    assert made is not None and made.token, made

    client = AuthenticatedClient(base_url=live_server.url, token=made.token)
    listed = elections_list.sync(client=client)
    assert [e.id for e in listed.results] == [voting_election.pk]
    detail = elections_retrieve.sync(listed.results[0].id, client=client)
    assert detail.id == voting_election.pk
    status = elections_ballot_retrieve.sync(voting_election.pk, client=client)
    assert status is not None
    choices = ChoicesRequest.from_dict({"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}})
    receipt = elections_ballot_create.sync(
        voting_election.pk, client=client, body=BallotCastRequest(choices=choices)
    )
    ballot = Ballot.objects.get(election=voting_election)
    assert receipt.receipt == ballot.receipt
    assert ballot.choices == {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}


@pytest.mark.django_db
def test_it_takes_bearer_beside_token(owners, voting_election):
    """`Authorization: Bearer <key>` and `Authorization: Token <key>` are the same key; a bad key is 401."""
    key = api_token(owners[0][0])
    for word in ("Bearer", "Token", "bearer"):
        response = Client().get("/api/v1/elections/", HTTP_AUTHORIZATION=f"{word} {key}")
        assert response.status_code == 200, (word, response.content)
        assert response.json()["count"] == 1
    assert Client().get("/api/v1/elections/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    assert Client().get("/api/v1/elections/", HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert Client().get("/api/v1/elections/", HTTP_AUTHORIZATION="Basic abc").status_code == 401
