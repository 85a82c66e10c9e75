"""The committee register (:class:`~elections.models.Committee`): entering a committee elected
before Yezhu, its dates and its members. The committee elected here is put on the register by the
transition ``committee_from_result`` (:mod:`elections.lifecycle.stages`)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.lifecycle.moves import check_may_manage, refuse_if_any
from elections.models import (
    Committee,
    CommitteeMember,
)
from grids.models import Compound
from yezhu.actors import Actor
from yezhu.audit.log import record


def committee_audit(action: str, committee: Committee, *, actor: Actor, summary: str, data: dict) -> None:
    record(
        action,
        actor=actor,
        obj=committee,
        compound_id=committee.compound_id,
        election_id=committee.election_id,
        summary=summary,
        data=data,
    )


def committee_register(
    *,
    compound: Compound,
    actor: Actor,
    term_start: date,
    term_end: date,
    filed_on: date | None = None,
    first_meeting_on: date | None = None,
    officers_published_on: date | None = None,
) -> Committee:
    """Register a committee already sitting (elected before Yezhu was used) by hand.

    Refused while another committee of the compound is in office, or for a term over five years.
    """
    check_may_manage(actor, compound.pk)
    with transaction.atomic():
        # One registration at a time per compound, so two clerks cannot both add a committee.
        Compound.objects.select_for_update().filter(pk=compound.pk).values_list("pk").first()
        committee = Committee(
            compound=compound,
            term_start=term_start,
            term_end=term_end,
            filed_on=filed_on,
            first_meeting_on=first_meeting_on,
            officers_published_on=officers_published_on,
        )
        if term_end <= term_start:
            raise ElectionError(_("The term must end after it starts."))
        refuse_if_any(committee.term_problems())
        committee.full_clean()
        committee.save()
        committee_audit(
            "committee.registered",
            committee,
            actor=actor,
            summary=f"committee registered by hand: {term_start} – {term_end}",
            data={"term_start": term_start.isoformat(), "term_end": term_end.isoformat()},
        )
    return committee


COMMITTEE_DATES = (
    "term_start",
    "term_end",
    "first_meeting_on",
    "officers_published_on",
    "filed_on",
    "ended_on",
    "handed_over_on",
)


def committee_update(*, committee: Committee, actor: Actor, **dates: date | None) -> Committee:
    """Record the first meeting, the officers' notice, the filing, leaving office or the handover.

    The filing of a committee elected here is recorded by :func:`election_file`; its term is set
    by the election and changes only by hand-registered committees.
    """
    unknown = set(dates) - set(COMMITTEE_DATES)
    if unknown:
        raise TypeError(f"unknown committee dates: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        check_may_manage(actor, fresh.compound_id)
        if fresh.election_id is not None:
            for name in ("term_start", "term_end", "filed_on"):
                if name in dates and dates[name] != getattr(fresh, name):
                    raise ElectionError(
                        _("The term and the filing of a committee elected here follow its election.")
                    )
        changed = {}
        for name, value in dates.items():
            if getattr(fresh, name) != value:
                changed[name] = value.isoformat() if value else None
                setattr(fresh, name, value)
        if fresh.term_end <= fresh.term_start:
            raise ElectionError(_("The term must end after it starts."))
        if not changed:
            return fresh
        if "ended_on" in changed and fresh.ended_on is None:
            # Back in office: one at a time per compound (the lock as in committee_register).
            Compound.objects.select_for_update().filter(pk=fresh.compound_id).values_list("pk").first()
        refuse_if_any(fresh.term_problems())
        fresh.full_clean()
        fresh.save()
        committee_audit(
            "committee.updated",
            fresh,
            actor=actor,
            summary="committee dates: " + ", ".join(changed),
            data=changed,
        )
    committee.refresh_from_db()
    return committee


def committee_member_save(
    *,
    committee: Committee,
    actor: Actor,
    member: CommitteeMember | None = None,
    name: str,
    role: str = CommitteeMember.Role.MEMBER,
    party_member: bool = False,
    cross_post: bool = False,
) -> CommitteeMember:
    """Add or change a member: one chair at most (主任), officers elected at the first meeting."""
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        check_may_manage(actor, fresh.compound_id)
        if member is not None and member.committee_id != fresh.pk:
            raise ElectionError(_("This member belongs to another committee."))
        if role == CommitteeMember.Role.CHAIR:
            others = CommitteeMember.objects.filter(committee=fresh, role=CommitteeMember.Role.CHAIR)
            if member is not None:
                others = others.exclude(pk=member.pk)
            if others.exists():
                raise ElectionError(
                    _("The committee already has a chair; make the present chair a member first.")
                )
        if member is None:
            position = (fresh.members.aggregate(m=Max("position"))["m"] or 0) + 1
            member = CommitteeMember(committee=fresh, position=position)
        member.name, member.role = name.strip(), role
        member.party_member, member.cross_post = party_member, cross_post
        member.full_clean()
        member.save()
        committee_audit(
            "committee.member_saved",
            fresh,
            actor=actor,
            summary=f"committee member {member.name}: {role}",
            data={
                "member": member.pk,
                "name": member.name,
                "role": role,
                "party": party_member,
                "cross_post": cross_post,
            },
        )
    return member


def committee_member_remove(
    *,
    member: CommitteeMember,
    actor: Actor,
) -> None:
    with transaction.atomic():
        committee = Committee.objects.select_for_update().get(pk=member.committee_id)
        check_may_manage(actor, committee.compound_id)
        committee_audit(
            "committee.member_removed",
            committee,
            actor=actor,
            summary=f"committee member removed: {member.name}",
            data={"member": member.pk, "name": member.name, "role": member.role},
        )
        member.delete()
