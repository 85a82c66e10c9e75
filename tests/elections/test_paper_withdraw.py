"""Withdrawing a paper ballot entry (撤回) that has not produced a ballot: the service, the count it
unblocks, the refusals, the page, and a withdrawal racing a second entry (PostgreSQL only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from elections import lifecycle as lc
from elections import paper
from elections.errors import ElectionError
from elections.models import Ballot, Election, PaperEntry, Stage
from elections.services import roll_freeze
from tests.conftest import requires_postgres
from tests.elections.test_paper import CHOICES, key_in, voter_of
from tests.factories import election_with_ballot_paper
from tests.race import race
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

REASON = "序列号扫错了，应为另一张选票"


def withdraw_url(election, entry):
    return reverse("manage:paper_withdraw", args=[election.pk, entry.pk])


def close_voting(election):
    """The scheduled close has passed; the election is still in its voting stage."""
    Election.objects.filter(pk=election.pk).update(
        voting_opens_at=timezone.now() - timedelta(days=3),
        voting_closes_at=timezone.now() - timedelta(hours=1),
    )
    election.refresh_from_db()


def snapshot():
    return (
        list(PaperEntry.objects.order_by("pk").values_list("pk", "status", "withdrawn_reason")),
        Ballot.objects.count(),
        AuditEntry.objects.filter(action="paper.withdrawn").count(),
    )


# ---------------------------------------------------------------------------------------------- service


def test_it_withdraws_a_first_entry_and_frees_its_serial(election, working_group, street_staff):
    """Withdrawn: not pending any more, and the same clerk keys the serial afresh as a first entry."""
    voter = voter_of(election, "1-1-101")
    entry = key_in(election, voter, working_group)
    assert paper.paper_pending_count(election) == 1
    done = paper.paper_entry_withdraw(entry=entry, actor=working_group, reason=f"  {REASON} ")
    assert done.status == PaperEntry.Status.WITHDRAWN
    assert done.withdrawn_by == working_group
    assert done.withdrawn_at is not None
    assert done.withdrawn_reason == REASON
    assert paper.paper_pending_count(election) == 0
    counts = paper.paper_counts(election)
    assert counts["withdrawn"] == 1 and counts["awaiting_second"] == 0
    again = key_in(election, voter, working_group, choices={"matters": {"M1": "no"}, "races": {"R1": []}})
    assert again.pk != entry.pk
    assert again.status == PaperEntry.Status.AWAITING_SECOND
    assert again.first_by == working_group
    assert PaperEntry.objects.filter(serial=entry.serial).count() == 2
    second = key_in(election, voter, street_staff, choices={"matters": {"M1": "no"}, "races": {"R1": []}})
    assert second.pk == again.pk and second.status == PaperEntry.Status.MATCHED
    ballot = Ballot.objects.get()
    assert ballot.choices["matters"] == {"M1": "no"}
    entry.refresh_from_db()
    assert entry.status == PaperEntry.Status.WITHDRAWN and entry.ballot is None


def test_it_lets_another_manager_withdraw_an_entry_in_review(
    election, working_group, street_staff, third_staff
):
    """A mismatched entry is withdrawn by a third staff member; the review queue is empty after."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    entry = key_in(election, voter, street_staff, choices={"matters": {"M1": "no"}, "races": {"R1": []}})
    assert entry.status == PaperEntry.Status.MISMATCH
    done = paper.paper_entry_withdraw(entry=entry, actor=third_staff, reason="不是本次选举的选票")
    assert done.status == PaperEntry.Status.WITHDRAWN
    assert done.withdrawn_by == third_staff
    assert paper.paper_pending_count(election) == 0
    assert Ballot.objects.count() == 0


