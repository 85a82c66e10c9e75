"""Moving an election safely: load it fresh, check who acts, and change the stage with a conditional
``UPDATE … WHERE stage = <the stage checked>`` that must touch exactly one row (of two clicks, two
tabs or a click and the scheduler, one wins and the other gets a message), writing the
``election.stage`` audit row with ``from``/``to``, who and when."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from elections.errors import ElectionError, NotStreetOffice, P, Problem, Refused
from elections.models import (
    Election,
)
from grids.models import RoleAssignment
from grids.selectors import managed_compounds, roles_of, staff_compounds
from yezhu.actors import Actor, SystemActor, is_system, require_actor
from yezhu.audit.log import record


def load_fresh(election: Election) -> Election:
    return Election.objects.select_related("compound__community__street").get(pk=election.pk)


def check_may_manage(actor: Actor, compound_id: int) -> None:
    """A person acting must manage the compound; a system actor that acts anywhere (the scheduler, an
    operator's command) may. An anonymous user is refused like anyone outside the scope."""
    require_actor(actor)
    if isinstance(actor, SystemActor):
        if actor.acts_anywhere:
            return
        raise ElectionError(_("You do not run elections in this compound."))
    if (
        not getattr(actor, "is_authenticated", False)
        or not managed_compounds(actor).filter(pk=compound_id).exists()
    ):
        raise ElectionError(_("You do not run elections in this compound."))


def is_street_office(actor, street_id: int) -> bool:
    """Street-office staff of this street (or a superuser, or a system actor acting anywhere): who
    may approve the gates (三关). Community staff and the working group may not: the gates are
    the street office's check on them."""
    if is_system(actor):
        return actor.acts_anywhere
    if not getattr(actor, "is_authenticated", False):
        return False
    if getattr(actor, "is_superuser", False):
        return True
    return any(
        ra.role == RoleAssignment.Role.STREET_STAFF and ra.street_id == street_id for ra in roles_of(actor)
    )


def check_street_office(actor, election: Election) -> None:
    require_actor(actor)
    if not is_street_office(actor, election.compound.community.street_id):
        raise NotStreetOffice(_("Only the street office may give this approval."))


def check_street_office_over(actor: Actor, compound_id: int) -> None:
    """Only a person of the street office (or the district above it) over the compound decides for
    the street office; community staff, the working group and the system are refused."""
    require_actor(actor)
    if isinstance(actor, SystemActor) or not getattr(actor, "is_authenticated", False):
        raise ElectionError(_("Only the street office's staff may record this."))
    roles = {RoleAssignment.Role.STREET_STAFF, RoleAssignment.Role.DISTRICT_STAFF}
    if not staff_compounds(actor, roles).filter(pk=compound_id).exists():
        raise ElectionError(_("Only the street office's staff may record this."))


def refuse_if_any(problems: Sequence[str]) -> None:
    if problems:
        raise Refused(problems)


def stage_problem(election: Election, *allowed: str) -> list[Problem]:
    if election.stage in allowed:
        return []
    return [
        P(
            "wrong_stage",
            _("This cannot be done while the election is at the stage “%(stage)s”.")
            % {"stage": election.get_stage_display()},
        )
    ]


def audit_election(
    action: str, election: Election, *, actor: Actor, summary: str, data: dict | None = None
) -> None:
    record(
        action,
        actor=actor,
        obj=election,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary=summary,
        data=data or {},
    )


def move_stage(
    election: Election,
    *,
    to: str,
    actor: Actor,
    fields: dict | None = None,
    data: dict | None = None,
) -> None:
    """Move from the stage the caller checked to ``to``: a conditional UPDATE that must hit one row."""
    old = election.stage
    fields = fields or {}
    touched = Election.objects.filter(pk=election.pk, stage=old).update(stage=to, **fields)
    if touched != 1:
        raise ElectionError(
            _("Someone else changed this election a moment ago. Reload the page and check its stage.")
        )
    for name, value in fields.items():
        setattr(election, name, value)
    election.stage = to
    audit_election(
        "election.stage",
        election,
        actor=actor,
        summary=f"stage {old} → {to}",
        data={"from": old, "to": to, **(data or {})},
    )


def update_if_stage(election: Election, *, stage: str, fields: dict, **where) -> None:
    """Change fields only if the election is still at ``stage`` (and matches ``where``)."""
    touched = Election.objects.filter(pk=election.pk, stage=stage, **where).update(**fields)
    if touched != 1:
        raise ElectionError(
            _("Someone else changed this election a moment ago. Reload the page and check its stage.")
        )
    for name, value in fields.items():
        setattr(election, name, value)


def reloaded(election: Election) -> Election:
    election.refresh_from_db()
    return election
