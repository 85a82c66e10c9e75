"""Nominations through the API (推荐/自荐, acceptance, vetting decisions, support by share link):
the same services and rules as the nomination pages (elections/views/nominations.py)."""

from __future__ import annotations

from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from elections import nominations as nomination_services
from elections import voting
from elections.api.filters import NominationFilter
from elections.api.permissions import may_manage
from elections.models import (
    Election,
    Nomination,
    Race,
)
from elections.nominations import support_token
from yezhu.api.base import ApiViewMixin

# ---------------------------------------------------------------------------------------------
# Nominations
# ---------------------------------------------------------------------------------------------


class NominationSerializer(serializers.ModelSerializer):
    race = serializers.CharField(source="race.key", read_only=True)
    nominee = serializers.CharField(source="nominee.name", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    supporters_needed = serializers.SerializerMethodField()
    support_token = serializers.SerializerMethodField()
    is_mine = serializers.SerializerMethodField()

    class Meta:
        model = Nomination
        fields = [
            "id",
            "race",
            "nominee",
            "is_mine",
            "source",
            "source_display",
            "status",
            "status_display",
            "supporters_needed",
            "support_token",
            "statement",
            "bio",
            "party_member",
            "birth_year",
            "occupation",
            "created_at",
            "accepted_at",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields

    def get_supporters_needed(self, nomination) -> int:
        return nomination_services.supporters_needed(nomination)

    def get_support_token(self, nomination) -> str:
        """The secret of the share link (as on "my nominations") that other owners send to
        .../support/ to support it (联名推荐); empty when it collects no support."""
        if (
            nomination.source == Nomination.Source.OWNERS
            and nomination.status == Nomination.Status.AWAITING_ACCEPTANCE
        ):
            return support_token(nomination)
        return ""

    def get_is_mine(self, nomination) -> bool:
        """True when the nominee is the signed-in user: they answer it (accept or decline)."""
        user = self.context["request"].user
        return bool(nomination.nominee.user_id) and nomination.nominee.user_id == user.pk


class ManagerNominationSerializer(NominationSerializer):
    """What the working group sees in addition: the vetting notes (never shown to other owners)."""

    class Meta(NominationSerializer.Meta):
        fields = [
            *NominationSerializer.Meta.fields,
            "branch_member",
            "branch_secretary",
            "opinion_party",
            "opinion_owners",
            "opinion_self",
            "positive_notes",
        ]
        read_only_fields = fields


class NominationCreateSerializer(serializers.Serializer):
    race = serializers.CharField(max_length=10, help_text="The race key, e.g. R1.")
    source = serializers.ChoiceField(
        choices=Nomination.Source.choices,
        default=Nomination.Source.SELF,
        help_text="Owners: self or owners. Staff: working_group, party or paper.",
    )
    unit_code = serializers.CharField(
        max_length=60, required=False, allow_blank=True, help_text="The nominee's unit (not for self)."
    )
    name = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text="The nominee's name as registered (not for self).",
    )
    statement = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    bio = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    photo = serializers.FileField(required=False, help_text="A photo (JPG, PNG, GIF, WebP), at most 5 MB.")
    party_member = serializers.BooleanField(required=False, default=False)
    birth_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    occupation = serializers.CharField(required=False, allow_blank=True, max_length=60)


class NominationAcceptSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    bio = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    birth_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    occupation = serializers.CharField(required=False, allow_blank=True, max_length=60)
    party_member = serializers.BooleanField(required=False, allow_null=True, default=None)


class NominationDeclineSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class NominationDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class NominationSupportSerializer(serializers.Serializer):
    token = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="The nomination's support_token, from the nominator's share link; needed unless "
        "you can already see the nomination.",
    )


