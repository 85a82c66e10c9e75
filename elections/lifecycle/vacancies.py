"""The committee between elections (RULES.md §7): a member leaves, an alternate moves up, a member
is proposed for removal and the assembly decides. Committee-level actions, so services here rather
than transitions of an election (docs/ARCHITECTURE.md); what they read is in
:mod:`elections.lifecycle.seats`.

- :func:`vacancy_record`: staff record that a member left (resigned, moved out, died, removed),
  with the reason and the day. The next alternate (候补委员) in rank order (their order on the
  register) moves up into the seat; the move is publicised for the profile's objection window and
  filed within ``vacancy_filing_days`` of the notice's end (both dates are kept on the vacancy).
  With no alternate left and fewer than half of the seats filled, the committee is flagged: the
  whole committee is re-elected and a by-election is refused (:func:`seats.by_election_problems`).
- :func:`removal_propose_by_members`: at least a third of the members propose removing a member
  (罢免); owners propose it by signing an owners' proposal naming the member
  (:mod:`elections.proposals`), which calls :func:`removal_from_owners` when it reaches 20 %.
- :func:`removal_to_agenda`: the proposal is put on an assembly's agenda as an ordinary matter.
- :func:`removals_decide`: when that assembly's result is published, a passed matter removes the
  member (a vacancy as above), a failed one leaves them in office.
"""

from __future__ import annotations

from datetime import date
from math import ceil

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.calendar import db_calendar
from elections.errors import ElectionError
from elections.lifecycle.committees import committee_audit
from elections.lifecycle.filings import record_change
from elections.lifecycle.moves import check_may_manage, refuse_if_any
from elections.lifecycle.seats import committee_profile, seat_state
from elections.lifecycle.setup import matter_save
from elections.models import AssemblyProposal, Committee, CommitteeDeadline, CommitteeMember, Election, Matter
from elections.rules import timeline as tl
from elections.vacancy_models import MemberRemoval, Vacancy
from yezhu.actors import Actor, person

Change = CommitteeDeadline.Change

Role = CommitteeMember.Role
Reason = Vacancy.Reason
RemovalStatus = MemberRemoval.Status
OPEN_REMOVAL = (RemovalStatus.PROPOSED, RemovalStatus.ON_AGENDA)


def _lock(committee_id: int) -> Committee:
    return (
        Committee.objects.select_for_update()
        .select_related("compound__community__street")
        .get(pk=committee_id)
    )


