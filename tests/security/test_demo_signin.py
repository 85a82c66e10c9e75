"""The demo lets every role in, as README.md and the demo's printout say (issue 14, finding 5).

The demo's staff accounts had no password, and the owners' code page refused staff numbers: a
newcomer could not sign in as the street office or the working group at all.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from elections.management.commands.demo import ADMIN_PASSWORD, ADMIN_PHONE, STAFF_PASSWORD
from yezhu.accounts.models import SmsMessage

pytestmark = pytest.mark.django_db


def staff_sign_in(phone: str, password: str, capture, next_url: str = "") -> Client:
    client = Client()
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    with capture(execute=True):
        response = client.post(url, {"login": phone, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    code = re.search(r"\d{6}", SmsMessage.objects.filter(phone=phone).latest("pk").body).group(0)
    client.post(response["Location"], {"code": code})
    return client


def test_every_demo_role_signs_in_as_the_readme_says(django_capture_on_commit_callbacks):
    out = io.StringIO()
    call_command("demo", stdout=out)
    printed = out.getvalue()
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    for password in (ADMIN_PASSWORD, STAFF_PASSWORD):
        assert password in printed and password in readme

    admin = staff_sign_in(ADMIN_PHONE, ADMIN_PASSWORD, django_capture_on_commit_callbacks, "/admin/")
    assert admin.get("/admin/").status_code == 200
    for phone, page in (("13800000001", "street:board"), ("13800000002", "manage:index")):
        client = staff_sign_in(phone, STAFF_PASSWORD, django_capture_on_commit_callbacks)
        assert client.get(reverse(page)).status_code == 200, phone

    leader = Client()
    with django_capture_on_commit_callbacks(execute=True):
        leader.post(reverse("account_request_login_code"), {"phone": "13800000003"})
    code = re.search(r"\d{6}", SmsMessage.objects.filter(phone="13800000003").latest("pk").body).group(0)
    leader.post(reverse("account_confirm_login_code"), {"code": code})
    assert leader.get(reverse("grid:index")).status_code == 200

    # Loading it again (already loaded) keeps every account able to sign in.
    call_command("demo", stdout=io.StringIO())
    staff_sign_in("13800000004", STAFF_PASSWORD, django_capture_on_commit_callbacks)
