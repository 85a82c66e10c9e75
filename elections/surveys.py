"""Issue surveys (问题征集): the committee, the compound's party branch or the working group asks
owners questions (one choice, several choices, free text), one answer per home, open for a set
time; the results are counted as a chart and an export.

A survey is not a vote of the owners' assembly and decides nothing (RULES.md: only the assembly
decides, by the thresholds of 民法典 第278条). So it has tables of its own
(``elections.outreach_models``), no tally, bundle, ballot or turnout code reads them, answers carry
no area and no weight, and every page and export says it is not a vote (:data:`NOT_A_VOTE`).

Who asks: the compound's managing staff (street, community, working group) for any of the three
askers; the officers of the compound's branch for the branch; members of the committee in office
whose account is linked to their owner record for the committee. Who answers: an owner, for a home
registered to them; the database allows one answer per home and survey.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from elections.models import Committee, CommitteeMember, Survey, SurveyQuestion, SurveyResponse
from grids.models import Compound, Ownership, Unit
from grids.selectors import managed_compounds, officer_compounds, owner_units
from yezhu import formats
from yezhu.actors import is_person, is_system, require_actor
from yezhu.audit.log import record
from yezhu.errors import DomainError

NOT_A_VOTE = gettext_lazy(
    "An issue survey is not a vote of the owners' assembly: it decides nothing and is never counted "
    "with any vote."
)
MAX_QUESTIONS = 20
MAX_OPTIONS = 12
Asker = Survey.Asker
Kind = SurveyQuestion.Kind


class SurveyError(DomainError):
    code = "survey_refused"
    status = 400


class SurveyForbidden(DomainError):
    code = "survey_forbidden"
    status = 403


class AlreadyAnswered(SurveyError):
    code = "survey_already_answered"
    status = 409


# ---------------------------------------------------------------------------------------------
# Who may ask, who may answer (scoped reads)
# ---------------------------------------------------------------------------------------------


def committee_compounds(user) -> QuerySet[Compound]:
    """Compounds whose committee in office counts the user (through their owner record) as a member."""
    if not is_person(user):
        return Compound.objects.none()
    seated = CommitteeMember.objects.filter(owner__user=user).exclude(role=CommitteeMember.Role.ALTERNATE)
    return Compound.objects.filter(
        committees__in=Committee.objects.filter(ended_on__isnull=True, members__in=seated)
    ).distinct()


def askers_for(user, compound: Compound) -> list[str]:
    """Whom the user may ask in the name of, in this compound (empty: they run no survey here)."""
    if is_system(user):
        return list(Asker.values) if user.acts_anywhere else []
    if not is_person(user):
        return []
    if managed_compounds(user).filter(pk=compound.pk).exists():
        return list(Asker.values)
    askers = []
    if officer_compounds(user).filter(pk=compound.pk).exists():
        askers.append(Asker.BRANCH)
    if committee_compounds(user).filter(pk=compound.pk).exists():
        askers.append(Asker.COMMITTEE)
    return askers


def survey_compounds(user) -> QuerySet[Compound]:
    """Compounds in which the user may run surveys (and read their results at any time)."""
    if not is_person(user):
        return Compound.objects.none()
    q = Q(pk__in=managed_compounds(user).values("pk"))
    q |= Q(pk__in=officer_compounds(user).values("pk")) | Q(pk__in=committee_compounds(user).values("pk"))
    return Compound.objects.filter(q)


def staff_surveys(user) -> QuerySet[Survey]:
    return Survey.objects.filter(compound__in=survey_compounds(user)).select_related("compound")


def owner_surveys(user, *, now: datetime | None = None) -> QuerySet[Survey]:
    """Published surveys of the compounds the user owns a home in, from their opening on."""
    now = now or timezone.now()
    if not is_person(user):
        return Survey.objects.none()
    compounds = owner_units(user).values("compound_id")
    return (
        Survey.objects.filter(compound_id__in=compounds, published_at__isnull=False, opens_at__lte=now)
        .select_related("compound")
        .order_by("-closes_at", "-pk")
    )


def homes_to_answer(user, survey: Survey) -> list[Unit]:
    """The user's homes in the survey's compound that have not answered yet."""
    answered = SurveyResponse.objects.filter(survey=survey).values("unit_id")
    return list(
        owner_units(user).filter(compound_id=survey.compound_id).exclude(pk__in=answered).order_by("code")
    )


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


def _audit(action: str, survey: Survey, *, actor, summary: str, data: dict | None = None) -> None:
    record(
        action,
        actor=actor,
        obj=survey,
        compound_id=survey.compound_id,
        summary=summary,
        data={"survey": survey.pk, **(data or {})},
    )


def _check_runs(actor, survey: Survey) -> None:
    require_actor(actor)
    if survey.asker not in askers_for(actor, survey.compound):
        raise SurveyForbidden(_("You do not run this survey."))


def _draft(survey: Survey) -> Survey:
    fresh = Survey.objects.select_for_update().select_related("compound").get(pk=survey.pk)
    if fresh.published_at is not None:
        raise SurveyError(_("The survey is published: its questions and dates no longer change."))
    return fresh


def _window(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise SurveyError(_("The survey must close after it opens."))


def survey_create(
    *,
    compound: Compound,
    actor,
    asker: str,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    intro: str = "",
) -> Survey:
    """A draft survey in the name of ``asker``; questions are added before it is published."""
    require_actor(actor)
    if asker not in Asker.values:
        raise SurveyError(_("Choose who asks."))
    if asker not in askers_for(actor, compound):
        raise SurveyForbidden(
            _("You may not ask owners in the name of %(asker)s.") % {"asker": Asker(asker).label}
        )
    title = title.strip()
    if not title:
        raise SurveyError(_("Give the survey a title."))
    _window(opens_at, closes_at)
    with transaction.atomic():
        survey = Survey(
            compound=compound,
            asker=asker,
            title=title[:200],
            intro=intro.strip(),
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=actor if is_person(actor) else None,
        )
        survey.full_clean()
        survey.save()
        _audit(
            "survey.created",
            survey,
            actor=actor,
            summary=f"survey created: {survey.title}",
            data={"asker": asker},
        )
    return survey


def survey_update(
    *, survey: Survey, actor, title: str, opens_at: datetime, closes_at: datetime, intro: str = ""
) -> Survey:
    _check_runs(actor, survey)
    title = title.strip()
    if not title:
        raise SurveyError(_("Give the survey a title."))
    _window(opens_at, closes_at)
    with transaction.atomic():
        fresh = _draft(survey)
        fresh.title, fresh.intro, fresh.opens_at, fresh.closes_at = (
            title[:200],
            intro.strip(),
            opens_at,
            closes_at,
        )
        fresh.full_clean()
        fresh.save(update_fields=["title", "intro", "opens_at", "closes_at"])
        _audit("survey.updated", fresh, actor=actor, summary=f"survey changed: {fresh.title}")
    survey.refresh_from_db()
    return survey


def survey_question_add(
    *, survey: Survey, actor, kind: str, text: str, options: list[str] | None = None, required: bool = True
) -> SurveyQuestion:
    _check_runs(actor, survey)
    if kind not in Kind.values:
        raise SurveyError(_("Choose the kind of answer."))
    text = text.strip()
    if not text:
        raise SurveyError(_("Write the question."))
    options = [o.strip()[:100] for o in (options or []) if o.strip()]
    if kind == Kind.TEXT:
        options = []
    elif len(options) < 2:
        raise SurveyError(_("A question with choices needs at least two options."))
    elif len(options) > MAX_OPTIONS or len(set(options)) != len(options):
        raise SurveyError(_("Give at most %(n)s options, each once.") % {"n": MAX_OPTIONS})
    with transaction.atomic():
        fresh = _draft(survey)
        count = fresh.questions.count()
        if count >= MAX_QUESTIONS:
            raise SurveyError(_("A survey has at most %(n)s questions.") % {"n": MAX_QUESTIONS})
        question = SurveyQuestion.objects.create(
            survey=fresh, position=count + 1, kind=kind, text=text[:300], options=options, required=required
        )
        _audit(
            "survey.question_added",
            fresh,
            actor=actor,
            summary=f"question added: {question.text}",
            data={"question": question.pk, "kind": kind, "options": options},
        )
    return question


def survey_question_remove(*, question: SurveyQuestion, actor) -> None:
    _check_runs(actor, question.survey)
    with transaction.atomic():
        fresh = _draft(question.survey)
        _audit("survey.question_removed", fresh, actor=actor, summary=f"question removed: {question.text}")
        question.delete()


def survey_publish(*, survey: Survey, actor, now: datetime | None = None) -> Survey:
    """Owners can answer from ``opens_at`` until ``closes_at``; the questions are fixed from now."""
    now = now or timezone.now()
    _check_runs(actor, survey)
    with transaction.atomic():
        fresh = _draft(survey)
        if not fresh.questions.exists():
            raise SurveyError(_("Add at least one question first."))
        if fresh.closes_at <= now:
            raise SurveyError(_("The closing time has passed: set a later one first."))
        Survey.objects.filter(pk=fresh.pk, published_at__isnull=True).update(published_at=now)
        _audit(
            "survey.published",
            fresh,
            actor=actor,
            summary=f"survey published: open {fresh.opens_at:%Y-%m-%d %H:%M} – {fresh.closes_at:%Y-%m-%d %H:%M}",
            data={"opens_at": fresh.opens_at.isoformat(), "closes_at": fresh.closes_at.isoformat()},
        )
    survey.refresh_from_db()
    return survey


def survey_close(*, survey: Survey, actor, now: datetime | None = None) -> Survey:
    """Close an open survey before its closing time (the answers so far are its results)."""
    now = now or timezone.now()
    _check_runs(actor, survey)
    with transaction.atomic():
        fresh = Survey.objects.select_for_update().get(pk=survey.pk)
        if fresh.published_at is None or now >= fresh.closes_at:
            raise SurveyError(_("Only an open survey can be closed early."))
        before = fresh.closes_at
        fresh.closes_at = max(now, fresh.opens_at + timedelta(seconds=1))
        fresh.save(update_fields=["closes_at"])
        _audit(
            "survey.closed_early",
            fresh,
            actor=actor,
            summary="survey closed before its closing time",
            data={"scheduled": before.isoformat(), "closed": fresh.closes_at.isoformat()},
        )
    survey.refresh_from_db()
    return survey


def _clean_answers(survey: Survey, raw: dict) -> dict[str, list[int] | str]:
    answers: dict[str, list[int] | str] = {}
    for question in survey.questions.all():
        value = raw.get(question.pk, raw.get(str(question.pk)))
        if question.kind == Kind.TEXT:
            text = (value or "").strip() if isinstance(value, str) else ""
            if text:
                answers[str(question.pk)] = text[:1000]
            elif question.required:
                raise SurveyError(_("Answer the question “%(q)s”.") % {"q": question.text})
            continue
        picked = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
        try:
            indexes = sorted({int(v) for v in picked})
        except (TypeError, ValueError):
            raise SurveyError(_("Choose among the options of “%(q)s”.") % {"q": question.text}) from None
        if any(i < 0 or i >= len(question.options) for i in indexes):
            raise SurveyError(_("Choose among the options of “%(q)s”.") % {"q": question.text})
        if question.kind == Kind.SINGLE and len(indexes) > 1:
            raise SurveyError(_("Choose one option for “%(q)s”.") % {"q": question.text})
        if not indexes and question.required:
            raise SurveyError(_("Answer the question “%(q)s”.") % {"q": question.text})
        if indexes:
            answers[str(question.pk)] = indexes
    return answers


def survey_answer(
    *, survey: Survey, unit: Unit, actor, answers: dict, now: datetime | None = None
) -> SurveyResponse:
    """One home's answers: by an owner registered on ``unit``, while the survey is open. A second
    answer for the same home is refused by the database (one answer per home)."""
    now = now or timezone.now()
    require_actor(actor)
    if not is_person(actor) or not Ownership.objects.filter(unit=unit, owner__user=actor).exists():
        raise SurveyForbidden(_("You can answer only for a home registered to you."))
    if unit.compound_id != survey.compound_id:
        raise SurveyForbidden(_("This survey is for another compound."))
    if not survey.is_open(now):
        raise SurveyError(_("The survey is not open."))
    cleaned = _clean_answers(survey, answers)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, unit=unit, answered_by=actor, answers=cleaned
            )
            record(
                "survey.answered",
                actor=actor,
                obj=survey,
                compound_id=survey.compound_id,
                summary=f"survey #{survey.pk} answered for a home",
                data={"survey": survey.pk, "response": response.pk},
            )
    except IntegrityError:
        raise AlreadyAnswered(_("This home has already answered the survey.")) from None
    return response


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionCount:
    label: str
    count: int
    answered: int  # homes that answered the question

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.answered) if self.answered else None

    @property
    def percent(self) -> str:
        return formats.percent(self.count, self.answered)

    @property
    def width(self) -> int:
        """The share as a whole percentage 0–100, for the bar's .w0 … .w100 class (no inline style)."""
        share = self.share
        return 0 if share is None else max(0, min(100, math.floor(share * 100 + Fraction(1, 2))))


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int
    options: list[OptionCount] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def grouped_texts(self) -> list[tuple[str, int]]:
        """The free answers, the same words once with how many homes wrote them, most first."""
        return Counter(t.strip() for t in self.texts if t.strip()).most_common()


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    homes: int  # homes with a registered owner in the compound
    questions: list[QuestionResult]

    @property
    def response_percent(self) -> str:
        return OptionCount("", self.responses, self.homes).percent


def survey_results(survey: Survey) -> SurveyResults:
    """Counts per option (shares of the homes that answered that question) and the free texts.
    Two queries and the questions; no area, no weight: a survey counts homes."""
    questions = list(survey.questions.all())
    responses = list(SurveyResponse.objects.filter(survey=survey).values_list("answers", flat=True))
    homes = Unit.objects.filter(compound_id=survey.compound_id, ownerships__isnull=False).distinct().count()
    results = []
    for question in questions:
        key = str(question.pk)
        given = [r[key] for r in responses if key in r]
        if question.kind == Kind.TEXT:
            results.append(
                QuestionResult(question=question, answered=len(given), texts=[str(t) for t in given])
            )
            continue
        counts = [0] * len(question.options)
        for picked in given:
            for index in picked:
                if 0 <= index < len(counts):
                    counts[index] += 1
        results.append(
            QuestionResult(
                question=question,
                answered=len(given),
                options=[
                    OptionCount(label, n, len(given))
                    for label, n in zip(question.options, counts, strict=True)
                ],
            )
        )
    return SurveyResults(survey=survey, responses=len(responses), homes=homes, questions=results)
