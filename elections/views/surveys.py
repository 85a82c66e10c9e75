"""Issue surveys (问题征集): not votes of the assembly, and every page says so.

Owners (namespace "elections", under /e/):
    surveys/                        the surveys of their compounds
    surveys/<pk>/                   answer for a home while it is open; results once it has closed

Staff, branch officers and committee members who run surveys (namespace "manage", under /manage/):
    c/<cpk>/surveys/                a compound's surveys, and a new one
    surveys/<pk>/                   edit the draft, add questions, publish, close early, results
    surveys/<pk>/export.xlsx        the results as a workbook

Scope: ``elections.surveys.survey_compounds`` (staff side) and ``owner_surveys`` (owners). Anything
outside it is a 404; a change the user may not make (another asker's survey) is a 403.
"""

from __future__ import annotations

import io
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import surveys as svc
from elections.forms.surveys import QuestionForm, SurveyEditForm, SurveyForm, answer_form
from elections.models import Survey, SurveyQuestion
from yezhu.audit.log import record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@")


def refuse_as_403(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except svc.SurveyForbidden:
            raise PermissionDenied from None

    return wrapped


def _flash(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _status(survey: Survey, now) -> str:
    if survey.published_at is None:
        return "draft"
    if now < survey.opens_at:
        return "scheduled"
    return "open" if now < survey.closes_at else "closed"


# ---------------------------------------------------------------------------------------------
# Owners
# ---------------------------------------------------------------------------------------------


@login_required
@require_GET
def owner_list(request):
    now = timezone.now()
    surveys = list(svc.owner_surveys(request.user, now=now))
    for s in surveys:
        s.status = _status(s, now)
    return render(request, "elections/surveys/owner_list.html", {"surveys": surveys})


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def owner_detail(request, pk: int):
    now = timezone.now()
    survey = get_object_or_404(svc.owner_surveys(request.user, now=now), pk=pk)
    homes = svc.homes_to_answer(request.user, survey) if survey.is_open(now) else []
    form = answer_form(survey, homes, request.POST or None) if homes else None
    if request.method == "POST":
        if form is None:
            messages.error(
                request, _("There is nothing to answer: the survey is closed or your homes have answered.")
            )
            return redirect("elections:survey", pk=survey.pk)
        if form.is_valid():
            data = form.cleaned_data
            home = homes[0] if len(homes) == 1 else next(u for u in homes if str(u.pk) == data.get("home"))
            answers: dict = {}
            for q in survey.questions.all():
                value = data.get(f"q{q.pk}")
                if q.kind == SurveyQuestion.Kind.TEXT:
                    answers[q.pk] = value or ""
                elif q.kind == SurveyQuestion.Kind.MULTIPLE:
                    answers[q.pk] = value or []
                else:
                    answers[q.pk] = [value] if value else []
            try:
                svc.survey_answer(survey=survey, unit=home, actor=request.user, answers=answers)
            except svc.SurveyError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Thank you: the answer of %(home)s is recorded.") % {"home": home.code}
                )
                return redirect("elections:survey", pk=survey.pk)
    results = svc.survey_results(survey) if survey.is_closed(now) else None
    return render(
        request,
        "elections/surveys/owner_detail.html",
        {
            "survey": survey,
            "status": _status(survey, now),
            "form": form,
            "homes": homes,
            "results": results,
        },
    )


# ---------------------------------------------------------------------------------------------
# Staff and the askers
# ---------------------------------------------------------------------------------------------


def _compound(user, cpk: int):
    return get_object_or_404(svc.survey_compounds(user).select_related("community"), pk=cpk)


def _survey(user, pk: int) -> Survey:
    return get_object_or_404(svc.staff_surveys(user), pk=pk)


def _run_survey(user, pk: int) -> Survey:
    """A survey the user sees (else 404) and runs, being allowed to ask in its asker's name (else 403)."""
    survey = _survey(user, pk)
    if survey.asker not in svc.askers_for(user, survey.compound):
        raise PermissionDenied
    return survey


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def staff_list(request, cpk: int):
    compound = _compound(request.user, cpk)
    askers = svc.askers_for(request.user, compound)
    form = SurveyForm(request.POST or None, askers=askers)
    if request.method == "POST" and form.is_valid():
        try:
            survey = svc.survey_create(compound=compound, actor=request.user, **form.cleaned_data)
        except svc.SurveyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The survey is saved as a draft. Add its questions."))
            return redirect("manage:survey", pk=survey.pk)
    now = timezone.now()
    surveys = list(Survey.objects.filter(compound=compound).order_by("-created_at", "-pk"))
    for s in surveys:
        s.status = _status(s, now)
    return render(
        request,
        "elections/surveys/staff_list.html",
        {"compound": compound, "surveys": surveys, "form": form},
    )


@login_required
@refuse_as_403
@require_http_methods(["GET", "POST"])
def staff_detail(request, pk: int):
    survey = _survey(request.user, pk)
    runs = survey.asker in svc.askers_for(request.user, survey.compound)
    if request.method == "POST" and not runs:
        raise PermissionDenied
    edit = SurveyEditForm(
        request.POST or None,
        initial={
            "title": survey.title,
            "intro": survey.intro,
            "opens_at": timezone.localtime(survey.opens_at),
            "closes_at": timezone.localtime(survey.closes_at),
        },
    )
    if request.method == "POST" and edit.is_valid():
        try:
            svc.survey_update(survey=survey, actor=request.user, **edit.cleaned_data)
        except svc.SurveyError as error:
            edit.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("manage:survey", pk=survey.pk)
    now = timezone.now()
    results = svc.survey_results(survey) if survey.published_at else None
    return render(
        request,
        "elections/surveys/staff_detail.html",
        {
            "survey": survey,
            "status": _status(survey, now),
            "runs": runs,
            "edit_form": edit,
            "question_form": QuestionForm(),
            "questions": list(survey.questions.all()),
            "results": results,
        },
    )


@login_required
@refuse_as_403
@require_POST
def question_add(request, pk: int):
    survey = _run_survey(request.user, pk)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            svc.survey_question_add(survey=survey, actor=request.user, **form.cleaned_data)
        except svc.SurveyError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The question is added."))
    else:
        _flash(request, form)
    return redirect("manage:survey", pk=survey.pk)


@login_required
@refuse_as_403
@require_POST
def question_remove(request, pk: int, qid: int):
    survey = _run_survey(request.user, pk)
    question = get_object_or_404(SurveyQuestion, pk=qid, survey=survey)
    try:
        svc.survey_question_remove(question=question, actor=request.user)
    except svc.SurveyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Removed."))
    return redirect("manage:survey", pk=survey.pk)


@login_required
@refuse_as_403
@require_POST
def publish(request, pk: int):
    survey = _run_survey(request.user, pk)
    try:
        svc.survey_publish(survey=survey, actor=request.user)
    except svc.SurveyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The survey is published: owners can answer while it is open."))
    return redirect("manage:survey", pk=survey.pk)


@login_required
@refuse_as_403
@require_POST
def close(request, pk: int):
    survey = _run_survey(request.user, pk)
    try:
        svc.survey_close(survey=survey, actor=request.user)
    except svc.SurveyError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The survey is closed."))
    return redirect("manage:survey", pk=survey.pk)


def survey_xlsx(results: svc.SurveyResults) -> bytes:
    """The results: counts and shares per option, then the free-text answers (without the homes)."""
    import openpyxl
    from openpyxl.styles import Font

    survey = results.survey
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Survey results")
    sheet.append([str(svc.NOT_A_VOTE)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([_("Survey"), survey.title])
    sheet.append([_("Asked by"), survey.get_asker_display()])
    sheet.append([_("Compound"), survey.compound.name])
    sheet.append(
        [
            _("Open"),
            timezone.localtime(survey.opens_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(survey.closes_at).strftime("%Y-%m-%d %H:%M"),
        ]
    )
    sheet.append([_("Homes that answered"), results.responses, results.homes])
    sheet.append([])
    sheet.append([_("Question"), _("Option"), _("Homes"), _("Share of the homes that answered it")])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    texts = book.create_sheet(_("Free-text answers"))
    texts.append([str(svc.NOT_A_VOTE)])
    texts.append([_("Question"), _("Answer")])
    for r in results.questions:
        if r.options:
            for o in r.options:
                sheet.append(
                    [r.question.text, o.label, o.count, float(o.share) if o.share is not None else None]
                )
                sheet.cell(row=sheet.max_row, column=4).number_format = "0.0%"
        else:
            sheet.append([r.question.text, _("(free text: see the next sheet)"), r.answered, None])
            for text in r.texts:
                texts.append([r.question.text, text])
    for ws in (sheet, texts):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 30
    texts.column_dimensions["A"].width = 40
    texts.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
@require_GET
def export(request, pk: int):
    survey = _survey(request.user, pk)
    results = svc.survey_results(survey)
    record(
        "survey.exported",
        actor=request.user,
        obj=survey,
        compound_id=survey.compound_id,
        summary=f"survey results exported: {results.responses} answers",
        data={"survey": survey.pk},
    )
    response = HttpResponse(survey_xlsx(results), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(
        True, f"{survey.compound.name}-{_('survey')}-{survey.pk}.xlsx"
    )
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("surveys/", owner_list, name="surveys"),
    path("surveys/<int:pk>/", owner_detail, name="survey"),
]

manage_urlpatterns = [
    path("c/<int:cpk>/surveys/", staff_list, name="surveys"),
    path("surveys/<int:pk>/", staff_detail, name="survey"),
    path("surveys/<int:pk>/questions/", question_add, name="survey_question_add"),
    path("surveys/<int:pk>/questions/<int:qid>/delete/", question_remove, name="survey_question_remove"),
    path("surveys/<int:pk>/publish/", publish, name="survey_publish"),
    path("surveys/<int:pk>/close/", close, name="survey_close"),
    path("surveys/<int:pk>/export.xlsx", export, name="survey_export"),
]
