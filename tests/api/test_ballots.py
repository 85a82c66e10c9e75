"""The owner's ballot through the API: status, casting, refusals, throttling."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from elections.api.ballots import BallotCastSerializer, BallotReceiptSerializer, plain_cast
from elections.models import Ballot, Election, Stage
from elections.services import voters_of_user
from tests.conftest import on_postgres

CHOICES = {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}


def url(election) -> str:
    return f"/api/v1/elections/{election.pk}/ballot/"


def my_voter(election, user):
    return voters_of_user(election=election, user=user)[0]


@pytest.mark.django_db
def test_it_casts_once_and_returns_the_receipt(as_user, voting_election, owners):
    """A first cast is 201 with the receipt code; the ballot is stored with the choices."""
    user = owners[0][0]
    voter = my_voter(voting_election, user)
    response = as_user(user).post(
        url(voting_election), {"voter": voter.pk, "choices": CHOICES}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ballot = Ballot.objects.get(voter=voter)
    assert body["receipt"] == ballot.receipt
    assert body["cast_as"] == "owner"
    assert ballot.choices == {"matters": {"M1": "yes"}, "races": {"R1": ["C1", "C2"]}}
    assert ballot.receipt in body["message"]
    # The body is written out by hand on this hot path: it must stay what the documented
    # serializer gives (cast_at in ISO 8601, the current time zone).
    fields = {k: getattr(ballot, k) for k in ("receipt", "cast_at", "channel", "cast_as")}
    documented = BallotReceiptSerializer({**fields, "voter": voter.pk, "message": body["message"]}).data
    assert body == json.loads(json.dumps(documented))


@pytest.mark.django_db
def test_it_refuses_a_second_cast_with_409_saying_when_how_and_by_whom(as_user, voting_election, owners):
    """The second cast is 409 already_voted, with the service's Chinese message (when, channel, who)."""
    user = owners[0][0]
    client = as_user(user)
    first = client.post(url(voting_election), {"choices": CHOICES}, format="json")
    assert first.status_code == 201
    second = client.post(url(voting_election), {"choices": {"matters": {"M1": "no"}}}, format="json")
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "already_voted"
    cast_at = timezone.localtime(Ballot.objects.get().cast_at).strftime("%Y-%m-%d %H:%M")
    assert error["message"] == f"这户已于 {cast_at} 通过网上投票，投票人：业主本人。"
    assert Ballot.objects.filter(election=voting_election).count() == 1


