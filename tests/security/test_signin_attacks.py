"""Sign-in without races or leaks (issue 14, finding 2).

- Eight guesses at a code sent at the same moment with the same session cookie: allauth kept the
  failed tries in the session, each request read "none yet", and all eight were compared. Now a
  try is taken by one atomic UPDATE before the comparison: at most three comparisons.
- The code page told a staff number apart ("this number is a staff account") and made a user row
  for every number typed in. Now every number gets the same answer and no row is made before a
  code is confirmed.
- Password guesses are counted in the database too: the lock holds with the cache gone.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import requires_postgres
from tests.race import race
from yezhu.accounts.attempts import attempt_take
from yezhu.accounts.models import SignInAttempt, SmsMessage, User

pytestmark = pytest.mark.django_db


def ask_for_code(client, phone, capture) -> object:
    with capture(execute=True):
        return client.post(reverse("account_request_login_code"), {"phone": phone})


def code_of(phone: str) -> str:
    return re.search(r"\d{6}", SmsMessage.objects.filter(phone=phone).latest("pk").body).group(0)


def wrong(code: str, i: int) -> str:
    guess = f"{(int(code) + 1 + i) % 1_000_000:06d}"
    assert guess != code
    return guess


# -- the atomic counter ---------------------------------------------------------------------------


def test_a_code_guess_takes_its_try_with_one_atomic_update():
    """The decision is the row count of one conditional UPDATE: no read-then-write a parallel
    request could slip between. Eight takes, three tries."""
    attempt_take(key="k" * 64, limit=3)
    with CaptureQueriesContext(connection) as queries:
        taken = [attempt_take(key="k" * 64, limit=3) for _ in range(7)]
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 7 and all('"count" <' in sql for sql in updates)
    assert taken == [True, True, False, False, False, False, False]
    assert SignInAttempt.objects.get().count == 3


CHILD = r"""
import allauth.account.forms as allauth_forms
from django.test import Client

compared = []
original = allauth_forms.compare_user_code
allauth_forms.compare_user_code = lambda **kw: compared.append(1) or original(**kw)
client = Client()
client.cookies["sessionid"] = args["session"]
wait_for_go()
response = client.post("/accounts/login/code/confirm/", {"code": args["guess"]})
print(json.dumps({"compared": len(compared), "status": response.status_code}))
connection.close()
"""


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_parallel_code_guesses_cannot_beat_the_three_tries_limit(
    client, django_capture_on_commit_callbacks, tmp_path
):
    """Eight processes post eight wrong guesses with one session at the same instant: three are
    compared, the rest refused, and the right code no longer works afterwards."""
    ask_for_code(client, "13912300001", django_capture_on_commit_callbacks)
    code = code_of("13912300001")
    session = client.cookies["sessionid"].value
    outcomes = race(CHILD, [{"session": session, "guess": wrong(code, i)} for i in range(8)], tmp_path)
    assert sum(o["compared"] for o in outcomes) <= 3, outcomes
    assert SignInAttempt.objects.get().count == 3
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert not response.context["user"].is_authenticated


def test_sequential_code_guesses_still_get_three_tries(client, django_capture_on_commit_callbacks):
    """The counter keeps the old behaviour one request at a time: two wrong, then the right one."""
    ask_for_code(client, "13912300002", django_capture_on_commit_callbacks)
    code = code_of("13912300002")
    for i in range(2):
        page = client.post(reverse("account_confirm_login_code"), {"code": wrong(code, i)}).content.decode()
        assert f"还可以试 {2 - i} 次" in page
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert client.get(reverse("home")).context["user"].phone == "13912300002"


def test_password_guesses_stay_locked_with_the_cache_gone(client):
    """Five wrong passwords lock the number for five minutes even when the cache (allauth's own
    limit) is emptied between the guesses, as it is when Redis is down."""
    User.objects.create_user("13312300003", password="a long staff password", is_staff=True)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "13312300003", "password": "wrong password!"})
        cache.clear()
    response = client.post(
        reverse("account_login"), {"login": "13312300003", "password": "a long staff password"}
    )
    assert "尝试次数过多" in response.content.decode()
    assert not SmsMessage.objects.filter(phone="13312300003").exists()


def test_a_right_password_gives_its_try_back(client, django_capture_on_commit_callbacks):
    """Only failures count: a staff member who signs in ten times a day is never locked out."""
    User.objects.create_user("13312300004", password="a long staff password", is_staff=True)
    for _ in range(7):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_login"), {"login": "13312300004", "password": "a long staff password"}
            )
        assert response.status_code == 302
        client.cookies.clear()
        cache.clear()


# -- the code page tells nothing ------------------------------------------------------------------


def _page(response, phone: str) -> str:
    """The page with the number itself and the per-session CSRF token taken out."""
    text = response.content.decode().replace(phone, "PHONE").replace(f"{phone[:3]}****{phone[-4:]}", "PHONE")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)


def test_the_code_page_answers_a_staff_number_an_owner_and_an_unknown_number_alike(
    street_staff, django_capture_on_commit_callbacks
):
    """Same status, same redirect, same code page for the three; the difference is only in the
    text message the number itself receives."""
    owner = User.objects.create_user("13912300005")
    staff = street_staff
    answers = []
    for phone in (owner.phone, staff.phone, "13912300006"):
        client = Client()
        response = ask_for_code(client, phone, django_capture_on_commit_callbacks)
        following = client.get(response["Location"])
        answers.append(
            (response.status_code, response["Location"], following.status_code, _page(following, phone))
        )
    assert answers[0] == answers[1] == answers[2]
    assert re.search(r"\d{6}", SmsMessage.objects.get(phone=owner.phone).body)
    assert not re.search(r"\d{6}", SmsMessage.objects.get(phone=staff.phone).body)
    assert re.search(r"\d{6}", SmsMessage.objects.get(phone="13912300006").body)


def test_the_code_page_creates_no_user_until_a_code_is_confirmed(client, django_capture_on_commit_callbacks):
    """Typing any number makes no account; a wrong code makes none; the right code makes it."""
    before = User.objects.count()
    ask_for_code(client, "13912300007", django_capture_on_commit_callbacks)
    code = code_of("13912300007")
    client.post(reverse("account_confirm_login_code"), {"code": wrong(code, 0)})
    assert User.objects.count() == before
    client.post(reverse("account_confirm_login_code"), {"code": code})
    user = User.objects.get(phone="13912300007")
    assert client.get(reverse("home")).context["user"] == user and user.phone_verified
    assert not user.has_usable_password()


def test_a_new_number_can_ask_for_the_code_again(client, django_capture_on_commit_callbacks):
    """重新获取 works for a number without an account too, and still makes no row before the code."""
    ask_for_code(client, "13912300008", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_confirm_login_code"), {"action": "resend"})
    assert SmsMessage.objects.filter(phone="13912300008").count() == 2
    assert not User.objects.filter(phone="13912300008").exists()
    client.post(reverse("account_confirm_login_code"), {"code": code_of("13912300008")})
    assert client.get(reverse("home")).context["user"].phone == "13912300008"
