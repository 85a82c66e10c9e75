"""Writes for the party organisation (党工委 → 社区党委 → 小区党支部 → 楼栋党小组): its
organisations, their posts (书记、副书记、委员、楼栋党小组长) and members, members reporting (报到)
to their compound's branch, their activity, and party-member central households (党员中心户).

Each service is keyword-only with a required ``actor``, checks who may act through
``grids.selectors`` (the street's and community's staff within their scope; a branch's own
officers for its reports and activities), runs in one transaction and writes its audit row.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import (
    Building,
    Community,
    Compound,
    Ownership,
    PartyActivity,
    PartyMember,
    PartyOrg,
    PartyReport,
    Street,
    Unit,
)
from grids.selectors import branch_orgs_for, editable_party_orgs, party_places_for
from yezhu.actors import is_person, is_system, require_actor
from yezhu.audit.log import record
from yezhu.errors import DomainError


class PartyError(DomainError):
    """A change to the party organisation refused; the message says why."""

    code = "party_refused"
    status = 400


class PartyForbidden(DomainError):
    """The actor may not change this organisation (pages answer 403, or 404 where it is not theirs to see)."""

    code = "party_forbidden"
    status = 403


Level = PartyOrg.Level
Role = PartyMember.Role

#: The level of the organisation each level sits under.
PARENT_LEVEL = {
    Level.COMMUNITY: Level.STREET,
    Level.COMPOUND: Level.COMMUNITY,
    Level.BUILDING: Level.COMPOUND,
}
CHILD_LEVEL = {parent: child for child, parent in PARENT_LEVEL.items()}


def _anywhere(actor) -> bool:
    return is_system(actor) and actor.acts_anywhere


def _check_edit(actor, org: PartyOrg) -> None:
    require_actor(actor)
    if _anywhere(actor):
        return
    if not editable_party_orgs(actor).filter(pk=org.pk).exists():
        raise PartyForbidden(_("You do not look after this party organisation."))


def _check_branch(actor, org: PartyOrg) -> None:
    require_actor(actor)
    if _anywhere(actor):
        return
    if not branch_orgs_for(actor).filter(pk=org.pk).exists():
        raise PartyForbidden(_("You do not look after this party organisation."))


def compound_of(org: PartyOrg) -> Compound | None:
    if org.level == Level.COMPOUND:
        return org.compound
    if org.level == Level.BUILDING:
        return org.building.compound
    return None


def street_id_of(org: PartyOrg) -> int | None:
    if org.street_id:
        return org.street_id
    if org.community_id:
        return org.community.street_id
    compound = compound_of(org)
    return compound.community.street_id if compound else None


def _audit(action: str, org: PartyOrg, *, actor, summary: str, data: dict | None = None, obj=None) -> None:
    compound = compound_of(org)
    record(
        action,
        actor=actor,
        obj=obj or org,
        compound_id=compound.pk if compound else None,
        street_id=None if compound else street_id_of(org),
        summary=summary,
        data={"org": org.pk, **(data or {})},
    )


def default_name(level: str, place) -> str:
    if level == Level.STREET:
        return f"{place.name}党工委"
    if level == Level.COMMUNITY:
        return f"{place.name}党委"
    if level == Level.COMPOUND:
        return f"{place.name}党支部"
    return f"{place}党小组"


def _enclosing(level: str, place) -> PartyOrg | None:
    """The organisation one level up, where it exists."""
    if level == Level.COMMUNITY:
        return PartyOrg.objects.filter(level=Level.STREET, street_id=place.street_id).first()
    if level == Level.COMPOUND:
        return PartyOrg.objects.filter(level=Level.COMMUNITY, community_id=place.community_id).first()
    if level == Level.BUILDING:
        return PartyOrg.objects.filter(level=Level.COMPOUND, compound_id=place.compound_id).first()
    return None


def _may_place(actor, level: str, place) -> bool:
    if _anywhere(actor) or getattr(actor, "is_superuser", False):
        return True
    places = party_places_for(actor)
    if level == Level.STREET:
        return places["street"].filter(pk=place.pk).exists()
    if level == Level.COMMUNITY:
        return places["community"].filter(pk=place.pk).exists()
    community_id = place.community_id if level == Level.COMPOUND else place.compound.community_id
    return places["community"].filter(pk=community_id).exists()


PLACE_FIELD = {
    Level.STREET: "street",
    Level.COMMUNITY: "community",
    Level.COMPOUND: "compound",
    Level.BUILDING: "building",
}
PLACE_MODEL = {
    Level.STREET: Street,
    Level.COMMUNITY: Community,
    Level.COMPOUND: Compound,
    Level.BUILDING: Building,
}


def party_org_create(*, actor, level: str, place, name: str = "") -> PartyOrg:
    """A new organisation at ``level`` for ``place`` (a street, community, compound or building),
    under the organisation of the place one level up where that exists. One per place."""
    require_actor(actor)
    if level not in Level.values or not isinstance(place, PLACE_MODEL[level]):
        raise PartyError(_("Choose where the organisation is."))
    if not _may_place(actor, level, place):
        raise PartyForbidden(_("You do not look after this place."))
    field = PLACE_FIELD[level]
    with transaction.atomic():
        if PartyOrg.objects.filter(level=level, **{field: place}).exists():
            raise PartyError(_("%(place)s already has this organisation.") % {"place": place})
        org = PartyOrg(
            level=level,
            name=(name.strip() or default_name(level, place))[:100],
            parent=_enclosing(level, place),
            **{field: place},
        )
        org.full_clean()
        org.save()
        _audit("party.org_created", org, actor=actor, summary=f"party organisation created: {org.name}")
    return org


def party_org_rename(*, actor, org: PartyOrg, name: str) -> PartyOrg:
    name = name.strip()
    if not name:
        raise PartyError(_("Give the organisation a name."))
    with transaction.atomic():
        _check_edit(actor, org)
        before = org.name
        PartyOrg.objects.filter(pk=org.pk).update(name=name[:100])
        org.name = name[:100]
        _audit(
            "party.org_renamed",
            org,
            actor=actor,
            summary=f"renamed {before} → {org.name}",
            data={"before": before},
        )
    return org


def party_org_delete(*, actor, org: PartyOrg) -> None:
    with transaction.atomic():
        _check_edit(actor, org)
        if org.children.exists() or org.members.exists():
            raise PartyError(_("Remove its members and sub-organisations first."))
        _audit("party.org_deleted", org, actor=actor, summary=f"party organisation removed: {org.name}")
        org.delete()


def _owner_on_unit(org: PartyOrg, unit_code: str, name: str):
    """The owner called ``name`` registered on the unit ``unit_code`` of the org's compound."""
    compound = compound_of(org)
    if compound is None:
        raise PartyError(_("Only members of a compound's branch or building group are linked to a home."))
    unit = Unit.objects.filter(compound=compound, code=unit_code.strip()).first()
    if unit is None:
        raise PartyError(
            _("There is no unit %(code)s in %(compound)s.") % {"code": unit_code, "compound": compound}
        )
    ownership = Ownership.objects.filter(unit=unit, owner__name=name.strip()).select_related("owner").first()
    if ownership is None:
        raise PartyError(
            _("No owner called %(name)s is registered on %(code)s.") % {"name": name, "code": unit.code}
        )
    return ownership.owner


