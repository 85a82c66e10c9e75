"""Rate limits: sign-in code requests (allauth), the ballot page's cast and the API's cast."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from elections.models import Ballot
from yezhu.accounts.models import SmsMessage


@pytest.fixture(autouse=True)
def _one_window(monkeypatch):
    """One rate window for the whole test, so a minute boundary in the middle cannot reset the count."""
    monkeypatch.setattr("elections.views.ballot.CAST_RATE_WINDOW", 10**9)


@pytest.fixture
def world(db, settings, tmp_path):
    from tests.security import build_world

    settings.MEDIA_ROOT = tmp_path
    return build_world()


def test_it_limits_sign_in_code_requests_per_number(db, settings, django_capture_on_commit_callbacks):
    """The configured limit (the providers' own: 1 a minute, 5 an hour, 10 a day per number) holds:
    the second request within the minute sends no SMS and says why."""
    assert "1/m/key,5/h/key,10/d/key" in settings.ACCOUNT_RATE_LIMITS["request_login_code"]
    for _ in range(2):
        client = Client(REMOTE_ADDR="10.9.0.1")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("account_request_login_code"), {"phone": "13700137000"})
    assert SmsMessage.objects.filter(phone="13700137000").count() == 1
    assert "尝试次数过多" in response.content.decode()


def test_it_limits_sign_in_code_requests_per_address(db, django_capture_on_commit_callbacks):
    """One address cannot ask for codes for many numbers: the sixth number within a minute gets none."""
    client = Client(REMOTE_ADDR="10.9.0.2")
    for i in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_request_login_code"), {"phone": f"1370013710{i}"})
        client.logout()
    assert SmsMessage.objects.filter(phone__startswith="137001371").count() == 5


def test_it_limits_code_guesses(db, settings):
    """A code is tried at most ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS times."""
    assert settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS <= 5
    assert "confirm_login_code" in settings.ACCOUNT_RATE_LIMITS


def test_it_limits_casting_through_the_ballot_page(world):
    """Past 10 cast attempts in a minute the page answers 429 in Chinese and records nothing."""
    client = Client()
    client.force_login(world.users["a_owner"])
    url = reverse("elections:vote", args=[world.e_vote.pk, world.voter.pk])
    codes = [client.post(url, {"step": "cast", "token": "forged"}).status_code for _ in range(11)]
    assert 429 not in codes[:10]
    assert codes[10] == 429
    response = client.post(url, {"step": "cast", "token": "forged"})
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()
    assert not Ballot.objects.filter(voter=world.voter).exists()


def test_it_counts_page_casts_per_user(world):
    """Another user is not slowed down by the first user's attempts."""
    first = Client()
    first.force_login(world.users["a_owner"])
    url = reverse("elections:vote", args=[world.e_vote.pk, world.voter.pk])
    for _ in range(11):
        first.post(url, {"step": "cast", "token": "forged"})
    second = Client()
    second.force_login(world.users["a_principal"])
    principal = world.proxy.principal
    response = second.post(
        reverse("elections:vote", args=[world.e_vote.pk, principal.pk]), {"step": "cast", "token": "x"}
    )
    assert response.status_code != 429


def test_it_throttles_casting_through_the_api(world, settings):
    """The API's cast is throttled per user (ballot_user): past the rate, 429."""
    from rest_framework.test import APIClient

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ballot_user": "2/min"}}
    client = APIClient()
    client.force_authenticate(world.users["a_owner"])
    url = reverse("api:ballot", kwargs={"election_pk": world.e_vote.pk})
    codes = [
        client.post(url, {"choices": {"races": {"R1": ["C99"]}}}, format="json").status_code for _ in range(3)
    ]
    assert codes[-1] == 429
    assert "ballot_user" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]


# ---------------------------------------------------------------------------------------------- behind nginx

NGINX = "172.18.0.5"  # the reverse proxy's address: every request reaches the app from it


def test_it_tells_owners_apart_behind_our_proxy(db, settings, django_capture_on_commit_callbacks):
    """With one trusted proxy, six owners on six addresses each get their code; one address asking
    for six numbers is still held to five (the limit is per owner's address, not per nginx)."""
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for i in range(6):
        client = Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"36.110.1.{i + 1}")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_request_login_code"), {"phone": f"1370013720{i}"})
    assert SmsMessage.objects.filter(phone__startswith="137001372").count() == 6
    for i in range(6):
        client = Client(REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="36.110.9.9")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_request_login_code"), {"phone": f"1370013730{i}"})
    assert SmsMessage.objects.filter(phone__startswith="137001373").count() == 5


def test_it_ignores_a_forged_forwarded_header_without_a_trusted_proxy(
    db, settings, django_capture_on_commit_callbacks
):
    """No proxy configured: a client inventing X-Forwarded-For entries is still one address."""
    assert settings.TRUSTED_PROXY_COUNT == 0
    for i in range(6):
        client = Client(REMOTE_ADDR="10.9.0.3", HTTP_X_FORWARDED_FOR=f"8.8.8.{i}")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("account_request_login_code"), {"phone": f"1370013740{i}"})
    assert SmsMessage.objects.filter(phone__startswith="137001374").count() == 5


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "8.8.8.8", "10.0.0.9"),  # no proxy: the header is the client's own invention
        (1, "8.8.8.8, 36.110.1.1", "36.110.1.1"),  # our nginx appended the real address last
        (2, "8.8.8.8, 36.110.1.1, 10.1.1.1", "36.110.1.1"),  # a load balancer, then nginx
        (1, "not-an-address", None),  # garbage never reaches the audit log's IP column
    ],
)
def test_it_takes_the_address_our_proxies_saw_for_audit_and_throttles(settings, count, forwarded, expected):
    """The audit log and the API's per-address casting limit read the same X-Forwarded-For entry."""
    from django.test import RequestFactory
    from rest_framework.request import Request

    from yezhu.api.throttles import BallotIPThrottle
    from yezhu.audit.context import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
    if expected:
        assert BallotIPThrottle().get_ident(Request(request)) == expected


def test_it_configures_every_limit_with_the_same_proxy_count(settings):
    """allauth, DRF and the audit log are driven by the one TRUSTED_PROXY_COUNT setting."""
    from yezhu import settings as project

    assert project.ALLAUTH_TRUSTED_PROXY_COUNT == project.TRUSTED_PROXY_COUNT
    assert project.REST_FRAMEWORK["NUM_PROXIES"] == project.TRUSTED_PROXY_COUNT
