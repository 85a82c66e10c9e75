"""The paper ballots' serial check is keyed per election (Election.paper_key), not by SECRET_KEY.

A leaked SECRET_KEY must be rotated at once, even in the middle of a vote; the ballots already
printed and handed out must still be accepted afterwards.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.core.cache import cache

from elections import paper
from elections.errors import ElectionError
from elections.models import Election, Stage
from elections.services import roll_freeze
from tests.elections.test_paper import key_in, voter_of
from tests.factories import election_with_ballot_paper
from yezhu.actors import OPERATOR

pytestmark = pytest.mark.django_db


def test_it_makes_a_key_for_each_election_when_the_roll_is_frozen(compound, election):
    """64 hexadecimal characters, different for another election."""
    other = election_with_ballot_paper(compound, stage=Stage.VOTING)
    roll_freeze(election=other, actor=OPERATOR)
    other.refresh_from_db()
    assert len(election.paper_key) == 64 and int(election.paper_key, 16) >= 0
    assert other.paper_key and other.paper_key != election.paper_key


def test_it_accepts_printed_serials_after_the_secret_key_is_rotated(settings, election, working_group):
    """Serials printed before the rotation still resolve to their voter and can be keyed in."""
    voter = voter_of(election, "1-1-101")
    printed = paper.serial_for(voter)
    settings.SECRET_KEY = "a-completely-different-secret-key-after-rotation-" + "x" * 20
    cache.clear()  # a new process after the restart
    assert paper.voter_for_serial(election=election, serial=printed) == voter
    assert paper.serial_for(voter) == printed
    entry = key_in(election, voter, working_group)
    assert entry.serial == printed


def test_it_refuses_a_serial_checked_with_the_secret_key_instead(settings, election):
    """The check really uses the election's key: a serial made with SECRET_KEY does not check out."""
    voter = voter_of(election, "1-1-101")
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"yezhu-paper:{election.pk}:{voter.pk}".encode(), hashlib.sha256
    ).digest()
    bits = int.from_bytes(digest[:4], "big")
    forged = "".join(paper.RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in range(paper.CHECK_LENGTH))
    assert forged != paper.serial_check(election.pk, voter.pk)
    with pytest.raises(ElectionError, match="校验"):
        paper.voter_for_serial(election=election, serial=f"{election.pk}-{voter.pk}-{forged}")


def test_it_keeps_secret_key_serials_for_an_election_frozen_before_the_key_existed(settings, election):
    """An election without a key (frozen by an older version) keeps checking with SECRET_KEY."""
    Election.objects.filter(pk=election.pk).update(paper_key="")
    cache.clear()
    voter = voter_of(election, "1-1-102")
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"yezhu-paper:{election.pk}:{voter.pk}".encode(), hashlib.sha256
    ).digest()
    bits = int.from_bytes(digest[:4], "big")
    legacy = "".join(paper.RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in range(paper.CHECK_LENGTH))
    assert paper.voter_for_serial(election=election, serial=f"{election.pk}-{voter.pk}-{legacy}") == voter


def test_it_never_shows_the_key(client, election, working_group):
    """The key is in no page, API answer or bundle."""
    from elections.services import bundle_for
    from tests.api.conftest import token_client

    client.force_login(working_group)
    for url in (f"/manage/e/{election.pk}/", f"/manage/e/{election.pk}/paper/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert election.paper_key not in response.content.decode()
    response = token_client(working_group).get(f"/api/v1/elections/{election.pk}/")
    assert response.status_code == 200 and election.paper_key not in response.content.decode()
    assert election.paper_key not in str(bundle_for(election))
