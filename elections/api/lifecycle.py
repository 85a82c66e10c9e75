"""Running an election through the API: the transitions of the table (elections/lifecycle/table.py)
that the staff overview (/manage/e/<pk>/) also offers, for the staff who manage the election.

    GET  /api/v1/elections/<pk>/actions/         the stage, the actions allowed now, the blockers
    POST /api/v1/elections/<pk>/actions/<name>/  one transition of the table, by its name

The parameters of each action are made from its entry in the table (as the page's form is): a date
`on`, the candidate notice's `start`/`end`, the voting window `opens_at`/`closes_at`, a `reason`,
the restart point `at`, a `document` (multipart/form-data: the street office's decision). The serializers only parse them; the service (elections/lifecycle/stages.py)
checks the table's preconditions, moves the stage and writes the audit row. A refusal is a 400
whose `code` is the first problem's (`notice_unpublished`, `wrong_stage`, …) and whose `problems`
list every `{code, message}`: the same problems `blockers` lists before anyone posts. A date left
out is today (the page pre-fills today). Parameters the page does not offer (the `now` of opening
and closing, the `on` of finalising) are not offered here either: they would let a client move
the clock.

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

from elections.api.elections import ElectionDetailSerializer, visible_elections
from elections.api.permissions import may_manage
from elections.errors import coded
from elections.forms.manage import DATETIME_FORMATS
from elections.lifecycle import table
from elections.lifecycle.stages import SERVICES
from elections.models import Election, Stage
from yezhu.api.base import ApiViewMixin
from yezhu.api.errors import ApiError

DATETIME_INPUT = ["iso-8601", *DATETIME_FORMATS]

# ---------------------------------------------------------------------------------------------
# Parameters of each action: made from the transition table's entry, as the page's form is
# ---------------------------------------------------------------------------------------------


def _field(param: table.Param, *, required: bool) -> serializers.Field:
    common = {"required": required, "help_text": str(param.help_text or param.label)}
    if param.kind == table.DATE:
        return serializers.DateField(allow_null=not param.required, **common)
    if param.kind == table.DATETIME:
        return serializers.DateTimeField(input_formats=DATETIME_INPUT, **common)
    if param.kind == table.CHOICE:
        if param.default is not None and not required:
            common["default"] = param.default
            common.pop("required")
        return serializers.ChoiceField(choices=[c for c, _label in param.choices], **common)
    if param.kind == table.TEXT:
        return serializers.CharField(max_length=param.max_length, allow_blank=not param.required, **common)
    if param.kind == table.FILE:
        # Sent as multipart/form-data; the service checks the content (PDF or image) and the size.
        return serializers.FileField(allow_empty_file=False, **common)
    raise ValueError(f"unknown parameter kind {param.kind!r}")


def _serializer(entry: table.Transition) -> type[serializers.Serializer]:
    fields = {p.name: _field(p, required=p.required) for p in entry.params}
    name = "".join(w.title() for w in entry.name.split("_")) + "Params"
    return type(name, (serializers.Serializer,), fields)


#: The parameters of each action, from its entry in the transition table.
ACTION_PARAMS: dict[str, type[serializers.Serializer]] = {t.name: _serializer(t) for t in table.TRANSITIONS}


def _request_fields() -> dict[str, serializers.Field]:
    """Every parameter any action takes (the schema's view); each action reads only its own."""
    fields: dict[str, serializers.Field] = {}
    users: dict[str, list[str]] = {}
    for entry in table.TRANSITIONS:
        for param in entry.params:
            users.setdefault(param.name, []).append(entry.name)
            fields.setdefault(param.name, _field(param, required=False))
    for name, field in fields.items():
        field.help_text = f"{', '.join(users[name])}: {field.help_text}"
    return fields


ActionRequestSerializer = type("ActionRequestSerializer", (serializers.Serializer,), _request_fields())


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable word a client can switch on, e.g. notice_unpublished.")
    message = serializers.CharField(help_text="What to do, in the user's language.")


class ActionsSerializer(serializers.Serializer):
    election = serializers.IntegerField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_display = serializers.CharField()
    allowed = serializers.ListField(
        child=serializers.ChoiceField(choices=list(table.NAMES)),
        help_text="The actions that may be taken now, in process order.",
    )
    blockers = ProblemSerializer(
        many=True, help_text="What keeps the election from its next step: a code and words to act on."
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
                    "allowed": table.allowed_actions(election, actor=request.user),
                    "blockers": [coded(p).as_dict() for p in table.blockers(election)],
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
                "name", str, OpenApiParameter.PATH, enum=list(table.NAMES), description="the action"
            )
        ],
        request=ActionRequestSerializer,
        responses={200: ElectionDetailSerializer},
    )
    def post(self, request, pk=None, name=None):
        election = self.managed_election()
        params_class = ACTION_PARAMS.get(name)
        if params_class is None:
            raise ApiError(
                _("There is no such action. The actions are: %(names)s.") % {"names": ", ".join(table.NAMES)},
                code="unknown_action",
                status_code=status.HTTP_404_NOT_FOUND,
            )
        params = params_class(data=request.data)
        params.is_valid(raise_exception=True)
        values = {k: v for k, v in params.validated_data.items() if v not in (None, "")}
        outcome = SERVICES[name](election=election, actor=request.user, **values)
        shown = outcome if isinstance(outcome, Election) and name == "election_restart" else election
        shown = Election.objects.select_related("compound").get(pk=shown.pk)
        return Response(ElectionDetailSerializer(shown, context=self.get_serializer_context()).data)
