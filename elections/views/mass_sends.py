"""Sending a notice (群发): the estimate before it goes, the request, the second staff member's
approval or refusal, and the send's progress bar. The rules are in elections/mass_sends.py; these
pages show the estimate and call its services.

Pages (namespace "manage"), under /manage/elections/<pk>/notices/<notice_pk>/:
- `estimate/` (GET): people, text messages, cost, the street's budget, earlier sends, and the
  button that asks for the send (with the round it shows, and a resend box after a first send);
- `send/` (POST): asks for the send;
- `sends/<send_pk>/` (GET) with `status/` (its progress bar's JSON), `approve/` and `refuse/` (POST).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from elections.mass_sends import (
    MassSendRefused,
    mass_send_approve,
    mass_send_estimate,
    mass_send_progress,
    mass_send_refuse,
    mass_send_request,
    yuan,
)
from elections.models import MassSend, Notice
from elections.notices import sms_preview
from elections.selectors import get_managed_election


class SendForm(forms.Form):
    round = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    resend = forms.BooleanField(
        label=gettext_lazy("Yes, send this notice again (it counts against the budget again)"),
        required=False,
    )


class RefuseForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)


def _notice_of(election, notice_pk: int) -> Notice:
    return get_object_or_404(
        Notice.objects.select_related("compound__community"), pk=notice_pk, election=election
    )


def _send_of(notice: Notice, send_pk: int) -> MassSend:
    return get_object_or_404(
        MassSend.objects.select_related("notice", "job", "requested_by", "decided_by"),
        pk=send_pk,
        notice=notice,
    )


@require_GET
@login_required
def notice_estimate(request, pk: int, notice_pk: int):
    election = get_managed_election(request.user, pk)
    notice = _notice_of(election, notice_pk)
    estimate = mass_send_estimate(notice)
    return render(
        request,
        "elections/notices/estimate.html",
        {
            "election": election,
            "notice": notice,
            "estimate": estimate,
            "sms_preview": sms_preview(notice) if estimate.characters else "",
            "cost": yuan(estimate.cost),
            "spent": yuan(estimate.spent),
            "remaining": None if estimate.remaining is None else yuan(estimate.remaining),
            "budget": None if estimate.budget is None else yuan(estimate.budget),
            "form": SendForm(initial={"round": estimate.round}),
            "pending": any(s.status == MassSend.Status.PENDING for s in estimate.previous),
        },
    )


@require_POST
@login_required
def notice_send_now(request, pk: int, notice_pk: int):
    election = get_managed_election(request.user, pk)
    notice = _notice_of(election, notice_pk)
    form = SendForm(request.POST)
    estimate_url = reverse("manage:notice_estimate", kwargs={"pk": election.pk, "notice_pk": notice.pk})
    if not form.is_valid():
        messages.error(request, _("Look at the estimate first, then send from its page."))
        return redirect(estimate_url)
    try:
        send = mass_send_request(
            notice=notice,
            actor=request.user,
            round=form.cleaned_data["round"],
            resend=form.cleaned_data["resend"],
        )
    except MassSendRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(estimate_url)
    if send.status == MassSend.Status.PENDING:
        messages.info(
            request,
            _("The send waits for another staff member's approval: it is over %(count)s text messages.")
            % {"count": settings.MASS_SEND_APPROVAL_OVER},
        )
    else:
        messages.success(request, _("The notice is being sent."))
    return redirect("manage:mass_send_detail", pk=election.pk, notice_pk=notice.pk, send_pk=send.pk)


@require_GET
@login_required
def mass_send_detail(request, pk: int, notice_pk: int, send_pk: int):
    election = get_managed_election(request.user, pk)
    notice = _notice_of(election, notice_pk)
    send = _send_of(notice, send_pk)
    return render(
        request,
        "elections/notices/mass_send.html",
        {
            "election": election,
            "notice": notice,
            "send": send,
            "cost": yuan(send.cost),
            "progress": mass_send_progress(send),
            "own_request": send.requested_by_id == request.user.pk,
            "refuse_form": RefuseForm(),
        },
    )


@require_GET
@login_required
def mass_send_status(request, pk: int, notice_pk: int, send_pk: int):
    """The progress bar's JSON (static/js/progress.js) for any staff member who manages the compound."""
    election = get_managed_election(request.user, pk)
    send = _send_of(_notice_of(election, notice_pk), send_pk)
    data = mass_send_progress(send)
    display = {
        "queued": _("waiting"),
        "running": _("sending"),
        "done": _("done"),
        "failed": _("refused"),
    }[data["status"]]
    return JsonResponse(
        {**data, "status_display": display, "message": str(send.get_status_display()), "errors": []}
    )


@require_POST
@login_required
def mass_send_approve_view(request, pk: int, notice_pk: int, send_pk: int):
    election = get_managed_election(request.user, pk)
    send = _send_of(_notice_of(election, notice_pk), send_pk)
    try:
        mass_send_approve(mass_send=send, actor=request.user)
    except MassSendRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Approved: the notice is being sent."))
    return redirect("manage:mass_send_detail", pk=election.pk, notice_pk=notice_pk, send_pk=send.pk)


@require_POST
@login_required
def mass_send_refuse_view(request, pk: int, notice_pk: int, send_pk: int):
    election = get_managed_election(request.user, pk)
    send = _send_of(_notice_of(election, notice_pk), send_pk)
    form = RefuseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        mass_send_refuse(mass_send=send, actor=request.user, note=note)
    except MassSendRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, _("The send is refused; nothing was sent and nothing counts against the budget.")
        )
    return redirect("manage:mass_send_detail", pk=election.pk, notice_pk=notice_pk, send_pk=send.pk)


_BASE = "elections/<int:pk>/notices/<int:notice_pk>/"

manage_urlpatterns = [
    path(f"{_BASE}estimate/", notice_estimate, name="notice_estimate"),
    path(f"{_BASE}send/", notice_send_now, name="notice_send"),
    path(f"{_BASE}sends/<int:send_pk>/", mass_send_detail, name="mass_send_detail"),
    path(f"{_BASE}sends/<int:send_pk>/status/", mass_send_status, name="mass_send_status"),
    path(f"{_BASE}sends/<int:send_pk>/approve/", mass_send_approve_view, name="mass_send_approve"),
    path(f"{_BASE}sends/<int:send_pk>/refuse/", mass_send_refuse_view, name="mass_send_refuse"),
]
