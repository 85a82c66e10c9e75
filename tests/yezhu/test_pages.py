"""The base layout: Chinese, mobile, no inline script, static files served locally."""

import pytest
from django.urls import reverse

from yezhu.accounts.models import User

pytestmark = pytest.mark.django_db


def test_it_shows_anonymous_visitors_a_sign_in_button(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "手机号登录" in html
    assert 'name="viewport"' in html


def test_it_greets_a_signed_in_owner_by_name_with_an_empty_state(client):
    user = User.objects.create_user("13800138000", name="王秀英")
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert "王秀英，您好" in html
    assert "您的手机号还没有关联房屋" in html


def test_it_sends_a_content_security_policy_without_inline_script(client):
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "<script>" not in response.content.decode()


def test_it_hides_the_sms_outbox_from_owners(client):
    client.force_login(User.objects.create_user("13800138000"))
    assert client.get(reverse("sms_outbox")).status_code == 302


def test_it_shows_the_sms_outbox_to_staff_in_debug(client, settings):
    settings.DEBUG = True
    client.force_login(User.objects.create_user("13800138009", is_staff=True))
    assert client.get(reverse("sms_outbox")).status_code == 200


def test_it_hides_the_sms_outbox_in_production(client, settings):
    settings.DEBUG = False
    client.force_login(User.objects.create_user("13800138009", is_staff=True))
    assert client.get(reverse("sms_outbox")).status_code == 404


def test_it_lists_an_owners_elections_on_the_home_page(client, compound, other_compound):
    """An owner sees the vote of their compound (once the notice is out) and not another compound's."""
    from elections.models import Stage
    from tests.factories import election_with_ballot_paper, owner_user

    user, _, _ = owner_user(compound, "1-1-101")
    mine = election_with_ballot_paper(compound, stage=Stage.VOTING)
    election_with_ballot_paper(other_compound, stage=Stage.VOTING)
    early = election_with_ballot_paper(compound, stage=Stage.WORKING_GROUP)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert [e.pk for e in response.context["elections"]] == [mine.pk]
    assert reverse("elections:detail", args=[mine.pk]) in response.content.decode()
    assert early.pk not in [e.pk for e in response.context["elections"]]


def test_it_speaks_chinese_to_a_browser_that_asks_for_english(client):
    """Accept-Language is ignored: Chinese first, English only when chosen with the switch."""
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "手机号登录" in response.content.decode()
    switched = client.get(reverse("switch_language", args=["en"]) + "?next=/e/1/")
    assert switched["Location"] == "/e/1/"
    assert (
        client.get(reverse("switch_language", args=["en"]) + "?next=https://evil.example/")["Location"] == "/"
    )
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "Sign in with mobile number" in response.content.decode()
    assert response["Content-Language"] == "en"
