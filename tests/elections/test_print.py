"""Printable A4 notices: the assembly notice with every matter in full, the candidate notice with
bios, the result notice from the stored result, each with a QR code (inline SVG) to the election's
page, the seal area and the date line; scoped to staff who manage the election."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from elections.models import Candidate, Election, Matter, Stage
from elections.notices_print import chinese_fraction, election_public_url, notice_context
from tests.factories import election_with_ballot_paper, owner_user

pytestmark = pytest.mark.django_db

RESULT = {
    "format": "yezhu-result/1",
    "totals": {"area": "1000.00", "heads": 10},
    "participation": {"area": "800.00", "heads": 8, "quorum_met": True},
    "matters": {
        "M1": {
            "yes": {"area": "600.00", "heads": 6},
            "no": {"area": "100.00", "heads": 1},
            "abstain": {"area": "100.00", "heads": 1},
            "passed": True,
        },
        "M2": {
            "yes": {"area": "300.00", "heads": 3},
            "no": {"area": "500.00", "heads": 5},
            "abstain": {"area": "0.00", "heads": 0},
            "passed": False,
        },
    },
    "races": {
        "R1": {
            "seats": 3,
            "invalid_ballots": 1,
            "elected": ["C1"],
            "tied": ["C2", "C3"],
            "candidates": {
                "C1": {"yes": {"area": "700.00", "heads": 7}, "qualified": True},
                "C2": {"yes": {"area": "500.00", "heads": 5}, "qualified": True},
                "C3": {"yes": {"area": "450.00", "heads": 5}, "qualified": True},
                "C4": {"yes": {"area": "100.00", "heads": 1}, "qualified": False},
            },
        }
    },
}


@pytest.fixture
def election(compound):
    election = election_with_ballot_paper(
        compound, stage=Stage.CANDIDATE_NOTICE, matters=2, seats=3, candidates=4
    )
    Matter.objects.filter(election=election, key="M1").update(
        title="修订业主大会议事规则", text="第一条 为规范业主大会的活动……\n第二条 业主大会由全体业主组成。"
    )
    Candidate.objects.filter(key="C1").update(
        bio="退休工程师，热心公益。", party_member=True, birth_year=1960
    )
    Election.objects.filter(pk=election.pk).update(
        candidate_notice_start=dt.date(2025, 5, 10), candidate_notice_end=dt.date(2025, 5, 17)
    )
    election.refresh_from_db()
    return election


def get(client, election, kind):
    return client.get(reverse("manage:print_notice", args=[election.pk, kind]))


def test_it_prints_the_assembly_notice_with_every_matter_in_full(client, election, working_group):
    """The assembly notice names the compound, lists every matter with its full text, the
    candidate list and the voting window, and has the QR code, the seal area and the date."""
    client.force_login(working_group)
    response = get(client, election, "assembly")
    assert response.status_code == 200
    html = response.content.decode()
    assert "西园里" in html
    assert "业主大会会议公告" in html
    assert "修订业主大会议事规则" in html
    assert "第一条 为规范业主大会的活动……" in html
    assert "第二条 业主大会由全体业主组成。" in html
    assert "事项2全文" in html
    for n in range(1, 5):
        assert f"候选人{n}" in html
    opens = timezone.localtime(election.voting_opens_at)
    assert f"{opens.year}年{opens.month}月{opens.day}日" in html
    assert "三分之二以上" in html
    assert '<svg width="' in html and 'class="qr"' in html
    assert "盖章处" in html
    today = timezone.localdate()
    assert f"{today.year}年{today.month}月{today.day}日" in html
    assert "西园里业主委员会换届小组" in html
    assert "css/print.css" in html
    assert "style=" not in html
    assert "<script>" not in html


def test_it_prints_the_candidate_notice_with_bios_and_the_period(client, election, working_group):
    """The candidate notice shows each candidate with bio and party membership, and the period."""
    client.force_login(working_group)
    html = get(client, election, "candidate").content.decode()
    assert "候选人公示" in html
    assert "C1 候选人1" in html
    assert "退休工程师，热心公益。" in html
    assert "中共党员" in html
    assert "1960年出生" in html
    assert "2025年5月10日" in html and "2025年5月17日" in html


def test_it_prints_the_result_notice_from_the_stored_result(client, election, working_group):
    """The result notice shows participation, each matter passed or not, elected and tied
    candidates with areas and heads, and the void ballots."""
    Election.objects.filter(pk=election.pk).update(
        result=RESULT, stage=Stage.RESULT_NOTICE, objection_window_end=dt.date(2025, 7, 8)
    )
    client.force_login(working_group)
    html = get(client, election, "result").content.decode()
    assert "选举结果公示" in html
    assert "1000.00" in html and "800.00" in html
    assert "表决有效" in html
    assert "修订业主大会议事规则" in html
    assert html.count("未通过") >= 1
    assert "通过" in html
    assert "候选人1" in html and "当选" in html
    assert "票数相同，另行确定" in html
    assert "700.00" in html
    assert "有 1 张选票" in html
    assert "2025年7月8日" in html
    assert 'class="qr"' in html


def test_it_sends_staff_back_when_there_is_no_result_to_print(client, election, working_group):
    """Without a result, the result notice cannot be printed: staff get a message, not a blank sheet."""
    client.force_login(working_group)
    response = get(client, election, "result")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "还没有计票结果" in page


def test_it_links_the_qr_code_to_the_election_page(election, settings):
    """The QR code encodes SITE_URL and the election's page."""
    settings.SITE_URL = "https://yezhu.example.cn/"
    url = election_public_url(election)
    assert url == f"https://yezhu.example.cn/e/{election.pk}/"
    context = notice_context(election, "assembly")
    assert context["public_url"] == url
    assert str(context["qr_svg"]).startswith("<svg")
    assert url in str(context["qr_svg"])


def test_it_dates_a_notice_reprinted_later_the_day_it_was_posted(election):
    """A notice printed again after it was posted carries the day it was posted (the owners'
    periods run from it), not the day of the reprint; before it is posted, today (issue 20)."""
    today = dt.date(2026, 3, 20)
    assert notice_context(election, "assembly", today=today)["today"] == "2026年3月20日"
    election.notice_published_on = dt.date(2026, 3, 2)
    election.candidate_notice_start = dt.date(2026, 3, 5)
    assert notice_context(election, "assembly", today=today)["today"] == "2026年3月2日"
    assert notice_context(election, "candidate", today=today)["today"] == "2026年3月5日"


def test_it_writes_fractions_as_statutes_do():
    """2/3 is 三分之二, 3/4 is 四分之三."""
    assert chinese_fraction(2, 3) == "三分之二"
    assert chinese_fraction(3, 4) == "四分之三"
    assert chinese_fraction(11, 20) == "11/20"


def test_it_answers_404_to_an_unknown_kind(client, election, working_group):
    """Only assembly, candidate and result notices exist."""
    client.force_login(working_group)
    assert get(client, election, "ballot").status_code == 404


def test_it_keeps_printing_to_staff_who_manage_the_election(client, election, outsider_staff, street_staff):
    """Anonymous: sign in; POST: 405; another street's staff and owners: 404; street staff: 200."""
    url = reverse("manage:print_notice", args=[election.pk, "candidate"])
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    client.force_login(street_staff)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    owner, _, _ = owner_user(election.compound, "1-1-101")
    client.force_login(owner)
    assert client.get(url).status_code == 404