def _one_secretary(org: PartyOrg, role: str, member: PartyMember | None) -> None:
    if role != Role.SECRETARY:
        return
    other = org.members.filter(role=Role.SECRETARY).exclude(pk=member.pk if member else None).first()
    if other is not None:
        raise PartyError(
            _("%(org)s already has a secretary (%(name)s): change that post first.")
            % {"org": org.name, "name": other.name}
        )


def party_member_save(
    *,
    actor,
    org: PartyOrg,
    member: PartyMember | None = None,
    name: str,
    role: str = Role.MEMBER,
    unit_code: str = "",
    reported_on: date | None = None,
) -> PartyMember:
    """Add a member (or change one): name, post, and for a branch or building group the home they
    live in (the owner registered on that unit, whose account is linked when they have one)."""
    name = name.strip()
    if not name:
        raise PartyError(_("Enter the member's name."))
    if role not in Role.values:
        raise PartyError(_("Choose the member's post."))
    if role == Role.GROUP_LEADER and org.level != Level.BUILDING:
        raise PartyError(_("A party group leader leads a building party group."))
    with transaction.atomic():
        _check_edit(actor, org)
        if member is not None and member.org_id != org.pk:
            raise PartyError(_("This member belongs to another organisation."))
        _one_secretary(org, role, member)
        owner = _owner_on_unit(org, unit_code, name) if unit_code.strip() else None
        created = member is None
        member = member or PartyMember(org=org)
        member.name = name[:60]
        member.role = role
        member.reported_on = reported_on
        if owner is not None:
            member.owner = owner
            member.user = owner.user
        elif not unit_code.strip() and created:
            member.owner = None
        member.full_clean()
        member.save()
        _audit(
            "party.member_added" if created else "party.member_changed",
            org,
            actor=actor,
            obj=member,
            summary=f"party member {'added' if created else 'changed'}: {member.name} ({role})",
            data={"member": member.pk, "role": role, "owner": member.owner_id},
        )
    return member


