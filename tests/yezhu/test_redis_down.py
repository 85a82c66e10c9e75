"""With the Redis cache down, owners still sign in and vote and staff still sign in: the cache
backend (yezhu/cache.py) fails open, and says so once in the log rather than once per request.

The cache points at a port where nothing listens; Celery stays eager (conftest), so only the cache
is missing here (tests/elections/test_broker_down.py covers the broker).
"""

from __future__ import annotations

import logging
import re
import socket

import pytest
from django.core.cache import cache, caches
from django.urls import reverse
from redis.exceptions import ResponseError

from elections.models import Ballot, Stage
from elections.paper import paper_key
from elections.services import ballot_paper_keys, roll_freeze, voters_of_user
from tests.api.conftest import token_client
from tests.factories import election_with_ballot_paper, owner_user
from tests.yezhu.test_settings import run_python
from yezhu import cache as resilient
from yezhu.accounts.models import SmsMessage, User
from yezhu.actors import OPERATOR
from yezhu.cache import ResilientRedisCache

pytestmark = pytest.mark.django_db


def dead_port() -> int:
    """A local port nothing listens on: bound once by the OS, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_backend(**options) -> ResilientRedisCache:
    return ResilientRedisCache(f"redis://127.0.0.1:{dead_port()}/0", {"OPTIONS": options} if options else {})


@pytest.fixture
def clock(monkeypatch):
    """The backend's clock, moved by hand: clock.now += seconds."""

    class Clock:
        now = 1000.0

    monkeypatch.setattr(resilient, "_clock", lambda: Clock.now)
    monkeypatch.setattr(resilient, "_last_warning", None)
    return Clock


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The default cache is the production backend pointing at a dead Redis."""
    monkeypatch.setattr(resilient, "_last_warning", None)
    settings.CACHES = {
        "default": {
            "BACKEND": "yezhu.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port()}/0",
        }
    }
    # setting_changed reset the cache handler: allauth, DRF and the app all see the dead cache.
    assert isinstance(caches["default"], ResilientRedisCache)


def cache_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "yezhu.cache" and r.levelno == logging.WARNING]


@pytest.fixture
def owners(compound):
    """Three owners, each alone in one home: [user, …]."""
    return [owner_user(compound, code)[0] for code in ("1-1-101", "1-1-102", "1-1-103")]


@pytest.fixture
def election(compound, owners):
    """Voting open, the roll frozen with the owners' homes."""
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    election.refresh_from_db()
    return election


# ---------------------------------------------------------------------------------------------
# The backend
# ---------------------------------------------------------------------------------------------


def test_it_fails_open_on_every_operation(clock, caplog):
    """Against a dead server: reads miss, add succeeds, writes are dropped, incr says the key is missing."""
    backend = dead_backend()
    assert backend.get("k") is None
    assert backend.get("k", "fallback") == "fallback"
    assert backend.add("k", 1) is True
    assert backend.set("k", 1) is None
    assert backend.get_many(["k", "j"]) == {}
    assert backend.set_many({"k": 1, "j": 2}) == ["k", "j"]
    assert backend.has_key("k") is False
    assert backend.touch("k") is False
    assert backend.delete("k") is False
    assert backend.delete_many(["k", "j"]) is None
    assert backend.clear() is False
    assert backend.get_or_set("k", lambda: "computed") == "computed"
    with pytest.raises(ValueError, match="not found"):
        backend.incr("k")
    with pytest.raises(ValueError, match="not found"):
        backend.decr("k")
    assert len(cache_warnings(caplog)) == 1


def test_it_gives_the_redis_client_short_timeouts():
    """The pool gets 0.25 s to connect and 0.5 s per reply by default; OPTIONS can change them."""
    pool = dead_backend()._cache._get_connection_pool(write=True)
    assert pool.connection_kwargs["socket_connect_timeout"] == 0.25
    assert pool.connection_kwargs["socket_timeout"] == 0.5
    pool = dead_backend(socket_timeout=2)._cache._get_connection_pool(write=True)
    assert pool.connection_kwargs["socket_timeout"] == 2


def test_it_warns_at_most_every_thirty_seconds_and_retries_redis_after_two(clock, caplog):
    """After a failure Redis is left alone for RETRY_INTERVAL, then tried again; a second warning
    comes only once WARNING_INTERVAL has passed."""
    backend = dead_backend()
    attempts = []
    real = backend._cache.get_client

    def counting(*args, **kwargs):
        attempts.append(1)
        return real(*args, **kwargs)

    backend._cache.get_client = counting
    backend.get("k")
    backend.get("k")
    backend.add("k", 1)
    assert len(attempts) == 1  # inside RETRY_INTERVAL: not even tried
    clock.now += resilient.RETRY_INTERVAL
    backend.get("k")
    assert len(attempts) == 2
    assert len(cache_warnings(caplog)) == 1
    clock.now += resilient.WARNING_INTERVAL
    backend.get("k")
    assert len(attempts) == 3
    assert len(cache_warnings(caplog)) == 2
    assert "rate limits are off" in cache_warnings(caplog)[0].getMessage()


def test_it_still_raises_errors_that_are_not_about_reaching_redis(clock, caplog):
    """A Redis error about the command (here a key of the wrong type) is a bug, not an outage."""
    backend = dead_backend()

    def wrong_type(*args, **kwargs):
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")

    backend._cache.get_client = wrong_type
    with pytest.raises(ResponseError):
        backend.get("k")
    assert cache_warnings(caplog) == []


