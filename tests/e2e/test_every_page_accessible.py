"""Every page of the site, opened in Chromium by its rightful user (tests/security/test_url_scoping.py
builds each URL from its fixture world and names who may open it): owners and grid leaders on a
360 px phone, staff, auditors and the admin at a 1366 px desk. On each page axe-core finds no
serious or critical violation, nothing scrolls sideways at 360 px, dates and badges stay on one
line, and on owners' pages every tap target is at least 44 px (tests/e2e/audit.py)."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from django.urls import reverse

from tests.e2e.audit import DJANGO_ADMIN_OWN, audit, chromium, new_page
from tests.factories import sign_in
from tests.security import build_world
from tests.security.test_url_scoping import RECIPES, probed_patterns, url_of

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = pytest.mark.e2e

OWNERS = ("a_owner", "a_voter", "a_principal", "nobody")
GRID_LEADERS = ("a_leader", "a_leader2")
GROUPS = {
    "owner": OWNERS,
    "grid_leader": GRID_LEADERS,
    "auditor": ("a_auditor",),
    "street_office": ("a_staff",),
}
# The admin's setup of a compound and a committee (its URLs are outside the scoping walk).
ADMIN_PAGES = (
    "admin:index",
    "admin:grids_compound_changelist",
    "admin:grids_compound_add",
    "admin:elections_committee_changelist",
    "admin:elections_committee_add",
)


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def pages_of(world, users) -> list[tuple[str, str]]:
    """(user key, URL) of every HTML page whose rightful user is one of `users`."""
    names = sorted(
        name
        for name, _route in probed_patterns()
        if not name.startswith("api:") and RECIPES[name].get_ok and RECIPES[name].legit in users
    )
    return [(RECIPES[name].legit, url_of(name, world)) for name in names]


def html(client: Client, url: str) -> bool:
    response = client.get(url)
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("group", [*GROUPS, "admin"])
def test_every_page_of_each_role_is_accessible(world, live_server, group):
    """No serious or critical axe violation and no layout stumble on any page of the role."""
    if group == "admin":
        visits = [("superuser", reverse(name)) for name in ADMIN_PAGES]
    else:
        visits = pages_of(world, GROUPS[group])
    assert visits
    phone = group in ("owner", "grid_leader")
    problems: list[str] = []
    seen = 0
    with chromium() as browser:
        pages: dict[str, object] = {}
        clients: dict[str, Client] = {}
        for key, url in visits:
            if key not in clients:
                clients[key] = Client()
                sign_in(clients[key], world.users[key])
            if not html(clients[key], url):
                continue  # a download, a redirect or a POST-only form: not a page to look at
            if key not in pages:
                pages[key] = new_page(browser, live_server, user=world.users[key], phone=phone)
            page = pages[key]
            page.goto(live_server.url + url)
            problems += audit(
                page, owner=group == "owner", exclude=DJANGO_ADMIN_OWN if group == "admin" else None
            )
            seen += 1
    assert seen >= len(visits) // 2, f"only {seen} of {len(visits)} pages were HTML"
    assert not problems, "\n".join(problems)
