"""The 物业管理委员会 (物管会): the street office's interim committee (RULES.md §7; 北京 第52–58条,
杭州 第38–41条).

Where the street's regional profile provides one (``property_committee_term_years_max`` is set), the
street office forms it when a committee cannot be formed (an election of the committee failed) or a
term ended with no new committee. Its members: an odd number, at least the profile's minimum (7),
owners at least half, chaired by the residents' committee's representative. Its term is at most the
profile's years, and it is publicised. It organises the next election and, in the interim, may
convene an assembly (an expired committee cannot). It is dissolved when the new committee takes
office (:func:`property_committee_dissolve_if_succeeded`, run by the scheduler and by the register).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError, NotStreetOffice
from elections.lifecycle.filings import record_change
from elections.lifecycle.moves import check_may_manage, is_street_office
from elections.lifecycle.setup import election_create
from elections.models import (
    Committee,
    CommitteeDeadline,
    Election,
    Escalation,
    EscalationStep,
    PropertyCommittee,
    PropertyCommitteeMember,
    Stage,
)
from elections.rules import timeline as tl
from grids.models import Compound
from yezhu.actors import Actor, SystemActor, actor_label, person
from yezhu.audit.log import record

#: Elections whose failure shows that a committee cannot be formed (选不出业委会).
COMMITTEE_KINDS = (Election.Kind.FIRST_ASSEMBLY, Election.Kind.REELECTION)
#: What a 物管会 may convene: the next election of the committee, or an assembly on matters.
CONVENE_KINDS = (Election.Kind.FIRST_ASSEMBLY, Election.Kind.REELECTION, Election.Kind.MATTERS_ONLY)


@dataclass(frozen=True)
class MemberSpec:
    """One member as the street office enters them."""

    name: str
    is_owner: bool = False
    residents_committee: bool = False
    chair: bool = False
    affiliation: str = ""
    owner_id: int | None = None


def compound_profile(compound: Compound) -> tl.Profile:
    return tl.PROFILES.get(compound.community.street.profile) or tl.get_profile("national")


def provides_property_committee(profile: tl.Profile) -> bool:
    return profile.property_committee_term_years_max.value is not None


def active_property_committee(compound_id: int) -> PropertyCommittee | None:
    return PropertyCommittee.objects.filter(compound_id=compound_id, dissolved_on__isnull=True).first()


def committee_in_term(compound_id: int, on: date) -> Committee | None:
    """The committee in office on ``on`` whose term has not ended (an expired one is not)."""
    return (
        Committee.objects.filter(compound_id=compound_id, ended_on__isnull=True, term_end__gte=on)
        .exclude(Q(election__isnull=False) & Q(filed_on__isnull=True))
        .order_by("-term_start", "-pk")
        .first()
    )


def convening_body(compound: Compound, on: date | None = None) -> str | None:
    """Who may convene an assembly of the compound on ``on``: ``"committee"`` (a committee whose term
    runs), ``"property_committee"`` (an active 物管会, in the interim) or None (an expired committee
    may not: the street office orders the election, RULES.md §7)."""
    on = on or timezone.localdate()
    if committee_in_term(compound.pk, on) is not None:
        return "committee"
    if active_property_committee(compound.pk) is not None:
        return "property_committee"
    return None


def check_street_staff(actor: Actor, compound: Compound) -> None:
    """Only a person of the compound's street office forms the 物管会 (not community staff, not the
    working group, not the system)."""
    if isinstance(actor, SystemActor) or not is_street_office(actor, compound.community.street_id):
        raise NotStreetOffice(_("Only the street office may form a property management committee."))


def basis_problems(compound: Compound, basis: str, on: date) -> list[str]:
    """Why the street office may not form a 物管会 for ``basis`` on ``on`` (empty when it may)."""
    if basis not in PropertyCommittee.Basis.values:
        return [_("Say why the property management committee is formed.")]
    sitting = committee_in_term(compound.pk, on)
    if sitting is not None:
        return [
            _(
                "The compound has a committee in office until %(end)s: a property management committee "
                "is formed only when no committee can be formed or the term ended with no successor."
            )
            % {"end": sitting.term_end.isoformat()}
        ]
    if basis == PropertyCommittee.Basis.NO_SUCCESSOR:
        ended = Committee.objects.filter(compound_id=compound.pk, term_end__lt=on).exists()
        if not ended:
            return [_("The compound has no committee whose term has ended: choose the other reason.")]
    else:
        failed = Election.objects.filter(
            compound_id=compound.pk, kind__in=COMMITTEE_KINDS, stage=Stage.FAILED
        ).exists()
        if not failed:
            return [
                _(
                    "No election of a committee has failed in this compound: record the failed election "
                    "first, or choose the other reason."
                )
            ]
    return []


def member_problems(members: list[MemberSpec], profile: tl.Profile) -> list[str]:
    """Members: odd, at least the profile's minimum, owners at least half, one chair from the
    residents' committee."""
    problems = []
    smallest = profile.property_committee_members_min.value
    n = len(members)
    if any(not m.name.strip() for m in members):
        problems.append(_("Every member needs a name."))
    if n < smallest:
        problems.append(
            _("A property management committee has at least %(min)d members; %(n)d are entered.")
            % {"min": smallest, "n": n}
        )
    if n % 2 == 0:
        problems.append(
            _("A property management committee has an odd number of members; %(n)d are entered.") % {"n": n}
        )
    owners = sum(1 for m in members if m.is_owner)
    if 2 * owners < n:
        problems.append(
            _("Owners must be at least half of the members: %(owners)d of %(n)d are owners.")
            % {"owners": owners, "n": n}
        )
    chairs = [m for m in members if m.chair]
    if len(chairs) != 1:
        problems.append(_("Mark exactly one member as the chair."))
    elif not chairs[0].residents_committee:
        problems.append(_("The chair is the residents' committee's representative: mark them so."))
    return problems


