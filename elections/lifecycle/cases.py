"""The six-step case file (:class:`~elections.models.CaseStep`, 明确问题→…→效果检查) that a stalled
election's working group keeps."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.lifecycle.moves import audit_election, check_may_manage, load_fresh
from elections.models import (
    CaseStep,
    Election,
)
from yezhu.actors import Actor


def case_step_save(
    *,
    election: Election,
    actor: Actor,
    step: int,
    responsible: str = "",
    due_on: date | None = None,
    done_on: date | None = None,
    notes: str = "",
) -> CaseStep:
    """Record one of the six steps (明确问题→设定目标→分析原因→制定对策→对策实施→效果检查)."""
    step = int(step)
    if step not in CaseStep.Step.values:
        raise ElectionError(_("The case file has six steps."))
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        if done_on is not None and step > 1:
            missing = [
                s
                for s in range(1, step)
                if not CaseStep.objects.filter(election=fresh, step=s, done_on__isnull=False).exists()
            ]
            if missing:
                raise ElectionError(
                    _("Finish step %(step)s first: the six steps are taken in order.") % {"step": missing[0]}
                )
        case_step, _created = CaseStep.objects.get_or_create(election=fresh, step=step)
        case_step.responsible, case_step.due_on, case_step.done_on = responsible.strip(), due_on, done_on
        case_step.notes = notes
        case_step.full_clean()
        case_step.save()
        audit_election(
            "election.case_step",
            fresh,
            actor=actor,
            summary=f"case file step {step} saved",
            data={
                "step": step,
                "responsible": case_step.responsible,
                "due_on": due_on.isoformat() if due_on else None,
                "done_on": done_on.isoformat() if done_on else None,
            },
        )
    return case_step
