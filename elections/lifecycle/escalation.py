"""Escalation (督办): a compound overdue beyond the profile's limit becomes a step the street office
must act on (RULES.md §7: "the street office orders the election; a 物管会 may be formed").

Two reasons, each with the profile's limit in days ("more than N days": day N is still only overdue,
day N + 1 escalates):

- ``term_expired``: the committee in office's term ended more than ``escalation_term_days`` ago and no
  election of a committee is under way (应换未换);
- ``election_stalled``: an election under way has a milestone overdue by more than
  ``escalation_stalled_days``.

:func:`escalations_sweep` runs in the scheduler's beat task (``SCHEDULER``): it raises what is due,
tells the street office (the task sends the notice), and resolves what no longer applies. It is
idempotent (one open escalation per compound and reason, held by a unique constraint). The street
office acts with :func:`escalation_order_election` or by forming the 物管会
(:func:`elections.lifecycle.interim.property_committee_form`). Every step is an
:class:`~elections.models.EscalationStep` (who was told, when, by whom); where the escalation concerns
an election, the election's six-step case file (:class:`~elections.models.CaseStep`) records it too.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError, NotStreetOffice
from elections.lifecycle.moves import audit_election, is_street_office
from elections.lifecycle.state import election_timeline
from elections.models import (
    CaseStep,
    Committee,
    Election,
    Escalation,
    EscalationStep,
    Stage,
)
from elections.rules import timeline as tl
from grids.models import Compound
from yezhu.actors import Actor, SystemActor, actor_label, person
from yezhu.audit.log import record

Reason = Escalation.Reason
OPEN_STAGES_EXCLUDED = (Stage.DONE, Stage.FAILED)
#: Elections that elect a committee (a vote on matters only does not answer an expired term).
COMMITTEE_KINDS = (Election.Kind.FIRST_ASSEMBLY, Election.Kind.REELECTION)
#: Milestones of the next term, not deadlines of the election under way.
TERM_MILESTONES = frozenset({"reelection_start", "handover"})


def _profile(compound: Compound) -> tl.Profile:
    return tl.PROFILES.get(compound.community.street.profile) or tl.get_profile("national")


def _told_street(compound: Compound) -> str:
    return _("%(street)s street office (inbox, text message and the street board)") % {
        "street": compound.community.street.name
    }


def _case_note(
    election: Election, step: int, text: str, *, actor: Actor, done_on: date | None = None
) -> None:
    """Add ``text`` to the election's case file step (六步法), creating it if needed."""
    case_step, _created = CaseStep.objects.get_or_create(election=election, step=step)
    case_step.notes = f"{case_step.notes}\n{text}".strip() if case_step.notes else text
    if not case_step.responsible:
        case_step.responsible = _("street office")
    if done_on is not None and case_step.done_on is None:
        case_step.done_on = done_on
    case_step.save()
    audit_election(
        "election.case_step",
        election,
        actor=actor,
        summary=f"case file step {step}: escalation",
        data={"step": step, "escalation": True},
    )


def _step(
    escalation: Escalation, kind: str, on: date, *, actor: Actor, told: str = "", note: str = ""
) -> EscalationStep:
    step = EscalationStep.objects.create(
        escalation=escalation,
        kind=kind,
        on=on,
        told=told[:200],
        told_at=timezone.now() if told else None,
        by=person(actor),
        by_label=actor_label(actor),
        note=note,
    )
    record(
        f"escalation.{kind}",
        actor=actor,
        obj=escalation,
        compound_id=escalation.compound_id,
        election_id=escalation.election_id,
        summary=f"escalation {escalation.reason}: {kind}",
        data={"step": step.pk, "told": told[:200], "on": on.isoformat()},
    )
    return step


