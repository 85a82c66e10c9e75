"""The committee between elections (/manage/committee/<pk>/vacancies/, namespace "manage"): its
seats, a member leaving and the alternate who moves up, by-elections, and removal proposals.
Reached like the committee's own page (the compound's managing staff); another street's staff get
404. Every write is a service of ``elections/lifecycle/vacancies.py``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from elections.errors import ElectionError
from elections.forms.vacancies import AgendaForm, LeavingForm, RemovalForm, VacancyFiledForm
from elections.lifecycle import seats as seat_reads
from elections.lifecycle import vacancies as svc
from elections.views.manage import _managed_committee


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_http_methods(["GET", "POST"])
def vacancies(request, pk: int):
    committee = _managed_committee(request.user, pk)
    form = LeavingForm(request.POST or None, committee=committee)
    if request.method == "POST" and form.is_valid():
        try:
            vacancy = svc.vacancy_record(actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            if vacancy.moved_up_name:
                messages.success(
                    request,
                    _("%(alternate)s moves up into the seat; post the notice and file the move by %(date)s.")
                    % {"alternate": vacancy.moved_up_name, "date": vacancy.file_by},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("manage:committee_vacancies", pk=committee.pk)
    state = seat_reads.seat_state(committee)
    today = timezone.localdate()
    by_election = seat_reads.by_election_problems(committee.compound_id, today=today)
    return render(
        request,
        "elections/manage/committee_vacancies.html",
        {
            "committee": committee,
            "state": state,
            "expired": seat_reads.is_expired(committee, today),
            "changeover": seat_reads.in_changeover(committee, today),
            "by_election_problems": by_election,
            "members": list(committee.members.order_by("position", "pk")),
            "vacancies": list(committee.vacancies.all()),
            "removals": list(committee.removals.select_related("matter__election", "proposal")),
            "form": form,
            "filed_form": VacancyFiledForm(committee=committee),
            "removal_form": RemovalForm(committee=committee),
            "agenda_form": AgendaForm(committee=committee),
            "today": today,
        },
    )


@login_required
@require_POST
def vacancy_filed(request, pk: int):
    committee = _managed_committee(request.user, pk)
    form = VacancyFiledForm(request.POST, committee=committee)
    if form.is_valid():
        try:
            svc.vacancy_file(actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
    else:
        _form_errors(request, form)
    return redirect("manage:committee_vacancies", pk=committee.pk)


@login_required
@require_POST
def removal_propose(request, pk: int):
    committee = _managed_committee(request.user, pk)
    form = RemovalForm(request.POST, committee=committee)
    if form.is_valid():
        try:
            svc.removal_propose_by_members(
                member=form.cleaned_data["member"],
                proposers=list(form.cleaned_data["proposers"]),
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The removal proposal is recorded: put it on an assembly's agenda."))
    else:
        _form_errors(request, form)
    return redirect("manage:committee_vacancies", pk=committee.pk)


@login_required
@require_POST
def removal_agenda(request, pk: int):
    committee = _managed_committee(request.user, pk)
    form = AgendaForm(request.POST, committee=committee)
    if form.is_valid():
        try:
            svc.removal_to_agenda(actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The removal is on the assembly's agenda as an ordinary matter."))
    else:
        _form_errors(request, form)
    return redirect("manage:committee_vacancies", pk=committee.pk)


manage_urlpatterns = [
    path("committee/<int:pk>/vacancies/", vacancies, name="committee_vacancies"),
    path("committee/<int:pk>/vacancies/filed/", vacancy_filed, name="committee_vacancy_filed"),
    path("committee/<int:pk>/removals/", removal_propose, name="committee_removal_propose"),
    path("committee/<int:pk>/removals/agenda/", removal_agenda, name="committee_removal_agenda"),
]
