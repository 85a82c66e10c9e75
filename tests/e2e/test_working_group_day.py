"""The working group's whole day in Chromium at a 1366 px desk, from forming the 换届小组 to filing
the elected committee (issue 20). Each journey clicks from page to page as a clerk does, starting
at /manage/, and runs axe-core on every page it reaches (tests/e2e/audit.py).

Two journeys, together the whole day:
1. forming to the candidate notice: the election created on /manage/, the working group formed,
   its members entered, their list printed and published, the seats, the voting window, the assembly
   notice recorded and printed with its voting dates, nominations entered and accepted on paper,
   vetting, the candidate notice published and printed;
2. the vote to the filing: voting opened, the ballot papers printed, two paper ballots keyed in
   twice by two staff members (one pair agrees, one differs and a third staff member reviews it),
   voting closed and counted, the result published and printed, the objection window waited out,
   the result made final, the committee registered with its first meeting and officers, filed.

The clock is set by data (tests/e2e/steps.py `days_pass`), never by sleeping.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from elections import lifecycle as lc
from elections import paper
from elections.models import Ballot, Candidate, Committee, CommitteeMember, Election, PaperEntry, Stage
from grids.models import RoleAssignment
from tests.e2e.audit import assert_accessible, chromium
from tests.e2e.steps import (
    approve_candidate,
    days_pass,
    enter_paper_nomination,
    record_paper_acceptance,
    staff_page,
    zh,
    zh_label,
)
from tests.elections.test_lifecycle import add_working_group
from tests.elections.test_street_board import make_committee
from tests.factories import CommunityFactory, CompoundFactory, StreetFactory, UserFactory, grant, owner_user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "第二届业主委员会换届选举"


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def cn(day: date | datetime) -> str:
    """A day as the printed notices write it (2026年3月2日)."""
    return f"{day.year}年{day.month}月{day.day}日"


def compound_with_committee():
    """西园里, whose committee's term ends in two months, and the member who leads its 换届小组."""
    street = StreetFactory(name="湖滨街道")
    compound = CompoundFactory(
        community=CommunityFactory(street=street, name="东坡社区"), code="XYLW", name="西园里"
    )
    make_committee(compound, term_end=timezone.localdate() + timedelta(days=60))
    leader = UserFactory(name="换届小组王组长")
    grant(leader, RoleAssignment.Role.WORKING_GROUP, compound)
    return street, compound, leader


def take(page, expect, action: str, **values) -> None:
    """Fill and submit the form of one transition on the election's overview; it says it is done."""
    form = page.locator(f"form[action$='/do/{action}/']")
    for name, value in values.items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator(".message.success")).to_be_visible()
    expect(page.locator(".message.error")).to_have_count(0)
    assert_accessible(page)


def to_overview(page, expect, election: Election) -> None:
    """Back to the election's overview by the link the page shows to it."""
    page.locator(f"main a[href='/manage/e/{election.pk}/']").first.click()
    expect(page.locator("h1")).to_have_text(election.title)


def overview_link(page, expect, msgid: str) -> None:
    """One of the overview's links to the election's pages."""
    page.locator("ul.links").get_by_role("link", name=zh(msgid), exact=True).click()
    expect(page.locator(".message.error")).to_have_count(0)
    assert_accessible(page)


def stage_of(election: Election) -> str:
    election.refresh_from_db()
    return election.stage