def party_member_remove(*, actor, member: PartyMember) -> None:
    with transaction.atomic():
        _check_edit(actor, member.org)
        _audit(
            "party.member_removed",
            member.org,
            actor=actor,
            obj=member,
            summary=f"party member removed: {member.name}",
            data={"member": member.pk, "name": member.name},
        )
        member.delete()


# ---------------------------------------------------------------------------------------------
# Reporting to the compound's branch (在职党员报到)
# ---------------------------------------------------------------------------------------------


def branch_of(compound: Compound) -> PartyOrg | None:
    return PartyOrg.objects.filter(level=Level.COMPOUND, compound=compound).first()


def party_report_file(*, actor, unit: Unit, name: str, home_org: str) -> PartyReport:
    """A party member who owns ``unit`` reports to the branch of its compound (from their phone)."""
    require_actor(actor)
    if not is_person(actor):
        raise PartyForbidden(_("Sign in to report to the branch."))
    if not Ownership.objects.filter(unit=unit, owner__user=actor).exists():
        raise PartyForbidden(_("You can only report through a home registered to you."))
    name, home_org = name.strip(), home_org.strip()
    if not name or not home_org:
        raise PartyError(_("Enter your name and the party organisation that holds your membership."))
    branch = branch_of(unit.compound)
    if branch is None:
        raise PartyError(
            _("%(compound)s has no party branch on Yezhu yet: ask your community.")
            % {"compound": unit.compound}
        )
    if PartyMember.objects.filter(Q(user=actor) | Q(owner__user=actor), org=branch).exists():
        raise PartyError(_("You have already reported to %(branch)s.") % {"branch": branch.name})
    try:
        with transaction.atomic():
            report = PartyReport.objects.create(
                org=branch, user=actor, unit=unit, name=name[:60], home_org=home_org[:100]
            )
            record(
                "party.report_filed",
                actor=actor,
                obj=report,
                compound_id=unit.compound_id,
                summary=f"{report.name} reported to {branch.name}",
                data={"org": branch.pk, "unit": unit.pk},
            )
    except IntegrityError:
        raise PartyError(
            _("Your report to %(branch)s is waiting to be confirmed.") % {"branch": branch.name}
        ) from None
    return report


def _pending(report: PartyReport) -> PartyReport:
    fresh = PartyReport.objects.select_for_update().select_related("org", "unit").get(pk=report.pk)
    if fresh.status != PartyReport.Status.PENDING:
        raise PartyError(_("This report has already been decided."))
    return fresh


