"""Outreach before the vote (真如's JK method: 走访、交心) and the reserve of future candidates
(第二梯队, also 曹杨).

Visits before the vote are logged by home from the working group's forming until voting opens
(:data:`OUTREACH_STAGES`): the working group and the compound's staff for any home, a grid
leader for the homes of their grids. During the vote visits are logged per voter on the
canvassing pages (``elections.turnout.visit_record``), which also show these earlier ones.

The reserve lists owners who could stand at a later election, with who suggested them; the
compound's managing staff (the working group among them) and the officers of its party branch see
and keep it. Nothing here is a nomination: a reserve candidate becomes a candidate only through
the nominations of an election.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Election, OutreachVisit, ReserveCandidate, Stage
from elections.selectors import staff_elections
from grids.models import Compound, Ownership, RoleAssignment, Unit
from grids.selectors import grid_units, managed_compounds, officer_compounds, roles_of
from yezhu import formats
from yezhu.actors import is_person, is_system, require_actor
from yezhu.audit.log import record

#: From the working group's forming until voting opens.
OUTREACH_STAGES = (Stage.WORKING_GROUP, Stage.NOTICE, Stage.NOMINATION, Stage.VETTING, Stage.CANDIDATE_NOTICE)


class OutreachForbidden(ElectionError):
    code = "outreach_forbidden"
    status = 403


# ---------------------------------------------------------------------------------------------
# Visits before the vote
# ---------------------------------------------------------------------------------------------


def led_grid_ids(user) -> list[int]:
    return [ra.grid_id for ra in roles_of(user) if ra.role == RoleAssignment.Role.GRID_LEADER]


def grid_outreach_elections(user) -> QuerySet[Election]:
    """Elections before their vote in the compounds of the grids the user leads."""
    led = led_grid_ids(user)
    if not led:
        return Election.objects.none()
    return (
        staff_elections(user)
        .filter(compound__grids__id__in=led, stage__in=OUTREACH_STAGES)
        .distinct()
        .order_by("created_at", "pk")
    )


def get_grid_outreach_election(user, pk: int) -> Election:
    from django.http import Http404

    election = grid_outreach_elections(user).filter(pk=pk).first()
    if election is None:
        raise Http404
    return election


def outreach_units(user, election: Election) -> QuerySet[Unit]:
    """The homes the user may log a visit to: every home of the compound for its managing staff,
    the homes of their grids for a grid leader. Homes with a registered owner only."""
    owned = Unit.objects.filter(compound_id=election.compound_id, ownerships__isnull=False)
    if is_system(user) and user.acts_anywhere:
        return owned.distinct()
    if not is_person(user):
        return Unit.objects.none()
    if managed_compounds(user).filter(pk=election.compound_id).exists():
        return owned.distinct()
    return owned.filter(pk__in=grid_units(user).values("pk")).distinct()


def outreach_record(
    *, election: Election, unit: Unit, actor, outcome: str, way: str = OutreachVisit.Way.VISIT, note: str = ""
) -> OutreachVisit:
    """Log a visit or talk with the owners of ``unit`` before the vote."""
    require_actor(actor)
    if election.stage not in OUTREACH_STAGES:
        raise ElectionError(
            _(
                "Visits before the vote are logged from the working group's forming until voting opens; "
                "while voting is open, log them on the canvassing pages."
            )
        )
    if outcome not in OutreachVisit.Outcome.values or way not in OutreachVisit.Way.values:
        raise ElectionError(_("Choose how the visit went."))
    if not outreach_units(actor, election).filter(pk=unit.pk).exists():
        raise OutreachForbidden(_("This home is not one you visit for this election."))
    with transaction.atomic():
        visit = OutreachVisit(
            election=election,
            unit=unit,
            visited_by=actor,
            way=way,
            outcome=outcome,
            note=note.strip()[:500],
        )
        visit.full_clean()
        visit.save()
        record(
            "outreach.visit",
            actor=actor,
            obj=visit,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"visit before the vote to {unit.code}: {way}, {outcome}",
            data={"unit": unit.pk, "way": way, "outcome": outcome},
        )
    return visit


@dataclass(frozen=True)
class OutreachSummary:
    homes: int
    visited: int
    visits: int
    outcomes: list[tuple[str, int]]

    @property
    def percent(self) -> str:
        return formats.percent(self.visited, self.homes)


def outreach_summary(election: Election, units: QuerySet[Unit]) -> OutreachSummary:
    """How many of these homes were visited, and how the latest visit to each went: three queries."""
    visits = OutreachVisit.objects.filter(election=election, unit__in=units.values("pk"))
    latest: dict[int, str] = {}
    for unit_id, outcome in visits.order_by("unit_id", "created_at", "pk").values_list("unit_id", "outcome"):
        latest[unit_id] = outcome
    labels = dict(OutreachVisit.Outcome.choices)
    counted = Counter(latest.values())
    return OutreachSummary(
        homes=units.count(),
        visited=len(latest),
        visits=visits.count(),
        outcomes=[(labels[k], counted[k]) for k in OutreachVisit.Outcome.values if counted[k]],
    )


def last_visits(election: Election, unit_ids: list[int]) -> dict[int, OutreachVisit]:
    """The latest visit before the vote to each of these homes (one query)."""
    found: dict[int, OutreachVisit] = {}
    for visit in OutreachVisit.objects.filter(election=election, unit_id__in=unit_ids).order_by(
        "created_at", "pk"
    ):
        found[visit.unit_id] = visit
    return found


# ---------------------------------------------------------------------------------------------
# The reserve of future candidates
# ---------------------------------------------------------------------------------------------


def reserve_compounds(user) -> QuerySet[Compound]:
    """Compounds whose reserve the user sees and keeps: the managing staff (working group, community,
    street) and the officers of the compound's party branch."""
    if not is_person(user):
        return Compound.objects.none()
    return Compound.objects.filter(
        Q(pk__in=managed_compounds(user).values("pk")) | Q(pk__in=officer_compounds(user).values("pk"))
    )


