"""Paper ballots: serials, printing, double entry (双人录入), review, and their pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from elections import paper
from elections.errors import AlreadyVoted, ElectionError
from elections.models import Ballot, PaperEntry, Stage
from elections.services import ballot_record, roll_freeze
from tests.factories import election_with_ballot_paper
from yezhu.actors import OPERATOR
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

CHOICES = {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}


def voter_of(election, code):
    return election.voters.get(units__code=code)


def key_in(election, voter, user, choices=CHOICES, signed=True, **kwargs):
    return paper.paper_entry_submit(
        election=election,
        serial=paper.serial_for(voter),
        actor=user,
        signed=signed,
        choices=choices,
        **kwargs,
    )


# ---------------------------------------------------------------------------------------------- serials


def test_it_gives_each_voter_a_serial_that_checks_itself(election):
    """The serial names election and voter, and a mistyped one is refused, not misread."""
    voter = voter_of(election, "1-1-101")
    serial = paper.serial_for(voter)
    assert serial.startswith(f"{election.pk}-{voter.pk}-")
    assert paper.voter_for_serial(election=election, serial=serial.lower()) == voter
    assert paper.voter_for_serial(election=election, serial=" " + serial.replace("-", "－") + " ") == voter
    check = serial.rsplit("-", 1)[1]
    wrong = "A" if check[0] != "A" else "B"
    with pytest.raises(ElectionError, match="mistyped|输错"):
        paper.voter_for_serial(election=election, serial=serial[:-4] + wrong + check[1:])
    other = voter_of(election, "1-1-102")
    swapped = f"{election.pk}-{other.pk}-{check}"
    with pytest.raises(ElectionError):
        paper.voter_for_serial(election=election, serial=swapped)
    with pytest.raises(ElectionError):
        paper.voter_for_serial(election=election, serial="hello")


def test_it_refuses_a_mistyped_serial_at_entry(election, working_group):
    """Keying in a ballot under a mistyped serial writes nothing."""
    serial = paper.serial_for(voter_of(election, "1-1-101"))
    mistyped = serial[:-1] + ("Z" if serial[-1] != "Z" else "Y")
    with pytest.raises(ElectionError):
        paper.paper_entry_submit(
            election=election, serial=mistyped, actor=working_group, signed=True, choices=CHOICES
        )
    assert PaperEntry.objects.count() == 0


# ---------------------------------------------------------------------------------------------- double entry


def test_it_records_one_valid_ballot_when_both_entries_match(election, working_group, street_staff):
    """Two staff members, the same reading: one valid paper ballot cast by the second."""
    voter = voter_of(election, "1-1-101")
    first = key_in(election, voter, working_group)
    assert first.status == PaperEntry.Status.AWAITING_SECOND
    assert Ballot.objects.count() == 0
    second = key_in(election, voter, street_staff)
    assert second.status == PaperEntry.Status.MATCHED
    ballot = Ballot.objects.get()
    assert ballot.status == Ballot.Status.VALID
    assert ballot.channel == Ballot.Channel.PAPER
    assert ballot.cast_as == Ballot.CastAs.PAPER
    assert ballot.cast_by == street_staff
    assert ballot.paper_serial == paper.serial_for(voter)
    assert ballot.choices == {"matters": {"M1": "yes", "M2": "no"}, "races": {"R1": ["C1", "C3"]}}
    assert second.ballot == ballot


def test_it_refuses_both_entries_by_the_same_staff_member(election, working_group):
    """The second entry must be another person's."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    with pytest.raises(ElectionError, match="another staff member|另一位"):
        key_in(election, voter, working_group)
    assert PaperEntry.objects.get().status == PaperEntry.Status.AWAITING_SECOND
    assert Ballot.objects.count() == 0