def party_report_confirm(*, actor, report: PartyReport) -> PartyMember:
    """The branch confirms: the reporter becomes a member of the branch, reported today."""
    with transaction.atomic():
        fresh = _pending(report)
        _check_branch(actor, fresh.org)
        owner = (
            Ownership.objects.filter(unit=fresh.unit, owner__user=fresh.user).select_related("owner").first()
        )
        member = PartyMember.objects.create(
            org=fresh.org,
            name=fresh.name,
            owner=owner.owner if owner else None,
            user=fresh.user,
            role=Role.MEMBER,
            reported_on=timezone.localdate(),
        )
        fresh.status = PartyReport.Status.CONFIRMED
        fresh.member = member
        fresh.decided_at = timezone.now()
        fresh.decided_by = actor if is_person(actor) else None
        fresh.save(update_fields=["status", "member", "decided_at", "decided_by"])
        _audit(
            "party.report_confirmed",
            fresh.org,
            actor=actor,
            obj=fresh,
            summary=f"report of {fresh.name} confirmed",
            data={"report": fresh.pk, "member": member.pk},
        )
    report.refresh_from_db()
    return member


def party_report_reject(*, actor, report: PartyReport, reason: str) -> PartyReport:
    reason = reason.strip()
    if not reason:
        raise PartyError(_("Give the reason, so the owner knows what to do."))
    with transaction.atomic():
        fresh = _pending(report)
        _check_branch(actor, fresh.org)
        fresh.status = PartyReport.Status.REJECTED
        fresh.reason = reason[:300]
        fresh.decided_at = timezone.now()
        fresh.decided_by = actor if is_person(actor) else None
        fresh.save(update_fields=["status", "reason", "decided_at", "decided_by"])
        _audit(
            "party.report_rejected",
            fresh.org,
            actor=actor,
            obj=fresh,
            summary=f"report of {fresh.name} not confirmed",
            data={"report": fresh.pk, "reason": fresh.reason},
        )
    report.refresh_from_db()
    return report


# ---------------------------------------------------------------------------------------------
# Activity and central households
# ---------------------------------------------------------------------------------------------


def party_activity_record(
    *, actor, member: PartyMember, on: date, kind: str, note: str = ""
) -> PartyActivity:
    if kind not in PartyActivity.Kind.values:
        raise PartyError(_("Choose the kind of activity."))
    if on > timezone.localdate():
        raise PartyError(_("An activity is recorded after it took place."))
    with transaction.atomic():
        _check_branch(actor, member.org)
        activity = PartyActivity.objects.create(
            member=member,
            on=on,
            kind=kind,
            note=note.strip()[:300],
            recorded_by=actor if is_person(actor) else None,
        )
        _audit(
            "party.activity",
            member.org,
            actor=actor,
            obj=activity,
            summary=f"activity of {member.name} on {on}: {kind}",
            data={"member": member.pk, "kind": kind, "on": on.isoformat()},
        )
    return activity


def central_household_set(*, actor, unit: Unit, on: bool) -> Unit:
    """Mark a home as a party-member central household (党员中心户), or stop marking it. The home
    must be a member's of the compound's branch or one of its building groups."""
    branch = branch_of(unit.compound)
    if branch is None:
        raise PartyError(_("The compound has no party branch."))
    with transaction.atomic():
        _check_branch(actor, branch)
        if (
            on
            and not PartyMember.objects.filter(
                org__in=PartyOrg.objects.filter(pk=branch.pk) | PartyOrg.objects.filter(parent=branch),
                owner__ownerships__unit=unit,
            ).exists()
        ):
            raise PartyError(_("A central household is the home of a party member of the branch."))
        Unit.objects.filter(pk=unit.pk).update(central_household=bool(on))
        unit.central_household = bool(on)
        record(
            "party.central_household",
            actor=actor,
            obj=unit,
            compound_id=unit.compound_id,
            summary=f"{unit.code} {'marked' if on else 'no longer'} a party-member central household",
            data={"on": bool(on)},
        )
    return unit