def _raise(
    compound: Compound,
    reason: str,
    *,
    today: date,
    overdue_since: date,
    actor: Actor,
    committee: Committee | None = None,
    election: Election | None = None,
    note: str,
) -> Escalation | None:
    """Open an escalation unless one is open for the compound and reason (then None)."""
    if Escalation.objects.filter(compound=compound, reason=reason, resolved_on__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                compound=compound,
                reason=reason,
                committee=committee,
                election=election,
                overdue_since=overdue_since,
                raised_on=today,
            )
    except IntegrityError:  # a second sweep raised it first
        return None
    _step(escalation, EscalationStep.Kind.RAISED, today, actor=actor, told=_told_street(compound), note=note)
    if election is not None:
        _case_note(election, CaseStep.Step.PROBLEM, note, actor=actor, done_on=today)
    return escalation


def _resolve(
    escalation: Escalation, *, today: date, actor: Actor, note: str, election: Election | None = None
) -> None:
    updated = Escalation.objects.filter(pk=escalation.pk, resolved_on__isnull=True).update(
        status=Escalation.Status.RESOLVED, resolved_on=today, election=election or escalation.election
    )
    if not updated:
        return
    escalation.refresh_from_db()
    _step(escalation, EscalationStep.Kind.RESOLVED, today, actor=actor, note=note)
    if escalation.election is not None:
        history = "；".join(
            f"{s.on.isoformat()} {s.get_kind_display()}" + (f"（{s.told}）" if s.told else "")
            for s in escalation.steps.all()
        )
        _case_note(escalation.election, CaseStep.Step.CHECK, f"{note}：{history}", actor=actor)


def stalled_milestone(election: Election, today: date, days: int) -> tl.Milestone | None:
    """The first milestone of the election overdue by more than ``days`` days, if any."""
    for m in election_timeline(election, today=today).milestones:
        if m.key in TERM_MILESTONES or m.status != tl.MilestoneStatus.OVERDUE or m.due is None:
            continue
        if (today - m.due).days > days:
            return m
    return None


def escalations_sweep(*, actor: Actor, today: date | None = None) -> dict[str, list[Escalation]]:
    """Raise the escalations that are due and resolve those that no longer apply. Safe to run twice:
    a second run on the same day raises and resolves nothing."""
    today = today or timezone.localdate()
    if not (isinstance(actor, SystemActor) and actor.acts_anywhere):
        raise ElectionError(_("Only the scheduler sweeps the escalations."))
    raised: list[Escalation] = []
    resolved: list[Escalation] = []
    under_way = {
        e.compound_id: e
        for e in Election.objects.filter(kind__in=COMMITTEE_KINDS)
        .exclude(stage__in=OPEN_STAGES_EXCLUDED)
        .order_by("created_at", "pk")
    }

    # 1. Terms expired with no election of a committee under way.
    expired = (
        Committee.objects.filter(ended_on__isnull=True, term_end__lt=today)
        .exclude(Q(election__isnull=False) & Q(filed_on__isnull=True))
        .select_related("compound__community__street")
        .order_by("compound_id", "-term_start", "-pk")
    )
    seen: set[int] = set()
    for committee in expired:
        compound = committee.compound
        if compound.pk in seen:
            continue
        seen.add(compound.pk)
        newer = Committee.objects.filter(
            compound=compound, ended_on__isnull=True, term_end__gte=today
        ).exclude(Q(election__isnull=False) & Q(filed_on__isnull=True))
        if compound.pk in under_way or newer.exists():
            continue
        limit = _profile(compound).escalation_term_days.value
        days = (today - committee.term_end).days
        if days > limit:
            found = _raise(
                compound,
                Reason.TERM_EXPIRED,
                today=today,
                overdue_since=committee.term_end + timedelta(days=1),
                actor=actor,
                committee=committee,
                note=_(
                    "The committee's term ended on %(end)s, %(days)d days ago, and no election is under way "
                    "(more than %(limit)d days): the street office orders the election or forms the "
                    "property management committee."
                )
                % {"end": committee.term_end.isoformat(), "days": days, "limit": limit},
            )
            if found is not None:
                raised.append(found)

    # 2. Elections under way with a milestone overdue beyond the limit.
    stalled_now: set[int] = set()
    for election in (
        Election.objects.exclude(stage__in=OPEN_STAGES_EXCLUDED)
        .select_related("compound__community__street")
        .order_by("pk")
    ):
        limit = _profile(election.compound).escalation_stalled_days.value
        milestone = stalled_milestone(election, today, limit)
        if milestone is None or milestone.due is None:
            continue
        stalled_now.add(election.pk)
        found = _raise(
            election.compound,
            Reason.ELECTION_STALLED,
            today=today,
            overdue_since=milestone.due + timedelta(days=1),
            actor=actor,
            election=election,
            note=_(
                "%(title)s: “%(milestone)s” was due on %(due)s and is overdue by more than %(limit)d days: "
                "the street office orders the working group to go on, or forms the property management committee."
            )
            % {"title": election.title, "milestone": milestone.title, "due": milestone.due, "limit": limit},
        )
        if found is not None:
            raised.append(found)

    # 3. Resolve what no longer applies.
    for escalation in Escalation.objects.filter(resolved_on__isnull=True).select_related("election"):
        if escalation.reason == Reason.TERM_EXPIRED:
            successor = under_way.get(escalation.compound_id)
            in_term = Committee.objects.filter(
                compound_id=escalation.compound_id, ended_on__isnull=True, term_end__gte=today
            ).exclude(Q(election__isnull=False) & Q(filed_on__isnull=True))
            if successor is not None:
                _resolve(
                    escalation,
                    today=today,
                    actor=actor,
                    election=successor,
                    note=_("An election is under way: %(title)s") % {"title": successor.title},
                )
                resolved.append(escalation)
            elif in_term.exists():
                _resolve(escalation, today=today, actor=actor, note=_("A new committee is in office."))
                resolved.append(escalation)
        elif escalation.election_id not in stalled_now:
            _resolve(escalation, today=today, actor=actor, note=_("The election is no longer stalled."))
            resolved.append(escalation)
    return {"raised": raised, "resolved": resolved}


