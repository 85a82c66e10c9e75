"""WeChat sign-in (公众号网页授权) against a local fake of WeChat's OAuth server: an owner binds WeChat
after an SMS sign-in and signs in with it afterwards; nobody gets an account from WeChat alone."""

from __future__ import annotations

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.wechat_fake import FakeWechat
from tests.yezhu.test_signin import last_code, request_code
from yezhu.accounts.models import User

pytestmark = pytest.mark.django_db
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Mobile MicroMessenger/8.0.50.2701 NetType/WIFI"
)


@pytest.fixture
def wechat(settings):
    with FakeWechat(app_id="wx5f7e1a2b3c4d5e6f", secret="wechat-app-secret", domain="testserver") as fake:
        settings.WECHAT_APP_ID = fake.app_id
        settings.WECHAT_OPEN_BASE = settings.WECHAT_API_BASE = fake.base
        settings.SOCIALACCOUNT_PROVIDERS = {
            "weixin": {
                "APPS": [{"client_id": fake.app_id, "secret": "wechat-app-secret"}],
                "SCOPE": ["snsapi_userinfo"],
            }
        }
        settings.SITE_URL = "http://testserver"
        yield fake


def through_wechat(client: Client, wechat: FakeWechat, openid: str, *, process: str = ""):
    """Press the WeChat button; WeChat (the fake) authorises `openid`; follow back to the site."""
    url = reverse("weixin_login") + (f"?process={process}" if process else "")
    response = client.post(url, HTTP_USER_AGENT=WECHAT_UA)
    assert response.status_code == 302, response.content.decode()[:500]
    authorize = response["Location"]
    assert authorize.startswith(wechat.base + "/connect/oauth2/authorize?")
    assert authorize.endswith("#wechat_redirect") and "scope=snsapi_userinfo" in authorize
    wechat.next_openid = openid
    answer = requests.get(authorize.split("#")[0], allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["Location"]
    assert callback.startswith("http://testserver/accounts/weixin/login/callback/?code=")
    return client.get(callback.removeprefix("http://testserver"), HTTP_USER_AGENT=WECHAT_UA)


def signed_in_user(client):
    return client.get(reverse("home"), HTTP_USER_AGENT=WECHAT_UA).context["user"]


def test_an_owner_binds_wechat_after_an_sms_sign_in_and_signs_in_with_it_afterwards(
    wechat, django_capture_on_commit_callbacks
):
    client = Client(HTTP_USER_AGENT=WECHAT_UA)
    request_code(client, "13800138000", django_capture_on_commit_callbacks)
    client.post(reverse("account_confirm_login_code"), {"code": last_code("13800138000")})
    owner = User.objects.get(phone="13800138000")
    home = client.get(reverse("home"))
    assert "绑定微信" in home.content.decode()  # offered inside WeChat, not yet bound
    response = through_wechat(client, wechat, "oWx-owner-0001", process="connect")
    assert response.status_code == 302
    assert SocialAccount.objects.get(provider="weixin", uid="oWx-owner-0001").user == owner
    assert "绑定微信" not in client.get(reverse("home")).content.decode()

    later = Client(HTTP_USER_AGENT=WECHAT_UA)
    assert "微信登录" in later.get(reverse("account_request_login_code")).content.decode()
    response = through_wechat(later, wechat, "oWx-owner-0001")
    assert response.status_code == 302
    user = signed_in_user(later)
    assert user.is_authenticated and user.pk == owner.pk
    assert User.objects.count() == 1


def test_an_unbound_wechat_gets_no_account_and_is_sent_to_the_sms_sign_in(wechat):
    client = Client(HTTP_USER_AGENT=WECHAT_UA)
    response = through_wechat(client, wechat, "oWx-stranger")
    assert response.status_code == 302 and response["Location"] == reverse("account_request_login_code")
    assert not signed_in_user(client).is_authenticated
    assert not User.objects.exists() and not SocialAccount.objects.exists()


def test_staff_never_sign_in_with_wechat_alone(wechat):
    staff = UserFactory(phone="13900139000", is_staff=True)
    SocialAccount.objects.create(user=staff, provider="weixin", uid="oWx-staff", extra_data={})
    client = Client(HTTP_USER_AGENT=WECHAT_UA)
    response = through_wechat(client, wechat, "oWx-staff")
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert not signed_in_user(client).is_authenticated


def test_a_wrong_app_secret_signs_nobody_in(wechat, settings):
    owner = UserFactory(phone="13800138001")
    SocialAccount.objects.create(user=owner, provider="weixin", uid="oWx-owner-0002", extra_data={})
    settings.SOCIALACCOUNT_PROVIDERS = {
        "weixin": {
            "APPS": [{"client_id": wechat.app_id, "secret": "not-the-secret"}],
            "SCOPE": ["snsapi_userinfo"],
        }
    }
    client = Client(HTTP_USER_AGENT=WECHAT_UA)
    through_wechat(client, wechat, "oWx-owner-0002")
    assert not signed_in_user(client).is_authenticated


def test_it_offers_no_wechat_button_outside_wechat_or_without_an_official_account(settings):
    settings.WECHAT_APP_ID = "wx5f7e1a2b3c4d5e6f"
    assert "微信登录" not in Client().get(reverse("account_request_login_code")).content.decode()
    settings.WECHAT_APP_ID = ""
    page = Client(HTTP_USER_AGENT=WECHAT_UA).get(reverse("account_request_login_code"))
    assert "微信登录" not in page.content.decode()