def test_it_takes_the_working_group_from_forming_to_the_candidate_notice(live_server):
    from playwright.sync_api import expect

    _street, compound, leader = compound_with_committee()
    owner_user(compound, "3-1-201", name="王秀英")
    owner_user(compound, "5-2-502", name="李建国")
    owner_user(compound, "1-1-101", name="赵大妈")
    today = timezone.localdate()
    opens, closes = local(today + timedelta(days=17)), local(today + timedelta(days=24), 18)

    with chromium() as browser:
        staff, errors = staff_page(browser, live_server, leader)

        # /manage/: the compound's card, its committee due for re-election, a new election.
        staff.goto(f"{live_server.url}/manage/")
        expect(staff.locator("h1")).to_have_text(zh("Running elections"))
        expect(staff.locator(".alert-block")).to_contain_text("西园里")
        assert_accessible(staff)
        card = staff.locator("section.card", has=staff.locator("h2", has_text="西园里"))
        card.get_by_role("link", name=zh("New election")).click()
        assert_accessible(staff)
        staff.fill("#id_title", TITLE)
        staff.get_by_role("button", name=zh("Create")).click()
        staff.wait_for_url(re.compile(r"/manage/e/\d+/$"))
        election = Election.objects.get(compound=compound)
        expect(staff.locator(".blockers")).to_contain_text(
            zh("Form the working group and enter the day it was formed.")
        )
        assert_accessible(staff)

        # The 换届小组 is formed: the day, then its members.
        take(staff, expect, "working_group_form", on=(today - timedelta(days=10)).isoformat())
        assert stage_of(election) == Stage.WORKING_GROUP
        overview_link(staff, expect, "Working group")
        add = staff.locator("section.card", has=staff.locator("h2", has_text=zh("Add a member")))
        for name, affiliation, role in (
            ("李书记", "residents_committee", "leader"),
            ("王秀英", "owner", "member"),
            ("李建国", "owner", "member"),
        ):
            add.locator("#id_name").fill(name)
            add.locator("#id_affiliation").select_option(affiliation)
            add.locator("#id_role").select_option(role)
            add.get_by_role("button", name=zh("Add")).click()
            expect(staff.locator(".message.success")).to_be_visible()
            expect(staff.locator("table tbody")).to_contain_text(name)
        assert_accessible(staff)

        # The members' list is printed for the notice board, then recorded as published.
        staff.get_by_role("link", name=zh("Printable notice of the members")).click()
        expect(staff.locator("main")).to_contain_text("李书记")
        assert_accessible(staff)
        staff.get_by_role("link", name=zh("Back"), exact=True).click()
        publish = staff.locator("form[action$='/do/working_group_publish/']")
        publish.locator("[name='working_group_publish-on']").fill((today - timedelta(days=8)).isoformat())
        publish.get_by_role("button", name=zh("Record")).click()
        expect(staff.locator(".message.success")).to_be_visible()
        expect(staff.locator("main")).to_contain_text((today - timedelta(days=8)).isoformat())
        assert_accessible(staff)

        # The seats to be elected, then the voting window the notice announces.
        overview_link(staff, expect, "Matters and seats")
        race = staff.locator(f"form[action='/manage/e/{election.pk}/races/add/']")
        race.locator("input[name=seats]").fill("5")
        race.locator("button[type=submit]").click()
        expect(staff.locator(".message.success")).to_be_visible()
        assert election.races.get().seats == 5
        assert_accessible(staff)
        to_overview(staff, expect, election)
        take(
            staff,
            expect,
            "voting_schedule",
            opens_at=opens.strftime("%Y-%m-%dT%H:%M"),
            closes_at=closes.strftime("%Y-%m-%dT%H:%M"),
        )
        take(staff, expect, "notice_publish", on=(today - timedelta(days=5)).isoformat())
        assert stage_of(election) == Stage.NOTICE

        # The notices page, and the printed assembly notice with its voting dates.
        overview_link(staff, expect, "Notices")
        to_overview(staff, expect, election)
        overview_link(staff, expect, "Nominations and vetting")
        staff.locator("a[href$='/print/assembly/']").click()
        sheet = staff.locator(".sheet")
        expect(sheet).to_contain_text(f"自{cn(opens)} 00:00起，至{cn(closes)} 18:00止")
        expect(sheet.locator(".date-line")).to_have_text(cn(today - timedelta(days=5)))  # as posted
        assert_accessible(staff)
        staff.get_by_role("link", name=zh("Back"), exact=True).click()

        # Nominations: open them, two paper forms, the nominees' paper answers, close, vet.
        to_overview(staff, expect, election)
        take(staff, expect, "nominations_open")
        assert stage_of(election) == Stage.NOMINATION
        overview_link(staff, expect, "Nominations and vetting")
        for code, name in (("3-1-201", "王秀英"), ("5-2-502", "李建国")):
            enter_paper_nomination(staff, expect, code=code, name=name)
            record_paper_acceptance(staff, expect, name=name)
        staff.get_by_role("button", name=zh("Close nominations and start vetting")).click()
        staff.wait_for_url(re.compile(r"/manage/e/\d+/$"))
        assert stage_of(election) == Stage.VETTING
        overview_link(staff, expect, "Nominations and vetting")
        for name in ("王秀英", "李建国"):
            approve_candidate(staff, expect, name=name)
        assert dict(Candidate.objects.values_list("name", "key")) == {"王秀英": "C1", "李建国": "C2"}

        # The candidate notice, published from the nominations page, then printed.
        staff.locator("form[action$='/candidate-notice/publish/'] button[type=submit]").click()
        staff.wait_for_url(re.compile(r"/manage/e/\d+/$"))
        expect(staff.locator(".message.success")).to_be_visible()
        assert stage_of(election) == Stage.CANDIDATE_NOTICE
        assert election.candidate_notice_start == today
        assert_accessible(staff)
        overview_link(staff, expect, "Nominations and vetting")
        staff.locator("a[href$='/print/candidate/']").click()
        expect(staff.locator(".sheet")).to_contain_text("李建国")
        expect(staff.locator("svg.qr")).to_be_visible()
        assert_accessible(staff)
        assert errors == []


