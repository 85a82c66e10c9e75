"""Ballot secrecy (DESIGN.md): while voting is open nobody, staff included, sees a choice or a
running count anywhere: pages, exports, the audit log. After the close they are public."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from elections import voting
from elections.models import Candidate
from tests.elections.test_voting import close_and_publish, homes, open_election, voter_of  # noqa: F401
from tests.factories import UserFactory
from yezhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

# Names that occur nowhere on a page unless a choice or a count is shown.
SECRET_NAMES = ("甲乙丙丁候选", "戊己庚辛候选")
CHOICES_JSON_MARKERS = ('"races"', '"matters"', "'races'", "'matters'", '"R1"', '"M1"')


@pytest.fixture
def election(compound, homes, working_group):  # noqa: F811
    election = open_election(compound, matters=1, seats=1, candidates=2)
    for key, name in zip(("C1", "C2"), SECRET_NAMES, strict=True):
        Candidate.objects.filter(race__election=election, key=key).update(name=name)
    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["alone_unit"]),
        actor=homes["alone"],
        choices={"matters": {"M1": "no"}, "races": {"R1": ["C1"]}},
    )
    voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["shared_unit"]),
        actor=homes["co_a"],
        choices={"matters": {"M1": "no"}, "races": {"R1": ["C1"]}},
    )
    return election


def pages(election, homes):  # noqa: F811
    """Every page this feature adds that someone might open while voting is open."""
    other_receipt = election.ballots.get(voter=voter_of(election, homes["shared_unit"])).receipt
    return [
        reverse("elections:detail", args=[election.pk]),
        reverse("elections:results", args=[election.pk]),
        reverse("elections:board", args=[election.pk]) + "?receipt=" + other_receipt,
        reverse("elections:bundle", args=[election.pk]),
        reverse("elections:receipt", args=[election.pk, other_receipt]),
        reverse("manage:results_xlsx", args=[election.pk]),
        reverse("manage:proxies", args=[election.pk]),
    ]


def assert_reveals_nothing(text: str, receipt: str | None = None):
    for name in SECRET_NAMES:
        assert name not in text, f"a candidate's name (a choice) leaked: {name}"
    for marker in CHOICES_JSON_MARKERS:
        assert marker not in text, f"choices JSON leaked: {marker}"
    for count in ("反对（人）", "同意人数", "当选", "本项作废票"):
        assert count not in text
    if receipt:
        assert receipt not in text


@pytest.mark.parametrize("who", ["street_staff", "working_group", "owner", "superuser"])
def test_it_shows_no_choice_or_count_anywhere_while_voting_is_open(client, election, homes, who, request):  # noqa: F811
    """Staff, the working group, an owner and even a superuser see no choice and no count."""
    user = {
        "street_staff": lambda: request.getfixturevalue("street_staff"),
        "working_group": lambda: request.getfixturevalue("working_group"),
        "owner": lambda: homes["alone"],
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
    }[who]()
    client.force_login(user)
    other_receipt = election.ballots.get(voter=voter_of(election, homes["shared_unit"])).receipt
    for url in pages(election, homes):
        response = client.get(url)
        body = response.content.decode("utf-8", "replace")
        assert not response.get("Content-Disposition"), f"{url} sent a download while voting is open"
        assert_reveals_nothing(body, other_receipt if "receipt" in url or "board" in url else None)


def test_it_keeps_choices_out_of_the_audit_log(election):
    """Audit rows of ballots (summary and data) never carry a choice."""
    entries = AuditEntry.objects.filter(election_id=election.pk)
    assert entries.filter(action="ballot.cast").count() == 2
    for entry in entries:
        text = entry.summary + json.dumps(entry.data, ensure_ascii=False)
        assert_reveals_nothing(text)
        assert "no" not in entry.data.values()


def test_it_refuses_the_bundle_command_while_voting_is_open(election, capsys):
    """`export_bundle` refuses while voting is open: the bundle holds every choice."""
    with pytest.raises(CommandError):
        call_command("export_bundle", str(election.pk))
    assert_reveals_nothing(capsys.readouterr().out)


def test_it_publishes_choices_and_counts_after_the_close(client, election, homes, working_group):  # noqa: F811
    """After the close the same pages show the choices, the counts and the spreadsheet."""
    close_and_publish(election)
    client.force_login(working_group)
    results = client.get(reverse("elections:results", args=[election.pk])).content.decode()
    assert SECRET_NAMES[0] in results and "同意人数" in results
    other_receipt = election.ballots.get(voter=voter_of(election, homes["shared_unit"])).receipt
    board = client.get(reverse("elections:board", args=[election.pk]), {"receipt": other_receipt})
    assert other_receipt in board.content.decode() and SECRET_NAMES[0] in board.content.decode()
    bundle = json.loads(client.get(reverse("elections:bundle", args=[election.pk])).content)
    assert {b["races"]["R1"][0] for b in bundle["ballots"]} == {"C1"}
    xlsx = client.get(reverse("manage:results_xlsx", args=[election.pk]))
    assert xlsx["Content-Disposition"].startswith("attachment")