def test_it_writes_an_audit_row_without_the_readings(election, working_group, street_staff):
    """paper.withdrawn names actor, serial, voter, previous status and reason, never a reading."""
    voter = voter_of(election, "1-1-101")
    entry = key_in(election, voter, working_group)
    paper.paper_entry_withdraw(entry=entry, actor=street_staff, reason=REASON)
    row = AuditEntry.objects.get(action="paper.withdrawn")
    assert row.actor == street_staff
    assert row.election_id == election.pk and row.compound_id == election.compound_id
    assert row.data["serial"] == entry.serial
    assert row.data["voter"] == voter.pk
    assert row.data["previous_status"] == PaperEntry.Status.AWAITING_SECOND
    assert row.data["reason"] == REASON
    assert row.data["first_by"] == working_group.pk
    data = {k: v for k, v in row.data.items() if k != "serial"}
    text = f"{row.summary.replace(entry.serial, '')} {data}"
    assert "C3" not in text and "'yes'" not in text and "matters" not in text and "choices" not in text


def test_it_unblocks_the_count_after_the_close(election, working_group, street_staff):
    """A stray first entry blocks the count; once withdrawn, staff close and the votes are counted."""
    close_voting(election)
    entry = key_in(election, voter_of(election, "1-1-101"), working_group, received_before_close=True)
    lc.voting_close(election=election, actor=street_staff)  # closes; the count waits for the entry
    election.refresh_from_db()
    assert "election_count" not in lc.allowed_actions(election)
    with pytest.raises(ElectionError, match="second entry|第二遍|复核"):
        lc.election_count(election=election, actor=street_staff)
    election.refresh_from_db()
    assert election.stage == Stage.COUNTING and election.result is None
    paper.paper_entry_withdraw(entry=entry, actor=street_staff, reason="截止后才收到，不应计票")
    with TestCase.captureOnCommitCallbacks(execute=True):
        lc.election_count(election=election, actor=street_staff)
    election.refresh_from_db()
    assert election.stage == Stage.RESULT_NOTICE
    assert election.result is not None
    assert election.result["participation"]["heads"] == 0


def test_it_refuses_to_withdraw_an_entry_that_produced_a_ballot(election, working_group, street_staff):
    """A recorded ballot is in the hash chain: the entry stays matched and the ballot stays."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    entry = key_in(election, voter, street_staff)
    assert entry.status == PaperEntry.Status.MATCHED
    election.refresh_from_db()
    head, before = election.chain_head, snapshot()
    with pytest.raises(ElectionError, match="recorded|已计入|已录入"):
        paper.paper_entry_withdraw(entry=entry, actor=street_staff, reason=REASON)
    assert snapshot() == before
    election.refresh_from_db()
    assert election.chain_head == head and election.ballot_count == 1
    assert Ballot.objects.get().status == Ballot.Status.VALID


def test_it_refuses_a_stale_entry_that_was_completed_meanwhile(election, working_group, street_staff):
    """The entry is re-read under its lock: a copy still saying 'waiting' does not withdraw a ballot."""
    voter = voter_of(election, "1-1-101")
    stale = key_in(election, voter, working_group)
    key_in(election, voter, street_staff)
    assert stale.status == PaperEntry.Status.AWAITING_SECOND  # the caller's copy
    with pytest.raises(ElectionError):
        paper.paper_entry_withdraw(entry=stale, actor=street_staff, reason=REASON)
    assert PaperEntry.objects.get().status == PaperEntry.Status.MATCHED
    assert Ballot.objects.count() == 1


def test_it_refuses_to_withdraw_twice(election, working_group):
    """A withdrawn entry is history: a second withdrawal is refused and changes nothing."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    paper.paper_entry_withdraw(entry=entry, actor=working_group, reason=REASON)
    before = snapshot()
    with pytest.raises(ElectionError, match="already|已经"):
        paper.paper_entry_withdraw(entry=entry, actor=working_group, reason="再撤一次")
    assert snapshot() == before


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_it_refuses_a_withdrawal_without_a_reason(election, working_group, reason):
    """The reason is required, in Chinese; nothing changes."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    before = snapshot()
    with pytest.raises(ElectionError, match="原因"):
        paper.paper_entry_withdraw(entry=entry, actor=working_group, reason=reason)
    assert snapshot() == before


def test_it_refuses_staff_of_another_street_and_owners(election, working_group, outsider_staff, owners):
    """Only staff who run the election withdraw; another street's staff and an owner change nothing."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    before = snapshot()
    for user in (outsider_staff, owners[0][0]):
        with pytest.raises(ElectionError):
            paper.paper_entry_withdraw(entry=entry, actor=user, reason=REASON)
    assert snapshot() == before