def escalation_order_election(
    *, escalation: Escalation, actor: Actor, told: str, on: date, note: str = ""
) -> EscalationStep:
    """The street office orders the election (责令限期组织换届, or the working group to go on): who was
    told and on which day are required, and become a step of the escalation (and of the election's
    case file where there is one)."""
    told = (told or "").strip()
    if not told:
        raise ElectionError(
            _("Say who was told (the committee, the residents' committee, the working group).")
        )
    if on > timezone.localdate():
        raise ElectionError(_("The day cannot be in the future."))
    with transaction.atomic():
        fresh = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("compound__community__street", "election")
            .get(pk=escalation.pk)
        )
        if isinstance(actor, SystemActor) or not is_street_office(actor, fresh.compound.community.street_id):
            raise NotStreetOffice(_("Only the street office acts on an escalation."))
        if fresh.resolved_on is not None:
            raise ElectionError(_("This escalation is resolved: nothing to act on."))
        step = _step(
            fresh, EscalationStep.Kind.ORDERED_ELECTION, on, actor=actor, told=told, note=note.strip()
        )
        Escalation.objects.filter(pk=fresh.pk).update(status=Escalation.Status.ACTED)
        if fresh.election is not None:
            _case_note(
                fresh.election,
                CaseStep.Step.MEASURES,
                _("%(date)s the street office ordered the election to go on; told: %(told)s. %(note)s")
                % {"date": on.isoformat(), "told": told, "note": note.strip()},
                actor=actor,
            )
    return step


def open_escalations(compound_ids) -> list[Escalation]:
    """``compound_ids``: ids, or a queryset of them (a subquery, as the board passes)."""
    ids = compound_ids if isinstance(compound_ids, QuerySet) else list(compound_ids)
    return list(
        Escalation.objects.filter(compound_id__in=ids, resolved_on__isnull=True)
        .select_related("compound", "election", "committee")
        .prefetch_related("steps")
        .order_by("raised_on", "pk")
    )