def test_it_sends_differing_entries_to_review_and_records_the_resolved_reading(
    election, working_group, street_staff, third_staff
):
    """A mismatch records nothing; a third staff member picks the right reading, which is recorded."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    other = {"matters": {"M1": "yes", "M2": "abstain"}, "races": {"R1": ["C1", "C3"]}}
    entry = key_in(election, voter, street_staff, choices=other)
    assert entry.status == PaperEntry.Status.MISMATCH
    assert Ballot.objects.count() == 0
    with pytest.raises(ElectionError, match="third|第三"):
        paper.paper_entry_resolve(entry=entry, actor=street_staff, pick="first")
    resolved = paper.paper_entry_resolve(entry=entry, actor=third_staff, pick="second")
    assert resolved.status == PaperEntry.Status.RESOLVED
    ballot = Ballot.objects.get()
    assert ballot.status == Ballot.Status.VALID
    assert ballot.cast_by == third_staff
    assert ballot.choices["matters"] == {"M1": "yes", "M2": "abstain"}
    with pytest.raises(ElectionError):
        paper.paper_entry_resolve(entry=entry, actor=third_staff, pick="first")


def test_it_lets_the_reviewer_enter_a_new_reading(election, working_group, street_staff, third_staff):
    """Neither entry right: the reviewer's own reading is recorded."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    entry = key_in(election, voter, street_staff, choices={"matters": {"M1": "no"}, "races": {"R1": []}})
    paper.paper_entry_resolve(
        entry=entry,
        actor=third_staff,
        pick="new",
        signed=True,
        choices={"matters": {"M1": "abstain"}, "races": {}},
    )
    assert Ballot.objects.get().choices == {"matters": {"M1": "abstain"}, "races": {"R1": []}}


def test_it_records_an_unsigned_ballot_as_rejected_without_participation(
    election, working_group, street_staff
):
    """Unsigned (RULES.md §3): a rejected ballot with the reason 未签名, which does not participate."""
    from elections.turnout import turnout_overall

    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group, signed=False)
    entry = key_in(election, voter, street_staff, signed=False, choices={"matters": {"M1": "no"}})
    assert entry.status == PaperEntry.Status.REJECTED
    ballot = Ballot.objects.get()
    assert ballot.status == Ballot.Status.REJECTED
    assert ballot.reject_reason == "未签名"
    assert ballot.choices == {}
    overall = turnout_overall(election)
    assert overall.heads == 0
    assert overall.area == 0


def test_it_records_an_unreadable_ballot_as_rejected_with_the_reason(election, working_group, street_staff):
    """Unreadable: rejected, and the reason names why."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group, unreadable=True, note="整张涂改")
    key_in(election, voter, street_staff, unreadable=True, note="看不清")
    ballot = Ballot.objects.get()
    assert ballot.status == Ballot.Status.REJECTED
    assert ballot.reject_reason == "无法辨认：整张涂改"


def test_it_rejects_a_paper_ballot_after_an_online_vote(election, owners, working_group, street_staff):
    """The first valid ballot stands: the later paper ballot is recorded as rejected with the reason."""
    voter = voter_of(election, "1-1-101")
    user = owners[0][0]
    ballot_record(
        election=election, voter=voter, actor=user, cast_as="owner", channel="online", choices=CHOICES
    )
    key_in(election, voter, working_group)
    entry = key_in(election, voter, street_staff)
    assert entry.status == PaperEntry.Status.REJECTED
    rejected = Ballot.objects.get(channel=Ballot.Channel.PAPER)
    assert rejected.status == Ballot.Status.REJECTED
    assert rejected.reject_reason == "该业主已通过其他渠道投票，以首张有效票为准"
    assert Ballot.objects.filter(status=Ballot.Status.VALID).get().channel == Ballot.Channel.ONLINE


def test_it_refuses_an_online_vote_after_a_paper_ballot(election, owners, working_group, street_staff):
    """Once the paper ballot is recorded the owner's online vote is AlreadyVoted."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    key_in(election, voter, street_staff)
    with pytest.raises(AlreadyVoted):
        ballot_record(
            election=election,
            voter=voter,
            actor=owners[0][0],
            cast_as="owner",
            channel="online",
            choices=CHOICES,
        )
    assert Ballot.objects.filter(status=Ballot.Status.VALID).count() == 1


