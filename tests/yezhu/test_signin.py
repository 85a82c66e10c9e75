"""Signing in with a mobile number and an SMS code (owners), and password plus code (staff)."""

import re

import pytest
from django.conf import settings
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
    assert "验证码不对，请再试一次，还可以试 2 次" in response.content.decode()
    response = client.post(reverse("account_confirm_login_code"), {"code": wrong})
    assert "还可以试 1 次" in response.content.decode()
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_it_gives_up_after_too_many_wrong_codes(client, django_capture_on_commit_callbacks):
    """After three wrong codes the code is dead: even the right one no longer works."""
    request_code(client, "13700137000", django_capture_on_commit_callbacks)
    good = last_code("13700137000")
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(2):
        client.post(reverse("account_confirm_login_code"), {"code": wrong})
    response = client.post(reverse("account_confirm_login_code"), {"code": wrong}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("account_request_login_code")
    # The page says what the owners' guide says: the code is void, ask for a new one (not "wait").
    message = re.search(r'<li class="message error"[^>]*>([^<]+)</li>', page).group(1).strip()
    assert "重新获取验证码" in message and "过几分钟" not in message
    guide = (settings.BASE_DIR / "docs" / "guide-owner.md").read_text(encoding="utf-8")
    assert message.rstrip("。") in guide
    assert "已过期" not in page  # too many tries is not an expired code
    assert "验证码已发送" not in page
    response = client.post(reverse("account_confirm_login_code"), {"code": good}, follow=True)
    assert not response.context["user"].is_authenticated


def age_the_code(client, seconds: int) -> None:
    """Move the pending code's clock back, as if `seconds` had passed."""
    session = client.session
    state = session["account_login"]
    state["state"]["stages"]["login_by_code"]["data"]["at"] -= seconds
    session["account_login"] = state
    session.save()


def test_it_refuses_an_expired_code(client, django_capture_on_commit_callbacks, settings):
    """An expired code sends the owner back to the phone page with "expired", not "sent"."""
    request_code(client, "13600136000", django_capture_on_commit_callbacks)
    code = last_code("13600136000")
    age_the_code(client, settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT + 5)
    response = client.post(reverse("account_confirm_login_code"), {"code": code}, follow=True)
    assert not response.context["user"].is_authenticated
    assert response.redirect_chain[-1][0] == reverse("account_request_login_code")
    page = response.content.decode()
    assert "验证码已过期，请重新获取" in page
    assert "验证码已发送" not in page
    # Said once: the next visit is a plain phone page.
    assert "已过期" not in client.get(reverse("account_request_login_code")).content.decode()


def test_it_does_not_call_a_live_code_expired(client, django_capture_on_commit_callbacks):
    """Back on the phone page while the code is still good: no "expired" message."""
    request_code(client, "13600136001", django_capture_on_commit_callbacks)
    assert "已过期" not in client.get(reverse("account_request_login_code")).content.decode()


def test_it_gives_a_resent_code_its_full_lifetime(client, django_capture_on_commit_callbacks, settings):
    """ "重新获取" near the end of the first code's life: the new code lasts the full five minutes."""
    timeout = settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT
    request_code(client, "13600136002", django_capture_on_commit_callbacks)
    first = last_code("13600136002")
    age_the_code(client, timeout - 10)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_confirm_login_code"), {"action": "resend"})
    assert SmsMessage.objects.filter(phone="13600136002").count() == 2
    second = last_code("13600136002")
    age_the_code(client, 60)  # the first code's clock would have run out by now
    response = client.post(reverse("account_confirm_login_code"), {"code": second})
    assert response.status_code == 302, response.content.decode()
    assert client.get(reverse("home")).context["user"].is_authenticated
    assert first  # the first code was sent too


def test_it_rate_limits_code_requests_per_number(client, django_capture_on_commit_callbacks):
    """A second request within a minute for one number (the providers' limit for codes) sends
    nothing more and says why in Chinese."""
    request_code(client, "13500135000", django_capture_on_commit_callbacks)
    client.logout()
    response = request_code(client, "13500135000", django_capture_on_commit_callbacks)
    assert SmsMessage.objects.filter(phone="13500135000").count() == 1
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


# Staff: password first, then the code. Until 2026 a staff member could use the owners' code page
# and be signed in by the code alone; that put admin access on the SIM card alone and is reversed
# (docs/decisions.md, "Staff sign in with password and code").


def test_it_answers_a_staff_number_like_any_other_but_sends_no_code(
    client, django_capture_on_commit_callbacks
):
    """A staff number on the owners' code page: the same page as anyone's (it tells nobody the
    number is staff), but the text message holds no code, only the way to the staff page."""
    User.objects.create_user("13300133002", password="a long staff password", is_staff=True)
    response = request_code(client, "13300133002", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    (note,) = SmsMessage.objects.filter(phone="13300133002")
    assert not re.search(r"\d{6}", note.body) and reverse("account_login") in note.body
    for guess in ("000000", "123456", "999999"):
        client.post(reverse("account_confirm_login_code"), {"code": guess})
    assert not client.get(reverse("home")).context["user"].is_authenticated


def test_it_sends_a_staff_role_without_the_admin_flag_no_code_either(
    client, street_staff, django_capture_on_commit_callbacks
):
    """Street staff (a role, not is_staff) are staff too: no code from the owners' page."""
    response = request_code(client, street_staff.phone, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("account_confirm_login_code")
    assert not any(re.search(r"\d{6}", m.body) for m in SmsMessage.objects.filter(phone=street_staff.phone))


def test_it_signs_in_staff_with_a_role_by_password_and_code(
    client, street_staff, django_capture_on_commit_callbacks
):
    """Street staff with a password: password, then the code, then signed in."""
    street_staff.set_password("a long staff password")
    street_staff.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_login"), {"login": street_staff.phone, "password": "a long staff password"}
        )
    assert response["Location"] == reverse("account_confirm_login_code")
    assert not client.get(reverse("home")).context["user"].is_authenticated
    client.post(reverse("account_confirm_login_code"), {"code": last_code(street_staff.phone)})
    assert client.get(reverse("home")).context["user"] == street_staff


def test_it_keeps_the_code_alone_for_a_grid_leader(client, compound, django_capture_on_commit_callbacks):
    """A grid leader (楼组长, an owner helping neighbours) is not staff: the code alone signs in."""
    from grids.models import RoleAssignment
    from tests.factories import GridFactory, UserFactory, grant

    leader = UserFactory()
    grant(leader, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))
    request_code(client, leader.phone, django_capture_on_commit_callbacks)
    client.post(reverse("account_confirm_login_code"), {"code": last_code(leader.phone)})
    assert client.get(reverse("home")).context["user"] == leader


def test_it_refuses_a_code_alone_to_a_user_made_staff_after_asking(
    client, django_capture_on_commit_callbacks
):
    """Made staff between asking for the code and typing it: not signed in, told to use the staff page."""
    User.objects.create_user("13300133003")
    request_code(client, "13300133003", django_capture_on_commit_callbacks)
    User.objects.filter(phone="13300133003").update(is_staff=True)
    response = client.post(
        reverse("account_confirm_login_code"), {"code": last_code("13300133003")}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("account_login")
    assert "这个手机号是工作人员账号" in response.content.decode()
    assert not response.context["user"].is_authenticated
