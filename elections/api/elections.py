"""Elections and what hangs off them: milestones, matters, races, candidates, turnout, the result,
the ballot board, the bundle, and nominations.

Scope: an election is reachable when `elections_for` lists it (staff scope, grid scope, the
compounds the user owns in) or the user holds a proxy in it (`voting.election_for_voting`, as
the election page). Milestones are for staff (the timeline is a staff page). The working group's
draft list of candidates is shown to staff only until the candidate notice is published.

Ballot secrecy (DESIGN.md): the result, the board and the bundle answer 403 with a sentence
saying they are published after the close, and nothing else, until `Election.results_public()`.
Turnout (who took part, never how) is shown from the opening of voting on.

Objections (异议) are as on the pages: the staff who manage the election see and answer all of
them (/manage/e/<pk>/objections/); anyone else sees only their own, and owners of the compound
file them while the candidate notice or the result notice is up (/e/<pk>/objection/).

Supporting an owners' nomination (联名推荐) is as the page's share link: an owner who cannot see
the nomination yet (it is not theirs, and they have not supported it) sends the link's secret,
`support_token`, which the nominator, the nominee and its supporters read on the nomination.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from elections import board as election_board
from elections import lifecycle, voting
from elections import nominations as nomination_services
from elections import turnout as turnout_services
from elections.api.filters import BoardFilter, CandidateFilter, ElectionFilter
from elections.api.permissions import is_election_staff, is_staff_viewer, may_manage
from elections.models import (
    Ballot,
    Candidate,
    Committee,
    Election,
    Matter,
    Objection,
    Race,
    Stage,
)
from elections.nominations import candidate_notice_published
from elections.rules import timeline
from elections.selectors import elections_for
from elections.services import ballot_board, bundle_export, window_refusal
from grids.models import Grid
from yezhu.api.base import ApiViewMixin, ErrorSerializer

# Stages before the assembly notice (公告): matters and races are still drafts of the working group.
DRAFT_STAGES = (Stage.STARTED, Stage.WORKING_GROUP)


def not_public_error() -> exceptions.APIException:
    from yezhu.api.errors import ApiError

    return ApiError(
        _(
            "The result and the ballot board are published after voting closes and the count is done. "
            "Until then nothing about the choices is shown."
        ),
        code="not_public",
        status_code=status.HTTP_403_FORBIDDEN,
    )


# ---------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------


class CompoundRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ElectionSerializer(serializers.ModelSerializer):
    compound = CompoundRefSerializer(read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    kind = serializers.SerializerMethodField(
        help_text="first_assembly, reelection, by_election or matters_only."
    )
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    quorum = serializers.SerializerMethodField()
    ordinary = serializers.SerializerMethodField(
        help_text='An ordinary matter or a candidate needs more than this share, e.g. "1/2".'
    )
    special = serializers.SerializerMethodField(
        help_text='A special matter needs at least this share, e.g. "3/4".'
    )
    voting_open = serializers.SerializerMethodField()
    results_public = serializers.SerializerMethodField()

    class Meta:
        model = Election
        fields = [
            "id",
            "title",
            "kind",
            "kind_display",
            "stage",
            "stage_display",
            "compound",
            "voting_opens_at",
            "voting_closes_at",
            "voting_open",
            "quorum",
            "ordinary",
            "special",
            "results_public",
        ]
        read_only_fields = fields

    # A plain string in the schema: an enum here would share the name "KindEnum" with the units'
    # kind, which drf-spectacular reports as a warning (and `check --deploy` fails on) unless
    # SPECTACULAR_SETTINGS carries the ENUM_NAME_OVERRIDES of yezhu/api/schema_settings.py.
    def get_kind(self, election) -> str:
        return election.kind

    def get_quorum(self, election) -> str:
        return f"{election.quorum_numerator}/{election.quorum_denominator}"

    def get_ordinary(self, election) -> str:
        return f"{election.ordinary_numerator}/{election.ordinary_denominator}"

    def get_special(self, election) -> str:
        return f"{election.special_numerator}/{election.special_denominator}"

    def get_voting_open(self, election) -> bool:
        return election.voting_is_open(timezone.now())

    def get_results_public(self, election) -> bool:
        return election.results_public()


class KeyDatesSerializer(serializers.Serializer):
    working_group_formed_on = serializers.DateField(allow_null=True)
    working_group_published_on = serializers.DateField(allow_null=True)
    notice_published_on = serializers.DateField(allow_null=True)
    candidate_notice_start = serializers.DateField(allow_null=True)
    candidate_notice_end = serializers.DateField(allow_null=True)
    voting_opens_at = serializers.DateTimeField(allow_null=True)
    voting_closes_at = serializers.DateTimeField(allow_null=True)
    decided_on = serializers.DateField(allow_null=True)
    result_published_on = serializers.DateField(allow_null=True)
    objection_window_end = serializers.DateField(allow_null=True)
    filed_on = serializers.DateField(allow_null=True)


class ElectionDetailSerializer(ElectionSerializer):
    key_dates = serializers.SerializerMethodField()
    voting_refusal = serializers.SerializerMethodField()
    total_area = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, read_only=True)
    chain_head = serializers.SerializerMethodField()
    ballot_secrecy = serializers.CharField(
        read_only=True,
        help_text="secret (不记名: nobody but the owner sees a home's choices) or named (记名).",
    )

    class Meta(ElectionSerializer.Meta):
        fields = [
            *ElectionSerializer.Meta.fields,
            "voting_refusal",
            "ballot_secrecy",
            "profile",
            "temporary_meeting",
            "silent_majority",
            "proxy_limit",
            "nominations_required",
            "key_dates",
            "roll_frozen_at",
            "total_area",
            "total_heads",
            "chain_head",
            "failed_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(KeyDatesSerializer)
    def get_key_dates(self, election) -> dict:
        return KeyDatesSerializer(election).data

    def get_voting_refusal(self, election) -> str:
        """Why a ballot cannot be cast now (empty while the window is open)."""
        return window_refusal(election, timezone.now())

    def get_chain_head(self, election) -> str:
        """The head of the ballot hash chain, published with the result (empty before)."""
        return election.chain_head if election.results_public() else ""


class MilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    due = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=[s.value for s in timeline.MilestoneStatus])
    rule_text = serializers.CharField()
    source = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField())
    overridden = serializers.BooleanField()
    extended_from = serializers.DateField(allow_null=True)


class MatterSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = Matter
        fields = ["id", "key", "title", "text", "item", "category", "category_display", "position"]
        read_only_fields = fields


class MatterWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    item = serializers.ChoiceField(
        choices=Matter.Item.choices,
        default=Matter.Item.OTHER,
        help_text="The item of 民法典 第278条 (1–9); 6–8 need three-quarters.",
    )


class RaceWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    seats = serializers.IntegerField(min_value=1, max_value=99)
    alternates = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=99,
        help_text="Left out: as many as the seats (RULES.md §5).",
    )


class CandidateSerializer(serializers.ModelSerializer):
    race = serializers.CharField(source="race.key", read_only=True)
    has_photo = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = [
            "id",
            "race",
            "key",
            "name",
            "bio",
            "has_photo",
            "party_member",
            "branch_member",
            "branch_secretary",
            "birth_year",
            "occupation",
            "position",
        ]
        read_only_fields = fields

    def get_has_photo(self, candidate) -> bool:
        return bool(candidate.photo)


class RaceSerializer(serializers.ModelSerializer):
    candidates = serializers.SerializerMethodField()

    class Meta:
        model = Race
        fields = ["id", "key", "title", "seats", "alternates", "position", "candidates"]
        read_only_fields = fields

    @extend_schema_field(CandidateSerializer(many=True))
    def get_candidates(self, race) -> list:
        if not self.context.get("show_candidates"):
            return []
        return CandidateSerializer(race.candidates.all(), many=True).data


class ProgressSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True, help_text="Building or grid id (null overall).")
    label = serializers.CharField(allow_blank=True)
    total_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_heads = serializers.IntegerField()
    area = serializers.DecimalField(max_digits=14, decimal_places=2)
    heads = serializers.IntegerField()
    quorum = serializers.CharField()
    met = serializers.BooleanField()
    area_met = serializers.BooleanField()
    heads_met = serializers.BooleanField()
    gap_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    gap_heads = serializers.IntegerField()
    area_share = serializers.CharField(help_text='Rounded down, e.g. "42.5%".')
    heads_share = serializers.CharField()


class TurnoutSerializer(serializers.Serializer):
    shown = serializers.BooleanField(help_text="False before voting opens: nothing to count yet.")
    message = serializers.CharField(allow_blank=True)
    scope = serializers.ChoiceField(choices=["staff", "grid", "owner"])
    overall = ProgressSerializer(allow_null=True)
    by_building = ProgressSerializer(many=True)
    by_grid = ProgressSerializer(many=True)


class ResultSerializer(serializers.Serializer):
    election = serializers.IntegerField()
    final = serializers.BooleanField()
    chain_head = serializers.CharField(allow_blank=True)
    result = serializers.JSONField(help_text="The `yezhu-result/1` result (RULES.md §4).")


class BoardRowSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    status = serializers.ChoiceField(choices=Ballot.Status.choices)
    choices = serializers.JSONField(
        help_text='{"matters": {"M1": "yes"}, "races": {"R1": ["C1"]}}; {} if rejected.'
    )
    # A named vote (记名) only: a secret vote's board is in receipt order with nothing that gives
    # the order of casting back (docs/security.md).
    seq = serializers.IntegerField(required=False, help_text="Named vote only: the position in the chain.")
    home = serializers.CharField(
        required=False, source="voter__unit_codes", help_text="Named vote only: the home's units."
    )
    hash = serializers.CharField(required=False, help_text="Named vote only.")
    prev_hash = serializers.CharField(required=False, help_text="Named vote only.")


class BoardPagination(PageNumberPagination):
    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 500


class ObjectionCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()


class ObjectionSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="candidate (during the candidate notice) or result.")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    candidate = serializers.SerializerMethodField()
    is_mine = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "kind",
            "kind_display",
            "candidate",
            "text",
            "created_at",
            "answer",
            "answered_at",
            "is_mine",
        ]
        read_only_fields = fields

    @extend_schema_field(ObjectionCandidateSerializer(allow_null=True))
    def get_candidate(self, objection) -> dict | None:
        c = objection.candidate
        return None if c is None else {"id": c.pk, "key": c.key, "name": c.name}

    def get_is_mine(self, objection) -> bool:
        """True when the signed-in user filed it."""
        return objection.filed_by_id == self.context["request"].user.pk


class ManagerObjectionSerializer(ObjectionSerializer):
    """What the staff in charge see in addition, as on their page: who filed and who answered."""

    filed_by = serializers.SerializerMethodField()
    answered_by = serializers.SerializerMethodField()

    class Meta(ObjectionSerializer.Meta):
        fields = [*ObjectionSerializer.Meta.fields, "filed_by", "answered_by"]
        read_only_fields = fields

    def get_filed_by(self, objection) -> str:
        """The owner's name, or their masked mobile number."""
        return str(objection.filed_by)

    def get_answered_by(self, objection) -> str:
        return str(objection.answered_by) if objection.answered_by_id else ""


class ObjectionFileSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000, help_text="The objection and the reason.")
    candidate = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="During the candidate notice: the id of the candidate objected to (optional). "
        "Ignored during the result notice.",
    )


class ObjectionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


# ---------------------------------------------------------------------------------------------
# Elections
# ---------------------------------------------------------------------------------------------


def visible_elections(user):
    """`elections_for`: with the elections in which the user holds an *active* proxy (as the
    election page). A revoked proxy loses the election at once."""
    return elections_for(user)


def _progress(p: turnout_services.Progress) -> dict:
    return {
        "key": p.key,
        "label": p.label,
        "total_area": f"{p.total_area:.2f}",
        "total_heads": p.total_heads,
        "area": f"{p.area:.2f}",
        "heads": p.heads,
        "quorum": f"{p.quorum.numerator}/{p.quorum.denominator}",
        "met": p.met,
        "area_met": p.area_met,
        "heads_met": p.heads_met,
        "gap_area": f"{p.gap_area:.2f}",
        "gap_heads": p.gap_heads,
        "area_share": p.area_share_text,
        "heads_share": p.heads_share_text,
    }


def _filtered(filterset_class, request, queryset):
    """A FilterSet on another model than the view's (a sub-resource): invalid values are a 400."""
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


NOT_PUBLIC = OpenApiResponse(ErrorSerializer, description="Published only after the close (code not_public).")


