"""Steps shared by the staff journeys in the browser (tests/e2e/test_working_group_*.py): a staff
member's page at a 1366 px desk that records script errors, the Chinese words a page shows for an
English msgid, the clock moved by data, and the nomination steps a working group takes.

A journey clicks its way from page to page as a clerk does; each step starts on the page the
previous one left it on and says where it ends."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext

from elections.models import Ballot, Committee, Election, Nomination
from tests.e2e.audit import assert_accessible, new_page, watch_errors


def zh(msgid: str) -> str:
    """What a zh-CN page shows for `msgid`: the journeys find buttons and links by the words a
    clerk reads, taken from the catalogue so a reworded translation does not break them."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def zh_label(label) -> str:
    """A lazy label (a stage, a choice) as a zh-CN page shows it."""
    with translation.override("zh-hans"):
        return str(label)


def staff_page(browser, live_server, user):
    """A 1366 px page signed in as `user` (password and SMS code), and the list its script errors,
    CSP refusals and failed requests are collected in (the browser's favicon probe aside)."""
    page = new_page(browser, live_server, user=user)
    errors = watch_errors(page)
    return page, errors


ELECTION_DATES = (
    "working_group_formed_on",
    "working_group_published_on",
    "notice_published_on",
    "candidate_notice_start",
    "candidate_notice_end",
    "voting_opens_at",
    "voting_closes_at",
    "decided_on",
    "result_published_on",
    "objection_window_end",
    "filed_on",
    "start_approved_at",
    "working_group_approved_at",
    "roll_frozen_at",
)


def days_pass(election: Election, days: int) -> None:
    """`days` days go by: everything the election recorded moves that far into the past (its
    dates, its ballots' and nominations' times, its committee's dates), so today is `days` later in
    its calendar. The journeys set the clock by data, never by sleeping; the gaps between the
    recorded dates, which the statutory periods are checked on, stay as they were."""
    shift = timedelta(days=days)
    Election.objects.filter(pk=election.pk).update(**{name: F(name) - shift for name in ELECTION_DATES})
    Ballot.objects.filter(election=election).update(cast_at=F("cast_at") - shift)
    Nomination.objects.filter(election=election).update(created_at=F("created_at") - shift)
    for committee in Committee.objects.filter(election=election):
        for name in ("first_meeting_on", "officers_published_on"):
            if getattr(committee, name) is not None:
                setattr(committee, name, getattr(committee, name) - shift)
        committee.save()
    election.refresh_from_db()


# ---------------------------------------------------------------------------------------------
# Nominations: each step starts and ends on the staff's nominations page
# ---------------------------------------------------------------------------------------------


def enter_paper_nomination(staff, expect, *, code: str, name: str) -> None:
    """Key in an owner's paper nomination form (业主纸质推荐表), the nominee found by unit and name."""
    staff.get_by_role("link", name=zh("Enter a nomination")).click()
    assert_accessible(staff)
    staff.get_by_label("业主纸质推荐表").check()
    staff.fill("input[name=unit_code]", code)
    staff.fill("input[name=name]", name)
    staff.get_by_role("button", name=zh("Record the nomination")).click()
    expect(staff.locator(".message.success")).to_contain_text(name)
    expect(staff.locator("h1")).to_have_text(zh("Nominations and vetting"))  # back on the list
    assert_accessible(staff)


def approve_candidate(staff, expect, *, name: str) -> None:
    """Vet an accepted nomination: the party organisation's opinion, then the approval."""
    staff.locator("tr", has_text=name).get_by_role("link", name=zh("Vet")).click()
    staff.fill("textarea[name=opinion_party]", "同意推荐")
    staff.get_by_role("button", name=zh("Save the notes")).click()
    staff.get_by_label("审查通过，列为候选人").check()
    assert_accessible(staff)
    staff.get_by_role("button", name=zh("Record the decision")).click()
    expect(staff.locator(".message.success")).to_contain_text(name)
    staff.get_by_role("link", name=zh("Nominations"), exact=True).first.click()
    expect(staff.locator("h1")).to_have_text(zh("Nominations and vetting"))


def record_paper_acceptance(staff, expect, *, name: str) -> None:
    """The nominee said yes on paper: staff record the answer on the vetting page."""
    staff.locator("tr", has_text=name).get_by_role("link", name=zh("Vet")).click()
    staff.check("input[name=answer][value=accept]")
    staff.fill("input[name=note]", "本人在纸质推荐表上签字同意")
    staff.get_by_role("button", name=zh("Record the answer")).click()
    expect(staff.locator(".message.success")).to_contain_text(zh("The nominee's answer is recorded."))
    assert_accessible(staff)
    staff.get_by_role("link", name=zh("Nominations"), exact=True).first.click()
    expect(staff.locator("h1")).to_have_text(zh("Nominations and vetting"))
