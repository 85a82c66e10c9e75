"""What the elected committees are made of, and the committee register as legal entities, for the
street office (namespace "street"):

    /street/composition/                 rates per street and community, and each committee
    /street/export/composition.xlsx      the same as a workbook
    /street/export/committees.xlsx       the register: terms, members, and the committee as a
                                         legal entity (登记证号、统一社会信用代码、开户行、印章备案)

Scoped as the board: the user's streets (``?street=`` picks one; another street is a 404).

The exports are written with openpyxl, one small function each, so they move to the shared XLSX
writer easily; every text cell that starts with = + - or @ is written as plain text.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from elections import composition as comp
from elections.models import Committee, CommitteeMember
from elections.rules import street_svg
from elections.views.street import _compounds, _scope_streets, _with_query
from yezhu.audit.log import record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")


def plain_text_cells(sheet) -> None:
    """Text that a spreadsheet could read as a formula (= + - @) is kept as plain text."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                cell.data_type = "s"
                cell.quotePrefix = True


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


# ---------------------------------------------------------------------------------------------
# The composition page
# ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def composition(request):
    streets = _scope_streets(request)
    rows = comp.compositions(_compounds(request.user, streets))
    total = comp.figures(rows)
    labels = comp.rate_labels()
    chart = street_svg.coverage_chart(
        [(labels[k], r.share, r.percent) for k, r in total.as_rates()],
        title=_("Composition of the committees in office"),
    )
    one = streets[0] if len(streets) == 1 else None
    scope = {"street": request.GET.get("street", "")}
    return render(
        request,
        "elections/street/composition.html",
        {
            "streets": streets,
            "street": one,
            "rows": rows,
            "total": total,
            "rate_items": [(labels[k], r) for k, r in total.as_rates()],
            "by_street": comp.by_street(rows) if len(streets) > 1 else [],
            "by_community": comp.by_community(rows),
            "chart_svg": mark_safe(chart),  # noqa: S308 - street_svg escapes every text it draws
            "export_url": _with_query(reverse("street:export_composition"), **scope),
            "committees_url": _with_query(reverse("street:export_committees"), **scope),
            "today": timezone.localdate(),
        },
    )


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


def composition_xlsx(rows: list[comp.CommitteeComposition], streets) -> bytes:
    """The composition workbook: the rates by street and community, then each committee."""
    import openpyxl

    labels = comp.rate_labels()
    keys = [k for k, _r in comp.figures([]).as_rates()]
    book = openpyxl.Workbook()
    summary = book.active
    summary.title = _("Rates")
    summary.append([_("Composition of the committees in office")])
    header = [_("Street"), _("Community"), _("Committees"), _("Members")]
    for key in keys:
        header += [labels[key], _("share")]
    summary.append(header)

    def line(street, community, f: comp.CompositionFigures):
        values = [street, community, f.committees, f.members]
        for _key, rate in f.as_rates():
            values += [rate.count, float(rate.share) if rate.share is not None else None]
        return values

    for street, f in comp.by_street(rows):
        summary.append(line(street.name, _("All communities"), f))
    for community, f in comp.by_community(rows):
        summary.append(line(community.street.name, community.name, f))
    if len(streets) > 1:
        summary.append(line(_("Total"), "", comp.figures(rows)))
    for row in summary.iter_rows(min_row=3):
        for index, cell in enumerate(row):
            if index >= 5 and (index - 5) % 2 == 0 and cell.value is not None:
                cell.number_format = "0.0%"
    detail = book.create_sheet(_("Committees"))
    detail.append(
        [
            _("Street"),
            _("Community"),
            _("Compound code"),
            _("Compound name"),
            _("Term starts"),
            _("Term ends"),
            _("Members"),
            _("Party members"),
            _("Party share"),
            _("Cross-posted members"),
            _("Chair"),
            _("Chaired by the branch secretary"),
            _("Party branch"),
            _("Meets the street's advised party share"),
        ]
    )
    for r in rows:
        detail.append(
            [
                r.street.name,
                r.community.name,
                r.compound.code,
                r.compound.name,
                r.committee.term_start,
                r.committee.term_end,
                r.seated,
                r.party,
                float(r.party_share) if r.party_share is not None else None,
                r.cross,
                r.chair,
                _yes(r.secretary_chairs),
                _yes(r.has_branch),
                _yes(r.meets_target),
            ]
        )
    for row in detail.iter_rows(min_row=2):
        row[4].number_format = row[5].number_format = "yyyy-mm-dd"
        row[8].number_format = "0.0%"
    plain_text_cells(summary)
    plain_text_cells(detail)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@require_GET