def _leave(
    committee: Committee,
    member: CommitteeMember,
    *,
    actor: Actor,
    reason: str,
    left_on: date,
    note: str = "",
    notice_start: date | None = None,
) -> Vacancy:
    """The member leaves the locked ``committee``: the vacancy, the alternate's move, the flag."""
    before = seat_state(committee)
    if committee.seats is None:
        # The seats the committee had, known from here on: a vacancy must not shrink them.
        committee.seats = before.seats
        Committee.objects.filter(pk=committee.pk).update(seats=before.seats)
    seated = member.role != Role.ALTERNATE
    vacancy = Vacancy(
        committee=committee,
        name=member.name,
        role=member.role,
        owner_id=member.owner_id,
        reason=reason,
        note=note.strip()[:300],
        left_on=left_on,
        recorded_by=person(actor),
    )
    member.delete()
    moved = None
    if seated:
        moved = (
            CommitteeMember.objects.filter(committee=committee, role=Role.ALTERNATE)
            .order_by("position", "pk")
            .first()
        )
    if moved is not None:
        CommitteeMember.objects.filter(pk=moved.pk).update(role=Role.MEMBER)
        profile = committee_profile(committee)
        calendar = db_calendar()
        start = notice_start or timezone.localdate()
        notice_end = tl.period_end(start, profile.objection_window_days.value, calendar).due
        vacancy.moved_up, vacancy.moved_up_name = moved, moved.name
        vacancy.notice_start, vacancy.notice_end = start, notice_end
        vacancy.file_by = tl.period_end(notice_end, profile.vacancy_filing_days.value, calendar).due
    vacancy.full_clean()
    vacancy.save()
    # Every change to a committee is filed (变更备案) within the profile's days, and the departing
    # member hands over what they keep (RULES.md §7): both become tracked deadlines.
    record_change(
        compound=committee.compound,
        committee=committee,
        property_committee=None,
        change=Change.MEMBER_OUT,
        on=left_on,
        actor=actor,
        subject=vacancy.name,
    )
    after = seat_state(committee)
    committee_audit(
        "committee.vacancy",
        committee,
        actor=actor,
        summary=(
            f"{vacancy.name} left on {left_on} ({reason})"
            + (f"; alternate {moved.name} moved up, to be filed by {vacancy.file_by}" if moved else "")
        ),
        data={
            "vacancy": vacancy.pk,
            "name": vacancy.name,
            "role": vacancy.role,
            "reason": reason,
            "left_on": left_on.isoformat(),
            "moved_up": moved.name if moved else None,
            "notice_end": vacancy.notice_end.isoformat() if vacancy.notice_end else None,
            "file_by": vacancy.file_by.isoformat() if vacancy.file_by else None,
            "seats": after.seats,
            "members": after.members,
            "alternates": after.alternates,
        },
    )
    if after.below_half and committee.full_reelection_due_since is None:
        Committee.objects.filter(pk=committee.pk).update(full_reelection_due_since=left_on)
        committee_audit(
            "committee.full_reelection_due",
            committee,
            actor=actor,
            summary=f"{after.members} of {after.seats} seats filled, fewer than half: the whole committee is re-elected",
            data={"seats": after.seats, "members": after.members, "since": left_on.isoformat()},
        )
    return vacancy


def vacancy_record(
    *,
    member: CommitteeMember,
    actor: Actor,
    reason: str,
    left_on: date,
    note: str = "",
    notice_start: date | None = None,
) -> Vacancy:
    """Record that ``member`` left the committee (RULES.md §7); the next alternate moves up.

    A member removed by the assembly leaves through :func:`removals_decide`, not here.
    """
    if reason not in Reason.values or reason == Reason.REMOVED:
        raise ElectionError(
            _(
                "Choose why the member left: resigned, moved out, died or another reason (a removal is decided by the assembly)."
            )
        )
    if reason == Reason.OTHER and not note.strip():
        raise ElectionError(_("Say why the member left."))
    with transaction.atomic():
        committee = _lock(member.committee_id)
        check_may_manage(actor, committee.compound_id)
        fresh = CommitteeMember.objects.filter(pk=member.pk, committee=committee).first()
        if fresh is None:
            raise ElectionError(_("This member is no longer on the committee."))
        problems = []
        if committee.ended_on is not None:
            problems.append(_("This committee has left office: its members no longer change."))
        if left_on < committee.term_start:
            problems.append(_("A member cannot leave before the committee's term started."))
        if left_on > timezone.localdate():
            problems.append(_("Record a member's leaving once it has happened: the day is in the future."))
        if notice_start is not None and notice_start < left_on:
            problems.append(_("The notice of the move cannot be posted before the member left."))
        refuse_if_any(problems)
        return _leave(
            committee,
            fresh,
            actor=actor,
            reason=reason,
            left_on=left_on,
            note=note,
            notice_start=notice_start,
        )


def vacancy_file(*, vacancy: Vacancy, actor: Actor, on: date) -> Vacancy:
    """Record the day the alternate's move was filed (备案)."""
    with transaction.atomic():
        committee = _lock(vacancy.committee_id)
        check_may_manage(actor, committee.compound_id)
        fresh = Vacancy.objects.get(pk=vacancy.pk)
        if fresh.moved_up_name == "":
            raise ElectionError(_("No alternate moved up into this seat: there is nothing to file."))
        if fresh.notice_start and on < fresh.notice_start:
            raise ElectionError(_("The move cannot be filed before its notice was posted."))
        fresh.filed_on = on
        fresh.save(update_fields=["filed_on"])
        committee_audit(
            "committee.vacancy_filed",
            committee,
            actor=actor,
            summary=f"move of {fresh.moved_up_name} into the seat of {fresh.name} filed on {on}"
            + (" (late)" if fresh.file_by and on > fresh.file_by else ""),
            data={
                "vacancy": fresh.pk,
                "on": on.isoformat(),
                "due": fresh.file_by.isoformat() if fresh.file_by else None,
            },
        )
    return fresh