def test_it_refuses_a_ballot_already_counted(election, working_group, street_staff, third_staff):
    """A serial whose ballot is recorded cannot be keyed in again."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    key_in(election, voter, street_staff)
    with pytest.raises(ElectionError, match="already|已经"):
        key_in(election, voter, third_staff)


def test_it_requires_confirmation_of_receipt_after_the_close(election, working_group):
    """After the close only ballots confirmed as received before the close are keyed in."""
    Stage_ = Stage
    election.stage = Stage_.COUNTING
    election.voting_closes_at = timezone.now() - timedelta(hours=1)
    election.voting_opens_at = timezone.now() - timedelta(days=3)
    election.save()
    voter = voter_of(election, "1-1-101")
    with pytest.raises(ElectionError, match="received before|截止前"):
        key_in(election, voter, working_group)
    entry = key_in(election, voter, working_group, received_before_close=True)
    assert entry.status == PaperEntry.Status.AWAITING_SECOND
    assert AuditEntry.objects.filter(action="paper.received_before_close").count() == 1


@pytest.mark.parametrize("stage", [Stage.CANDIDATE_NOTICE, Stage.RESULT_NOTICE])
def test_it_refuses_entry_outside_voting_and_counting(election, working_group, stage):
    """Not before voting, not after the tally stage."""
    election.stage = stage
    election.save()
    with pytest.raises(ElectionError):
        key_in(election, voter_of(election, "1-1-101"), working_group)


def test_it_refuses_entry_once_the_tally_has_run(election, working_group):
    """In counting, but with a result: too late."""
    election.stage = Stage.COUNTING
    election.result = {"format": "yezhu-result/1"}
    election.save()
    with pytest.raises(ElectionError):
        key_in(election, voter_of(election, "1-1-101"), working_group)


def test_it_refuses_staff_who_do_not_run_the_election(election, outsider_staff):
    """Another street's staff cannot key in."""
    with pytest.raises(ElectionError):
        key_in(election, voter_of(election, "1-1-101"), outsider_staff)


def test_it_keeps_the_choices_out_of_the_audit_log(election, working_group, street_staff):
    """Staff read the audit log while voting is open: no reading in it."""
    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    key_in(election, voter, street_staff)
    for entry in AuditEntry.objects.all():
        # The serial's check letters are random-looking and may contain "C3" by chance.
        serial = entry.data.get("serial", "")
        data = {k: v for k, v in entry.data.items() if k != "serial"}
        text = f"{entry.summary.replace(serial, '') if serial else entry.summary} {data}"
        assert "C3" not in text and "'yes'" not in text and "matters" not in text


def test_it_counts_entries_by_state(election, working_group, street_staff):
    """The index numbers: one waiting, one recorded."""
    key_in(election, voter_of(election, "1-1-101"), working_group)
    v2 = voter_of(election, "1-1-102")
    key_in(election, v2, working_group)
    key_in(election, v2, street_staff)
    counts = paper.paper_counts(election)
    assert counts["awaiting_second"] == 1
    assert counts["matched"] == 1
    assert paper.paper_pending_count(election) == 1


# ---------------------------------------------------------------------------------------------- pages


def entry_url(election):
    return reverse("manage:paper_entry", args=[election.pk])


def post_entry(client, election, voter, *, signed="yes", m1="yes", m2="no", ticks=("C1", "C3")):
    return client.post(
        entry_url(election),
        {
            "serial": paper.serial_for(voter),
            "signed": signed,
            "matter_M1": m1,
            "matter_M2": m2,
            "race_R1": list(ticks),
        },
    )


def test_it_keys_in_a_ballot_twice_through_the_page(client, election, working_group, street_staff):
    """Scan, key in, save; another staff member does the same; the ballot is recorded."""
    voter = voter_of(election, "1-1-101")
    client.force_login(working_group)
    page = client.get(entry_url(election), {"serial": paper.serial_for(voter)})
    assert page.status_code == 200
    assert "第一遍录入" in page.content.decode() or "First entry" in page.content.decode()
    response = post_entry(client, election, voter)
    assert response.status_code == 302
    client.force_login(street_staff)
    response = post_entry(client, election, voter)
    assert response.status_code == 302
    assert Ballot.objects.get().status == Ballot.Status.VALID


def test_it_shows_the_second_staff_member_a_blank_form(client, election, working_group, street_staff):
    """Blind second entry: nothing of the first reading is on the page."""
    voter = voter_of(election, "1-1-101")
    client.force_login(working_group)
    post_entry(client, election, voter, m1="abstain", m2="no", ticks=("C2",))
    client.force_login(street_staff)
    html = client.get(entry_url(election), {"serial": paper.serial_for(voter)}).content.decode()
    assert 'name="matter_M1"' in html
    assert "checked" not in html
    assert "第二遍录入" in html or "Second entry" in html


