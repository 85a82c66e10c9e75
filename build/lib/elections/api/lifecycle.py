"""Running an election through the API: the stage transitions the staff overview offers
(/manage/e/<pk>/, elections/views/manage.py), for the staff who manage the election.

    GET  /api/v1/elections/<pk>/actions/         the stage, the actions allowed now, the blockers
    POST /api/v1/elections/<pk>/actions/<name>/  one of `elections.lifecycle.ACTIONS`

A POST calls the service of that name in elections/lifecycle.py with the parameters the page's
form gives it (elections/forms/manage.py): a date `on`, the candidate notice's `start`/`end`, the
voting window `opens_at`/`closes_at`, a `reason`, the restart point `at`. The serializers below
only parse them, as the forms do; the service checks the rules, moves the stage and writes the
audit row, and its refusal (`ElectionError`) is a 400 `refused` with its message, the same
sentences `lifecycle.blockers` lists. A date left out is today (the page pre-fills today).
Parameters the page does not offer (the `now` of opening and closing, the `on` of finalising)
are not offered here either: they would let a client move the clock.

Scope: the election must be visible (else 404, as every election endpoint) and the user must
manage it (`may_manage`: street or community staff, the compound's working group), else 403.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from elections import lifecycle
from elections.api.elections import ElectionDetailSerializer, visible_elections
from elections.api.permissions import may_manage
from elections.forms.manage import DATETIME_FORMATS
from elections.models import Election, Stage
from yezhu.api.base import ApiViewMixin
from yezhu.api.errors import ApiError

DATETIME_INPUT = ["iso-8601", *DATETIME_FORMATS]

# ---------------------------------------------------------------------------------------------
# Parameters of each action: the fields of the page's form, named as the service's arguments
# ---------------------------------------------------------------------------------------------


class NoParams(serializers.Serializer):
    pass


class DateParams(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text="The day it happened (YYYY-MM-DD); today if left out."
    )


class CandidateNoticeParams(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First day of the candidate notice; today if left out."
    )
    end = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Last day; left out: the shortest period the rules allow.",
    )


class WindowParams(serializers.Serializer):
    opens_at = serializers.DateTimeField(input_formats=DATETIME_INPUT, help_text="When voting opens.")
    closes_at = serializers.DateTimeField(input_formats=DATETIME_INPUT, help_text="When voting closes.")


class CloseParams(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Only before the scheduled close: the street office's or a court's decision.",
    )


class FailParams(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the election did not succeed.")


class RestartParams(serializers.Serializer):
    at = serializers.ChoiceField(
        choices=list(lifecycle.RESTART_AT),
        default="notice",
        help_text="notice: a new assembly notice (matters and seats editable again); "
        "nomination: the notice stands and the candidates are kept.",
    )


#: The parameters of each action, as the page's form (elections/views/manage.py, ACTIONS) has them.
ACTION_PARAMS: dict[str, type[serializers.Serializer]] = {
    "working_group_form": DateParams,
    "working_group_publish": DateParams,
    "notice_publish": DateParams,
    "nominations_open": NoParams,
    "vetting_start": NoParams,
    "candidate_notice_publish": CandidateNoticeParams,
    "voting_schedule": WindowParams,
    "voting_open": NoParams,
    "voting_close": CloseParams,
    "result_publish": DateParams,
    "result_finalise": NoParams,
    "committee_from_result": NoParams,
    "election_file": DateParams,
    "election_fail": FailParams,
    "election_restart": RestartParams,
}


class ActionRequestSerializer(serializers.Serializer):
    """Every parameter any action takes (the schema's view); each action reads only its own."""

    on = serializers.DateField(
        required=False,
        help_text="working_group_form, working_group_publish, notice_publish, result_publish, "
        "election_file: the day it happened; today if left out.",
    )
    start = serializers.DateField(
        required=False, help_text="candidate_notice_publish: first day of the notice; today if left out."
    )
    end = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="candidate_notice_publish: last day; left out: the shortest period the rules allow.",
    )
    opens_at = serializers.DateTimeField(
        required=False, help_text="voting_schedule (required): voting opens."
    )
    closes_at = serializers.DateTimeField(
        required=False, help_text="voting_schedule (required): voting closes."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="voting_close before the scheduled close (the decision); election_fail (required).",
    )
    at = serializers.ChoiceField(
        choices=list(lifecycle.RESTART_AT),
        required=False,
        help_text="election_restart: notice (default) or nomination.",
    )


class ActionsSerializer(serializers.Serializer):
    election = serializers.IntegerField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_display = serializers.CharField()
    allowed = serializers.ListField(
        child=serializers.ChoiceField(choices=list(lifecycle.ACTIONS)),
        help_text="The actions that may be taken now, in process order.",
    )
    blockers = serializers.ListField(
        child=serializers.CharField(),
        help_text="What keeps the election from its next step, in words to act on.",
    )


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


class _ManagedElection(ApiViewMixin, GenericAPIView):
    queryset = Election.objects.none()  # for the schema; the election is found through the selectors
    pagination_class = None
    filter_backends: list = []

    def managed_election(self) -> Election:
        """The election if visible (else 404) and run by the user (else 403)."""
        election = get_object_or_404(visible_elections(self.request.user), pk=self.kwargs["pk"])
        if not may_manage(self.request.user, election):
            raise exceptions.PermissionDenied(
                _("Only the working group or staff in charge of this election may do this.")
            )
        return election


class ElectionActionsView(_ManagedElection):
    serializer_class = ActionsSerializer

    @extend_schema(
        summary="The stage, the actions allowed now and what blocks the next step (staff in charge)",
        tags=["elections"],
        responses=ActionsSerializer,
    )
    def get(self, request, pk=None):
        election = self.managed_election()
        return Response(
            ActionsSerializer(
                {
                    "election": election.pk,
                    "stage": election.stage,
                    "stage_display": election.get_stage_display(),
                    "allowed": lifecycle.allowed_actions(election),
                    "blockers": lifecycle.blockers(election),
                }
            ).data
        )


class ElectionActionView(_ManagedElection):
    serializer_class = ActionRequestSerializer

    @extend_schema(
        summary="Take one step of the election (staff in charge): the service of that name",
        description=(
            "Answers the election after the step; for election_restart, the new election. "
            "A step the rules refuse is a 400 `refused` whose message says what to do."
        ),
        tags=["elections"],
        parameters=[
            OpenApiParameter(
                "name", str, OpenApiParameter.PATH, enum=list(lifecycle.ACTIONS), description="the action"
            )
        ],
        request=ActionRequestSerializer,
        responses={200: ElectionDetailSerializer},
    )
    def post(self, request, pk=None, name=None):
        election = self.managed_election()
        params_class = ACTION_PARAMS.get(name) if name in lifecycle.ACTIONS else None
        if params_class is None:
            raise ApiError(
                _("There is no such action. The actions are: %(names)s.")
                % {"names": ", ".join(lifecycle.ACTIONS)},
                code="unknown_action",
                status_code=status.HTTP_404_NOT_FOUND,
            )
        params = params_class(data=request.data)
        params.is_valid(raise_exception=True)
        service = getattr(lifecycle, name)
        outcome = service(election=election, actor=request.user, **params.validated_data)
        shown = outcome if isinstance(outcome, Election) and name == "election_restart" else election
        shown = Election.objects.select_related("compound").get(pk=shown.pk)
        return Response(ElectionDetailSerializer(shown, context=self.get_serializer_context()).data)
