"""The API's lean path (yezhu/middleware.py): a request with `Authorization: Token …` to /api/
skips the session, Django's lazy user and the messages; every other request keeps them, and
every answer keeps its security headers."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from yezhu.api.tokens import token_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/tokens/"


def test_it_serves_a_token_api_request_without_a_session():
    _token, key = token_create(actor=UserFactory())
    response = Client().get(URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert not hasattr(response.wsgi_request, "session")
    assert not hasattr(response.wsgi_request, "_messages")
    assert response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "sessionid" not in response.cookies


def test_it_refuses_a_bad_token_on_the_lean_path_with_the_api_error():
    response = Client().get(URL, HTTP_AUTHORIZATION="Token nonsense")
    assert response.status_code == 401
    assert response.json()["error"]["code"]


def test_it_keeps_the_session_for_a_signed_in_api_request():
    client = Client()
    client.force_login(UserFactory())
    response = client.get(URL)
    assert response.status_code == 200
    assert hasattr(response.wsgi_request, "session")


def test_it_keeps_the_session_for_pages_whatever_the_header():
    """Only /api/ takes the lean path: a page with a token header still has its session."""
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/", HTTP_AUTHORIZATION="Token anything")
    assert hasattr(response.wsgi_request, "session")
    assert response.wsgi_request.user.is_authenticated
