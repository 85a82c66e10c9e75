"""API tokens can be listed and revoked by their owner and end with sign-out (issue 14, finding 2).

A token used to live forever and its owner could neither see it nor end one of several: a token
made on a borrowed phone outlived the sign-in it came from.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory, sign_in
from yezhu.accounts.models import ApiToken
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def session(user) -> APIClient:
    client = APIClient()
    sign_in(client, user)
    return client


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def make(client, **body) -> dict:
    response = client.post("/api/v1/auth/token/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_owner_lists_their_tokens_without_the_keys_and_revokes_one():
    owner = UserFactory()
    web = session(owner)
    phone_app, script = make(web, name="手机"), make(web, name="脚本")
    listed = web.get("/api/v1/auth/tokens/").json()
    assert sorted(t["name"] for t in listed) == ["手机", "脚本"]
    assert all("token" not in t and phone_app["token"] not in str(t) for t in listed)
    assert {t["prefix"] for t in listed} == {phone_app["token"][:8], script["token"][:8]}
    # The script's own token can list them and end the phone app's (it leaked).
    assert with_token(script["token"]).delete(f"/api/v1/auth/tokens/{phone_app['id']}/").status_code == 204
    assert with_token(phone_app["token"]).get("/api/v1/compounds/").status_code == 401
    assert with_token(script["token"]).get("/api/v1/compounds/").status_code == 200
    assert AuditEntry.objects.filter(action="api.token_revoked", actor=owner).exists()


def test_nobody_else_can_list_or_revoke_my_token():
    mine = make(session(UserFactory()))
    other = session(UserFactory())
    assert other.get("/api/v1/auth/tokens/").json() == []
    assert other.delete(f"/api/v1/auth/tokens/{mine['id']}/").status_code == 404
    assert with_token(mine["token"]).get("/api/v1/compounds/").status_code == 200


def test_signing_out_ends_the_tokens_made_from_the_sign_in():
    owner = UserFactory()
    web = session(owner)
    token = make(web)["token"]
    assert with_token(token).get("/api/v1/compounds/").status_code == 200
    web.post(reverse("account_logout"))
    assert with_token(token).get("/api/v1/compounds/").status_code == 401
    assert not ApiToken.objects.filter(user=owner).exists()
    row = AuditEntry.objects.filter(action="api.token_revoked").latest("pk")
    assert row.data["reason"] == "sign_out"


def test_only_staff_make_a_token_that_survives_sign_out(street_staff):
    owner = session(UserFactory())
    response = owner.post("/api/v1/auth/token/", {"long_lived": True}, format="json")
    assert response.status_code == 403
    staff = session(street_staff)
    program = make(staff, name="区平台", long_lived=True)
    everyday = make(staff, name="临时")
    staff.post(reverse("account_logout"))
    assert with_token(program["token"]).get("/api/v1/compounds/").status_code == 200
    assert with_token(everyday["token"]).get("/api/v1/compounds/").status_code == 401


def test_a_token_ends_when_a_session_would():
    """Never signed out: the token still ends after SESSION_COOKIE_AGE, as the session does."""
    token = make(session(UserFactory()))
    stored = ApiToken.objects.get(pk=token["id"])
    assert stored.expires_at is not None and stored.expires_at > timezone.now() + timedelta(days=13)
    ApiToken.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert with_token(token["token"]).get("/api/v1/compounds/").status_code == 401


def test_only_a_hash_of_the_key_is_stored():
    token = make(session(UserFactory()))
    stored = ApiToken.objects.get(pk=token["id"])
    assert token["token"] not in (stored.key_hash, stored.prefix, stored.name)
    assert len(stored.key_hash) == 64
