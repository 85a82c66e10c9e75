"""Secret means secret; named means named (issue 14, finding 4).

The attacks, as an outsider tried them on a published secret vote:
- row 4 of the audit log (ballot.cast, with the voter) was board #4: the board listed ballots in
  the order received, so lining the two up paired a named home with its choices;
- a grid leader polling the not-voted list while owners voted knew the order of casting, then read
  the board in that order;
- the public bundle gave each ballot its home's area, and most areas are unique to one home;
- recount did not check the hash chain, so a changed ballot in a bundle went unnoticed.
A secret vote now shows the board in receipt order with no position, time or hash; the audit log
names voters, never ballots; the public gets the result and the board, and the per-ballot record
goes to the scrutineers and the street office only, each download audited; recount rebuilds the
hash chain and names the first ballot that breaks it. A named vote shows each home's choices.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from elections import lifecycle, voting
from elections.errors import ElectionError
from elections.models import Ballot, Election, PaperEntry, Stage, Voter
from elections.services import bundle_for
from grids.models import RoleAssignment
from tests.elections.test_voting import close_and_publish, open_election, voter_of
from tests.factories import GridFactory, UserFactory, api_token, election_with_ballot_paper, grant, sign_in
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

# Each home votes differently, so a pairing can be checked against the truth.
CHOICES = {
    "alone": {"matters": {"M1": "yes", "M2": "yes"}, "races": {"R1": ["C1"]}},
    "shared": {"matters": {"M1": "no", "M2": "no"}, "races": {"R1": ["C2"]}},
    "buyer": {"matters": {"M1": "abstain", "M2": "yes"}, "races": {"R1": ["C3"]}},
}


@pytest.fixture
def cast_in_order(compound, homes, monkeypatch):
    """Three homes vote one after the other. Their receipt codes fall in the reverse order of
    casting, so a board in the order received and a board in receipt order differ."""
    receipts = iter(["ZZZZZZZZZZ", "YYYYYYYYYY", "XXXXXXXXXX"])
    monkeypatch.setattr("elections.services._receipt", lambda: next(receipts))
    election = open_election(compound)
    homes_in_order = [
        ("alone", homes["alone_unit"], homes["alone"]),
        ("shared", homes["shared_unit"], homes["co_a"]),
        ("buyer", homes["buyer_units"][0], homes["buyer"]),
    ]
    for key, unit, user in homes_in_order:
        voting.ballot_cast_online(
            election=election, voter=voter_of(election, unit), actor=user, choices=CHOICES[key]
        )
    return election, [(key, voter_of(election, unit)) for key, unit, _user in homes_in_order]


def truth(election) -> dict[int, dict]:
    return dict(Ballot.objects.filter(election=election).values_list("voter_id", "choices"))


def board_rows(client, election) -> list[dict]:
    return client.get(reverse("elections:board", args=[election.pk])).context["rows"]


def pair_by_order(cast_order: list[int], rows: list[dict]) -> dict[int, dict]:
    """The attack: the n-th home seen casting is the n-th ballot on the board."""
    return {voter_id: row["choices"] for voter_id, row in zip(cast_order, rows, strict=True)}


def test_lining_the_audit_log_up_with_the_board_pairs_no_home_with_its_choices(cast_in_order, homes):
    election, _order = cast_in_order
    close_and_publish(election)
    rows = AuditEntry.objects.filter(action="ballot.cast", election_id=election.pk).order_by("at", "pk")
    # What the audit log gives an auditor: who cast and when (turnout), naming the voter only.
    assert all(r.object_type == "elections.voter" for r in rows)
    cast_order = [r.data["voter"] for r in rows]
    for r in rows:
        text = r.summary + json.dumps(r.data) + r.object_id
        assert not any(b.receipt in text or b.hash in text for b in Ballot.objects.filter(election=election))
    client = sign_in(Client(), homes["alone"])
    board = board_rows(client, election)
    assert [r["receipt"] for r in board] == ["XXXXXXXXXX", "YYYYYYYYYY", "ZZZZZZZZZZ"]
    assert all(set(r) == {"receipt", "status", "choices", "shown"} for r in board)
    guessed, actual = pair_by_order(cast_order, board), truth(election)
    assert guessed != actual
    # Nor in the API's board, nor in the downloadable board.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(homes['alone'])}")
    api_rows = api.get(f"/api/v1/elections/{election.pk}/board/").json()["results"]
    assert [set(r) for r in api_rows] == [{"receipt", "status", "choices"}] * 3
    assert pair_by_order(cast_order, api_rows) != actual
    document = json.loads(client.get(reverse("elections:bundle", args=[election.pk])).content)
    assert [b["receipt"] for b in document["ballots"]] == ["XXXXXXXXXX", "YYYYYYYYYY", "ZZZZZZZZZZ"]


def test_a_grid_leader_polling_turnout_cannot_pair_homes_with_the_board(compound, homes, cast_in_order):
    """The leader learns the order of casting from turnout (that is their job); the board then
    gives no order, no time and no position to match it with."""
    election, order = cast_in_order
    leader = UserFactory(name="楼组长")
    grant(leader, RoleAssignment.Role.GRID_LEADER, GridFactory(compound=compound))
    close_and_publish(election)
    client = sign_in(Client(), leader)
    board = board_rows(client, election)
    page = client.get(reverse("elections:board", args=[election.pk])).content.decode()
    for ballot in Ballot.objects.filter(election=election).exclude(hash=election.chain_head):
        assert ballot.hash not in page and ballot.prev_hash not in page
    for ballot in Ballot.objects.filter(election=election):
        local = ballot.cast_at.astimezone().strftime("%H:%M")
        assert f">{ballot.seq}<" not in page and local not in page
    assert pair_by_order([voter.pk for _key, voter in order], board) != truth(election)


def test_the_public_record_gives_no_weight_that_singles_out_a_home(client, compound, homes, cast_in_order):
    """An owner's download: the result and the board. No area, no unit, no pseudonym."""
    election, _order = cast_in_order
    close_and_publish(election)
    sign_in(client, homes["buyer"])
    text = client.get(reverse("elections:bundle", args=[election.pk])).content.decode()
    data = json.loads(text)
    assert data["format"] == "yezhu-board/1"
    assert "units" not in data and "area" not in json.dumps(data["ballots"])
    for area in Voter.objects.filter(election=election).values_list("area", flat=True):
        assert f'"{area}"' not in json.dumps(data["ballots"])
    assert (
        AuditEntry.objects.filter(action="bundle.exported", actor=homes["buyer"]).get().data["variant"]
        == "board"
    )