# ---------------------------------------------------------------------------------------------
# Removal (罢免)
# ---------------------------------------------------------------------------------------------


def members_needed(members: int) -> int:
    """At least a third of the members (三分之一以上, the third itself included): ⌈members / 3⌉."""
    return ceil(members / 3)


def _check_target(committee: Committee, member: CommitteeMember) -> None:
    if member.committee_id != committee.pk:
        raise ElectionError(_("This member belongs to another committee."))
    if member.role == Role.ALTERNATE:
        raise ElectionError(_("An alternate member holds no seat: there is nothing to remove."))
    if committee.ended_on is not None:
        raise ElectionError(_("This committee has left office: its members no longer change."))
    if MemberRemoval.objects.filter(member=member, status__in=OPEN_REMOVAL).exists():
        raise ElectionError(_("A proposal to remove this member is already waiting for the assembly."))


def removal_propose_by_members(
    *, member: CommitteeMember, proposers: list[CommitteeMember], actor: Actor, reason: str = ""
) -> MemberRemoval:
    """Members propose removing ``member``: at least a third of the members in office (the member
    concerned counts among the members, not among the proposers)."""
    with transaction.atomic():
        committee = _lock(member.committee_id)
        check_may_manage(actor, committee.compound_id)
        target = CommitteeMember.objects.filter(pk=member.pk).first()
        if target is None:
            raise ElectionError(_("This member is no longer on the committee."))
        _check_target(committee, target)
        ids = {p.pk for p in proposers}
        found = list(
            CommitteeMember.objects.filter(committee=committee, pk__in=ids)
            .exclude(role=Role.ALTERNATE)
            .exclude(pk=target.pk)
            .order_by("position", "pk")
        )
        if len(found) != len(ids):
            raise ElectionError(
                _(
                    "Only members in office other than the member concerned can propose a removal (not alternates)."
                )
            )
        members = seat_state(committee).members
        needed = members_needed(members)
        if len(found) < needed:
            raise ElectionError(
                _(
                    "A removal is proposed by at least a third of the members: %(needed)s of the %(members)s "
                    "members, not %(n)s (指导规则；杭州 第31条)."
                )
                % {"needed": needed, "members": members, "n": len(found)}
            )
        removal = MemberRemoval(
            committee=committee,
            member=target,
            member_name=target.name,
            route=MemberRemoval.Route.MEMBERS,
            proposers=[{"id": p.pk, "name": p.name} for p in found],
            reason=reason.strip()[:300],
            recorded_by=person(actor),
        )
        removal.full_clean()
        removal.save()
        committee_audit(
            "committee.removal_proposed",
            committee,
            actor=actor,
            summary=f"removal of {target.name} proposed by {len(found)} of {members} members: "
            + ", ".join(p.name for p in found),
            data={
                "removal": removal.pk,
                "member": target.pk,
                "route": "members",
                "proposers": removal.proposers,
            },
        )
    return removal


def removal_from_owners(*, proposal: AssemblyProposal, actor: Actor) -> MemberRemoval | None:
    """Owners' proposal naming a member reached 20 %: the removal waits for an assembly. Called in
    the proposal's transaction (:mod:`elections.proposals`); nothing when the member has left."""
    if proposal.removal_of_id is None:
        return None
    member = CommitteeMember.objects.filter(pk=proposal.removal_of_id).first()
    if member is None:
        return None
    committee = _lock(member.committee_id)
    if member.role == Role.ALTERNATE or committee.ended_on is not None:
        return None
    if MemberRemoval.objects.filter(member=member, status__in=OPEN_REMOVAL).exists():
        return None
    removal = MemberRemoval.objects.create(
        committee=committee,
        member=member,
        member_name=member.name,
        route=MemberRemoval.Route.OWNERS,
        proposal=proposal,
        reason=proposal.title[:300],
    )
    committee_audit(
        "committee.removal_proposed",
        committee,
        actor=actor,
        summary=f"removal of {member.name} proposed by owners (proposal #{proposal.pk})",
        data={"removal": removal.pk, "member": member.pk, "route": "owners", "proposal": proposal.pk},
    )
    return removal


