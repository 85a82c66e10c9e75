"""The error pages (404, 403, 400, 500) with DEBUG off: plain Chinese, saying what may be wrong and
what to do, under the same Content-Security-Policy as every page; the 500 page needs no request
and no database."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template import loader
from django.test import Client
from django.urls import include, path, reverse

from tests.factories import UserFactory, election_with_ballot_paper, owner_user
from tests.security.test_csp import markup_problems, policy_problems


def _forbidden(request):
    raise PermissionDenied("not yours")


def _suspicious(request):
    raise SuspiciousOperation("bad input")


def _broken(request):
    raise RuntimeError("boom")


# A URLconf of its own for these tests: the site's routes plus three views that fail on purpose.
urlpatterns = [
    path("test-errors/403/", _forbidden),
    path("test-errors/400/", _suspicious),
    path("test-errors/500/", _broken),
    path("", include("yezhu.urls")),
]

NOT_FOUND_HINT = "如果您是本小区业主，房屋还没有核验：请到“认证我的房屋”提交认证，或联系换届小组。"


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    return settings


def page(response) -> str:
    return response.content.decode("utf-8")


def assert_plain_chinese(response, *, policy: bool = True):
    html = page(response)
    assert '<html lang="zh-hans">' in html
    if policy:
        assert policy_problems(response) == []
    assert markup_problems(html) == []
    for english in ("Not Found", "Forbidden", "Bad Request", "Server Error", "requested resource"):
        assert english not in html, english


@pytest.mark.django_db
def test_it_tells_a_signed_in_owner_without_a_verified_home_to_claim_it(production, compound):
    """An owner of no voter of the compound opening /e/<pk>/ gets the Chinese 404 with the claim hint."""
    election = election_with_ballot_paper(compound)
    client = Client()
    client.force_login(UserFactory(name="王秀英"))
    response = client.get(reverse("elections:detail", args=[election.pk]))
    assert response.status_code == 404
    html = page(response)
    assert_plain_chinese(response)
    assert "找不到这个页面，或者您没有查看它的权限。" in html
    assert NOT_FOUND_HINT in html
    assert f'href="{reverse("grids:claim")}"' in html
    assert f'href="{reverse("home")}"' in html
    assert "请先用手机号登录" not in html  # signed in already
    assert election.title not in html


@pytest.mark.django_db
def test_it_shows_the_owner_of_the_compound_the_election_itself(production, compound):
    """The 404 is the refusal only: a verified owner of the compound gets the election page."""
    election = election_with_ballot_paper(compound)
    user, _, _ = owner_user(compound, "1-1-101")
    client = Client()
    client.force_login(user)
    response = client.get(reverse("elections:detail", args=[election.pk]))
    assert response.status_code == 200
    assert NOT_FOUND_HINT not in page(response)


@pytest.mark.django_db
def test_it_asks_an_anonymous_visitor_to_sign_in_on_a_missing_page(production):
    """A visitor who is not signed in is told to sign in first, besides the claim hint."""
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert_plain_chinese(response)
    assert "如果您还没有登录，请先用手机号登录。" in page(response)
    assert NOT_FOUND_HINT in page(response)


@pytest.mark.django_db
def test_it_explains_a_refusal_in_chinese(production):
    """PermissionDenied gives the Chinese 403 page with the claim hint and the staff hint."""
    client = Client()
    client.force_login(UserFactory())
    response = client.get("/test-errors/403/")
    assert response.status_code == 403
    assert_plain_chinese(response)
    html = page(response)
    assert "您没有权限查看这个页面或进行这项操作。" in html
    assert NOT_FOUND_HINT in html
    assert "请联系街道办为您开通这个小区的权限" in html
    assert f'href="{reverse("grids:claim")}"' in html
    assert "not yours" not in html  # the exception's own (English) text is not shown


@pytest.mark.django_db
def test_it_answers_a_bad_request_in_chinese(production):
    """A SuspiciousOperation and a request for a host the site does not serve both get the Chinese 400."""
    # The host is refused in CommonMiddleware, outside the CSP middleware (last in MIDDLEWARE), so
    # that one 400 goes without the header; the page has no inline code either way.
    for response, policy in (
        (Client().get("/test-errors/400/"), True),
        (Client(HTTP_HOST="evil.example").get("/"), False),
    ):
        assert response.status_code == 400
        assert_plain_chinese(response, policy=policy)
        assert "无法处理这个请求。请返回上一页，刷新后再试" in page(response)
        assert "bad input" not in page(response)


@pytest.mark.django_db
def test_it_says_truthfully_what_happened_to_a_ballot_on_a_server_error(production):
    """An exception in a view gives the Chinese 500: try again later; the election page shows
    whether the ballot was recorded, and one that was not can be cast again."""
    client = Client()
    client.force_login(UserFactory())
    client.raise_request_exception = False
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    assert_plain_chinese(response)
    html = page(response)
    assert "系统出错了，请稍后再试。" in html
    assert "显示“已投票”并可以查看回执的，投票已经记录" in html
    assert "没有显示的，说明这次投票没有记录，可以再投一次" in html
    assert "boom" not in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html


def test_it_renders_the_500_page_with_no_context_and_no_database():
    """Django renders 500.html with an empty Context: it must not need a request or the database
    (this test has no database access: a query would fail it)."""
    from django.utils import translation

    with translation.override("zh-hans"):  # the request's language, as the locale middleware set it
        html = loader.get_template("500.html").render()
    assert "系统出错了，请稍后再试。" in html
    assert '<html lang="zh-hans">' in html
    assert 'href="/"' in html
    assert markup_problems(html) == []


def test_it_keeps_the_error_pages_free_of_inline_code():
    """The error templates carry no inline script, handler or style attribute (the CSP forbids them)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for name in ("400.html", "403.html", "404.html", "500.html"):
        assert markup_problems((root / name).read_text(encoding="utf-8")) == [], name


@pytest.mark.django_db
def test_it_answers_try_again_while_the_database_is_away(client, monkeypatch):
    """A broken database connection is a 503 "try again" (API: code try_again), never a bare 500."""
    from django.db import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("grids.selectors.home_context_for", down)
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "请" in response.content.decode()
    monkeypatch.setattr("elections.api.ballots.BallotView._election", down)
    api = client.get("/api/v1/elections/1/ballot/")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "try_again"
