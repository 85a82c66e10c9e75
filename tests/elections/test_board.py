"""The anonymous ballot board, the bundle download and `manage.py export_bundle`."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from elections import voting
from elections.models import Ballot, Election
from elections.rules.bundle import recount
from elections.rules.chain import GENESIS, chain_hash
from elections.services import election_tally
from tests.elections.test_voting import CHOICES, close_and_publish, homes, open_election, voter_of  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(compound, homes):  # noqa: F811
    """An election with three ballots cast (one over-ticked), then closed and published."""
    election = open_election(compound)
    ballots = [
        voting.ballot_cast_online(
            election=election,
            voter=voter_of(election, homes["alone_unit"]),
            actor=homes["alone"],
            choices=CHOICES,
        ),
        voting.ballot_cast_online(
            election=election,
            voter=voter_of(election, homes["shared_unit"]),
            actor=homes["co_b"],
            choices={"matters": {"M1": "no"}, "races": {"R1": ["C1", "C2", "C3"]}},
        ),
        voting.ballot_cast_online(
            election=election,
            voter=voter_of(election, homes["buyer_units"][0]),
            actor=homes["buyer"],
            choices={"matters": {}, "races": {"R1": ["C2"]}},
        ),
    ]
    return election, ballots


def test_it_keeps_the_board_closed_while_voting_is_open(client, cast, homes):  # noqa: F811
    """Before the close: no receipt, no choice, no hash, and the bundle is refused."""
    election, ballots = cast
    client.force_login(homes["alone"])
    page = client.get(reverse("elections:board", args=[election.pk]), {"receipt": ballots[0].receipt})
    text = page.content.decode()
    assert "投票结束后与结果一起公布" in text
    assert ballots[0].receipt not in text and ballots[1].receipt not in text and ballots[0].hash not in text
    response = client.get(reverse("elections:bundle", args=[election.pk]))
    assert response["Content-Type"].startswith("text/html")
    assert ballots[1].receipt not in response.content.decode()


def test_it_finds_each_receipt_on_the_board_after_the_close(client, cast, homes):  # noqa: F811
    """After the close every receipt is on the board with its choices, and the search finds it.
    A secret vote (the default) shows no position and no hash."""
    election, ballots = cast
    close_and_publish(election)
    client.force_login(homes["co_a"])
    page = client.get(reverse("elections:board", args=[election.pk])).content.decode()
    assert all(ballot.receipt in page for ballot in ballots)
    # No ballot's hash (the last one's is the published head, which says nothing of the order).
    assert not any(ballot.hash in page for ballot in ballots[:-1])
    assert "多选作废" in page
    found = client.get(
        reverse("elections:board", args=[election.pk]), {"receipt": ballots[1].receipt.lower()}
    )
    assert found.context["found"]["receipt"] == ballots[1].receipt and "seq" not in found.context["found"]
    assert "第 2 张选票" not in found.content.decode()
    missing = client.get(reverse("elections:board", args=[election.pk]), {"receipt": "ZZZZZZZZZZ"})
    assert "没有找到回执码" in missing.content.decode()


def test_it_shows_a_named_votes_board_in_the_order_cast_with_the_homes(client, cast, homes):  # noqa: F811
    """A named vote (记名): each ballot with its position, home and hash, in the order cast."""
    election, ballots = cast
    Election.objects.filter(pk=election.pk).update(ballot_secrecy=Election.Secrecy.NAMED)
    close_and_publish(election)
    client.force_login(homes["co_a"])
    page = client.get(reverse("elections:board", args=[election.pk])).content.decode()
    for ballot in ballots:
        assert ballot.receipt in page and ballot.hash in page
    assert page.index(ballots[0].receipt) < page.index(ballots[1].receipt) < page.index(ballots[2].receipt)
    assert "1-1-101" in page and "2-1-201" in page
    found = client.get(
        reverse("elections:board", args=[election.pk]), {"receipt": ballots[1].receipt.lower()}
    )
    assert found.context["found"]["seq"] == 2
    assert "找到了：第 2 张选票" in found.content.decode()


def test_it_publishes_a_head_hash_that_the_ballots_recompute(client, cast, homes):  # noqa: F811
    """The board's head hash is the chain recomputed from the ballots with chain_hash."""
    election, _ballots = cast
    close_and_publish(election)
    client.force_login(homes["alone"])
    response = client.get(reverse("elections:board", args=[election.pk]))
    prev = GENESIS
    for ballot in Ballot.objects.filter(election=election).order_by("seq"):
        assert ballot.prev_hash == prev
        prev = chain_hash(
            prev_hash=prev,
            seq=ballot.seq,
            receipt=ballot.receipt,
            status=ballot.status,
            choices=ballot.choices,
        )
        assert prev == ballot.hash
    assert response.context["head"] == prev
    assert f'id="head-hash">{prev}<' in response.content.decode()


def test_it_serves_a_bundle_that_recounts_to_the_published_result(client, cast, homes):  # noqa: F811
    """The downloaded bundle (here a named vote's, which every owner gets) recounts to exactly the
    live tally and the stored result."""
    election, _ballots = cast
    close_and_publish(election)
    Election.objects.filter(pk=election.pk).update(ballot_secrecy=Election.Secrecy.NAMED)
    client.force_login(homes["buyer"])
    response = client.get(reverse("elections:bundle", args=[election.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    bundle = json.loads(response.content)
    assert bundle["format"] == "yezhu-bundle/1" and bundle["election"]["chain_head"] == election.chain_head
    assert recount(bundle) == election_tally(election) == election.result
    assert recount(bundle)["races"]["R1"]["invalid_ballots"] == 1


def test_it_guards_the_board_and_the_bundle(client, cast, homes, outsider_staff):  # noqa: F811
    """Anonymous: sign-in; another street's staff: 404; POST: 405."""
    election, _ballots = cast
    close_and_publish(election)
    for name in ("elections:board", "elections:bundle"):
        url = reverse(name, args=[election.pk])
        client.logout()
        assert client.get(url).status_code == 302
        client.force_login(outsider_staff)
        assert client.get(url).status_code == 404
        client.force_login(homes["alone"])
        assert client.post(url).status_code == 405


def test_it_exports_the_bundle_from_the_command_after_the_close(cast, tmp_path):
    """`export_bundle ID -o FILE` writes a bundle that recounts to the live tally."""
    election, _ballots = cast
    close_and_publish(election)
    target = tmp_path / "bundle.json"
    call_command("export_bundle", str(election.pk), "-o", str(target))
    assert recount(json.loads(target.read_text(encoding="utf-8"))) == election_tally(election)


def test_it_refuses_to_export_the_bundle_while_voting_is_open(cast, capsys):
    """While voting is open the command refuses and writes nothing."""
    election, _ballots = cast
    with pytest.raises(CommandError):
        call_command("export_bundle", str(election.pk))
    assert '"ballots"' not in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("export_bundle", "999999")
