"""Content-Security-Policy: every HTML page of the walk sends a policy without 'unsafe-inline' for
scripts, and no page has an inline script, an on…= handler or a style= attribute."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.security import build_world
from tests.security.test_url_scoping import RECIPES, probed_patterns, url_of

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>\s*\S", re.IGNORECASE)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTR = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
PUBLIC_PAGES = [
    "home",
    "account_login",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_signup",
]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def policy_problems(response) -> list[str]:
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        return ["no Content-Security-Policy header"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    script = directives.get("script-src", directives.get("default-src", ""))
    problems = []
    if "'unsafe-inline'" in script or "'unsafe-eval'" in script:
        problems.append(f"script-src allows inline or eval: {script}")
    if "'unsafe-inline'" in directives.get("style-src", ""):
        problems.append("style-src allows inline styles")
    if not script:
        problems.append("no script-src or default-src")
    return problems


def markup_problems(html: str) -> list[str]:
    problems = []
    for pattern, what in (
        (INLINE_SCRIPT, "inline <script>"),
        (HANDLER, "on…= handler"),
        (STYLE_ATTR, "style= attribute"),
        (JS_URL, "javascript: URL"),
    ):
        found = pattern.search(html)
        if found:
            problems.append(f"{what}: {html[found.start() : found.start() + 80]!r}")
    return problems


def _html_responses(world):
    for name in PUBLIC_PAGES:
        response = Client().get(reverse(name))
        yield name, "anon", response
    for name, _route in probed_patterns():
        url = url_of(name, world)
        for who in dict.fromkeys([RECIPES[name].legit, "a_staff", "a_owner", "b_staff"]):
            client = Client()
            client.force_login(world.users[who])
            yield name, who, client.get(url, follow=True)


def test_it_sends_a_strict_policy_and_no_inline_code_on_every_page(world):
    """Every HTML response of the walk (pages, refusals and 404s alike) passes both checks."""
    failures, html_pages = [], 0
    for name, who, response in _html_responses(world):
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        if response.request["PATH_INFO"].startswith("/admin/"):
            continue  # a redirect to the admin's sign-in: the admin has its own, looser policy
        html_pages += 1
        problems = policy_problems(response)
        if response.status_code == 200:
            problems += markup_problems(response.content.decode("utf-8", "replace"))
        failures += [f"{name} as {who} ({response.status_code}): {p}" for p in problems]
    assert html_pages > 100
    assert not failures, "\n".join(dict.fromkeys(failures))


def test_it_would_catch_inline_code():
    """The markup checks are not blind: each kind of inline code is found."""
    assert markup_problems("<script>alert(1)</script>")
    assert markup_problems('<a href="#" onclick="x()">a</a>')
    assert markup_problems('<div style="color:red">a</div>')
    assert markup_problems('<a href="javascript:void(0)">a</a>')
    assert not markup_problems('<script src="/static/js/a.js"></script><p class="x">ok</p>')
    assert not markup_problems('<script type="application/json" src="/x"></script>')


def test_it_refuses_inline_script_in_the_policy_itself(client, db):
    """The policy the middleware sends names 'self' and nothing inline for scripts and styles."""
    response = client.get(reverse("home"))
    assert policy_problems(response) == []
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]


def _directives(response) -> dict[str, str]:
    policy = response.get("Content-Security-Policy", "")
    return dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())


def test_it_allows_the_api_docs_inline_styles_but_no_inline_script_in_production(client, db, settings):
    """With DEBUG off /api/docs/ may use inline styles (Swagger UI sets them from its script) and
    nothing else: scripts only from 'self', no 'unsafe-inline' or 'unsafe-eval' for them."""
    settings.DEBUG = False
    response = client.get("/api/docs/")
    assert response.status_code == 200
    directives = _directives(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert policy_problems(response) == ["style-src allows inline styles"]
    # Every other page keeps the strict policy.
    assert policy_problems(client.get(reverse("home"))) == []
