"""What a compound's street page shows of the committee between elections: its 物业管理委员会, the
tracked filings and handovers, and the escalations, with the forms that act on them (the actions
live in :mod:`elections.views.interim`)."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from elections.forms.interim import ChangeForm, DoneForm, OrderElectionForm
from elections.lifecycle.filings import TERM_HANDOVER, deadline_rows
from elections.lifecycle.interim import compound_profile, provides_property_committee
from elections.lifecycle.moves import is_street_office
from elections.models import Committee, Escalation, PropertyCommittee
from grids.models import Compound
from yezhu.actors import SystemActor


def street_office_of(user, compound: Compound) -> bool:
    return not isinstance(user, SystemActor) and is_street_office(user, compound.community.street_id)


def interim_context(compound: Compound, user, today: date, *, may_manage: bool) -> dict:
    profile = compound_profile(compound)
    street_office = street_office_of(user, compound)
    bodies = list(
        PropertyCommittee.objects.filter(compound=compound)
        .prefetch_related("members")
        .order_by("-formed_on", "-pk")
    )
    current = (
        Committee.objects.filter(compound=compound, ended_on__isnull=True)
        .order_by("-term_start", "-pk")
        .first()
    )
    active = next((b for b in bodies if b.active), None)
    deadlines = [
        {
            "row": d,
            "overdue": d.overdue(today),
            "late": d.late(),
            "done_url": reverse("street:deadline_done", args=[d.deadline.pk]) if d.deadline else "",
            "print_url": reverse("street:deadline_print", args=[d.deadline.pk])
            if d.deadline and d.deadline.kind == "filing"
            else "",
            "register_url": reverse("manage:committees", args=[compound.pk])
            if d.kind == TERM_HANDOVER and may_manage
            else "",
        }
        for d in deadline_rows([compound.pk], today=today)
    ]
    escalations = list(
        Escalation.objects.filter(compound=compound)
        .select_related("election")
        .prefetch_related("steps")
        .order_by("resolved_on", "-raised_on", "-pk")[:10]
    )
    return {
        "interim_profile": profile,
        "provides_property_committee": provides_property_committee(profile),
        "street_office": street_office,
        "property_committees": [(b, reverse("street:property_committee", args=[b.pk])) for b in bodies],
        "active_property_committee": active,
        "form_property_committee_url": reverse("street:property_committee_form", args=[compound.pk])
        if street_office and provides_property_committee(profile) and active is None
        else "",
        "deadlines": deadlines,
        "change_target": active if current is None or current.term_end < today and active else current,
        "change_url": reverse("street:committee_change", args=[compound.pk]) if may_manage else "",
        "change_form": ChangeForm(initial={"on": today}),
        "done_form": DoneForm(initial={"done_on": today}, auto_id=False),
        "escalations": [
            (
                e,
                reverse("street:escalation_order", args=[e.pk])
                if street_office and e.resolved_on is None
                else "",
            )
            for e in escalations
        ],
        "order_form": OrderElectionForm(initial={"on": today}),
        "may_manage": may_manage,
    }