# ---------------------------------------------------------------------------------------------
# The vote to the filing
# ---------------------------------------------------------------------------------------------

CANDIDATES = ("王秀英", "李建国", "赵大妈", "陈志强", "刘玉兰")


def candidate_notice_posted(compound, actor) -> Election:
    """What the first journey leaves, with five candidates for five seats: the candidate notice
    posted 20 days ago and voting opening today (the first journey's dates, days later)."""
    today = timezone.localdate()
    election = lc.election_create(compound=compound, title=TITLE, kind=Election.Kind.REELECTION, actor=actor)
    lc.working_group_form(election=election, actor=actor, on=today - timedelta(days=60))
    add_working_group(election, actor)
    lc.working_group_publish(election=election, actor=actor, on=today - timedelta(days=58))
    lc.race_save(election=election, actor=actor, title="业主委员会委员", seats=5, alternates=0)
    lc.voting_schedule(
        election=election,
        actor=actor,
        opens_at=local(today - timedelta(days=20)),
        closes_at=local(today - timedelta(days=13), 18),
    )
    lc.notice_publish(election=election, actor=actor, on=today - timedelta(days=50))
    lc.nominations_open(election=election, actor=actor)
    lc.vetting_start(election=election, actor=actor)
    race = election.races.get()
    for i, name in enumerate(CANDIDATES, start=1):
        Candidate.objects.create(race=race, key=f"C{i}", name=name, position=i)
    lc.candidate_notice_publish(
        election=election,
        actor=actor,
        start=today - timedelta(days=50),
        end=today - timedelta(days=43),
    )
    # Twenty days later in the election's calendar: voting opens today.
    days_pass(election, -20)
    return election


FIRST = "Ballot %(serial)s: first entry saved. Another staff member must now key it in a second time."
AGREE = "Ballot %(serial)s: both entries agree; the ballot is recorded."
DIFFER = "Ballot %(serial)s: the two entries differ. It has gone to the review queue for a third look."


def key_in(page, expect, serial: str, ticks: list[str], message: str) -> None:
    """On the entry page: open the ballot by its serial, tick what the paper says, save; the page
    says back what became of the ballot (`message`, an msgid taking the serial)."""
    page.locator("form[method=get] input[name=serial]").fill(serial)
    page.get_by_role("button", name=zh("Open the ballot")).click()
    expect(page.locator("input[name=race_R1]").first).to_be_visible()
    assert_accessible(page)
    page.check("input[name=signed][value=yes]")
    for key in ticks:
        page.check(f"input[name=race_R1][value={key}]")
    page.get_by_role("button", name=zh("Save this entry")).click()
    expect(page.locator(".messages")).to_contain_text(zh(message) % {"serial": serial})
    assert_accessible(page)


def open_paper_entry(page, expect, live_server, election: Election) -> None:
    """From /manage/ to the paper entry page, by the links a clerk follows."""
    page.goto(f"{live_server.url}/manage/")
    page.get_by_role("link", name=election.title).click()
    expect(page.locator("h1")).to_have_text(election.title)
    overview_link(page, expect, "Paper ballots")
    page.get_by_role("link", name=zh("Key in a ballot")).click()
    assert_accessible(page)


