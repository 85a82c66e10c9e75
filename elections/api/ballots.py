"""The owner's ballot: the status of each vote the user may cast (as owner, co-owner or proxy), and
casting it online.

The status says whether each voter has voted, when, through which channel and by whom, and the
receipt code; never what was chosen. Casting goes through `elections.voting.ballot_cast_online`,
the same service as the ballot page: 201 with the receipt; 409 when the vote was already cast
(the message says when, how and by whom); 403 outside the voting window or when a proxy holds
the vote; 400 for choices that do not fit the ballot. Casting is rate-limited per user and per
client address (yezhu/api/throttles.py).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from elections import voting
from elections.choices import VALUES
from elections.errors import AlreadyVoted, ElectionError, OutsideWindow
from elections.models import Ballot, Election, Voter
from elections.services import valid_ballot_of, voters_of_user, window_refusal
from yezhu.api.base import ApiViewMixin, ErrorSerializer
from yezhu.api.errors import ApiError
from yezhu.api.throttles import BallotThrottle


class VoterStatusSerializer(serializers.Serializer):
    voter = serializers.IntegerField(help_text="The voter id to cast for.")
    units = serializers.CharField(help_text="The units of this vote, e.g. 3-1-201, 3-1-202.")
    relation = serializers.ChoiceField(
        choices=["owner", "proxy"],
        help_text="owner: your own home (alone or with co-owners); proxy: you hold its proxy.",
    )
    voted = serializers.BooleanField()
    cast_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField(allow_blank=True, help_text="online or paper; empty until voted.")
    channel_display = serializers.CharField(allow_blank=True)
    cast_as = serializers.CharField(
        allow_blank=True, help_text="owner, co_owner, proxy or paper; empty until voted."
    )
    cast_as_display = serializers.CharField(allow_blank=True)
    cast_by_name = serializers.CharField(allow_blank=True)
    receipt = serializers.CharField(
        allow_blank=True, help_text="Check it on the ballot board after the close."
    )
    proxy_name = serializers.CharField(
        allow_blank=True, help_text="Who holds the proxy for this vote, if anyone."
    )
    can_cast = serializers.BooleanField()
    refusal = serializers.CharField(allow_blank=True, help_text="Why you cannot cast now (empty if you can).")


class BallotStatusSerializer(serializers.Serializer):
    election = serializers.IntegerField()
    voting_open = serializers.BooleanField()
    refusal = serializers.CharField(allow_blank=True)
    voters = VoterStatusSerializer(many=True)


class ChoicesSerializer(serializers.Serializer):
    matters = serializers.DictField(
        child=serializers.ChoiceField(choices=VALUES, allow_blank=True),
        required=False,
        help_text='{"M1": "yes"}: yes, no or abstain; a matter left out is an abstention.',
    )
    races = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=10), max_length=99),
        required=False,
        help_text='{"R1": ["C1", "C2"]}: the candidates ticked, at most the seats of the race.',
    )


class BallotCastSerializer(serializers.Serializer):
    voter = serializers.IntegerField(
        required=False, help_text="Which vote to cast (see the status); may be left out if you have only one."
    )
    choices = ChoicesSerializer()


class BallotReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    voter = serializers.IntegerField()
    cast_at = serializers.DateTimeField()
    channel = serializers.CharField()
    cast_as = serializers.CharField()
    message = serializers.CharField()


#: The receipt's cast_at as BallotReceiptSerializer writes it (ISO 8601 in the current time zone).
_CAST_AT = serializers.DateTimeField()

_ANSWERS = frozenset((*VALUES, ""))
_ID_DIGITS = 10**100  # any id; a longer number is left to the serializer
_CANDIDATE_MAX, _TICKS_MAX = 10, 99  # ChoicesSerializer's max_length of a candidate key and of a list


def _plain_candidate(key: object) -> bool:
    """A candidate key DRF's CharField(max_length=10) takes unchanged: a string, not blank, nothing
    to trim, no NUL or surrogate (printable ASCII)."""
    return (
        type(key) is str
        and 0 < len(key) <= _CANDIDATE_MAX
        and key.isascii()
        and key.isprintable()
        and key.strip() == key
    )


def plain_cast(data: object) -> dict | None:
    """What `BallotCastSerializer(data=data).validated_data` is, for the well-formed casts that
    every client sends, checked without building the serializer (its fields are deep-copied for
    every instance: a large part of the cast's CPU, docs/performance.md); None for anything
    else, which the serializer then validates and words the errors of. It takes nothing the
    serializer refuses (tests/api/test_ballots.py checks it against the serializer)."""
    if type(data) is not dict:
        return None
    voter = data.get("voter")
    if "voter" in data and (type(voter) is not int or not -_ID_DIGITS < voter < _ID_DIGITS):
        return None  # null, a string, a float, a bool: the serializer decides and words it
    choices = data.get("choices")
    if type(choices) is not dict:
        return None
    clean: dict = {}
    if "matters" in choices:
        matters = choices["matters"]
        if type(matters) is not dict or not all(
            type(answer) is str and answer in _ANSWERS for answer in matters.values()
        ):
            return None
        clean["matters"] = dict(matters)
    if "races" in choices:
        races = choices["races"]
        if type(races) is not dict:
            return None
        for ticked in races.values():
            if type(ticked) is not list or len(ticked) > _TICKS_MAX or not all(map(_plain_candidate, ticked)):
                return None
        clean["races"] = {race: list(ticked) for race, ticked in races.items()}
    validated: dict = {"choices": clean}
    if "voter" in data:
        validated["voter"] = voter
    return validated


def _cast_by_name(ballot: Ballot) -> str:
    """Who cast it, as the ballot page says: the proxy's name, nobody for paper, else the account's name."""
    if ballot.cast_as == Ballot.CastAs.PROXY and ballot.proxy_id:
        return ballot.proxy.proxy_name
    if ballot.cast_as == Ballot.CastAs.PAPER:
        return ""
    return ballot.cast_by.get_full_name() if ballot.cast_by_id else ""


def _status_row(*, election, voter: Voter, user, relation: str, now, refusal: str) -> dict:
    ballot = valid_ballot_of(voter)
    proxy = voting.active_proxy(voter)
    row = {
        "voter": voter.pk,
        "units": voter.unit_codes,
        "relation": relation,
        "voted": ballot is not None,
        "cast_at": None,
        "channel": "",
        "channel_display": "",
        "cast_as": "",
        "cast_as_display": "",
        "cast_by_name": "",
        "receipt": "",
        "proxy_name": proxy.proxy_name if proxy else "",
        "can_cast": False,
        "refusal": "",
    }
    if ballot is not None:
        row.update(
            {
                "cast_at": ballot.cast_at,
                "channel": ballot.channel,
                "channel_display": ballot.get_channel_display(),
                "cast_as": ballot.cast_as,
                "cast_as_display": ballot.get_cast_as_display(),
                "cast_by_name": _cast_by_name(ballot),
                "receipt": ballot.receipt,
            }
        )
    if refusal:
        row["refusal"] = refusal
        return row
    try:
        voting.cast_right(election=election, voter=voter, user=user)
    except ElectionError as error:  # AlreadyVoted included: its message says when, how and by whom
        row["refusal"] = str(error)
    else:
        row["can_cast"] = True
    return row


class BallotView(ApiViewMixin, GenericAPIView):
    """GET: the status of each vote you may cast in this election. POST: cast one."""

    throttled_methods = ("POST",)
    parser_classes = [JSONParser]
    serializer_class = BallotCastSerializer
    pagination_class = None
    filter_backends: list = []

    def get_throttles(self):
        if self.request.method == "POST":
            return [BallotThrottle()]
        return []

    def _election(self, election_pk):
        return voting.election_for_voting(self.request.user, int(election_pk))

    def _voters(self, election) -> list[tuple[Voter, str]]:
        user = self.request.user
        rows = [(v, "owner") for v in voters_of_user(election=election, user=user)]
        seen = {v.pk for v, _relation in rows}
        for proxy in voting.proxies_held(election=election, user=user):
            if proxy.principal_id not in seen:
                rows.append((proxy.principal, "proxy"))
                seen.add(proxy.principal_id)
        return rows

    @extend_schema(
        summary="Your votes in this election: voted or not, when, how, by whom (never choices)",
        tags=["ballot"],
        responses=BallotStatusSerializer,
    )
    def get(self, request, election_pk=None):
        election = self._election(election_pk)
        now = timezone.now()
        refusal = window_refusal(election, now)
        voters = [
            _status_row(
                election=election, voter=voter, user=request.user, relation=relation, now=now, refusal=refusal
            )
            for voter, relation in self._voters(election)
        ]
        body = {"election": election.pk, "voting_open": not refusal, "refusal": refusal, "voters": voters}
        return Response(BallotStatusSerializer(body).data)

    @extend_schema(
        summary="Cast a ballot online",
        tags=["ballot"],
        request=BallotCastSerializer,
        responses={
            201: BallotReceiptSerializer,
            403: OpenApiResponse(
                ErrorSerializer, description="Outside the voting window, or a proxy holds this vote."
            ),
            409: OpenApiResponse(
                ErrorSerializer, description="Already voted (code already_voted): when, how, by whom."
            ),
        },
    )
    def post(self, request, election_pk=None):
        try:
            data = request.data
        except (exceptions.UnsupportedMediaType, exceptions.ParseError):
            self._election(election_pk)  # someone who cannot see the election gets its 404 first
            raise
        validated = plain_cast(data)
        if validated is None:
            form = BallotCastSerializer(data=data)
            form.is_valid(raise_exception=True)
            validated = form.validated_data
        voter_id = validated.get("voter")
        if voter_id is None:
            mine = self._voters(self._election(election_pk))
            if len(mine) != 1:
                raise exceptions.ValidationError(
                    {"voter": [_("Say which home's vote this is (the voter id).")]}
                )
            voter_id = mine[0][0].pk
        # One query finds the voter, its election and the user's standing (owner or active proxy);
        # a voter the user cannot reach, or an election they cannot see, is the same 404.
        voter = voting.cast_target(user=request.user, election_pk=int(election_pk), voter_id=voter_id)
        if voter is None:
            raise exceptions.NotFound()
        # The service reads the election (its window, its ballot paper) under the voter's lock; it
        # needs only the id from here.
        election = Election(pk=voter.election_id)
        # The window, the right to cast and the earlier ballot are checked once, by the service,
        # under the voter's lock, and the window once more under the election's.
        choices = validated["choices"]
        try:
            ballot = voting.ballot_cast_online(
                election=election,
                voter=voter,
                actor=request.user,
                choices={
                    "matters": dict(choices.get("matters") or {}),
                    "races": dict(choices.get("races") or {}),
                },
            )
        except AlreadyVoted:
            raise
        except OutsideWindow as error:
            raise ApiError(str(error), code="outside_window", status_code=status.HTTP_403_FORBIDDEN) from None
        except voting.CastRefused as error:
            raise ApiError(str(error), code="not_allowed", status_code=status.HTTP_403_FORBIDDEN) from None
        # BallotReceiptSerializer's representation, written out: building the serializer (its
        # fields deep-copied) for five strings and a time cost more than writing them.
        body = {
            "receipt": str(ballot.receipt),
            "voter": voter.pk,
            "cast_at": _CAST_AT.to_representation(ballot.cast_at),
            "channel": str(ballot.channel),
            "cast_as": str(ballot.cast_as),
            "message": _(
                "Your vote is recorded. Keep the receipt code %(receipt)s: after the close you can find "
                "your ballot on the ballot board with it."
            )
            % {"receipt": ballot.receipt},
        }
        return Response(body, status=status.HTTP_201_CREATED)
