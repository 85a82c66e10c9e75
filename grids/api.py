"""Compounds, buildings, units and the roll import.

Scope: compounds and units through `compounds_for` / `units_for` (staff see their scope, grid
leaders their grids, owners their own homes); buildings of the staff scope and of the owner's
own homes; the roll import only for compounds the user manages (`managed_compounds`).
"""

from __future__ import annotations

import os

import django_filters as filters
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from grids.models import Building, Compound, Unit
from grids.roll import compute_roll
from grids.selectors import buildings_for, compounds_for, managed_compounds, owner_units, units_for
from grids.services import roll_file_import
from yezhu.accounts.phone import mask_mobile
from yezhu.api.base import ApiViewMixin, ErrorSerializer
from yezhu.api.errors import ApiError
from yezhu.api.filters import IdFilter, TextFilter
from yezhu.api.routers import Router

MAX_ROLL_BYTES = 20 * 1024 * 1024
ROLL_EXTENSIONS = (".csv", ".xlsx")


# ---------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------


# Filters (django-filter): they narrow a queryset the selectors have already scoped.


class CompoundFilter(filters.FilterSet):
    q = TextFilter(method="search", label=gettext_lazy("code or name contains"))
    street = IdFilter(field_name="community__street_id", label=gettext_lazy("street id"))
    community = IdFilter(field_name="community_id", label=gettext_lazy("community id"))
    code = TextFilter(field_name="code", label=gettext_lazy("code"))

    class Meta:
        model = Compound
        fields = ["q", "street", "community", "code"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class BuildingFilter(filters.FilterSet):
    compound = IdFilter(field_name="compound_id", label=gettext_lazy("compound id"))

    class Meta:
        model = Building
        fields = ["compound"]


class UnitFilter(filters.FilterSet):
    compound = IdFilter(field_name="compound_id", label=gettext_lazy("compound id"))
    building = IdFilter(field_name="building_id", label=gettext_lazy("building id"))
    kind = filters.ChoiceFilter(choices=Unit.Kind.choices)
    status = filters.ChoiceFilter(choices=Unit.Status.choices)
    code = TextFilter(field_name="code", lookup_expr="icontains", label=gettext_lazy("unit code contains"))

    class Meta:
        model = Unit
        fields = ["compound", "building", "kind", "status", "code"]


class PlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RollTotalsSerializer(serializers.Serializer):
    """The statutory roll (RULES.md §1): units that count, their area, and the heads (voters)."""

    units = serializers.IntegerField()
    area = serializers.DecimalField(max_digits=14, decimal_places=2)
    heads = serializers.IntegerField()


class CompoundSerializer(serializers.ModelSerializer):
    community = PlaceSerializer(read_only=True)
    street = serializers.SerializerMethodField()

    class Meta:
        model = Compound
        fields = [
            "id",
            "code",
            "name",
            "address",
            "community",
            "street",
            "property_manager",
            "parking_counts",
        ]
        read_only_fields = fields

    @extend_schema_field(PlaceSerializer)
    def get_street(self, compound) -> dict:
        street = compound.community.street
        return {"id": street.pk, "name": street.name}


class CompoundDetailSerializer(CompoundSerializer):
    roll = serializers.SerializerMethodField()

    class Meta(CompoundSerializer.Meta):
        fields = [*CompoundSerializer.Meta.fields, "roll"]
        read_only_fields = fields

    @extend_schema_field(RollTotalsSerializer)
    def get_roll(self, compound) -> dict:
        roll = compute_roll(compound, with_voters=False)
        return {"units": roll.units, "area": f"{roll.area:.2f}", "heads": roll.heads}


class BuildingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "compound", "name"]
        read_only_fields = fields


class UnitOwnerSerializer(serializers.Serializer):
    name = serializers.CharField()
    mobile = serializers.CharField(help_text="Masked: 138****8000.")


class UnitSerializer(serializers.ModelSerializer):
    building_name = serializers.CharField(source="building.name", read_only=True)
    owners = serializers.SerializerMethodField()
    area = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "compound",
            "building",
            "building_name",
            "entrance",
            "number",
            "code",
            "kind",
            "area",
            "area_source",
            "status",
            "owners",
        ]
        read_only_fields = fields

    @extend_schema_field(UnitOwnerSerializer(many=True))
    def get_owners(self, unit) -> list[dict]:
        return [
            {"name": o.owner.name, "mobile": mask_mobile(o.owner.mobile) if o.owner.mobile else ""}
            for o in unit.ownerships.all()
        ]


class RollImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The roll file: .xlsx or .csv, at most 20 MB (see the template).")
    commit = serializers.BooleanField(
        default=False, help_text="false (the default): a dry run that writes nothing; true: import it all."
    )