def test_it_refuses_once_the_tally_has_run(election, working_group):
    """After the count the entries are frozen with the result."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    Election.objects.filter(pk=election.pk).update(stage=Stage.COUNTING, result={"format": "yezhu-result/1"})
    before = snapshot()
    with pytest.raises(ElectionError, match="tally|计票"):
        paper.paper_entry_withdraw(entry=entry, actor=working_group, reason=REASON)
    assert snapshot() == before


def test_it_skips_withdrawn_entries_in_the_sheet_import(election, working_group, street_staff):
    """An imported row for a withdrawn serial is a fresh first entry, not a second entry of the old one."""
    voter = voter_of(election, "1-1-101")
    entry = key_in(election, voter, working_group)
    paper.paper_entry_withdraw(entry=entry, actor=working_group, reason=REASON)
    header = ",".join(paper.template_header(election))
    sheet = f"{header}\n{paper.serial_for(voter)},是,同意,反对,C1、C3\n".encode()
    counts = paper.paper_import(election=election, actor=working_group, data=sheet, filename="a.csv")
    assert counts["first"] == 1 and counts["matched"] == 0
    live = paper.live_entries(election).get()
    assert live.pk != entry.pk and live.status == PaperEntry.Status.AWAITING_SECOND
    assert Ballot.objects.count() == 0


# ---------------------------------------------------------------------------------------------- pages


def test_it_withdraws_through_the_confirmation_page(client, election, working_group):
    """GET shows the confirmation form; POST with a reason withdraws and returns to the list."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    client.force_login(working_group)
    listing = client.get(reverse("manage:paper_review_list", args=[election.pk])).content.decode()
    assert entry.serial in listing and withdraw_url(election, entry) in listing
    page = client.get(withdraw_url(election, entry))
    assert page.status_code == 200
    html = page.content.decode()
    assert entry.serial in html and 'name="reason"' in html and "csrfmiddlewaretoken" in html
    assert " style=" not in html
    response = client.post(withdraw_url(election, entry), {"reason": REASON}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("manage:paper_review_list", args=[election.pk])
    text = response.content.decode()
    assert "已撤回" in text or "withdrawn" in text
    assert REASON in text  # the withdrawn entry stays listed with its reason
    entry.refresh_from_db()
    assert entry.status == PaperEntry.Status.WITHDRAWN and entry.withdrawn_reason == REASON


def test_it_keeps_the_entry_when_the_page_gets_no_reason(client, election, working_group):
    """POST without a reason: the form again with an error; the entry still waits."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    client.force_login(working_group)
    response = client.post(withdraw_url(election, entry), {"reason": "  "})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == PaperEntry.Status.AWAITING_SECOND
    assert not AuditEntry.objects.filter(action="paper.withdrawn").exists()


def test_it_shows_no_form_for_an_entry_that_produced_a_ballot(client, election, working_group, street_staff):
    """The page says a recorded ballot stays; a POST is refused with a form error and changes nothing."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    entry = key_in(election, voter, street_staff)
    client.force_login(working_group)
    html = client.get(withdraw_url(election, entry)).content.decode()
    assert 'name="reason"' not in html
    response = client.post(withdraw_url(election, entry), {"reason": REASON})
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == PaperEntry.Status.MATCHED and Ballot.objects.count() == 1


def test_it_links_the_clerks_own_first_entry_to_withdrawal(client, election, working_group):
    """Opening a serial one keyed in oneself offers the withdrawal; after it the serial is free."""
    voter = voter_of(election, "1-1-101")
    entry = key_in(election, voter, working_group)
    client.force_login(working_group)
    entry_page = reverse("manage:paper_entry", args=[election.pk])
    html = client.get(entry_page, {"serial": entry.serial}).content.decode()
    assert withdraw_url(election, entry) in html and 'name="matter_M1"' not in html
    client.post(withdraw_url(election, entry), {"reason": REASON})
    html = client.get(entry_page, {"serial": entry.serial}).content.decode()
    assert 'name="matter_M1"' in html


def test_it_hides_the_page_from_outsiders(client, election, working_group, outsider_staff, owners):
    """Another street's staff and an owner get 404 on GET and POST; anonymous goes to sign in."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    url = withdraw_url(election, entry)
    for user in (outsider_staff, owners[0][0]):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": REASON}).status_code == 404
    client.logout()
    response = client.post(url, {"reason": REASON})
    assert response.status_code == 302 and "/accounts/" in response["Location"]
    assert client.put(url).status_code in (302, 405)
    entry.refresh_from_db()
    assert entry.status == PaperEntry.Status.AWAITING_SECOND


def test_it_refuses_the_wrong_method(client, election, working_group):
    """The confirmation page takes GET and POST only."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    client.force_login(working_group)
    assert client.put(withdraw_url(election, entry)).status_code == 405
    assert client.delete(withdraw_url(election, entry)).status_code == 405


def test_it_finds_no_entry_of_another_election(client, election, working_group, compound):
    """An entry id of another election under this election's URL is a 404."""
    other = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=other, actor=OPERATOR)
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    client.force_login(working_group)
    assert client.get(withdraw_url(other, entry)).status_code == 404


