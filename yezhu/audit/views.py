"""The audit log for auditors (审计员) and superusers: read, filter and export (/audit/).

Everyone else gets 404, as for any page outside one's scope. Reading is scoped by
`yezhu.audit.selectors.audit_entries_for`; exporting is itself written to the log, in the streets
the exporting auditor audits. An export holds at most EXPORT_LIMIT rows: the page warns before a
larger selection is downloaded, and a cut file ends with a row that says so.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from yezhu.audit.labels import action_label, summary_text
from yezhu.audit.log import record
from yezhu.audit.selectors import actions_in, audit_entries_for, audit_streets, filter_entries, may_read_audit
from yezhu.xlsx import XLSX_CONTENT_TYPE, Workbook

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=gettext_lazy("Action"), required=False, max_length=60)
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    election = forms.IntegerField(label=gettext_lazy("Election number"), required=False, min_value=1)


def _scoped(request):
    if not may_read_audit(request.user):
        raise Http404
    entries = audit_entries_for(request.user)
    form = AuditFilterForm(request.GET or None)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "action": data["action"].strip(),
            "since": data["since"],
            "until": data["until"],
            "election_id": data["election"],
        }
    return entries, form, filters


@require_GET
@login_required
def index(request):
    entries, form, filters = _scoped(request)
    actions = actions_in(entries)
    chosen = filter_entries(entries, **filters) if filters else entries
    page = Paginator(chosen.order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/index.html",
        {
            "form": form,
            "page": page,
            # Codes stay in the log and the filter's values; people read them in words.
            "rows": [(e, action_label(e.action), summary_text(e.summary)) for e in page.object_list],
            "actions": [(code, action_label(code)) for code in actions],
            "query": query.urlencode(),
            "filtered": bool(filters and any(filters.values())),
            "export_limit": EXPORT_LIMIT,
            "export_cut": page.paginator.count > EXPORT_LIMIT,
        },
    )


@require_GET
@login_required
def export(request):
    entries, _form, filters = _scoped(request)
    chosen = filter_entries(entries, **filters) if filters else entries
    limit = EXPORT_LIMIT
    rows = chosen.order_by("-at", "-id")[: limit + 1]  # one more tells whether the file is cut
    # A summary or an actor's name may hold what a person typed: the writer keeps it text.
    book = Workbook(streaming=True)
    sheet = book.sheet(_("Audit log"))
    sheet.append(
        [
            _("Time"),
            _("Actor"),
            _("IP address"),
            _("Action"),
            _("Action code"),
            _("Object type"),
            _("Object id"),
            _("Compound number"),
            _("Election number"),
            _("Summary"),
        ]
    )
    count = 0
    cut = False
    for entry in rows.iterator(chunk_size=2000):
        if count == limit:
            cut = True
            break
        sheet.append(
            [
                timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor_label,
                entry.ip or "",
                action_label(entry.action),
                entry.action,  # the code as well, for whoever filters the file by machine
                entry.object_type,
                entry.object_id,
                entry.compound_id or "",
                entry.election_id or "",
                summary_text(entry.summary),
            ]
        )
        count += 1
    if cut:
        note = _("Only the first %(limit)s entries were exported; narrow the date range.")
        sheet.append([note % {"limit": limit}])
    data = book.to_bytes()
    record(
        "audit.exported",
        actor=request.user,
        summary=f"audit log exported: {count} entries" + (" (cut at the limit)" if cut else ""),
        data={k: str(v) for k, v in filters.items() if v} | {"rows": count, "cut": cut},
        streets=audit_streets(request.user),
    )
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = content_disposition_header(True, f"{_('audit-log')}-{stamp}.xlsx")
    response["Cache-Control"] = "no-store"
    return response