def _check_reserve(actor, compound_id: int) -> None:
    require_actor(actor)
    if is_system(actor) and actor.acts_anywhere:
        return
    if not reserve_compounds(actor).filter(pk=compound_id).exists():
        raise OutreachForbidden(_("You do not keep the reserve of this compound."))


def reserve_add(
    *,
    compound: Compound,
    actor,
    name: str,
    source: str,
    suggested_by_name: str,
    unit_code: str = "",
    party_member: bool = False,
    reason: str = "",
) -> ReserveCandidate:
    """Put an owner on the reserve, with who suggested them and why. With a unit number the owner of
    that name registered on it is linked (an owner is on the active reserve once)."""
    _check_reserve(actor, compound.pk)
    name, suggested_by_name = name.strip(), suggested_by_name.strip()
    if not name or not suggested_by_name:
        raise ElectionError(_("Enter the name and who suggested them."))
    if source not in ReserveCandidate.Source.values:
        raise ElectionError(_("Choose who suggested them."))
    owner = None
    unit_code = unit_code.strip()
    if unit_code:
        ownership = (
            Ownership.objects.filter(unit__compound=compound, unit__code=unit_code, owner__name=name)
            .select_related("owner")
            .first()
        )
        if ownership is None:
            raise ElectionError(
                _("No owner called %(name)s is registered on %(code)s.") % {"name": name, "code": unit_code}
            )
        owner = ownership.owner
    try:
        with transaction.atomic():
            candidate = ReserveCandidate(
                compound=compound,
                name=name[:60],
                owner=owner,
                unit_code=unit_code[:60],
                party_member=party_member,
                source=source,
                suggested_by_name=suggested_by_name[:60],
                reason=reason.strip(),
                added_by=actor if is_person(actor) else None,
            )
            candidate.full_clean(validate_constraints=False)
            candidate.save()
            record(
                "reserve.added",
                actor=actor,
                obj=candidate,
                compound_id=compound.pk,
                summary=f"{candidate.name} put on the reserve, suggested by {candidate.suggested_by_name}",
                data={"candidate": candidate.pk, "source": source, "owner": owner.pk if owner else None},
            )
    except IntegrityError:
        raise ElectionError(_("%(name)s is already on the reserve.") % {"name": name}) from None
    return candidate


def reserve_withdraw(*, candidate: ReserveCandidate, actor, reason: str = "") -> ReserveCandidate:
    _check_reserve(actor, candidate.compound_id)
    with transaction.atomic():
        fresh = ReserveCandidate.objects.select_for_update().get(pk=candidate.pk)
        if fresh.status != ReserveCandidate.Status.ACTIVE:
            raise ElectionError(_("Already withdrawn from the reserve."))
        fresh.status = ReserveCandidate.Status.WITHDRAWN
        fresh.withdrawn_at = timezone.now()
        fresh.withdrawn_reason = reason.strip()[:300]
        fresh.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])
        record(
            "reserve.withdrawn",
            actor=actor,
            obj=fresh,
            compound_id=fresh.compound_id,
            summary=f"{fresh.name} withdrawn from the reserve",
            data={"candidate": fresh.pk, "reason": fresh.withdrawn_reason},
        )
    candidate.refresh_from_db()
    return candidate