class RollImportResultSerializer(serializers.Serializer):
    committed = serializers.BooleanField()
    rows = serializers.IntegerField(help_text="Data rows read from the file.")
    changes = serializers.DictField(
        help_text="Units added, removed, changed, unchanged; the first codes of each."
    )
    roll_before = RollTotalsSerializer()
    roll_after = RollTotalsSerializer(
        allow_null=True, help_text="The roll after the import (null for a dry run)."
    )


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


def _roll_json(compound: Compound) -> dict:
    roll = compute_roll(compound, with_voters=False)
    return {"units": roll.units, "area": f"{roll.area:.2f}", "heads": roll.heads}


@extend_schema_view(
    list=extend_schema(summary="Compounds in your scope", tags=["compounds"]),
    retrieve=extend_schema(summary="A compound with its roll totals", tags=["compounds"]),
)
class CompoundViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Compound.objects.none()  # for the schema; get_queryset scopes it
    lookup_value_regex = r"\d+"
    filterset_class = CompoundFilter

    def get_queryset(self):
        return compounds_for(self.request.user).select_related("community__street").order_by("code", "pk")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CompoundDetailSerializer
        if self.action == "roll_import":
            return RollImportRequestSerializer
        return CompoundSerializer

    @extend_schema(
        summary="Import the housing roll: dry run (preview) or commit, all or nothing",
        tags=["compounds"],
        request={"multipart/form-data": RollImportRequestSerializer},
        responses={
            200: RollImportResultSerializer,
            409: OpenApiResponse(
                ErrorSerializer, description="The import would remove units on a frozen roll."
            ),
            413: OpenApiResponse(ErrorSerializer, description="The file is larger than 20 MB."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="roll-import",
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
        pagination_class=None,
    )
    def roll_import(self, request, pk=None):
        compound = self._managed_compound(pk)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > MAX_ROLL_BYTES + 64 * 1024:
            raise _too_large()
        form = RollImportRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        if upload.size > MAX_ROLL_BYTES:
            raise _too_large()
        name = os.path.basename(upload.name or "")
        if os.path.splitext(name)[1].lower() not in ROLL_EXTENSIONS:
            raise ApiError(
                _("Only .xlsx or .csv roll files are accepted (download the template)."),
                code="unsupported_file_type",
                fields={"file": [_("Only .xlsx or .csv roll files are accepted (download the template).")]},
            )
        before = _roll_json(compound)
        # RollFileError → 400 with every "第 N 行：…"; RollError → 409.
        done = roll_file_import(
            compound=compound,
            data=upload.read(),
            filename=name,
            actor=request.user,
            commit=bool(form.validated_data["commit"]),
        )
        after = _roll_json(compound) if done.committed else None
        body = {
            "committed": done.committed,
            "rows": done.parsed.rows,
            "changes": done.diff.as_dict(),
            "roll_before": before,
            "roll_after": after,
        }
        return Response(body, status=status.HTTP_200_OK)

    def _managed_compound(self, pk) -> Compound:
        compound = managed_compounds(self.request.user).filter(pk=pk).first() if str(pk).isdigit() else None
        if compound is None:
            raise exceptions.NotFound()
        return compound


def _too_large() -> ApiError:
    message = _("The file is larger than 20 MB. Split the roll or remove unused sheets and columns.")
    return ApiError(message, code="file_too_large", status_code=413, fields={"file": [message]})


@extend_schema_view(
    list=extend_schema(summary="Buildings in your scope", tags=["compounds"]),
    retrieve=extend_schema(summary="A building", tags=["compounds"]),
)
class BuildingViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Building.objects.none()  # for the schema; get_queryset scopes it
    lookup_value_regex = r"\d+"
    serializer_class = BuildingSerializer
    filterset_class = BuildingFilter

    def get_queryset(self):
        user = self.request.user
        own = owner_units(user).values("building_id")
        return (
            Building.objects.filter(Q(pk__in=buildings_for(user).values("pk")) | Q(pk__in=own))
            .order_by("compound_id", "name", "pk")
            .distinct()
        )


@extend_schema_view(
    list=extend_schema(summary="Units in your scope (owners: their own homes)", tags=["compounds"]),
    retrieve=extend_schema(summary="A unit with its registered owners", tags=["compounds"]),
)
class UnitViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Unit.objects.none()  # for the schema; get_queryset scopes it
    lookup_value_regex = r"\d+"
    serializer_class = UnitSerializer
    filterset_class = UnitFilter

    def get_queryset(self):
        return (
            units_for(self.request.user)
            .select_related("building")
            .prefetch_related("ownerships__owner")
            .order_by("compound_id", "code", "pk")
        )


router = Router()
router.register("compounds", CompoundViewSet, basename="compound")
router.register("buildings", BuildingViewSet, basename="building")
router.register("units", UnitViewSet, basename="unit")

#: Included under /api/v1/ by yezhu/api/urls.py (namespace "api").
urlpatterns = [*router.urls]