@login_required
def export_composition(request):
    streets = _scope_streets(request)
    rows = comp.compositions(_compounds(request.user, streets))
    record(
        "street.export_composition",
        actor=request.user,
        summary=f"composition exported: {len(rows)} committees of {len(streets)} street(s)",
        data={"streets": [s.pk for s in streets], "committees": len(rows)},
        streets=[s.pk for s in streets],
    )
    name = streets[0].name if len(streets) == 1 else _("streets")
    return _xlsx(
        composition_xlsx(rows, streets), f"{name}-{_('composition')}-{timezone.localdate().isoformat()}.xlsx"
    )


def committees_xlsx(committees: list[Committee]) -> bytes:
    """The committee register of the street's compounds, with each committee as a legal entity."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Committee register")
    sheet.append(
        [
            _("Street"),
            _("Community"),
            _("Compound code"),
            _("Compound name"),
            _("Term starts"),
            _("Term ends"),
            _("Filed"),
            _("Left office"),
            _("Chair"),
            _("Members"),
            _("Registration certificate number"),
            _("Unified social credit code"),
            _("Registered on"),
            _("Bank and branch"),
            _("Bank account number"),
            _("Seal filed on"),
            _("Seal filing number"),
            _("Documents"),
        ]
    )
    for c in committees:
        members = list(c.members.all())
        seated = [m for m in members if m.role != CommitteeMember.Role.ALTERNATE]
        chair = next((m.name for m in members if m.role == CommitteeMember.Role.CHAIR), "")
        sheet.append(
            [
                c.compound.community.street.name,
                c.compound.community.name,
                c.compound.code,
                c.compound.name,
                c.term_start,
                c.term_end,
                c.filed_on,
                c.ended_on,
                chair,
                "、".join(m.name for m in seated),
                c.registration_number,
                c.credit_code,
                c.registered_on,
                c.bank_name,
                c.bank_account,
                c.seal_filed_on,
                c.seal_filing_number,
                "、".join(d.get_kind_display() for d in c.documents.all()),
            ]
        )
    for row in sheet.iter_rows(min_row=2):
        for index in (4, 5, 6, 7, 12, 15):
            row[index].number_format = "yyyy-mm-dd"
    plain_text_cells(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@require_GET
@login_required
def export_committees(request):
    streets = _scope_streets(request)
    committees = list(
        Committee.objects.filter(compound__in=_compounds(request.user, streets).values("pk"))
        .select_related("compound__community__street")
        .prefetch_related(
            Prefetch("members", queryset=CommitteeMember.objects.order_by("position", "pk")), "documents"
        )
        .order_by("compound__community__street__name", "compound__code", "-term_start")
    )
    record(
        "street.export_committees",
        actor=request.user,
        summary=f"committee register exported: {len(committees)} committees of {len(streets)} street(s)",
        data={"streets": [s.pk for s in streets], "committees": len(committees)},
        streets=[s.pk for s in streets],
    )
    name = streets[0].name if len(streets) == 1 else _("streets")
    return _xlsx(
        committees_xlsx(committees),
        f"{name}-{_('committee register')}-{timezone.localdate().isoformat()}.xlsx",
    )


urlpatterns = [
    path("composition/", composition, name="composition"),
    path("export/composition.xlsx", export_composition, name="export_composition"),
    path("export/committees.xlsx", export_committees, name="export_committees"),
]