def test_it_refuses_the_first_staff_member_a_second_entry_on_the_page(client, election, working_group):
    """The page says another staff member must make the second entry, and shows no form."""
    voter = voter_of(election, "1-1-101")
    client.force_login(working_group)
    post_entry(client, election, voter)
    html = client.get(entry_url(election), {"serial": paper.serial_for(voter)}).content.decode()
    assert 'name="matter_M1"' not in html
    response = post_entry(client, election, voter)
    assert response.status_code == 200
    assert PaperEntry.objects.get().second_by is None


def test_it_shows_an_error_for_a_mistyped_serial_on_the_page(client, election, working_group):
    """A mistyped serial is an error on the serial field, not a ballot form."""
    client.force_login(working_group)
    serial = paper.serial_for(voter_of(election, "1-1-101"))
    html = client.get(
        entry_url(election), {"serial": serial[:-1] + ("Z" if serial[-1] != "Z" else "Y")}
    ).content
    html = html.decode()
    assert 'name="matter_M1"' not in html
    assert "errorlist" in html


def test_it_requires_an_answer_for_every_matter_on_a_signed_ballot(client, election, working_group):
    """A signed ballot with a matter not marked is not saved (Left blank is an explicit answer)."""
    client.force_login(working_group)
    voter = voter_of(election, "1-1-101")
    response = client.post(
        entry_url(election), {"serial": paper.serial_for(voter), "signed": "yes", "matter_M1": "yes"}
    )
    assert response.status_code == 200
    assert PaperEntry.objects.count() == 0
    response = client.post(
        entry_url(election),
        {"serial": paper.serial_for(voter), "signed": "yes", "matter_M1": "yes", "matter_M2": "blank"},
    )
    assert response.status_code == 302
    assert PaperEntry.objects.get().first_entry["choices"]["matters"] == {"M1": "yes"}


def test_it_resolves_a_mismatch_through_the_review_page(
    client, election, working_group, street_staff, third_staff
):
    """The reviewer sees both readings and picks one; the ballot is recorded."""
    voter = voter_of(election, "1-1-101")
    client.force_login(working_group)
    post_entry(client, election, voter, m1="yes")
    client.force_login(street_staff)
    post_entry(client, election, voter, m1="no")
    entry = PaperEntry.objects.get()
    assert entry.status == PaperEntry.Status.MISMATCH
    url = reverse("manage:paper_review", args=[election.pk, entry.pk])
    html = client.get(url).content.decode()
    assert 'name="pick"' not in html  # one of the two who keyed it
    client.force_login(third_staff)
    listing = client.get(reverse("manage:paper_review_list", args=[election.pk])).content.decode()
    assert entry.serial in listing
    html = client.get(url).content.decode()
    assert 'name="pick"' in html
    response = client.post(url, {"pick": "first"})
    assert response.status_code == 302
    assert Ballot.objects.get().choices["matters"]["M1"] == "yes"