# ---------------------------------------------------------------------------------------------- race

CHILD = r"""
from elections import paper
from elections.models import Election, PaperEntry
from elections.services import ElectionError
from yezhu.accounts.models import User
election = Election.objects.get(pk=args["election"])
entry = PaperEntry.objects.get(pk=args["entry"])
user = User.objects.get(pk=args["user"])
wait_for_go()
try:
    if args["mode"] == "withdraw":
        done = paper.paper_entry_withdraw(entry=entry, actor=user, reason="race")
    else:
        done = paper.paper_entry_submit(election=election, serial=entry.serial, actor=user, signed=True,
                                        choices=args["choices"])
    print(json.dumps({"mode": args["mode"], "ok": True, "entry": done.pk, "status": done.status}))
except ElectionError as error:
    print(json.dumps({"mode": args["mode"], "ok": False, "message": str(error)}, ensure_ascii=False))
finally:
    connection.close()
"""


def contenders(election, entry, who: list[tuple[str, int]]) -> list[dict]:
    return [
        {"mode": mode, "election": election.pk, "entry": entry.pk, "user": user_id, "choices": CHOICES}
        for mode, user_id in who
    ]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_both_withdraws_and_completes_an_entry(
    election, working_group, street_staff, third_staff, tmp_path
):
    """A withdrawal and the second entry at the same moment: either the entry is withdrawn and the
    second keying starts afresh, or the ballot is recorded and the withdrawal refused."""
    entry = key_in(election, voter_of(election, "1-1-101"), working_group)
    outcomes = race(
        CHILD,
        contenders(election, entry, [("withdraw", third_staff.pk), ("second", street_staff.pk)]),
        tmp_path,
    )
    by_mode = {o["mode"]: o for o in outcomes}
    entry.refresh_from_db()
    if entry.status == PaperEntry.Status.WITHDRAWN:
        assert by_mode["withdraw"]["ok"], outcomes
        assert by_mode["second"]["ok"] and by_mode["second"]["entry"] != entry.pk, outcomes
        assert by_mode["second"]["status"] == PaperEntry.Status.AWAITING_SECOND
        assert entry.ballot is None and Ballot.objects.count() == 0
    else:
        assert entry.status == PaperEntry.Status.MATCHED, outcomes
        assert not by_mode["withdraw"]["ok"], outcomes
        assert by_mode["second"]["ok"] and by_mode["second"]["entry"] == entry.pk, outcomes
        assert Ballot.objects.count() == 1
    assert PaperEntry.objects.exclude(status=PaperEntry.Status.WITHDRAWN).count() == 1
