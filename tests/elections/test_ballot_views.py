"""The owner's pages: the election page, the ballot with its confirmation step, the receipt."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from elections import voting
from elections.forms.ballot import TOKEN_SALT
from elections.models import Ballot
from tests.elections.test_voting import CHOICES, homes, open_election, voter_of  # noqa: F401 (fixture)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def election(compound, homes):  # noqa: F811
    return open_election(compound, matters=2, seats=2, candidates=3)


def vote_url(election, voter):
    return reverse("elections:vote", args=[election.pk, voter.pk])


def review(client, election, voter, **fields):
    data = {"step": "review", **fields}
    return client.post(vote_url(election, voter), data)


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


# ---------------------------------------------------------------------------------------------
# The election page
# ---------------------------------------------------------------------------------------------


def test_it_shows_the_owner_their_homes_and_a_vote_button(client, election, homes):  # noqa: F811
    """The election page names the stage and window and offers 去投票 for each home not voted."""
    client.force_login(homes["buyer"])
    response = client.get(reverse("elections:detail", args=[election.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert election.title in page and "投票" in page
    assert "2-1-201, 2-1-202" in page
    assert "去投票" in page
    assert vote_url(election, voter_of(election, homes["buyer_units"][0])) in page
    assert reverse("elections:results", args=[election.pk]) not in page


def test_it_shows_a_co_owner_who_cast_the_shared_ballot(client, election, homes):  # noqa: F811
    """After one co-owner voted, the other sees 已投票 with the time, channel and who, and no button."""
    voter = voter_of(election, homes["shared_unit"])
    ballot = voting.ballot_cast_online(election=election, voter=voter, actor=homes["co_a"], choices=CHOICES)
    client.force_login(homes["co_b"])
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert "已投票" in page
    assert timezone.localtime(ballot.cast_at).strftime("%Y-%m-%d %H:%M") in page
    assert "网上" in page and "共有人" in page and "李甲" in page
    assert vote_url(election, voter) not in page
    response = client.get(vote_url(election, voter))
    assert "已投票" in response.content.decode() and "李甲" in response.content.decode()


def test_it_guards_the_election_page(client, election, homes, outsider_staff):  # noqa: F811
    """Anonymous: sign-in; another street's staff or a stranger: 404; POST: 405."""
    url = reverse("elections:detail", args=[election.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("account_request_login_code")
    )
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(homes["alone"])
    assert client.post(url).status_code == 405


def test_it_shows_the_staff_of_the_street_the_page_without_a_vote_button(client, election, street_staff):
    """Staff in scope may open the page; they have no home on the roll and no button."""
    client.force_login(street_staff)
    page = client.get(reverse("elections:detail", args=[election.pk])).content.decode()
    assert "去投票" not in page and "本次表决的业主名册上没有您的房屋" in page


# ---------------------------------------------------------------------------------------------
# Voting
# ---------------------------------------------------------------------------------------------


def test_it_walks_an_owner_through_ballot_confirmation_and_receipt(client, election, homes):  # noqa: F811
    """Fill in → check (choices shown again, nothing cast yet) → cast → receipt with code and hash."""
    voter = voter_of(election, homes["alone_unit"])
    client.force_login(homes["alone"])
    page = client.get(vote_url(election, voter)).content.decode()
    assert "事项1全文" in page and "同意" in page and "反对" in page and "弃权" in page
    assert "最多选 2 人" in page and "候选人3" in page
    assert 'data-seats="2"' in page and "js/ballot.js" in page

    response = review(client, election, voter, matter_M1="yes", race_R1=["C1", "C2"])
    page = response.content.decode()
    assert response.status_code == 200
    assert "请核对您的选票" in page and "候选人1、候选人2" in page and "未填写（按弃权计）" in page
    assert not Ballot.objects.exists()
    assert not any("ballot" in key or key == "c" for key in client.session.keys())  # noqa: SIM118 (a session is not iterable)

    response = client.post(vote_url(election, voter), {"step": "cast", "token": token_of(response)})
    ballot = Ballot.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("elections:receipt", args=[election.pk, ballot.receipt])
    assert ballot.choices == {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}
    assert ballot.cast_as == "owner"

    page = client.get(response["Location"]).content.decode()
    assert ballot.receipt in page and ballot.hash in page
    assert "请保存回执码，投票结束后可在公示板上核对" in page
    assert "第 1 张" in page
    assert "候选人1" not in page  # the receipt never repeats the choices


def test_it_warns_on_the_confirmation_page_and_records_an_over_ticked_race(client, election, homes):  # noqa: F811
    """Three ticks for two seats (the page script was bypassed): warned, and if cast, recorded."""
    voter = voter_of(election, homes["alone_unit"])
    client.force_login(homes["alone"])
    response = review(client, election, voter, race_R1=["C1", "C2", "C3"])
    page = response.content.decode()
    assert "最多只能选 2 人" in page and "作废" in page
    client.post(vote_url(election, voter), {"step": "cast", "token": token_of(response)})
    assert Ballot.objects.get().choices["races"]["R1"] == ["C1", "C2", "C3"]


def test_it_brings_the_choices_back_to_change_them(client, election, homes):  # noqa: F811
    """返回修改 re-opens the ballot with the choices ticked."""
    voter = voter_of(election, homes["alone_unit"])
    client.force_login(homes["alone"])
    token = token_of(review(client, election, voter, matter_M2="no", race_R1=["C3"]))
    page = client.post(vote_url(election, voter), {"step": "edit", "token": token}).content.decode()
    assert re.search(r'name="matter_M2" value="no"[^>]*checked', page)
    assert re.search(r'name="race_R1" value="C3"[^>]*checked', page)
    assert not Ballot.objects.exists()


def test_it_refuses_a_tampered_or_foreign_token(client, election, homes):  # noqa: F811
    """A token edited in the page, or made for another voter, casts nothing."""
    voter = voter_of(election, homes["alone_unit"])
    other = voter_of(election, homes["shared_unit"])
    client.force_login(homes["alone"])
    token = token_of(review(client, election, voter, matter_M1="yes"))
    response = client.post(vote_url(election, voter), {"step": "cast", "token": token[:-2] + "xx"})
    assert response.status_code == 302 and response["Location"] == vote_url(election, voter)
    foreign = signing.dumps({"e": election.pk, "v": other.pk, "c": CHOICES}, salt=TOKEN_SALT, compress=True)
    client.post(vote_url(election, voter), {"step": "cast", "token": foreign})
    assert not Ballot.objects.exists()


def test_it_refuses_before_the_window_with_the_opening_time(client, compound, homes):  # noqa: F811
    """Before the window the ballot page says when voting opens, and casts nothing."""
    election = open_election(compound)
    election.voting_opens_at = timezone.now() + timedelta(days=1)
    election.save()
    voter = voter_of(election, homes["alone_unit"])
    client.force_login(homes["alone"])
    response = client.get(vote_url(election, voter))
    assert response.status_code == 403
    assert "投票尚未开始" in response.content.decode()


def test_it_refuses_after_the_window_even_with_a_token_from_before(client, election, homes):  # noqa: F811
    """A confirmation page left open past the close cannot cast."""
    voter = voter_of(election, homes["alone_unit"])
    client.force_login(homes["alone"])
    token = token_of(review(client, election, voter, matter_M1="yes"))
    election.voting_closes_at = timezone.now() - timedelta(seconds=1)
    election.save()
    response = client.post(vote_url(election, voter), {"step": "cast", "token": token})
    assert response.status_code == 403
    assert "结束" in response.content.decode()
    assert not Ballot.objects.exists()


def test_it_tells_a_second_tab_when_how_and_who_already_voted(client, election, homes):  # noqa: F811
    """Two tabs of one owner: the second cast is refused, naming time, channel and the owner."""
    voter = voter_of(election, homes["alone_unit"])
    client.force_login(homes["alone"])
    first = token_of(review(client, election, voter, matter_M1="yes"))
    second = token_of(review(client, election, voter, matter_M1="no"))
    client.post(vote_url(election, voter), {"step": "cast", "token": first})
    response = client.post(vote_url(election, voter), {"step": "cast", "token": second})
    page = response.content.decode()
    assert "已投票" in page and "网上" in page and "业主本人" in page
    assert Ballot.objects.get().choices["matters"] == {"M1": "yes"}


def test_it_gives_404_to_someone_who_is_not_an_owner_of_the_voter(client, election, homes, outsider_staff):  # noqa: F811
    """Another owner of the compound, another street's staff: 404; anonymous: sign-in; PUT: 405."""
    voter = voter_of(election, homes["alone_unit"])
    url = vote_url(election, voter)
    assert client.get(url).status_code == 302
    client.force_login(homes["buyer"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"step": "review"}).status_code == 404
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.force_login(homes["alone"])
    assert client.put(url).status_code == 405


def test_it_hides_another_voters_receipt(client, election, homes, outsider_staff):  # noqa: F811
    """A receipt page is for the voter's owners and proxy only: others get 404."""
    ballot = voting.ballot_cast_online(
        election=election,
        voter=voter_of(election, homes["shared_unit"]),
        actor=homes["co_a"],
        choices=CHOICES,
    )
    url = reverse("elections:receipt", args=[election.pk, ballot.receipt])
    client.force_login(homes["co_b"])
    assert client.get(url).status_code == 200  # the other co-owner of the same home
    client.force_login(homes["alone"])
    assert client.get(url).status_code == 404
    client.force_login(outsider_staff)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(homes["co_a"])
    assert client.post(url).status_code == 405


def test_it_shows_each_candidates_photo_and_bio_on_the_ballot(client, election, homes):  # noqa: F811
    """A candidate's photo (through the candidate notice's photo view) and bio are on the ballot."""
    from elections.models import Candidate

    Candidate.objects.filter(race__election=election, key="C2").update(
        photo="candidates/c2.jpg", bio="退休教师，愿为大家服务。", birth_year=1960
    )
    candidate = Candidate.objects.get(race__election=election, key="C2")
    client.force_login(homes["alone"])
    page = client.get(vote_url(election, voter_of(election, homes["alone_unit"]))).content.decode()
    assert reverse("elections:candidate_photo", args=[election.pk, candidate.pk]) in page
    assert "退休教师，愿为大家服务。" in page and "1960 年生" in page