def test_the_per_ballot_record_goes_to_the_scrutineers_and_the_street_office_under_audit(
    client,
    compound,
    homes,
    street_staff,
    working_group,
    cast_in_order,
):
    election, _order = cast_in_order
    scrutineer = UserFactory(name="监票人")
    from elections.models import Scrutineer

    Scrutineer.objects.create(election=election, user=scrutineer, name="监票人", added_by=working_group)
    close_and_publish(election)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for user, expected in (
        (scrutineer, "yezhu-bundle/1"),
        (street_staff, "yezhu-bundle/1"),
        (working_group, "yezhu-board/1"),
        (superuser, "yezhu-board/1"),  # the admin's password is no back door to the record
    ):
        sign_in(client, user)
        data = json.loads(client.get(reverse("elections:bundle", args=[election.pk])).content)
        assert data["format"] == expected, user
    variants = dict(
        AuditEntry.objects.filter(action="bundle.exported", election_id=election.pk).values_list(
            "actor_id", "data__variant"
        )
    )
    assert variants == {
        scrutineer.pk: "named",
        street_staff.pk: "named",
        working_group.pk: "board",
        superuser.pk: "board",
    }


def test_the_owner_still_checks_with_the_receipt_that_their_ballot_counted_as_cast(
    client, homes, cast_in_order
):
    election, _order = cast_in_order
    close_and_publish(election)
    mine = Ballot.objects.get(voter=voter_of(election, homes["alone_unit"]))
    sign_in(client, homes["alone"])
    found = client.get(reverse("elections:board", args=[election.pk]), {"receipt": mine.receipt}).context[
        "found"
    ]
    assert found["choices"] == CHOICES["alone"] and found["receipt"] == mine.receipt
    assert client.get(reverse("elections:results", args=[election.pk])).status_code == 200


def test_a_named_vote_shows_each_homes_choices_to_the_owners(client, homes, cast_in_order):
    election, _order = cast_in_order
    Election.objects.filter(pk=election.pk).update(ballot_secrecy=Election.Secrecy.NAMED)
    close_and_publish(election)
    sign_in(client, homes["buyer"])
    rows = board_rows(client, election)
    assert {r["voter__unit_codes"]: r["choices"] for r in rows}["1-1-101"] == CHOICES["alone"]
    bundle = json.loads(client.get(reverse("elections:bundle", args=[election.pk])).content)
    assert bundle["format"] == "yezhu-bundle/1"


