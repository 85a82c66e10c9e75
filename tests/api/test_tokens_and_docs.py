"""API tokens, error bodies, the schema and the docs page."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.factories import UserFactory, api_token
from yezhu.accounts.models import ApiToken
from yezhu.audit.models import AuditEntry


@pytest.mark.django_db
def test_it_creates_and_rotates_a_token_for_a_signed_in_user():
    """A session POST creates a token (201); a second one replaces it; the token then authenticates."""
    user = UserFactory()
    client = APIClient()
    client.force_login(user)
    first = client.post("/api/v1/auth/token/")
    assert first.status_code == 201
    second = client.post("/api/v1/auth/token/")
    assert second.json()["token"] != first.json()["token"]
    assert list(ApiToken.objects.filter(user=user).values_list("prefix", flat=True)) == [
        second.json()["token"][:8]
    ]
    assert AuditEntry.objects.filter(action="api.token_rotated").exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {first.json()['token']}")
    assert api.get("/api/v1/compounds/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {second.json()['token']}")
    assert api.get("/api/v1/compounds/").status_code == 200


@pytest.mark.django_db
def test_it_needs_the_csrf_token_for_a_session_request():
    """With CSRF checks on, a session POST without the token is 403 csrf_failed in Chinese."""
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/auth/token/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert "CSRF" in response.json()["error"]["message"] and "刷新" in response.json()["error"]["message"]
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_it_refuses_tokens_to_mint_tokens_and_anonymous_users():
    """A token cannot create a token; anonymous cannot either; GET is 405; DELETE revokes."""
    user = UserFactory()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    assert api.post("/api/v1/auth/token/").status_code == 403
    assert APIClient().post("/api/v1/auth/token/").status_code == 403
    session = APIClient()
    session.force_login(user)
    assert session.get("/api/v1/auth/token/").status_code == 405
    assert session.delete("/api/v1/auth/token/").status_code == 204
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_it_gives_one_error_body_for_every_refusal():
    """401, 404, 405 and an invalid token all answer {"error": {code, message, fields}}."""
    user = UserFactory()
    signed_in = APIClient()
    signed_in.force_login(user)
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Token nope")
    responses = {
        401: APIClient().get("/api/v1/units/"),
        404: signed_in.get("/api/v1/units/999999/"),
        405: signed_in.delete("/api/v1/units/"),
    }
    responses["bad_token"] = bad_token.get("/api/v1/units/")
    for key, response in responses.items():
        body = response.json()
        assert set(body) == {"error"}, key
        assert set(body["error"]) == {"code", "message", "fields"}, key
        assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"]), key
    assert responses["bad_token"].status_code == 401
    assert responses["bad_token"].json()["error"]["code"] == "authentication_failed"


@pytest.mark.django_db
def test_it_serves_the_openapi_schema():
    """/api/schema/ is OpenAPI 3 with every endpoint and the common error body."""
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/elections/{election_pk}/ballot/" in schema["paths"]
    assert "Error" in schema["components"]["schemas"]
    assert "429" in schema["paths"]["/api/v1/elections/{election_pk}/ballot/"]["post"]["responses"]


def test_it_generates_the_schema_without_warnings():
    """`manage.py spectacular --validate --fail-on-warn` passes with the API's schema settings."""
    out = StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--custom-settings",
        "yezhu.api.schema_settings.SCHEMA_SETTINGS",
        stdout=out,
    )
    assert "openapi: 3" in out.getvalue()


@pytest.mark.django_db
def test_it_serves_the_docs_page_from_local_static_files(client):
    """/api/docs/ loads Swagger UI from /static/ (files present), with no inline script and no CDN."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "style=" not in html and "cdn" not in html.lower() and "//unpkg" not in html
    for path in ("api/swagger-ui/swagger-ui-bundle.js", "api/swagger-ui/swagger-ui.css", "api/docs.js"):
        assert finders.find(path), path
    assert 'data-schema-url="/api/schema/"' in html
    assert client.post("/api/docs/").status_code == 405


@pytest.mark.django_db
def test_it_answers_a_post_to_an_unknown_path_with_the_json_404(street_staff):
    """A POST to a misspelt /api/v1/ path (with CSRF checks on, as a browser session has them) is
    the JSON 404, not Django's HTML CSRF page; a cast with a form body from an outsider is 404 too."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(street_staff)
    for path in ("/api/v1/elections/-1/ballot/", "/api/v1/nope/"):
        response = client.post(path, {"x": "1"})
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"
    anonymous = Client()
    response = anonymous.post("/api/v1/elections/999999/ballot/", {"voter": "1"})
    assert response.status_code in (401, 403, 404) and response["Content-Type"].startswith("application/json")