@extend_schema_view(
    list=extend_schema(summary="Elections you may see", tags=["elections"]),
    retrieve=extend_schema(summary="An election: stage, window, quorum, key dates", tags=["elections"]),
)
class ElectionViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Election.objects.none()  # for the schema; get_queryset scopes it
    lookup_value_regex = r"\d+"
    filterset_class = ElectionFilter

    def get_queryset(self):
        return visible_elections(self.request.user).order_by("-created_at", "-pk")

    def get_serializer_class(self):
        return ElectionDetailSerializer if self.action == "retrieve" else ElectionSerializer

    def _election(self) -> Election:
        return self.get_object()

    # -- the timeline ---------------------------------------------------------------------------

    @extend_schema(
        summary="Statutory milestones with deadlines (staff)",
        tags=["elections"],
        responses=MilestoneSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def milestones(self, request, pk=None):
        election = self._election()
        if not is_staff_viewer(request.user, election):
            raise exceptions.NotFound()
        committee = Committee.objects.filter(election=election).first()
        rows = election_board.election_milestones(
            election,
            calendar=election_board.default_calendar(),
            today=timezone.localdate(),
            committee=committee,
        )
        data = [
            {
                "key": m.key,
                "title": m.title,
                "due": m.due,
                "done_on": m.done_on,
                "status": str(m.status),
                "rule_text": m.rule_text,
                "source": m.source,
                "warnings": list(m.warnings),
                "overridden": m.overridden,
                "extended_from": m.extended_from,
            }
            for m in rows
        ]
        return Response(MilestoneSerializer(data, many=True).data)

    # -- what is voted on ---------------------------------------------------------------------

    def _require_manager(self, election: Election) -> None:
        if not may_manage(self.request.user, election):
            raise exceptions.PermissionDenied(
                _("Only the working group or staff in charge of this election may do this.")
            )

    def _drafts_hidden(self, election: Election) -> bool:
        return election.stage in DRAFT_STAGES and not is_staff_viewer(self.request.user, election)

    @extend_schema(
        methods=["GET"],
        summary="Matters put to the vote",
        tags=["elections"],
        responses=MatterSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a matter (staff; only before the assembly notice)",
        tags=["elections"],
        request=MatterWriteSerializer,
        responses={201: MatterSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def matters(self, request, pk=None):
        election = self._election()
        if request.method == "POST":
            self._require_manager(election)
            form = MatterWriteSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            matter = lifecycle.matter_save(election=election, actor=request.user, **form.validated_data)
            return Response(MatterSerializer(matter).data, status=status.HTTP_201_CREATED)
        matters = [] if self._drafts_hidden(election) else Matter.objects.filter(election=election)
        return Response(MatterSerializer(matters, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="Races (seats to fill) with their candidates",
        tags=["elections"],
        responses=RaceSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a race (staff; only before the assembly notice)",
        tags=["elections"],
        request=RaceWriteSerializer,
        responses={201: RaceSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, pagination_class=None)
    def races(self, request, pk=None):
        election = self._election()
        if request.method == "POST":
            self._require_manager(election)
            form = RaceWriteSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            race = lifecycle.race_save(election=election, actor=request.user, **form.validated_data)
            return Response(
                RaceSerializer(race, context={"show_candidates": True}).data, status=status.HTTP_201_CREATED
            )
        races = (
            []
            if self._drafts_hidden(election)
            else Race.objects.filter(election=election).prefetch_related("candidates")
        )
        show = candidate_notice_published(election) or is_staff_viewer(request.user, election)
        return Response(RaceSerializer(races, many=True, context={"show_candidates": show}).data)

    @extend_schema(
        summary="Candidates (after the candidate notice; staff earlier)",
        tags=["elections"],
        parameters=[OpenApiParameter("race", str, description="race key, e.g. R1")],
        responses=CandidateSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def candidates(self, request, pk=None):
        election = self._election()
        queryset = Candidate.objects.filter(race__election=election).select_related("race")
        if not (candidate_notice_published(election) or is_staff_viewer(request.user, election)):
            queryset = queryset.none()
        queryset = _filtered(CandidateFilter, self.request, queryset).order_by(
            "race__position", "race_id", "position", "pk"
        )
        return Response(CandidateSerializer(queryset, many=True).data)

    # -- turnout --------------------------------------------------------------------------------

    @extend_schema(
        summary="Turnout: who took part (area and heads), never how",
        tags=["elections"],
        responses=TurnoutSerializer,
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def turnout(self, request, pk=None):
        election = self._election()
        user = request.user
        if not elections_for(user).filter(pk=election.pk).exists():
            raise exceptions.NotFound()  # a proxy who owns nothing here: their principal's page only
        led = turnout_services.led_grid_ids(user)
        my_grids = list(
            Grid.objects.filter(pk__in=led, compound_id=election.compound_id).values_list("pk", flat=True)
        )
        if is_election_staff(user, election):
            scope = "staff"
        elif my_grids:
            scope = "grid"
        else:
            scope = "owner"
        body = {
            "shown": False,
            "message": "",
            "scope": scope,
            "overall": None,
            "by_building": [],
            "by_grid": [],
        }
        if not turnout_services.turnout_shown(election):
            body["message"] = _("Turnout is shown once voting opens.")
            return Response(body)
        body["shown"] = True
        body["overall"] = _progress(turnout_services.turnout_overall(election))
        if scope == "staff":
            body["by_building"] = [_progress(p) for p in turnout_services.turnout_by_building(election)]
            body["by_grid"] = [_progress(p) for p in turnout_services.turnout_by_grid(election)]
        elif scope == "grid":
            body["by_grid"] = [_progress(p) for p in turnout_services.turnout_by_grid(election, my_grids)]
        return Response(body)

    # -- after the close ----------------------------------------------------------------------

    @extend_schema(
        summary="The result (after the close only)",
        tags=["results"],
        responses={200: ResultSerializer, 403: NOT_PUBLIC},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def results(self, request, pk=None):
        election = self._election()
        if not voting.board_public(election):
            raise not_public_error()
        return Response(
            {
                "election": election.pk,
                "final": election.result_final,
                "chain_head": election.chain_head,
                "result": election.result,
            }
        )

    @extend_schema(
        summary="The ballot board (after the close only): receipt order in a secret vote",
        tags=["results"],
        parameters=[
            OpenApiParameter("receipt", str, description="a receipt code: the page holding that ballot"),
            OpenApiParameter("status", str, enum=Ballot.Status.values),
        ],
        responses={200: BoardRowSerializer(many=True), 403: NOT_PUBLIC},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=BoardPagination)
    def board(self, request, pk=None):
        election = self._election()
        if not voting.board_public(election):
            raise not_public_error()
        rows = _filtered(BoardFilter, request, ballot_board(election))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(BoardRowSerializer(page, many=True).data)

    @extend_schema(
        summary="The yezhu-bundle/1 export (after the close only)",
        description=(
            "A named vote, or the scrutineers and the street office of a secret vote: the "
            "yezhu-bundle/1 per-ballot record (`manage.py recount` verifies it and its hash chain). "
            "Everyone else in a secret vote: the yezhu-board/1 record (the result and every ballot's "
            "receipt and choices in receipt order, no home, no area). Every download is audited."
        ),
        tags=["results"],
        responses={200: OpenApiTypes.OBJECT, 403: NOT_PUBLIC},
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def bundle(self, request, pk=None):
        election = self._election()
        if not voting.board_public(election):
            raise not_public_error()
        # As the page: the record for whoever may have it, else the board (services.bundle_variant).
        data, _variant = bundle_export(election=election, actor=request.user)
        response = Response(data)
        response["Content-Disposition"] = f'inline; filename="election-{election.pk}-bundle.json"'
        return response

    # -- objections (异议) ------------------------------------------------------------------------

    def _objection_serializer(self, election: Election):
        return ManagerObjectionSerializer if may_manage(self.request.user, election) else ObjectionSerializer

    @extend_schema(
        methods=["GET"],
        summary="Objections: the staff in charge see all, anyone else their own",
        tags=["elections"],
        responses=ObjectionSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="File an objection (owners, while the candidate notice or the result notice is up)",
        tags=["elections"],
        request=ObjectionFileSerializer,
        responses={201: ObjectionSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def objections(self, request, pk=None):
        election = self._election()
        context = self.get_serializer_context()
        if request.method == "POST":
            form = ObjectionFileSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            candidate = None
            candidate_id = form.validated_data.get("candidate")
            window = nomination_services.objection_window(election, timezone.localdate())
            # As the page's form: a candidate is chosen only during the candidate notice, from
            # this election's candidates; during the result notice the field is not there.
            if candidate_id is not None and window == Objection.Kind.CANDIDATE:
                candidate = Candidate.objects.filter(race__election=election, pk=candidate_id).first()
                if candidate is None:
                    raise exceptions.ValidationError(
                        {"candidate": [_("This candidate is not on this election.")]}
                    )
            objection = nomination_services.objection_file(
                election=election,
                actor=request.user,
                text=form.validated_data["text"],
                candidate=candidate,
            )
            cls = self._objection_serializer(election)
            return Response(cls(objection, context=context).data, status=status.HTTP_201_CREATED)
        queryset = Objection.objects.filter(election=election)
        if not may_manage(request.user, election):
            queryset = queryset.filter(filed_by=request.user)
        queryset = queryset.select_related("candidate", "filed_by", "answered_by").order_by(
            "-created_at", "-pk"
        )
        page = self.paginate_queryset(queryset)
        cls = self._objection_serializer(election)
        return self.get_paginated_response(cls(page, many=True, context=context).data)

    @extend_schema(
        summary="Answer an objection (the staff in charge); answering again replaces the answer",
        tags=["elections"],
        parameters=[OpenApiParameter("objection_pk", int, OpenApiParameter.PATH, description="objection id")],
        request=ObjectionAnswerSerializer,
        responses={200: ManagerObjectionSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        filterset_class=None,
        url_path=r"objections/(?P<objection_pk>\d+)/answer",
        url_name="objection-answer",
    )
    def objection_answer(self, request, pk=None, objection_pk=None):
        election = self._election()
        self._require_manager(election)
        objection = Objection.objects.filter(election=election, pk=objection_pk).first()
        if objection is None:
            raise exceptions.NotFound()
        form = ObjectionAnswerSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        objection = nomination_services.objection_answer(
            objection=objection, actor=request.user, answer=form.validated_data["answer"]
        )
        return Response(ManagerObjectionSerializer(objection, context=self.get_serializer_context()).data)