def test_voting_is_secret_by_default_and_named_only_by_the_rules_before_voting(
    compound, homes, working_group
):
    election = election_with_ballot_paper(compound, stage=Stage.NOMINATION)
    assert election.ballot_secrecy == Election.Secrecy.SECRET
    lifecycle.election_update_settings(election=election, actor=working_group, ballot_secrecy="named")
    assert Election.objects.get(pk=election.pk).ballot_secrecy == "named"
    row = AuditEntry.objects.filter(action="election.settings").latest("pk")
    assert row.data["changes"] == {"ballot_secrecy": "named"}
    voting_now = open_election(compound)
    with pytest.raises(ElectionError):
        lifecycle.election_update_settings(election=voting_now, actor=working_group, ballot_secrecy="named")


def test_scrutineers_are_named_before_voting_and_not_after(compound, homes, working_group):
    """Naming a scrutineer once the vote runs would hand the record to whoever is named."""
    election = election_with_ballot_paper(compound, stage=Stage.NOMINATION)
    named = lifecycle.scrutineer_add(
        election=election, actor=working_group, mobile="13911112222", name="监票人", duty="monitor"
    )
    assert AuditEntry.objects.filter(action="election.scrutineer_added").exists()
    voting_now = open_election(compound)
    with pytest.raises(ElectionError):
        lifecycle.scrutineer_add(
            election=voting_now, actor=working_group, mobile="13911113333", name="后来者", duty="monitor"
        )
    Election.objects.filter(pk=election.pk).update(stage=Stage.VOTING)
    named.refresh_from_db()
    with pytest.raises(ElectionError):
        lifecycle.scrutineer_remove(scrutineer=named, actor=working_group)


# -- paper ballots --------------------------------------------------------------------------------


def test_staff_reviewing_paper_entries_see_serials_and_readings_never_a_name(compound, homes, working_group):
    from elections import paper

    election = open_election(compound)
    voter = voter_of(election, homes["alone_unit"])
    serial = paper.serial_for(voter)
    first, second, third = working_group, UserFactory(name="录入员乙"), UserFactory(name="复核员丙")
    for user in (second, third):
        grant(user, RoleAssignment.Role.WORKING_GROUP, compound)
    paper.paper_entry_submit(
        election=election,
        serial=serial,
        actor=first,
        signed=True,
        choices={"matters": {"M1": "yes"}, "races": {}},
    )
    paper.paper_entry_submit(
        election=election,
        serial=serial,
        actor=second,
        signed=True,
        choices={"matters": {"M1": "no"}, "races": {}},
    )
    entry = PaperEntry.objects.get(serial=serial)
    assert entry.status == PaperEntry.Status.MISMATCH
    client = sign_in(Client(), third)
    page = client.get(reverse("manage:paper_review", args=[election.pk, entry.pk])).content.decode()
    assert serial in page and "同意" in page and "反对" in page
    assert "王一" not in page and "1-1-101" not in page
    entry_page = client.get(
        reverse("manage:paper_entry", args=[election.pk]), {"serial": serial}
    ).content.decode()
    assert serial in entry_page and "王一" not in entry_page and "1-1-101" not in entry_page


# -- recount and the hash chain -------------------------------------------------------------------


def recount_file(tmp_path: Path, data: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "recount", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_recount_names_the_ballot_that_breaks_the_hash_chain(tmp_path, cast_in_order):
    """The scrutineers' record recounts; a changed, removed or reordered ballot is named on one
    line, and nothing is printed on stdout."""
    election, _order = cast_in_order
    close_and_publish(election)
    record = bundle_for(election)
    good = recount_file(tmp_path, record)
    assert good.returncode == 0 and json.loads(good.stdout) == election.result

    changed = json.loads(json.dumps(record))
    changed["ballots"][1]["matters"]["M1"] = "yes"  # one owner's "no" made "yes"
    out = recount_file(tmp_path, changed)
    assert out.returncode != 0 and out.stdout == ""
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith("ballots[1] (unit 1-1-102, receipt YYYYYYYYYY)") and "hash" in line

    removed = json.loads(json.dumps(record))
    del removed["ballots"][0]
    (line,) = recount_file(tmp_path, removed).stderr.strip().splitlines()
    assert line.startswith("ballots[0]") and "hash" in line

    unhashed = json.loads(json.dumps(record))
    for ballot in unhashed["ballots"]:
        del ballot["hash"]
    unhashed["ballots"].reverse()
    (line,) = recount_file(tmp_path, unhashed).stderr.strip().splitlines()
    assert line.startswith("ballots: the ballots' hash chain ends in")
