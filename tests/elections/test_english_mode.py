"""Issue 20, English mode: a page shown in English says the statutory timeline (titles, rules,
violations, holiday warnings), text messages and dates in English, while Chinese stays exactly as
it was. Names of people, compounds and elections, and statute names in citations, are Chinese data
and stay so: the assertions look at the parts that are the site's own words."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from elections.models import Delivery, HolidayYear, Notice, Stage
from elections.notices import notice_create, sms_preview, sms_text
from elections.rules import timeline as tl
from elections.sms_deliveries import sms_message
from tests.factories import UserFactory, election_with_ballot_paper, owner_user, sign_in
from yezhu import formats
from yezhu.accounts.models import SmsMessage
from yezhu.actors import OPERATOR
from yezhu.sms import render_body

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(autouse=True)
def _chinese_after():
    """The locale middleware activates the cookie's language for the thread and leaves it: put
    Chinese back so the tests that run next in this process read Chinese messages."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english(client):
    """The language switch in the footer sets this cookie (browsers' Accept-Language is ignored)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def texts(html: str, css_class: str) -> list[str]:
    """The text of every element whose class attribute holds `css_class`, tags removed."""
    found = re.findall(rf'<(\w+)[^>]*class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</\1>', html, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", inner)).strip() for _tag, inner in found]


def without(text: str, *data: str) -> str:
    for value in data:
        text = text.replace(value, "")
    return text


@pytest.fixture
def late_election(compound):
    """An election whose member list went out late (a violation naming dates) in a year whose
    holidays are not entered (a warning on every deadline)."""
    election = election_with_ballot_paper(
        compound, stage=Stage.NOTICE, opens_in=timedelta(days=20), closes_in=timedelta(days=27)
    )
    type(election).objects.filter(pk=election.pk).update(
        working_group_formed_on=date(2026, 2, 2), working_group_published_on=date(2026, 2, 20)
    )
    election.refresh_from_db()
    HolidayYear.objects.all().delete()  # no year's schedule entered: every deadline is flagged
    return election


# ---------------------------------------------------------------------------------------------- the core


def test_it_keeps_the_chinese_sentence_and_carries_its_english():
    """The core's sentences compare equal to the Chinese they always were, and render in English
    with the one date format."""
    kd = tl.KeyDates(working_group_formed=date(2026, 2, 2), working_group_published=date(2026, 2, 20))
    plain = tl.TableCalendar([], [], [2026])
    (late,) = [v for v in tl.violations(kd, tl.PROFILES["national"], plain) if v.key.endswith("_late")]
    assert late.message.startswith("成员名单于筹备组成立后第18日（2026年2月20日）公告，晚于期限")
    english_text = late.message.english(formats.day)
    assert "2026-02-20" in english_text and "day 18" in english_text
    assert not CJK.search(english_text)
    with translation.override("en"):
        assert formats.words(late.message) == english_text
    with translation.override("zh-hans"):
        assert formats.words(late.message) == str(late.message)
    warning = tl.missing_schedule_warning(2031)
    assert warning == "2031 年节假日安排未录入，请核对"
    assert not CJK.search(warning.english(formats.day))


def test_every_milestone_and_violation_has_english_without_chinese():
    """Every title, rule and message the core can produce reads in English with no Chinese left."""
    kd = tl.KeyDates(
        working_group_formed=date(2026, 2, 2),
        working_group_published=date(2026, 2, 20),
        assembly_notice_published=date(2026, 3, 10),
        candidate_notice_start=date(2026, 3, 1),
        candidate_notice_end=date(2026, 3, 3),
        voting_opens=date(2026, 3, 15),
        voting_closes=date(2026, 6, 30),
        decided=date(2026, 7, 1),
        result_published=date(2026, 7, 20),
        objection_window_end=date(2026, 7, 22),
        first_meeting=date(2026, 9, 1),
        officers_published=date(2026, 9, 30),
        filed=date(2026, 10, 30),
        term_start=date(2026, 7, 1),
        term_end=date(2032, 7, 1),
        handover_done=date(2032, 9, 1),
        previous_term_end=date(2026, 6, 30),
    )
    plain = tl.TableCalendar([], [], [])  # no year known: every deadline carries its warning
    seen = 0
    for key in tl.PROFILES:
        profile = tl.get_profile(key)
        for first in (True, False):
            milestones = tl.compute_timeline(kd, profile, plain, date(2026, 8, 1), first_assembly=first)
            found = tl.violations(kd, profile, plain, first_assembly=first)
            for text in [
                *(m.title for m in milestones),
                *(m.rule_text for m in milestones),
                *(w for m in milestones for w in m.warnings),
                *(v.message for v in found),
            ]:
                rendered = text.english(formats.day)
                assert rendered and not CJK.search(rendered), (key, str(text), rendered)
                seen += 1
    assert seen > 100


# ---------------------------------------------------------------------------------------------- pages


def test_it_shows_the_manage_timeline_in_english(client, late_election, working_group):
    sign_in(english(client), working_group)
    html = client.get(reverse("manage:timeline", args=[late_election.pk])).content.decode()
    titles = texts(html, "milestone-title")
    assert "Working group's member list published" in titles
    rules = texts(html, "rule-text")
    assert rules and all(not CJK.search(r) for r in rules), rules
    messages = texts(html, "violation-message")
    assert any("2026-02-20" in m for m in messages), messages
    assert all(not CJK.search(m) for m in messages), messages
    warnings = texts(html, "warn-text")
    assert warnings and all(not CJK.search(w) for w in warnings), warnings
    dates = re.findall(r"<time[^>]*>(.*?)</time>", html)
    assert "2026-02-20" in dates and all(not CJK.search(d) for d in dates)


def test_it_shows_the_manage_overview_deadline_in_english(client, late_election, working_group):
    sign_in(english(client), working_group)
    election_page = client.get(reverse("manage:election", args=[late_election.pk])).content.decode()
    (next_deadline,) = texts(election_page, "next-deadline")
    assert not CJK.search(next_deadline), next_deadline
    index = client.get(reverse("manage:index")).content.decode()
    titles = texts(index, "deadline-title")
    assert titles and all(not CJK.search(t) for t in titles), titles


def test_it_keeps_the_manage_timeline_in_chinese_by_default(client, late_election, working_group):
    sign_in(client, working_group)
    html = client.get(reverse("manage:timeline", args=[late_election.pk])).content.decode()
    assert "筹备组（换届小组）成员名单公告" in texts(html, "milestone-title")
    assert any("2026年2月20日" in m for m in texts(html, "violation-message"))


def test_it_shows_the_owners_election_page_and_inbox_dates_in_english(client, compound, late_election):
    user, owner, _unit = owner_user(compound, "1-1-101")
    notice = notice_create(
        compound=compound,
        election=late_election,
        kind=Notice.Kind.ASSEMBLY,
        audience=Notice.Audience.ALL_OWNERS,
        channels=("inbox",),
        title="关于召开业主大会会议的公告",
        body="全文",
        actor=OPERATOR,
    )
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now(), status=Notice.Status.SENT)
    Delivery.objects.create(
        notice=notice,
        channel=Delivery.Channel.INBOX,
        recipient_key=f"owner:{owner.pk}",
        owner=owner,
        status=Delivery.Status.SENT,
    )
    english(client).force_login(user)
    page = client.get(reverse("elections:detail", args=[late_election.pk])).content.decode()
    dates = re.findall(r"<time[^>]*>(.*?)</time>", page)
    assert len(dates) >= 3 and all(not CJK.search(d) for d in dates), dates  # voting window, notice
    inbox = client.get(reverse("elections:inbox")).content.decode()
    dates = re.findall(r"<time[^>]*>(.*?)</time>", inbox)
    assert dates and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", d) for d in dates), dates


def test_it_writes_a_notices_dates_as_the_page_language_does(client, compound, working_group):
    """The candidate notice printed 2026年3月1日 in English too; in English it is the one date format."""
    election = election_with_ballot_paper(compound, stage=Stage.CANDIDATE_NOTICE)
    type(election).objects.filter(pk=election.pk).update(
        candidate_notice_start=date(2026, 3, 1), candidate_notice_end=date(2026, 3, 8)
    )
    sign_in(english(client), working_group)
    html = client.get(reverse("elections:candidate_notice", args=[election.pk])).content.decode()
    (period,) = texts(html, "notice-dates")
    assert "2026-03-01" in period and "2026-03-08" in period and not CJK.search(period), period
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("elections:candidate_notice", args=[election.pk])).content.decode()
    assert "2026年3月1日" in texts(html, "notice-dates")[0]


# ---------------------------------------------------------------------------------------------- text messages


def test_it_shows_a_sent_text_message_in_english_and_sends_it_in_chinese(client, db):
    """The outbox row keeps the registered Chinese text; the admin in English shows the same
    message through the template in English (the variables as they were sent)."""
    params = {
        "compound": "西园里",
        "title": "第二届业主委员会换届选举",
        "url": "https://yezhu.example/e/inbox/",
    }
    body = render_body("reminder", params)
    assert "投票" in body  # what went to the phone: the registered template, in Chinese
    message = SmsMessage.objects.create(
        phone="13800000001", body=body, purpose="notice", kind="reminder", params=params
    )
    admin = UserFactory(is_staff=True, is_superuser=True)
    sign_in(english(client), admin)
    html = client.get(reverse("admin:accounts_smsmessage_change", args=[message.pk])).content.decode()
    shown = re.search(r'<div class="readonly">([^<]*voting on[^<]*)</div>', html)
    assert shown, "the text in English"
    assert not CJK.search(without(shown.group(1), *params.values(), settings.SMS_SIGN_NAME, "【", "】"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(reverse("admin:accounts_smsmessage_change", args=[message.pk])).content.decode()
    assert body in html


def test_it_previews_a_notices_text_message_in_the_page_language(client, compound, working_group):
    election = election_with_ballot_paper(
        compound, stage=Stage.NOTICE, opens_in=timedelta(days=15), closes_in=timedelta(days=22)
    )
    owner_user(compound, "1-1-101")
    notice = notice_create(
        compound=compound,
        election=election,
        kind=Notice.Kind.ASSEMBLY,
        audience=Notice.Audience.ALL_OWNERS,
        channels=("sms", "inbox"),
        title="关于召开业主大会会议的公告",
        body="全文",
        actor=OPERATOR,
    )
    sign_in(english(client), working_group)
    html = client.get(reverse("manage:notice_estimate", args=[election.pk, notice.pk])).content.decode()
    (preview,) = re.findall(r'<dd id="estimate-sms">(.*?)</dd>', html, re.S)
    assert "Read it in full at" in preview
    _kind, params = sms_message(notice)
    assert not CJK.search(
        without(preview, params["compound"], params["title"], settings.SMS_SIGN_NAME, "【", "】")
    )
    with translation.override("zh-hans"):
        assert sms_preview(notice) == sms_text(notice)