def term_problems(term_start: date, term_end: date, profile: tl.Profile) -> list[str]:
    years = profile.property_committee_term_years_max.value
    if term_end <= term_start:
        return [_("The term must end after it starts.")]
    if years is not None and term_end > tl.add_years(term_start, years):
        return [
            _(
                "A property management committee serves at most %(years)d years (%(source)s): end the term by %(date)s."
            )
            % {
                "years": years,
                "source": profile.property_committee_term_years_max.source,
                "date": tl.add_years(term_start, years).isoformat(),
            }
        ]
    return []


def property_committee_form(
    *,
    compound: Compound,
    actor: Actor,
    basis: str,
    formed_on: date,
    term_start: date,
    term_end: date,
    publicity_start: date,
    publicity_end: date,
    members: list[MemberSpec],
    decision_number: str = "",
) -> PropertyCommittee:
    """The street office forms the compound's 物管会. Refused, with every reason, where the profile
    provides none, a committee's term still runs, one is already active, or the members or term do
    not meet the rules. Files the formation (变更备案, a tracked deadline) and records the step on
    any escalation of the compound that waits for the street office."""
    compound = Compound.objects.select_related("community__street").get(pk=compound.pk)
    check_street_staff(actor, compound)
    profile = compound_profile(compound)
    if not provides_property_committee(profile):
        raise ElectionError(
            _("The regional rules of %(region)s provide no property management committee.")
            % {"region": profile.label}
        )
    problems = basis_problems(compound, basis, formed_on)
    problems += member_problems(members, profile)
    problems += term_problems(term_start, term_end, profile)
    if publicity_end < publicity_start:
        problems.append(_("The publicity must end on or after the day it starts."))
    if formed_on > timezone.localdate():
        problems.append(_("The day it was formed cannot be in the future."))
    if problems:
        raise ElectionError(" ".join(str(p) for p in problems))
    with transaction.atomic():
        Compound.objects.select_for_update().filter(pk=compound.pk).values_list("pk").first()
        if active_property_committee(compound.pk) is not None:
            raise ElectionError(_("The compound already has a property management committee."))
        body = PropertyCommittee(
            compound=compound,
            basis=basis,
            formed_on=formed_on,
            decision_number=decision_number.strip()[:60],
            term_start=term_start,
            term_end=term_end,
            publicity_start=publicity_start,
            publicity_end=publicity_end,
            formed_by=person(actor),
        )
        body.full_clean()
        body.save()
        for position, spec in enumerate(members, start=1):
            member = PropertyCommitteeMember(
                property_committee=body,
                name=spec.name.strip(),
                affiliation=spec.affiliation.strip()[:60],
                is_owner=spec.is_owner,
                owner_id=spec.owner_id,
                residents_committee=spec.residents_committee,
                chair=spec.chair,
                position=position,
            )
            member.full_clean()
            member.save()
        record(
            "property_committee.formed",
            actor=actor,
            obj=body,
            compound_id=compound.pk,
            summary=f"property management committee formed: {len(members)} members, "
            f"term {term_start} – {term_end}",
            data={
                "basis": basis,
                "members": len(members),
                "owners": sum(1 for m in members if m.is_owner),
                "term_start": term_start.isoformat(),
                "term_end": term_end.isoformat(),
                "publicity_end": publicity_end.isoformat(),
            },
        )
        record_change(
            compound=compound,
            committee=None,
            property_committee=body,
            change=CommitteeDeadline.Change.PROPERTY_COMMITTEE,
            on=formed_on,
            actor=actor,
            subject=_("property management committee"),
        )
        for escalation in Escalation.objects.select_for_update().filter(
            compound=compound, resolved_on__isnull=True
        ):
            EscalationStep.objects.create(
                escalation=escalation,
                kind=EscalationStep.Kind.FORMED_PROPERTY_COMMITTEE,
                on=formed_on,
                told=_("the residents' committee and the owners (publicity until %(date)s)")
                % {"date": publicity_end.isoformat()},
                told_at=timezone.now(),
                by=person(actor),
                by_label=actor_label(actor),
            )
            Escalation.objects.filter(pk=escalation.pk).update(status=Escalation.Status.ACTED)
    return body


