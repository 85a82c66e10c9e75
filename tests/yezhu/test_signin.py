"""Signing in with a mobile number and an SMS code (owners), and password plus code (staff)."""

import re

import pytest
from django.urls import reverse

from yezhu.accounts.models import SmsMessage, User

pytestmark = pytest.mark.django_db


def last_code(phone: str) -> str:
    message = SmsMessage.objects.filter(phone=phone).order_by("-id").first()
    assert message is not None, "no SMS was written to the outbox"
    return re.search(r"\d{6}", message.body).group(0)


def request_code(client, phone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("account_request_login_code"), {"phone": phone})


def test_it_signs_an_owner_in_with_a_phone_code(client, django_capture_on_commit_callbacks):
    """A mobile number typed with spaces gets a six-digit code by SMS; the code signs the owner in."""
    response = request_code(client, "138 0013 8000", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    message = SmsMessage.objects.get(phone="13800138000")
    assert message.status == SmsMessage.Status.SENT
    assert message.body.startswith("【")  # the provider's required sign name comes first
    response = client.post(reverse("account_confirm_login_code"), {"code": last_code("13800138000")})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.context["user"].is_authenticated
    assert home.context["user"].phone == "13800138000"
    assert User.objects.get(phone="13800138000").phone_verified


def test_it_refuses_a_malformed_phone_number_in_chinese(client):
    """A number that is not a mainland mobile is refused with a Chinese message and sends nothing."""
    response = client.post(reverse("account_request_login_code"), {"phone": "12345"})
    assert response.status_code == 200
    assert "请输入正确的11位手机号" in response.content.decode()
    assert not SmsMessage.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_a_wrong_code_in_chinese(client, django_capture_on_commit_callbacks):
    request_code(client, "13900139000", django_capture_on_commit_callbacks)
    good = last_code("13900139000")
    wrong = "000000" if good != "000000" else "111111"
    response = client.post(reverse("account_confirm_login_code"), {"code": wrong})
    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_it_gives_up_after_too_many_wrong_codes(client, django_capture_on_commit_callbacks):
    """After three wrong codes the code is dead: even the right one no longer works."""
    request_code(client, "13700137000", django_capture_on_commit_callbacks)
    good = last_code("13700137000")
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(3):
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    response = client.post(reverse("account_confirm_login_code"), {"code": good}, follow=True)
    assert not response.context["user"].is_authenticated


def test_it_refuses_an_expired_code(client, django_capture_on_commit_callbacks, settings):
    request_code(client, "13600136000", django_capture_on_commit_callbacks)
    code = last_code("13600136000")
    session = client.session
    # Age the pending login beyond its lifetime.
    state = session["account_login"]
    stage = state["state"]["stages"]["login_by_code"]["data"]
    stage["at"] -= settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 5
    session["account_login"] = state
    session.save()
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert not response.context["user"].is_authenticated


def test_it_rate_limits_code_requests_per_number(client, django_capture_on_commit_callbacks):
    """Sixth request within a minute for one number sends nothing more and says why in Chinese."""
    for _ in range(5):
        request_code(client, "13500135000", django_capture_on_commit_callbacks)
        client.logout()
    response = request_code(client, "13500135000", django_capture_on_commit_callbacks)
    assert SmsMessage.objects.filter(phone="13500135000").count() == 5
    assert response.status_code in (200, 429)
    assert "尝试次数过多" in response.content.decode()


def test_it_asks_staff_for_a_code_after_the_password(client, django_capture_on_commit_callbacks):
    """Staff sign in with phone + password and must then enter the SMS code."""
    User.objects.create_user("13300133000", password="a long staff password", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_login"), {"login": "13300133000", "password": "a long staff password"}
        )
    assert response.status_code == 302
    assert not client.get(reverse("home")).context["user"].is_authenticated
    response = client.post(reverse("account_confirm_login_code"), {"code": last_code("13300133000")})
    assert client.get(reverse("home")).context["user"].is_authenticated


def test_it_refuses_a_wrong_staff_password(client):
    User.objects.create_user("13300133001", password="a long staff password", is_staff=True)
    response = client.post(reverse("account_login"), {"login": "13300133001", "password": "wrong password!"})
    assert response.status_code == 200
    assert not SmsMessage.objects.exists()
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_it_records_sign_ins_in_the_audit_log(client, django_capture_on_commit_callbacks):
    from yezhu.audit.models import AuditEntry

    request_code(client, "13800138001", django_capture_on_commit_callbacks)
    client.post(reverse("account_confirm_login_code"), {"code": last_code("13800138001")})
    entry = AuditEntry.objects.get(action="sign_in")
    assert entry.actor.phone == "13800138001"
    assert entry.ip == "127.0.0.1"


def test_it_signs_in_by_code_alone_a_user_who_also_has_a_password(client, django_capture_on_commit_callbacks):
    """A staff member who uses the code page (not the password) is signed in after one code."""
    User.objects.create_user("13300133002", password="a long staff password", is_staff=True)
    request_code(client, "13300133002", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_confirm_login_code"), {"code": last_code("13300133002")})
    assert client.get(reverse("home")).context["user"].is_authenticated
    assert SmsMessage.objects.filter(phone="13300133002").count() == 1