@pytest.mark.django_db
def test_it_refuses_casting_outside_the_window(as_user, voting_election, owners):
    """After the window closes the cast is 403 outside_window and nothing is stored."""
    Election.objects.filter(pk=voting_election.pk).update(
        voting_opens_at=timezone.now() - timedelta(days=8),
        voting_closes_at=timezone.now() - timedelta(days=1),
    )
    response = as_user(owners[0][0]).post(url(voting_election), {"choices": CHOICES}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "outside_window"
    assert response.json()["error"]["message"].startswith("投票已于")
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_it_refuses_choices_that_do_not_fit_the_ballot(as_user, voting_election, owners):
    """An unknown candidate is a 400 with the service's message; nothing is stored."""
    response = as_user(owners[0][0]).post(
        url(voting_election), {"choices": {"races": {"R1": ["C9"]}}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "refused"
    assert "C9" in response.json()["error"]["message"]
    bad = as_user(owners[0][0]).post(
        url(voting_election), {"choices": {"matters": {"M1": "maybe"}}}, format="json"
    )
    assert bad.status_code == 400
    assert "choices.matters.M1" in bad.json()["error"]["fields"]
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_it_shows_the_status_of_my_votes_and_never_the_choices(as_user, voting_election, owners):
    """The status lists the user's voter: before voting can_cast; after, when, how, by whom and the receipt."""
    user = owners[0][0]
    client = as_user(user)
    before = client.get(url(voting_election)).json()
    assert before["voting_open"] is True
    assert [v["voted"] for v in before["voters"]] == [False]
    assert before["voters"][0]["can_cast"] is True
    client.post(url(voting_election), {"choices": CHOICES}, format="json")
    after = client.get(url(voting_election))
    assert after.status_code == 200
    row = after.json()["voters"][0]
    assert row["voted"] is True and row["channel"] == "online" and row["cast_as"] == "owner"
    assert row["receipt"] == Ballot.objects.get().receipt
    assert row["can_cast"] is False and row["refusal"]
    text = after.content.decode()
    assert "C1" not in text and '"yes"' not in text and "matters" not in text


@pytest.mark.django_db
def test_it_hides_another_owners_vote(as_user, voting_election, owners):
    """An owner's status lists only their own voters; casting for another owner's voter is 404."""
    mine, theirs = owners[0][0], owners[1][0]
    their_voter = my_voter(voting_election, theirs)
    status = as_user(mine).get(url(voting_election)).json()
    assert their_voter.pk not in [v["voter"] for v in status["voters"]]
    response = as_user(mine).post(
        url(voting_election), {"voter": their_voter.pk, "choices": CHOICES}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_it_answers_404_to_another_streets_staff_and_401_to_anonymous(
    as_user, voting_election, outsider_staff
):
    """Another street's staff cannot reach the election (404); anonymous requests are 401."""
    assert as_user(outsider_staff).get(url(voting_election)).status_code == 404
    anonymous = as_user(None).post(url(voting_election), {"choices": CHOICES}, format="json")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert anonymous.json()["error"]["message"] == "请先登录，或者附上您的 API 令牌。"


@pytest.mark.django_db
def test_it_refuses_a_wrong_method(as_user, voting_election, owners):
    """PUT on the ballot is 405 with the common error body."""
    response = as_user(owners[0][0]).put(url(voting_election), {}, format="json")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_it_throttles_casting_with_a_chinese_message(as_user, voting_election, owners, settings):
    """Past the per-user rate, casting is 429 with a Chinese message and Retry-After."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ballot_user": "2/min"}}
    client = as_user(owners[0][0])
    codes = [
        client.post(url(voting_election), {"choices": {"races": {"R1": ["C9"]}}}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
    response = client.post(url(voting_election), {"choices": CHOICES}, format="json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"
    assert "请求过于频繁" in response.json()["error"]["message"]
    assert int(response["Retry-After"]) > 0
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_it_throttles_casting_per_address_too(as_user, voting_election, owners, settings):
    """Different users from one address share the per-address limit."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"ballot_ip": "1/min"}}
    first = as_user(owners[0][0]).post(url(voting_election), {"choices": CHOICES}, format="json")
    second = as_user(owners[1][0]).post(url(voting_election), {"choices": CHOICES}, format="json")
    assert (first.status_code, second.status_code) == (201, 429)


@pytest.mark.django_db
def test_it_refuses_when_a_proxy_holds_the_vote(as_user, voting_election, owners):
    """An owner who gave a proxy cannot cast (403 not_allowed); the proxy can, and sees the voter."""
    from elections.voting import proxy_authorise

    user = owners[0][0]
    voter = my_voter(voting_election, user)
    Election.objects.filter(pk=voting_election.pk).update(stage=Stage.VOTING)
    proxy = proxy_authorise(
        election=voting_election, voter=voter, actor=user, proxy_mobile="13912345678", proxy_name="王五"
    )
    refused = as_user(user).post(url(voting_election), {"choices": CHOICES}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_allowed"
    assert "王五" in refused.json()["error"]["message"]
    status = as_user(proxy.proxy_user).get(url(voting_election)).json()
    assert [(v["voter"], v["relation"]) for v in status["voters"]] == [(voter.pk, "proxy")]
    cast = as_user(proxy.proxy_user).post(
        url(voting_election), {"voter": voter.pk, "choices": CHOICES}, format="json"
    )
    assert cast.status_code == 201
    assert cast.json()["cast_as"] == "proxy"


@pytest.mark.django_db
def test_it_answers_404_for_a_voter_id_beyond_any_id(as_user, voting_election, owners):
    """The cast's voter look-up is plain SQL: an id no bigint holds matches nothing (404, as the
    ORM answered), it does not reach PostgreSQL as an out-of-range number (a 500)."""
    response = as_user(owners[0][0]).post(
        url(voting_election), {"voter": 2**70, "choices": CHOICES}, format="json"
    )
    assert response.status_code == 404
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_it_casts_in_a_fixed_number_of_queries(as_user, voting_election, owners, django_assert_num_queries):
    """The last evening's rush runs this path thousands of times: one query finds the voter, one
    locks it, one reads the facts of the right to cast under the lock, one locks the election's
    chain head, then the ballot, the new head and the audit row are written by one statement on
    PostgreSQL (three elsewhere), without a savepoint of its own (docs/performance.md). The count
    must not creep back up (it was 26, then 12, then 10 here): 8 here on PostgreSQL, of which the
    token's first use is one and the test's own transaction adds a savepoint and its release, so
    6 statements in production (5 once the token is in the cache); 10 on SQLite."""
    user = owners[0][0]
    voter = my_voter(voting_election, user)
    client = as_user(user)
    other = my_voter(voting_election, owners[1][0])
    as_user(owners[1][0]).post(url(voting_election), {"voter": other.pk, "choices": CHOICES}, format="json")
    with django_assert_num_queries(8 if on_postgres() else 10):
        response = client.post(url(voting_election), {"voter": voter.pk, "choices": CHOICES}, format="json")
    assert response.status_code == 201
    from yezhu.audit.models import AuditEntry

    # The audit row still carries its street (read with the voter's lock, not by another query).
    entry = AuditEntry.objects.filter(action="ballot.cast").latest("id")
    assert entry.street_id == voting_election.compound.community.street_id is not None


_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["yes", "no", "abstain", "", "maybe", "C1", " C1", "C1 ", "C\x00", "候选人", "C" * 11]),
)
_ANY = st.recursive(
    _LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
_CANDIDATE = st.one_of(st.sampled_from(["C1", "C2", "C1234567890", " C1", "C1\t", "", "候选", "C\x00"]), _ANY)
_TICKS = st.one_of(st.lists(_CANDIDATE, max_size=4), st.lists(st.just("C1"), min_size=98, max_size=101), _ANY)
_MATTERS = st.one_of(
    st.dictionaries(
        st.sampled_from(["M1", "M2"]), st.one_of(st.sampled_from(["yes", "no", "abstain", "", "YES"]), _ANY)
    ),
    _ANY,
)
_CHOICES = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "matters": _MATTERS,
            "races": st.one_of(st.dictionaries(st.sampled_from(["R1", "R2"]), _TICKS, max_size=2), _ANY),
            "other": _ANY,
        },
    ),
    _ANY,
)
_CAST = st.one_of(
    st.fixed_dictionaries({}, optional={"voter": st.one_of(st.integers(), _ANY), "choices": _CHOICES}), _ANY
)


@given(_CAST)
def test_the_plain_cast_takes_nothing_the_serializer_refuses(data):
    """The cast's quick check of the request body (`plain_cast`) accepts only what
    `BallotCastSerializer` accepts, with the same validated data; anything else goes to the
    serializer, whose errors the client gets."""
    plain = plain_cast(copy.deepcopy(data))
    form = BallotCastSerializer(data=data)
    valid = form.is_valid()
    if plain is not None:
        assert valid, (data, form.errors)
        assert plain == form.validated_data


def test_the_plain_cast_takes_the_casts_clients_send():
    """The well-formed casts take the quick path (else the serializer's CPU is back on every cast)."""
    assert plain_cast({"voter": 7, "choices": CHOICES}) == {"voter": 7, "choices": CHOICES}
    assert plain_cast({"choices": {"matters": {"M1": "", "M2": "abstain"}}}) == {
        "choices": {"matters": {"M1": "", "M2": "abstain"}}
    }
    assert plain_cast({"voter": None, "choices": CHOICES}) is None  # the serializer's "may not be null"