def property_committee_convene(
    *, property_committee: PropertyCommittee, actor: Actor, title: str, kind: str = Election.Kind.REELECTION
) -> Election:
    """The 物管会 convenes an assembly in the interim: the next election of the committee, or a
    vote on matters. The election is marked as organised by it."""
    if kind not in CONVENE_KINDS:
        raise ElectionError(
            _("A property management committee convenes the committee's election or a vote on matters.")
        )
    with transaction.atomic():
        body = (
            PropertyCommittee.objects.select_for_update()
            .select_related("compound__community__street")
            .get(pk=property_committee.pk)
        )
        check_may_manage(actor, body.compound_id)
        if body.dissolved_on is not None:
            raise ElectionError(_("This property management committee was dissolved: it convenes nothing."))
        election = election_create(compound=body.compound, title=title, kind=kind, actor=actor)
        Election.objects.filter(pk=election.pk).update(property_committee=body)
        record(
            "property_committee.convened",
            actor=actor,
            obj=body,
            compound_id=body.compound_id,
            election_id=election.pk,
            summary=f"assembly convened by the property management committee: {election.title}",
            data={"election": election.pk, "kind": kind},
        )
    election.refresh_from_db()
    return election


def property_committee_dissolve_if_succeeded(*, compound_id: int, actor: Actor) -> PropertyCommittee | None:
    """Dissolve the compound's 物管会 once a new committee has taken office (elected after it was
    formed, filed or registered): dissolved on the new term's first day. Safe to run twice."""
    with transaction.atomic():
        body = (
            PropertyCommittee.objects.select_for_update()
            .filter(compound_id=compound_id, dissolved_on__isnull=True)
            .first()
        )
        if body is None:
            return None
        check_may_manage(actor, compound_id)
        successor = (
            Committee.objects.filter(
                compound_id=compound_id, ended_on__isnull=True, term_start__gte=body.formed_on
            )
            .exclude(Q(election__isnull=False) & Q(filed_on__isnull=True))
            .order_by("-term_start", "-pk")
            .first()
        )
        if successor is None:
            return None
        body.dissolved_on, body.successor = successor.term_start, successor
        body.save(update_fields=["dissolved_on", "successor"])
        record(
            "property_committee.dissolved",
            actor=actor,
            obj=body,
            compound_id=compound_id,
            summary=f"property management committee dissolved: the committee of {successor.term_start} took office",
            data={"successor": successor.pk, "dissolved_on": successor.term_start.isoformat()},
        )
    return body
