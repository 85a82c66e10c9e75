"""Staff record who attends an assembly meeting held as 集体讨论 (/manage/e/<pk>/meeting/).

Attendees are checked against the frozen roll by the service (elections.meeting); the votes taken
at the meeting are the attendees' ballot papers, keyed in on the paper ballot pages.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from elections import meeting as svc
from elections.errors import ElectionError
from elections.models import Election, MeetingAttendance, Voter
from elections.paper import serial_for
from elections.selectors import get_managed_election


class AttendanceForm(forms.Form):
    unit = forms.CharField(label=gettext_lazy("A unit of the home (e.g. 3-1-201)"), max_length=60)
    name = forms.CharField(
        label=gettext_lazy("Who attends: an owner of the home, as registered, or its proxy"), max_length=60
    )

    def __init__(self, *args, election: Election, after_close: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.election = election
        if after_close:
            self.fields["signed_in_before_close"] = forms.BooleanField(
                label=gettext_lazy("I confirm this person signed the attendance sheet before voting closed"),
                required=True,
            )

    def clean_unit(self) -> Voter:
        code = self.cleaned_data["unit"].strip()
        voter = Voter.objects.filter(election=self.election, units__code=code).first()
        if voter is None:
            raise forms.ValidationError(_("No voter of this election has unit %(code)s.") % {"code": code})
        return voter


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request, pk: int):
    election = get_managed_election(request.user, pk)
    now = timezone.now()
    after_close = election.voting_closes_at is not None and now >= election.voting_closes_at
    form = AttendanceForm(request.POST or None, election=election, after_close=after_close)
    if request.method == "POST" and form.is_valid():
        try:
            attendance = svc.attendance_record(
                election=election,
                voter=form.cleaned_data["unit"],
                actor=request.user,
                name=form.cleaned_data["name"],
                signed_in_before_close=bool(form.cleaned_data.get("signed_in_before_close")),
            )
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s attends for %(units)s; their ballot serial is %(serial)s.")
                % {
                    "name": attendance.name,
                    "units": attendance.voter.unit_codes,
                    "serial": serial_for(attendance.voter),
                },
            )
            return redirect("manage:meeting", election.pk)
    rows = list(
        MeetingAttendance.objects.filter(election=election)
        .select_related("voter", "recorded_by")
        .order_by("status", "voter__unit_codes")
    )
    for row in rows:
        row.serial = serial_for(row.voter) if election.roll_frozen_at else ""
    part = svc.participation_now(election) if election.roll_frozen_at else None
    quorum = None
    if part is not None and election.total_heads:
        q = election.quorum
        quorum = {
            "heads": part["heads"],
            "area": Decimal(part["area"]).quantize(Decimal("0.01")),
            "met": part["heads"] >= q * election.total_heads
            and Fraction(Decimal(part["area"])) >= q * Fraction(election.total_area or 0),
        }
    return render(
        request,
        "elections/meeting/attendance.html",
        {
            "election": election,
            "form": form,
            "rows": rows,
            "refusal": svc.attendance_refusal(election, signed_in_before_close=True, now=now),
            "participation": quorum,
        },
    )


@login_required
@require_POST
def attendance_withdraw(request, pk: int, attendance_id: int):
    election = get_managed_election(request.user, pk)
    attendance = MeetingAttendance.objects.filter(election=election, pk=attendance_id).first()
    if attendance is None:
        raise Http404
    try:
        svc.attendance_withdraw(
            attendance=attendance, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ElectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The attendance is withdrawn."))
    return redirect("manage:meeting", election.pk)


manage_urlpatterns = [
    path("e/<int:pk>/meeting/", meeting, name="meeting"),
    path("e/<int:pk>/meeting/<int:attendance_id>/withdraw/", attendance_withdraw, name="attendance_withdraw"),
]
