"""The sign-in pages as an elderly owner and as staff see them, and the owner's name from the roll."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from grids.services import claim_approve, link_owners_by_mobile
from tests.factories import OwnerFactory, UserFactory, unit_with_owners
from yezhu.accounts.models import SmsMessage, User

pytestmark = pytest.mark.django_db

RESET_OR_SIGNUP = re.compile(r'href="[^"]*(/password/reset/|/signup/)')


def sign_in_by_code(client, phone, capture):
    with capture(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": phone})
    body = SmsMessage.objects.filter(phone=phone.replace(" ", "")).order_by("-id").first().body
    return client.post(reverse("account_confirm_login_code"), {"code": re.search(r"\d{6}", body).group(0)})


def test_it_sends_owners_from_the_home_page_and_the_header_to_the_code_page(client):
    """Both "sign in" links of an anonymous home page lead to the phone-code page, not the password page."""
    page = client.get(reverse("home")).content.decode()
    code_url = reverse("account_request_login_code")
    assert page.count(f'href="{code_url}"') == 2
    assert f'href="{reverse("account_login")}"' not in page


def test_it_shows_one_field_and_one_button_on_the_code_page(client):
    """The phone page: 手机号, "获取验证码", a way to the staff page, no sign-up and no e-mail reset."""
    page = client.get(reverse("account_request_login_code")).content.decode()
    assert "手机号" in page and "获取验证码" in page
    assert "请求码" not in page
    assert len(re.findall(r"<input(?![^>]*type=\"hidden\")", page)) == 1
    assert f'href="{reverse("account_login")}"' in page
    assert not RESET_OR_SIGNUP.search(page)
    assert "注册" not in page


def test_it_says_where_the_code_went_on_the_confirm_page(client, django_capture_on_commit_callbacks):
    """The code page names the masked number, asks for 验证码, and offers 登录 and 重新获取."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": "139 0013 9000"})
    page = client.get(reverse("account_confirm_login_code")).content.decode()
    assert "139****9000" in page
    assert "13900139000" not in page
    assert "验证码" in page and ">登录<" in page and "重新获取" in page
    assert not RESET_OR_SIGNUP.search(page)


def test_it_titles_the_password_page_for_staff(client):
    """The password page is "工作人员登录", sends owners to the code page and offers no e-mail reset."""
    page = client.get(reverse("account_login")).content.decode()
    assert "<h1>工作人员登录</h1>" in page
    assert "业主请用手机验证码登录" in page
    assert f'href="{reverse("account_request_login_code")}"' in page
    assert "系统管理员" in page  # who resets a forgotten password
    assert not RESET_OR_SIGNUP.search(page)
    assert "注册" not in page


def test_it_keeps_the_sign_in_pages_free_of_inline_script_and_style(
    client, django_capture_on_commit_callbacks
):
    """CSP: no <script> body, no style attribute, no <style> on the three pages."""
    pages = [client.get(reverse("account_login")), client.get(reverse("account_request_login_code"))]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_request_login_code"), {"phone": "13900139001"})
    pages.append(client.get(reverse("account_confirm_login_code")))
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<style" not in html and " style=" not in html
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)


def test_it_greets_a_roll_owner_by_name_after_the_first_code_sign_in(
    client, compound, django_capture_on_commit_callbacks
):
    """张三 is on the roll with his mobile and has no account: the code creates it with his name."""
    owner = OwnerFactory(name="张三", mobile="13800138000")
    unit_with_owners(compound, "1-1-101", "89.50", [owner])
    assert not User.objects.filter(phone="13800138000").exists()
    sign_in_by_code(client, "138 0013 8000", django_capture_on_commit_callbacks)
    user = User.objects.get(phone="13800138000")
    assert user.name == "张三"
    owner.refresh_from_db()
    assert owner.user == user
    page = client.get(reverse("home")).content.decode()
    assert "张三，您好" in page
    assert "138****8000，您好" not in page


def test_it_keeps_a_name_the_account_already_has(client, compound, django_capture_on_commit_callbacks):
    """An account with a name keeps it when it is linked to the roll."""
    UserFactory(phone="13800138002", name="张老师")
    unit_with_owners(compound, "1-1-102", "89.50", [OwnerFactory(name="张三丰", mobile="13800138002")])
    sign_in_by_code(client, "13800138002", django_capture_on_commit_callbacks)
    assert User.objects.get(phone="13800138002").name == "张老师"


def test_it_names_accounts_linked_by_the_roll_import(compound):
    """Linking by mobile at import fills the name of a nameless account, and only that one."""
    nameless = UserFactory(phone="13800138003", name="")
    named = UserFactory(phone="13800138004", name="李老师")
    unit_with_owners(compound, "1-1-103", "89.50", [OwnerFactory(name="李四", mobile=nameless.phone)])
    unit_with_owners(compound, "1-1-104", "89.50", [OwnerFactory(name="李五", mobile=named.phone)])
    assert link_owners_by_mobile(compound=compound) == 2
    nameless.refresh_from_db()
    named.refresh_from_db()
    assert nameless.name == "李四"
    assert named.name == "李老师"


def test_it_names_the_account_of_an_approved_claim(compound, working_group):
    """Approving a claim links the owner and gives a nameless account the owner's name."""
    from grids.models import OwnerClaim

    owner = OwnerFactory(name="王秀英", id_last4="002X")
    unit = unit_with_owners(compound, "3-1-201", "89.50", [owner])
    claimant = UserFactory(name="")
    claim = OwnerClaim.objects.create(
        user=claimant, unit=unit, name="王秀英", id_last4="002X", certificate_number="浙(2020)第1号"
    )
    claim_approve(claim=claim, actor=working_group)
    claimant.refresh_from_db()
    assert claimant.name == "王秀英"


def test_it_names_an_account_linked_before_names_were_copied(
    client, compound, django_capture_on_commit_callbacks
):
    """An owner linked earlier with a nameless account gets the roll's name at the next sign-in."""
    user = UserFactory(phone="13800138005", name="")
    unit_with_owners(compound, "1-1-105", "89.50", [OwnerFactory(name="赵六", mobile=user.phone, user=user)])
    sign_in_by_code(client, user.phone, django_capture_on_commit_callbacks)
    user.refresh_from_db()
    assert user.name == "赵六"


@pytest.mark.django_db
def test_it_leads_sign_up_and_e_mail_reset_back_to_the_sign_in(client):
    """Typed by hand, the sign-up and the e-mail password reset lead to the sign-in pages."""
    assert client.get("/accounts/signup/")["Location"] == reverse("account_request_login_code")
    assert client.get("/accounts/password/reset/")["Location"] == reverse("account_login")
