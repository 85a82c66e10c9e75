"""CSRF: every HTML view that accepts POST refuses a POST without the token (403), whoever sends it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.security.test_url_scoping import RECIPES, probed_patterns, url_of

# Views that answer POST only for someone who may use them: each is posted by its rightful user,
# so the refusal seen is the CSRF check's and not a 404 of the scope.


@pytest.fixture
def world(db, settings, tmp_path):
    from tests.security import build_world

    settings.MEDIA_ROOT = tmp_path
    return build_world()


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_it_refuses_a_post_without_the_token_on_every_html_view(world):
    """Every non-API pattern that accepts POST answers 403 to its rightful user without a token;
    the same POST with the token is not refused by CSRF (so the 403 is the token's doing)."""
    html = [name for name, _route in probed_patterns() if not name.startswith("api:")]
    post_views = []
    failures = []
    for name in html:
        recipe = RECIPES[name]
        url = url_of(name, world)
        client = _csrf_client(world.users[recipe.legit])
        response = client.post(url, {})
        if response.status_code == 405:
            continue  # GET only
        post_views.append(name)
        if response.status_code != 403:
            failures.append(f"{name} {url}: POST without a CSRF token got {response.status_code}")
    assert not failures, "\n".join(failures)
    # The walk found the forms: roll upload, ballot, transitions, nominations, paper entry, …
    for name in ("elections:vote", "manage:do", "grids:roll_upload", "manage:paper_entry", "grids:claim"):
        assert name in post_views


def test_it_accepts_the_same_post_with_the_token(world):
    """The check is the token's: with the cookie and the form's token the claim form is not refused."""
    client = _csrf_client(world.users["nobody"])
    page = client.get(reverse("grids:claim"))
    token = page.cookies["csrftoken"].value
    response = client.post(reverse("grids:claim"), {"csrfmiddlewaretoken": token})
    assert response.status_code != 403


def test_it_refuses_sign_in_posts_without_the_token(db):
    """allauth's forms are protected too: requesting a sign-in code without a token is 403."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_request_login_code"), {"phone": "13800138000"})
    assert response.status_code == 403


def test_it_refuses_an_api_write_with_a_session_but_no_token(world):
    """The API accepts session cookies, so a session-authenticated write needs the CSRF token too."""
    client = _csrf_client(world.users["a_owner"])
    response = client.post(
        reverse("api:ballot", kwargs={"election_pk": world.e_vote.pk}), {}, content_type="application/json"
    )
    assert response.status_code == 403