def removal_to_agenda(*, removal: MemberRemoval, election: Election, actor: Actor) -> Matter:
    """Put the removal on an assembly's agenda: an ordinary matter (民法典 第278条 第三项)."""
    with transaction.atomic():
        committee = _lock(removal.committee_id)
        check_may_manage(actor, committee.compound_id)
        fresh = MemberRemoval.objects.select_for_update().get(pk=removal.pk)
        if fresh.status == RemovalStatus.ON_AGENDA and fresh.matter_id is not None:
            raise ElectionError(_("This removal is already on an assembly's agenda."))
        if fresh.status not in OPEN_REMOVAL:
            raise ElectionError(_("The assembly has already decided this removal."))
        if fresh.member_id is None:
            raise ElectionError(_("The member has already left the committee."))
        if election.compound_id != committee.compound_id:
            raise ElectionError(_("This assembly is another compound's."))
        if election.kind not in (
            Election.Kind.MATTERS_ONLY,
            Election.Kind.REELECTION,
            Election.Kind.BY_ELECTION,
        ):
            raise ElectionError(_("Put a removal to a temporary assembly, a re-election or a by-election."))
        matter = matter_save(
            election=election,
            actor=actor,
            title=_("Removal of committee member %(name)s") % {"name": fresh.member_name},
            text=fresh.reason,
            item=Matter.Item.COMMITTEE,
        )
        fresh.matter, fresh.status = matter, RemovalStatus.ON_AGENDA
        fresh.save(update_fields=["matter", "status"])
        committee_audit(
            "committee.removal_on_agenda",
            committee,
            actor=actor,
            summary=f"removal of {fresh.member_name} on the agenda of election #{election.pk} as {matter.key}",
            data={"removal": fresh.pk, "election": election.pk, "matter": matter.pk},
        )
    return matter


def removals_decide(election: Election, *, actor: Actor, on: date) -> list[MemberRemoval]:
    """The result of ``election`` is published: each removal on its agenda is decided by its
    matter (an ordinary matter: more than half of the participating area and heads). Runs inside
    the publishing transaction; a removal already decided is left alone."""
    decided = []
    matters = (election.result or {}).get("matters", {})
    for removal in (
        MemberRemoval.objects.select_for_update(of=("self",))
        .filter(matter__election=election, status=RemovalStatus.ON_AGENDA)
        .select_related("matter")
    ):
        committee = _lock(removal.committee_id)
        matter = removal.matter
        assert matter is not None  # filtered on its election
        passed = bool(matters.get(matter.key, {}).get("passed"))
        removal.status = RemovalStatus.PASSED if passed else RemovalStatus.FAILED
        removal.decided_on = on
        removal.save(update_fields=["status", "decided_on"])
        committee_audit(
            "committee.removal_decided",
            committee,
            actor=actor,
            summary=f"removal of {removal.member_name}: {'passed' if passed else 'not passed'} ({election.title})",
            data={"removal": removal.pk, "election": election.pk, "passed": passed, "on": on.isoformat()},
        )
        member = CommitteeMember.objects.filter(pk=removal.member_id).first() if removal.member_id else None
        if passed and member is not None and committee.ended_on is None:
            _leave(
                committee,
                member,
                actor=actor,
                reason=Reason.REMOVED,
                left_on=on,
                note=_("Removed by the assembly: %(title)s") % {"title": election.title},
                notice_start=on,
            )
        decided.append(removal)
    return decided