def test_it_takes_the_working_group_from_the_vote_to_the_filing(live_server):
    from playwright.sync_api import expect

    street, compound, leader = compound_with_committee()
    clerk = UserFactory(name="街道干部")
    grant(clerk, RoleAssignment.Role.STREET_STAFF, street)
    reviewer = UserFactory(name="换届小组李委员")
    grant(reviewer, RoleAssignment.Role.WORKING_GROUP, compound)
    owner_user(compound, "1-1-101", "98.60", name="张秀英")
    owner_user(compound, "1-1-102", "120.00", name="王建国")
    election = candidate_notice_posted(compound, leader)
    today = timezone.localdate()
    all_five = ["C1", "C2", "C3", "C4", "C5"]

    with chromium() as browser:
        staff, errors = staff_page(browser, live_server, leader)
        staff.goto(f"{live_server.url}/manage/")
        staff.get_by_role("link", name=TITLE).click()
        expect(staff.locator("h1")).to_have_text(TITLE)
        assert_accessible(staff)

        # Voting opens on its day; the roll is frozen.
        take(staff, expect, "voting_open")
        assert stage_of(election) == Stage.VOTING
        serials = [paper.serial_for(v) for v in election.voters.order_by("unit_codes")]
        assert len(serials) == 2

        # The ballot papers of building 1, printed for delivery.
        overview_link(staff, expect, "Paper ballots")
        staff.locator("a[href*='/paper/print/building/']").first.click()
        expect(staff.locator("svg.segno")).to_have_count(2)
        assert_accessible(staff)
        staff.get_by_role("link", name=zh("Back to paper ballots")).click()

        # First entries by the working group's leader.
        staff.get_by_role("link", name=zh("Key in a ballot")).click()
        key_in(staff, expect, serials[0], all_five, FIRST)
        key_in(staff, expect, serials[1], all_five, FIRST)

        # Second entries, blind, by the street clerk: one agrees, one misses a tick.
        second, second_errors = staff_page(browser, live_server, clerk)
        open_paper_entry(second, expect, live_server, election)
        key_in(second, expect, serials[0], all_five, AGREE)
        key_in(second, expect, serials[1], all_five[:4], DIFFER)

        # A third staff member reviews the differing ballot against the paper.
        third, third_errors = staff_page(browser, live_server, reviewer)
        open_paper_entry(third, expect, live_server, election)
        third.get_by_role("link", name=zh("Paper ballots")).click()
        third.get_by_role("link", name=zh("Review queue")).click()
        assert_accessible(third)
        third.get_by_role("link", name=zh("Review"), exact=True).first.click()
        expect(third.locator("#differences")).to_contain_text("R1")
        assert_accessible(third)
        third.check("input[name=pick][value=first]")
        third.get_by_role("button", name=zh("Record the ballot")).click()
        expect(third.locator(".message.success")).to_contain_text(
            zh("Ballot %(serial)s: recorded from %(chosen)s.")
            % {"serial": serials[1], "chosen": zh("the first entry")}
        )
        assert_accessible(third)
        assert Ballot.objects.filter(election=election, status=Ballot.Status.VALID).count() == 2
        assert (
            not PaperEntry.objects.exclude(status=PaperEntry.Status.MATCHED)
            .exclude(status=PaperEntry.Status.RESOLVED)
            .exists()
        )

        # The turnout, from the paper ballots page.
        third.get_by_role("link", name=zh("Paper ballots")).click()
        third.get_by_role("link", name=zh("Turnout")).first.click()
        assert_accessible(third)

        # The week of voting goes by; the leader closes voting and the ballots are counted.
        days_pass(election, 8)
        staff.goto(f"{live_server.url}/manage/")
        staff.get_by_role("link", name=TITLE).click()
        take(staff, expect, "voting_close")
        staff.reload()
        assert stage_of(election) == Stage.RESULT_NOTICE
        assert election.result["races"]["R1"]["elected"] == all_five
        expect(staff.locator("main")).to_contain_text("刘玉兰")
        assert_accessible(staff)

        # The result is published, then printed for the notice board.
        take(staff, expect, "result_publish")
        election.refresh_from_db()
        assert election.result_published_on == today
        overview_link(staff, expect, "Nominations and vetting")
        staff.locator("a[href$='/print/result/']").click()
        expect(staff.locator(".sheet")).to_contain_text("刘玉兰")
        assert_accessible(staff)
        staff.get_by_role("link", name=zh("Back"), exact=True).click()

        # The objection window goes by without an objection; the result becomes final.
        days_pass(election, 8)
        to_overview(staff, expect, election)
        take(staff, expect, "result_finalise")
        assert stage_of(election) == Stage.FILING
        take(staff, expect, "committee_from_result")
        committee = Committee.objects.get(election=election)
        assert committee.members.count() == 5

        # The committee's first meeting elects its chair and vice-chair; both are recorded.
        overview_link(staff, expect, "The elected committee")
        for name, role in (("王秀英", "chair"), ("李建国", "vice_chair")):
            member = committee.members.get(name=name)
            form = staff.locator(f"form[action$='/members/{member.pk}/']")
            form.locator(f"[name='m{member.pk}-role']").select_option(role)
            form.locator("button[type=submit]").click()
            expect(staff.locator(".message.success")).to_be_visible()
        dates = staff.locator("form", has=staff.locator("[name=first_meeting_on]"))
        dates.locator("[name=first_meeting_on]").fill((today - timedelta(days=3)).isoformat())
        dates.locator("[name=officers_published_on]").fill((today - timedelta(days=2)).isoformat())
        dates.locator("button[type=submit]").click()
        expect(staff.locator(".message.success")).to_be_visible()
        assert_accessible(staff)
        committee.refresh_from_db()
        assert committee.first_meeting_on == today - timedelta(days=3)
        assert committee.members.get(role=CommitteeMember.Role.CHAIR).name == "王秀英"

        # The filing with the street office and the district: the election is done.
        to_overview(staff, expect, election)
        take(staff, expect, "election_file")
        assert stage_of(election) == Stage.DONE
        expect(staff.locator(".big-badge")).to_have_text(zh_label(Stage.DONE.label))
        assert errors == [] and second_errors == [] and third_errors == []