def test_it_prints_a_ballot_with_serial_qr_matters_races_and_signature(client, election, working_group):
    """One A4 ballot: serial, QR code (inline SVG), units, full text, boxes, 最多选 N 人, 业主签名."""
    voter = voter_of(election, "1-1-101")
    client.force_login(working_group)
    response = client.get(reverse("manage:paper_print_voter", args=[election.pk, voter.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert paper.serial_for(voter) in html
    assert "<svg" in html and 'class="segno"' in html
    assert "1-1-101" in html
    assert "事项1全文" in html
    assert "同意" in html and "反对" in html and "弃权" in html
    assert "最多选 2 人" in html
    assert "业主签名" in html
    assert "候选人3" in html
    assert " style=" not in html
    assert "<script>" not in html


def test_it_prints_every_ballot_of_a_building(client, election, working_group):
    """Building 1 has two voters: two ballots, each its own page; building 2's voter is not there."""
    from grids.models import Building

    client.force_login(working_group)
    building = Building.objects.get(compound=election.compound, name="1")
    html = client.get(
        reverse("manage:paper_print_building", args=[election.pk, building.pk])
    ).content.decode()
    assert html.count('class="ballot-sheet"') == 2
    assert paper.serial_for(voter_of(election, "1-1-102")) in html
    assert paper.serial_for(voter_of(election, "2-1-101")) not in html


def test_it_prints_a_voter_with_homes_in_two_buildings_once(compound, owners, working_group):
    """A buyer with homes in buildings 3 and 4 gets one ballot, printed with building 3."""
    from grids.models import Building
    from tests.factories import OwnerFactory, unit_with_owners

    owner = OwnerFactory(name="赵四")
    unit_with_owners(compound, "3-1-101", "80.00", [owner])
    unit_with_owners(compound, "4-1-101", "70.00", [owner])
    election = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=election, actor=OPERATOR)
    b3 = Building.objects.get(compound=compound, name="3")
    b4 = Building.objects.get(compound=compound, name="4")
    assert paper.voters_printed_with_building(election=election, building_id=b3.pk).count() == 1
    assert paper.voters_printed_with_building(election=election, building_id=b4.pk).count() == 0


def test_it_keeps_the_qr_code_within_the_content_security_policy():
    """The inline SVG carries no style attribute."""
    svg = paper.qr_svg("12-345-ABCD")
    assert svg.startswith("<svg") and "style" not in svg


# ---------------------------------------------------------------------------------------------- scoping


def _urls(election, entry_id, job_id, building_id, voter_id):
    return [
        reverse("manage:paper", args=[election.pk]),
        reverse("manage:paper_print_building", args=[election.pk, building_id]),
        reverse("manage:paper_print_voter", args=[election.pk, voter_id]),
        entry_url(election),
        reverse("manage:paper_review_list", args=[election.pk]),
        reverse("manage:paper_review", args=[election.pk, entry_id]),
        reverse("manage:paper_import", args=[election.pk]),
        reverse("manage:paper_import_template", args=[election.pk]),
        reverse("manage:paper_import_job", args=[election.pk, job_id]),
    ]


@pytest.fixture
def scoped_urls(election, working_group, street_staff):
    from grids.models import Building
    from yezhu.jobs.models import Job

    voter = voter_of(election, "1-1-101")
    key_in(election, voter, working_group)
    entry = key_in(election, voter, street_staff, choices={"matters": {"M1": "no"}})
    job = Job.objects.create(
        kind="paper_import", created_by=working_group, election_id=election.pk, params={}
    )
    building = Building.objects.get(compound=election.compound, name="1")
    return _urls(election, entry.pk, job.pk, building.pk, voter.pk)


def test_it_serves_every_paper_page_to_staff_who_run_the_election(client, working_group, scoped_urls):
    """Success for the working group."""
    client.force_login(working_group)
    for url in scoped_urls:
        assert client.get(url).status_code == 200, url


def test_it_hides_every_paper_page_from_another_streets_staff(client, outsider_staff, scoped_urls):
    """404, never a hint the election exists."""
    client.force_login(outsider_staff)
    for url in scoped_urls:
        assert client.get(url).status_code == 404, url


def test_it_hides_every_paper_page_from_owners(client, owners, scoped_urls):
    """An owner of the compound is not staff: 404."""
    client.force_login(owners[0][0])
    for url in scoped_urls:
        assert client.get(url).status_code == 404, url


def test_it_sends_anonymous_visitors_to_sign_in(client, scoped_urls):
    """Anonymous: redirect to the sign-in page."""
    for url in scoped_urls:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"], url


def test_it_refuses_the_wrong_method(client, working_group, scoped_urls):
    """GET-only pages refuse POST; form pages refuse PUT."""
    client.force_login(working_group)
    for url in scoped_urls:
        assert client.put(url).status_code == 405, url
    assert client.post(scoped_urls[0]).status_code == 405
    assert client.post(scoped_urls[1]).status_code == 405


def test_it_shows_nothing_of_other_elections_jobs(client, election, street_staff, scoped_urls):
    """A job page of another user's import is a 404."""
    client.force_login(street_staff)
    assert client.get(scoped_urls[-1]).status_code == 404


def test_it_has_no_inline_script_or_style_on_the_entry_page(client, election, working_group):
    """CSP: no inline script, no style attribute."""
    client.force_login(working_group)
    html = client.get(
        entry_url(election), {"serial": paper.serial_for(voter_of(election, "1-1-101"))}
    ).content
    html = html.decode()
    assert not re.search(r"<script(?![^>]*src=)", html)
    assert " style=" not in html