def test_it_is_the_cache_of_production_when_redis_is_configured():
    """REDIS_URL set: CACHES uses the resilient backend with the short timeouts."""
    result = run_python(
        "import django; from django.conf import settings; django.setup(); "
        "c = settings.CACHES['default']; print(c['BACKEND']); print(sorted(c['OPTIONS'].items()))",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    backend, options = result.stdout.splitlines()[:2]
    assert backend == "yezhu.cache.ResilientRedisCache"
    assert options == "[('socket_connect_timeout', 0.25), ('socket_timeout', 0.5)]"


# ---------------------------------------------------------------------------------------------
# The site with Redis down
# ---------------------------------------------------------------------------------------------


def test_it_lets_an_owner_sign_in_with_an_sms_code(
    redis_down, client, compound, caplog, django_capture_on_commit_callbacks
):
    """The sign-in rate limits are skipped: the code goes out by SMS and signs the owner in."""
    user, _owner, _unit = owner_user(compound, "1-1-101")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_request_login_code"), {"phone": user.phone})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    message = SmsMessage.objects.get(phone=user.phone)
    assert message.status == SmsMessage.Status.SENT
    code = re.search(r"\d{6}", message.body).group(0)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == user
    assert len(cache_warnings(caplog)) == 1


def test_it_lets_staff_sign_in_with_password_and_code(
    redis_down, client, caplog, django_capture_on_commit_callbacks
):
    """Password then SMS code, both rate-limited steps pass without the cache."""
    staff = User.objects.create_user("13300133000", password="a long staff password", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_login"), {"login": staff.phone, "password": "a long staff password"}
        )
    assert response.status_code == 302
    code = re.search(r"\d{6}", SmsMessage.objects.get(phone=staff.phone).body).group(0)
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert client.get(reverse("home")).context["user"] == staff


def test_it_lets_an_owner_cast_through_the_ballot_page(redis_down, client, owners, election):
    """Review, then cast with the token: the ballot is stored and the receipt shown."""
    user = owners[0]
    voter = voters_of_user(election=election, user=user)[0]
    url = reverse("elections:vote", args=[election.pk, voter.pk])
    client.force_login(user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"step": "review", "matter_M1": "yes", "race_R1": ["C1", "C2"]})
    assert response.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    response = client.post(url, {"step": "cast", "token": token})
    ballot = Ballot.objects.get(voter=voter)
    assert response.status_code == 302
    assert response["Location"] == reverse("elections:receipt", args=[election.pk, ballot.receipt])
    assert ballot.choices == {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}
    assert ballot.receipt in client.get(response["Location"]).content.decode()


def test_it_lets_an_owner_cast_through_the_api(redis_down, owners, election):
    """The DRF throttles let the cast through: 201 with the receipt."""
    response = token_client(owners[0]).post(
        f"/api/v1/elections/{election.pk}/ballot/",
        {"choices": {"matters": {"M1": "no"}, "races": {"R1": ["C3"]}}},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["receipt"] == Ballot.objects.get().receipt


def test_it_reads_the_ballot_paper_and_paper_key_from_the_database(redis_down, election):
    """The cached ballot paper and the paper key fall back to the database."""
    assert election.paper_key
    assert paper_key(election.pk) == election.paper_key
    matters, races = ballot_paper_keys(election)
    assert matters == frozenset({"M1"})
    assert sorted(races["R1"]) == ["C1", "C2", "C3", "C4"]


def test_it_logs_one_warning_for_many_requests(redis_down, client, owners, election, caplog, clock):
    """Several owners, pages and API casts within half a minute: one warning line, not one per request."""
    for user in owners:
        client.post(reverse("account_request_login_code"), {"phone": user.phone})
        client.logout()
        response = token_client(user).post(
            f"/api/v1/elections/{election.pk}/ballot/", {"choices": {"matters": {"M1": "yes"}}}, format="json"
        )
        assert response.status_code == 201, response.content
        clock.now += resilient.RETRY_INTERVAL  # each request tries Redis again
    assert Ballot.objects.count() == 3
    assert len(cache_warnings(caplog)) == 1
    assert cache.get("anything", "miss") == "miss"


NOTICE = {
    "compound": "西园里",
    "kind": "公告",
    "title": "业主大会公告",
    "url": "https://yezhu.example.cn/e/inbox/",
}


@pytest.mark.django_db
def test_it_sends_a_sign_in_code_from_the_request_when_the_broker_is_down(
    monkeypatch, django_capture_on_commit_callbacks
):
    """Celery's broker is Redis too: with it down an owner waiting for a code still gets it (one attempt
    from the request), while other messages wait in the outbox for the drain."""
    from yezhu.accounts.models import SmsMessage
    from yezhu.accounts.services import sms_queue
    from yezhu.accounts.tasks import send_sms

    def broker_down(*args, **kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(send_sms, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        code = sms_queue(
            phone="13800138000",
            kind="login_code",
            params={"code": "123456", "minutes": "5"},
            purpose="login_code",
        )
        notice = sms_queue(phone="13800138000", kind="notice", params=NOTICE, purpose="notice")
    code.refresh_from_db()
    notice.refresh_from_db()
    assert code.status == SmsMessage.Status.SENT and code.attempts == 1
    assert notice.status == SmsMessage.Status.QUEUED and notice.attempts == 0
