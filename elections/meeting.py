"""An assembly meeting held as 集体讨论 (物业管理条例 第12条): who attends, and what attending counts.

An election's ``meeting_form`` is ``written`` (书面征求意见, the default) or ``collective``. For a
meeting held as collective discussion staff record, for each voter of the frozen roll, who attends
for it: one of its registered owners (the designee, where the co-owners designated one) or the
holder of its active proxy. The votes taken at the meeting are the attendees' ballot papers (each
bears the voter's serial), keyed in like any paper ballot, by two staff members, with review
(elections/paper.py): the same audited double entry, no second path.

How attendance and ballots relate (RULES.md §3 says participation is the voters with a valid
ballot; 民法典 第278条 counts the owners who take part in the vote, 参与表决):

- Attending the meeting is taking part. An attendee who casts no ballot there, or leaves a matter
  blank, abstains: abstentions stay in the denominator (RULES.md §3).
- At the count, every attendee whose voter has no valid ballot gets one, valid, with no choices:
  channel ``meeting``, cast as ``attendee``, recorded for the staff member who recorded the
  attendance. So the quorum counts attendance, and the tally, the hash chain and the bundle (which
  anyone can recount) carry it like any other ballot, with no new rule in the pure core.
- An attendee whose voter already has a valid ballot (online before the meeting, a proxy, paper)
  adds nothing: one voter, one ballot; the first valid ballot stands.
- Written and online ballots of owners who do not attend still count: a meeting may be combined
  with written votes, and nothing in 条例 12 makes the two forms exclusive.

When: attendance is recorded while voting is open (the meeting is the voting window) or, from the
signed attendance sheet, after the close until the count, with the staff member's confirmation that
the person signed in before the close (as for paper ballots received before the close). A mistaken
attendance is withdrawn with a reason until the count; the row stays, marked withdrawn. Every
write locks the voter's row first, as the online cast does, and writes an audit row.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Ballot, Election, MeetingAttendance, Proxy, Stage, Voter
from elections.selectors import can_manage, frozen_owner_ids
from elections.services import ballot_record
from grids.models import Owner
from yezhu.actors import Actor, person, require_person
from yezhu.audit.log import record


def is_meeting(election: Election) -> bool:
    return election.meeting_form == Election.MeetingForm.COLLECTIVE


def live_attendances(election: Election):
    return MeetingAttendance.objects.filter(election=election, status=MeetingAttendance.Status.PRESENT)


def attendance_refusal(election: Election, *, signed_in_before_close: bool, now: datetime) -> str:
    """Why attendance cannot be recorded now ("" when it can)."""
    if not is_meeting(election):
        return _(
            "This assembly is held as a written consultation, not as a meeting: there is no attendance to record."
        )
    if election.roll_frozen_at is None:
        return _("Attendance is recorded once voting opens: the roll is frozen then.")
    if election.stage not in (Stage.VOTING, Stage.COUNTING) or election.result is not None:
        return _("Attendance can be recorded while voting is open, and after the close until the count.")
    closed = election.voting_closes_at is not None and now >= election.voting_closes_at
    if closed and not signed_in_before_close:
        return _("Voting has closed: confirm that this person signed the attendance sheet before the close.")
    return ""


def attendees_for(voter: Voter) -> list[tuple[str, str, Owner | Proxy]]:
    """Who may attend for this voter: (kind, name, owner or proxy). Its owners (only the designee
    where one is designated), and the holder of its active proxy, if any (then only the proxy:
    the proxy holds the vote until revoked)."""
    proxy = Proxy.objects.filter(principal=voter, status=Proxy.Status.ACTIVE).first()
    if proxy is not None:
        return [(MeetingAttendance.Kind.PROXY, proxy.proxy_name, proxy)]
    owners = Owner.objects.filter(pk__in=frozen_owner_ids(voter.key, voter.units_snapshot)).order_by(
        "name", "pk"
    )
    if voter.designated_owner_id is not None:
        owners = owners.filter(pk=voter.designated_owner_id)
    return [(MeetingAttendance.Kind.OWNER, owner.name, owner) for owner in owners]


def _audit(action: str, attendance: MeetingAttendance, *, actor: Actor, summary: str, **data) -> None:
    record(
        action,
        actor=actor,
        obj=attendance,
        election_id=attendance.election_id,
        compound_id=attendance.election.compound_id,
        summary=summary,
        data={"voter": attendance.voter_id, "kind": attendance.kind, **data},
    )


def attendance_record(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    name: str,
    signed_in_before_close: bool = False,
    now: datetime | None = None,
) -> MeetingAttendance:
    """Record that ``name`` attends the meeting for ``voter``: one of its owners, or its proxy,
    checked against the frozen roll (a person who may not attend for it is refused)."""
    now = now or timezone.now()
    if not can_manage(actor, election):
        raise ElectionError(_("Only staff who run this election may record attendance."))
    if voter.election_id != election.pk:
        raise ElectionError(_("This voter is not on the roll of this election."))
    name = " ".join((name or "").split())
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(
            fields=["stage", "result", "roll_frozen_at", "meeting_form", "voting_closes_at"]
        )
        refusal = attendance_refusal(election, signed_in_before_close=signed_in_before_close, now=now)
        if refusal:
            raise ElectionError(refusal)
        locked = Voter.objects.select_for_update(no_key=True).get(pk=voter.pk)
        allowed = attendees_for(locked)
        matches = [entry for entry in allowed if entry[1] == name]
        if len(matches) != 1:
            names = "、".join(entry[1] for entry in allowed) or "—"
            raise ElectionError(
                _("%(name)s may not attend for %(units)s: who may is %(names)s.")
                % {"name": name or "—", "units": locked.unit_codes, "names": names}
            )
        kind, _name, who = matches[0]
        try:
            with transaction.atomic():
                attendance = MeetingAttendance.objects.create(
                    election=election,
                    voter=locked,
                    kind=kind,
                    owner=who if isinstance(who, Owner) else None,
                    proxy=who if isinstance(who, Proxy) else None,
                    name=name[:60],
                    recorded_by=require_person(actor),
                )
        except IntegrityError:
            raise ElectionError(
                _("Attendance for %(units)s is already recorded.") % {"units": locked.unit_codes}
            ) from None
        _audit(
            "meeting.attendance",
            attendance,
            actor=actor,
            summary=f"attendance recorded for voter #{locked.pk} ({kind})",
            signed_in_before_close=signed_in_before_close,
        )
    return attendance


def attendance_withdraw(
    *, attendance: MeetingAttendance, actor: Actor, reason: str, now: datetime | None = None
) -> MeetingAttendance:
    """Withdraw a mistaken attendance (wrong home, not present) with a reason, until the count."""
    now = now or timezone.now()
    election = attendance.election
    if not can_manage(actor, election):
        raise ElectionError(_("Only staff who run this election may record attendance."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ElectionError(_("Write why this attendance is withdrawn."))
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(
            fields=["stage", "result", "roll_frozen_at", "meeting_form", "voting_closes_at"]
        )
        if attendance_refusal(election, signed_in_before_close=True, now=now):
            raise ElectionError(_("Attendance can be corrected only until the count."))
        locked = MeetingAttendance.objects.select_for_update().get(pk=attendance.pk)
        if locked.status != MeetingAttendance.Status.PRESENT:
            raise ElectionError(_("This attendance was already withdrawn."))
        locked.status = MeetingAttendance.Status.WITHDRAWN
        locked.withdrawn_by = person(actor)
        locked.withdrawn_reason = reason[:300]
        locked.save(update_fields=["status", "withdrawn_by", "withdrawn_reason"])
        _audit(
            "meeting.attendance_withdrawn",
            locked,
            actor=actor,
            summary=f"attendance withdrawn for voter #{locked.voter_id}",
            reason=locked.withdrawn_reason,
        )
    return locked


def meeting_abstentions_record(*, election: Election, actor: Actor, now: datetime | None = None) -> int:
    """At the count (inside its transaction): every attendee whose voter has no valid ballot gets a
    valid ballot with no choices, an abstention on every matter (see the module docstring).
    Returns how many. Safe to run twice: a voter with a valid ballot gets none."""
    if election.stage != Stage.COUNTING:
        raise ElectionError(_("Attendance becomes ballots only at the count."))
    now = now or timezone.now()
    valid = Ballot.objects.filter(voter=OuterRef("voter"), status=Ballot.Status.VALID)
    waiting = list(
        live_attendances(election)
        .filter(~Exists(valid))
        .select_related("voter", "recorded_by")
        .order_by("voter__unit_codes")
    )
    for attendance in waiting:
        ballot = ballot_record(
            election=election,
            voter=attendance.voter,
            actor=actor,
            cast_by=attendance.recorded_by,
            cast_as=Ballot.CastAs.ATTENDEE,
            channel=Ballot.Channel.MEETING,
            choices={},
            now=now,
        )
        MeetingAttendance.objects.filter(pk=attendance.pk).update(ballot=ballot)
    if waiting:
        record(
            "meeting.abstentions",
            actor=actor,
            obj=election,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"{len(waiting)} attendees without a ballot recorded as abstaining",
            data={"voters": [a.voter_id for a in waiting]},
        )
    return len(waiting)


def participation_now(election: Election) -> dict:
    """Heads and area of the voters who take part so far: a valid ballot or a live attendance
    (what the quorum will count once attendees without a ballot abstain at the count). One query."""
    valid = Ballot.objects.filter(voter=OuterRef("pk"), status=Ballot.Status.VALID)
    present = MeetingAttendance.objects.filter(voter=OuterRef("pk"), status=MeetingAttendance.Status.PRESENT)
    row = (
        Voter.objects.filter(election=election)
        .annotate(voted=Exists(valid), present=Exists(present))
        .filter(Q(voted=True) | Q(present=True))
        .aggregate(heads=Count("pk"), area=Sum("area"))
    )
    return {"heads": row["heads"] or 0, "area": row["area"] or 0}
