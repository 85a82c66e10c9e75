"""Notices: staff write, schedule and send them and follow their deliveries; owners read them in
their in-site inbox, and opening one records the proof of service (送达).

Staff pages (namespace "manage"), under /manage/elections/<pk>/notices/: the list with delivery
counts, a notice's deliveries by channel and status with the failures and the provider's reason,
resending the failures, and the proof-of-service export (a background job with a progress bar).
Owner pages (namespace "elections"): /e/inbox/ and /e/inbox/<delivery>/.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from elections.errors import ElectionError
from elections.models import Delivery, Notice
from elections.notices import (
    delivery_counts,
    delivery_matrix,
    delivery_opened,
    inbox_deliveries,
    mask_address,
    notice_create,
    notice_schedule,
    notices_resend_failed,
)
from elections.selectors import get_managed_election
from elections.tasks import EXPORT_KIND, deliveries_export_job
from yezhu.audit.log import record
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_start

FAILURES_SHOWN = 200


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Notice.Kind.choices)
    audience = forms.ChoiceField(label=gettext_lazy("Send to"), choices=Notice.Audience.choices)
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Send by"),
        choices=Delivery.Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["sms", "inbox"],
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Send at (leave empty to keep as a draft)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_scheduled_at(self):
        value = self.cleaned_data.get("scheduled_at")
        if value is not None and value < timezone.now():
            raise forms.ValidationError(_("Choose a moment in the future, or send the notice now."))
        return value


class ScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_scheduled_at(self):
        value = self.cleaned_data["scheduled_at"]
        if value < timezone.now():
            raise forms.ValidationError(_("Choose a moment in the future, or send the notice now."))
        return value


def _notice_of(election, notice_pk: int) -> Notice:
    return get_object_or_404(Notice, pk=notice_pk, election=election)


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------


def _list_context(election, form):
    notices = list(Notice.objects.filter(election=election).order_by("-created_at"))
    counts = delivery_counts(notices)
    rows = [{"notice": n, "counts": counts[n.pk]} for n in notices]
    return {"election": election, "rows": rows, "form": form}


@require_GET
@login_required
def notice_list(request, pk: int):
    election = get_managed_election(request.user, pk)
    return render(request, "elections/notices/list.html", _list_context(election, NoticeForm()))


@require_POST
@login_required
def notice_new(request, pk: int):
    election = get_managed_election(request.user, pk)
    form = NoticeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            notice = notice_create(
                compound=election.compound,
                election=election,
                kind=data["kind"],
                audience=data["audience"],
                channels=data["channels"],
                title=data["title"],
                body=data["body"],
                scheduled_at=data["scheduled_at"],
                actor=request.user,
            )
        except ElectionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The notice is saved."))
            return redirect("manage:notice_detail", pk=election.pk, notice_pk=notice.pk)
    return render(request, "elections/notices/list.html", _list_context(election, form), status=400)


@require_GET
@login_required
def notice_detail(request, pk: int, notice_pk: int):
    election = get_managed_election(request.user, pk)
    notice = _notice_of(election, notice_pk)
    failures = list(
        Delivery.objects.filter(notice=notice, status=Delivery.Status.FAILED)
        .select_related("owner", "user")
        .order_by("channel", "pk")[:FAILURES_SHOWN]
    )
    for failure in failures:
        failure.masked = mask_address(failure.address)
        failure.who = failure.owner.name if failure.owner else str(failure.user or failure.recipient_key)
    matrix = delivery_matrix(notice)
    return render(
        request,
        "elections/notices/detail.html",
        {
            "election": election,
            "notice": notice,
            "matrix": matrix,
            "failures": failures,
            "failed_total": sum(row["failed"] for row in matrix),
            "schedule_form": ScheduleForm(initial={"scheduled_at": notice.scheduled_at}),
            "can_send": notice.status in (Notice.Status.DRAFT, Notice.Status.SCHEDULED),
            "sends": list(notice.mass_sends.select_related("requested_by", "decided_by").order_by("-pk")),
        },
    )


@require_POST
@login_required
def notice_schedule_view(request, pk: int, notice_pk: int):
    election = get_managed_election(request.user, pk)
    notice = _notice_of(election, notice_pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            notice_schedule(
                notice=notice,
                scheduled_at=form.cleaned_data["scheduled_at"],
                actor=request.user,
            )
        except ElectionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The notice will be sent at the chosen time."))
    else:
        messages.error(request, " ".join(form.errors.get("scheduled_at", [_("Choose a valid time.")])))
    return redirect("manage:notice_detail", pk=election.pk, notice_pk=notice.pk)


@require_POST
@login_required
def notice_resend(request, pk: int, notice_pk: int):
    election = get_managed_election(request.user, pk)
    notice = _notice_of(election, notice_pk)
    try:
        count = notices_resend_failed(notice=notice, actor=request.user)
    except ElectionError as exc:
        messages.error(request, str(exc))
    else:
        if count:
            messages.success(
                request, _("%(count)s failed deliveries are being sent again.") % {"count": count}
            )
        else:
            messages.info(
                request,
                _("Nothing to send again: the failed deliveries still have no mobile number or email."),
            )
    return redirect("manage:notice_detail", pk=election.pk, notice_pk=notice.pk)


@require_POST
@login_required
def notice_export(request, pk: int):
    election = get_managed_election(request.user, pk)
    job = job_start(
        kind=EXPORT_KIND,
        user=request.user,
        task=deliveries_export_job,
        compound_id=election.compound_id,
        election_id=election.pk,
    )
    return redirect("manage:notice_export_job", pk=election.pk, job_pk=job.pk)


def _export_job(request, election, job_pk: int) -> Job:
    return get_object_or_404(
        Job, pk=job_pk, kind=EXPORT_KIND, election_id=election.pk, created_by=request.user
    )


@require_GET
@login_required
def notice_export_job(request, pk: int, job_pk: int):
    election = get_managed_election(request.user, pk)
    job = _export_job(request, election, job_pk)
    download = reverse("manage:notice_export_download", kwargs={"pk": election.pk, "job_pk": job.pk})
    return render(
        request, "elections/notices/export.html", {"election": election, "job": job, "download_url": download}
    )


@require_GET
@login_required
def notice_export_download(request, pk: int, job_pk: int):
    election = get_managed_election(request.user, pk)
    job = _export_job(request, election, job_pk)
    if job.status != Job.Status.DONE or not job.output_file:
        return redirect("manage:notice_export_job", pk=election.pk, job_pk=job.pk)
    name = _("proof-of-service-%(election)s.xlsx") % {"election": election.pk}
    record(
        "notice.exported",
        actor=request.user,
        obj=election,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary=f"proof of service downloaded (job #{job.pk})",
        data={"job": job.pk},
    )
    return FileResponse(job.output_file.open("rb"), as_attachment=True, filename=name)


# ---------------------------------------------------------------------------------------------
# Owners: the in-site inbox
# ---------------------------------------------------------------------------------------------


@require_GET
@login_required
def inbox(request):
    deliveries = list(inbox_deliveries(request.user).filter(status=Delivery.Status.SENT)[:200])
    return render(request, "elections/notices/inbox.html", {"deliveries": deliveries})


@require_GET
@login_required
def inbox_notice(request, pk: int):
    delivery = inbox_deliveries(request.user).filter(pk=pk, status=Delivery.Status.SENT).first()
    if delivery is None:
        raise Http404
    delivery_opened(delivery=delivery, actor=request.user)
    election_id = delivery.notice.election_id
    election_url = reverse("elections:detail", args=[election_id]) if election_id else ""
    return render(
        request,
        "elections/notices/inbox_notice.html",
        {"delivery": delivery, "notice": delivery.notice, "election_url": election_url},
    )


urlpatterns = [
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:pk>/", inbox_notice, name="inbox_notice"),
]

manage_urlpatterns = [
    path("elections/<int:pk>/notices/", notice_list, name="notice_list"),
    path("elections/<int:pk>/notices/new/", notice_new, name="notice_new"),
    path("elections/<int:pk>/notices/export/", notice_export, name="notice_export"),
    path("elections/<int:pk>/notices/export/<int:job_pk>/", notice_export_job, name="notice_export_job"),
    path(
        "elections/<int:pk>/notices/export/<int:job_pk>/download/",
        notice_export_download,
        name="notice_export_download",
    ),
    path("elections/<int:pk>/notices/<int:notice_pk>/", notice_detail, name="notice_detail"),
    path(
        "elections/<int:pk>/notices/<int:notice_pk>/schedule/", notice_schedule_view, name="notice_schedule"
    ),
    path("elections/<int:pk>/notices/<int:notice_pk>/resend/", notice_resend, name="notice_resend"),
]