@extend_schema_view(
    list=extend_schema(summary="Nominations: staff see all, owners their own", tags=["nominations"]),
    retrieve=extend_schema(summary="A nomination", tags=["nominations"]),
)
class NominationViewSet(ApiViewMixin, viewsets.GenericViewSet):
    queryset = Nomination.objects.none()  # for the schema; get_queryset scopes it
    filterset_class = NominationFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_election(self) -> Election:
        if not hasattr(self, "_election_obj"):
            pk = self.kwargs["election_pk"]
            self._election_obj = voting.election_for_voting(self.request.user, int(pk))
        return self._election_obj

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Nomination.objects.none()
        election = self.get_election()
        if may_manage(self.request.user, election):
            queryset = Nomination.objects.filter(election=election)
        else:
            queryset = nomination_services.nominations_of_user(self.request.user, election)
        return queryset.select_related("race", "nominee", "election").order_by("created_at", "pk")

    def get_serializer_class(self):
        if self.action == "create":
            return NominationCreateSerializer
        if self.action == "accept":
            return NominationAcceptSerializer
        if self.action == "decline":
            return NominationDeclineSerializer
        if self.action == "decide":
            return NominationDecideSerializer
        if self.action == "support":
            return NominationSupportSerializer
        return NominationSerializer

    def _out(self, nomination, **kwargs) -> Response:
        manager = may_manage(self.request.user, self.get_election())
        cls = ManagerNominationSerializer if manager else NominationSerializer
        return Response(cls(nomination, context=self.get_serializer_context()).data, **kwargs)

    def list(self, request, election_pk=None):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        manager = may_manage(request.user, self.get_election())
        cls = ManagerNominationSerializer if manager else NominationSerializer
        return self.get_paginated_response(cls(page, many=True, context=self.get_serializer_context()).data)

    def retrieve(self, request, election_pk=None, pk=None):
        return self._out(self.get_object())

    @extend_schema(
        summary="Nominate: an owner themself or another owner; staff for the working group, party or paper",
        tags=["nominations"],
        request={
            "application/json": NominationCreateSerializer,
            "multipart/form-data": NominationCreateSerializer,
        },
        responses={201: NominationSerializer},
    )
    def create(self, request, election_pk=None):
        election = self.get_election()
        form = NominationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        race = Race.objects.filter(election=election, key=data["race"]).first()
        if race is None:
            raise exceptions.ValidationError({"race": [_("This race is not part of this election.")]})
        source = data["source"]
        if source in nomination_services.STAFF_SOURCES and not may_manage(request.user, election):
            raise exceptions.PermissionDenied(
                _("Only the working group or staff in charge of this election may do this.")
            )
        nominee = None
        if source == Nomination.Source.SELF:
            mine = nomination_services.owners_of_user(request.user, election.compound)
            nominee = mine[0] if mine else None
        elif nomination_services.owners_of_user(request.user, election.compound) or source not in (
            nomination_services.OWNER_SOURCES
        ):
            nominee = nomination_services.find_owner(
                election.compound, unit_code=data.get("unit_code", ""), name=data.get("name", "")
            )
            if nominee is None:
                raise exceptions.ValidationError(
                    {
                        "name": [
                            _(
                                "No owner of that name is registered on unit %(unit)s. Check the unit number and "
                                "write the name as on the property certificate."
                            )
                            % {"unit": nomination_services.normalise_unit_code(data.get("unit_code", ""))}
                        ]
                    }
                )
        # A user who owns nothing here reaches the service with no nominee: it refuses with its own words.
        nomination = nomination_services.nomination_create(
            election=election,
            race=race,
            nominee=nominee,
            source=source,
            actor=request.user,
            statement=data.get("statement", ""),
            bio=data.get("bio", ""),
            photo=data.get("photo"),
            party_member=data.get("party_member", False),
            birth_year=data.get("birth_year"),
            occupation=data.get("occupation", ""),
        )
        return self._out(nomination, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The nominee accepts (or staff record a paper acceptance)",
        tags=["nominations"],
        responses=NominationSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def accept(self, request, election_pk=None, pk=None):
        nomination = self.get_object()
        form = NominationAcceptSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        nomination = nomination_services.nomination_accept(
            nomination=nomination,
            actor=request.user,
            note=data.get("note", ""),
            bio=data.get("bio", ""),
            birth_year=data.get("birth_year"),
            occupation=data.get("occupation", ""),
            party_member=data.get("party_member"),
        )
        return self._out(nomination)

    @extend_schema(
        summary="The nominee declines (or staff record a paper refusal)",
        tags=["nominations"],
        responses=NominationSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def decline(self, request, election_pk=None, pk=None):
        nomination = self.get_object()
        form = NominationDeclineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        nomination = nomination_services.nomination_decline(
            nomination=nomination,
            actor=request.user,
            note=form.validated_data.get("note", ""),
        )
        return self._out(nomination)

    @extend_schema(
        summary="Staff approve a vetted nomination as candidate, or reject it with a reason",
        tags=["nominations"],
        responses=NominationSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def decide(self, request, election_pk=None, pk=None):
        election = self.get_election()
        if not may_manage(request.user, election):
            raise exceptions.PermissionDenied(
                _("Only the working group or staff in charge of this election may do this.")
            )
        nomination = self.get_object()
        form = NominationDecideSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        nomination = nomination_services.nomination_decide(
            nomination=nomination,
            actor=request.user,
            approve=form.validated_data["approve"],
            reason=form.validated_data.get("reason", ""),
        )
        return self._out(nomination)

    @extend_schema(
        summary="An owner of the compound supports an owners' nomination (联名推荐)",
        tags=["nominations"],
        request=NominationSupportSerializer,
        responses=NominationSerializer,
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def support(self, request, election_pk=None, pk=None):
        election = self.get_election()
        form = NominationSupportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        nomination = self.get_queryset().filter(pk=pk).first()
        if nomination is None:
            # Not theirs to see yet: found, as by the page's share link, only with its secret.
            shared = Nomination.objects.filter(election=election, pk=pk).select_related("election").first()
            token = form.validated_data.get("token", "")
            if shared is None or not token or not constant_time_compare(token, support_token(shared)):
                raise exceptions.NotFound()
            nomination = shared
        nomination = nomination_services.nomination_support(nomination=nomination, actor=request.user)
        return self._out(nomination)
