"""Tracked deadlines of the committee between elections (RULES.md §7).

- **变更备案**: every change to a committee (a member in or out, the chair, a 物管会 formed) is filed
  with the street office and the district housing office within the profile's days (30, 指导规则
  第34条), counted as periods are (民法典 第201–203条: the day of the change not counted, a last day
  on a rest day moves to the next working day). :func:`committee_change_recorded` is the one way in.
- **离任移交**: a departing member hands over the records and property in their keeping within the
  profile's days (7); recorded with the change ``member_out`` when the member is named.
- **届满移交**: the records and seal are handed over within 10 days of the term's end. That date is the
  committee's own (``Committee.handed_over_on``); :func:`deadline_rows` lists it with the others.

Each deadline is done when staff record the day (``filed on``, ``handed over on``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.calendar import db_calendar
from elections.errors import ElectionError
from elections.lifecycle.moves import check_may_manage
from elections.models import Committee, CommitteeDeadline, PropertyCommittee
from elections.rules import timeline as tl
from grids.models import Compound
from yezhu.actors import Actor, person
from yezhu.audit.log import record

Change = CommitteeDeadline.Change
Kind = CommitteeDeadline.Kind


def _profile(compound: Compound) -> tl.Profile:
    return tl.PROFILES.get(compound.community.street.profile) or tl.get_profile("national")


def due_within(start: date, days: int, calendar: tl.HolidayCalendar | None = None) -> date:
    """The last day of "within ``days`` days of ``start``" on the holiday calendar."""
    return tl.period_end(start, days, calendar if calendar is not None else db_calendar()).due


def _deadline(
    *,
    compound: Compound,
    committee: Committee | None,
    property_committee: PropertyCommittee | None,
    kind: str,
    change: str,
    on: date,
    days: int,
    subject: str,
    actor: Actor,
) -> CommitteeDeadline:
    found = CommitteeDeadline.objects.filter(
        compound=compound,
        committee=committee,
        property_committee=property_committee,
        kind=kind,
        change=change,
        event_on=on,
        subject=subject,
    ).first()
    if found is not None:  # the same change recorded twice (a retry, h17a's code and a clerk)
        return found
    deadline = CommitteeDeadline(
        compound=compound,
        committee=committee,
        property_committee=property_committee,
        kind=kind,
        change=change,
        event_on=on,
        due_on=due_within(on, days),
        subject=subject,
    )
    deadline.full_clean()
    deadline.save()
    record(
        f"committee_deadline.{kind}",
        actor=actor,
        obj=deadline,
        compound_id=compound.pk,
        summary=f"{kind} due {deadline.due_on}: {change} {subject} on {on}",
        data={"kind": kind, "change": change, "on": on.isoformat(), "due": deadline.due_on.isoformat()},
    )
    return deadline


def record_change(
    *,
    compound: Compound,
    committee: Committee | None,
    property_committee: PropertyCommittee | None,
    change: str,
    on: date,
    actor: Actor,
    subject: str = "",
) -> list[CommitteeDeadline]:
    """The deadlines a change creates (inside the caller's transaction; the caller checked who acts)."""
    if change not in Change.values:
        raise ElectionError(_("Say what changed in the committee."))
    subject = subject.strip()[:100]
    profile = _profile(compound)
    made = [
        _deadline(
            compound=compound,
            committee=committee,
            property_committee=property_committee,
            kind=Kind.FILING,
            change=change,
            on=on,
            days=profile.change_filing_days.value,
            subject=subject,
            actor=actor,
        )
    ]
    if change == Change.MEMBER_OUT and subject:
        made.append(
            _deadline(
                compound=compound,
                committee=committee,
                property_committee=property_committee,
                kind=Kind.MEMBER_HANDOVER,
                change=change,
                on=on,
                days=profile.member_handover_days.value,
                subject=subject,
                actor=actor,
            )
        )
    return made


def committee_change_recorded(
    committee: Committee | PropertyCommittee, kind: str, date: date, *, actor: Actor, subject: str = ""
) -> CommitteeDeadline:
    """A change to ``committee`` (an owners' committee or a 物管会) happened on ``date``: it must be
    filed (变更备案) within the profile's days. Returns the filing deadline; a second call with the
    same change, day and subject returns the same one.

    ``kind`` is a :class:`CommitteeDeadline.Change` value: ``member_in``, ``member_out``, ``chair``,
    ``property_committee`` or ``other``. ``subject`` names who or what changed (the member's name);
    for ``member_out`` with a name, the member's own handover (离任移交, 7 days) is tracked too.
    The vacancy code calls this when a member leaves or an alternate moves up.
    """
    if date > timezone.localdate():
        raise ElectionError(_("The day of the change cannot be in the future."))
    with transaction.atomic():
        if isinstance(committee, PropertyCommittee):
            body: PropertyCommittee | None = PropertyCommittee.objects.select_for_update().get(
                pk=committee.pk
            )
            owners: Committee | None = None
            compound_id = committee.compound_id
        else:
            owners = Committee.objects.select_for_update().get(pk=committee.pk)
            body = None
            compound_id = owners.compound_id
        check_may_manage(actor, compound_id)
        compound = Compound.objects.select_related("community__street").get(pk=compound_id)
        made = record_change(
            compound=compound,
            committee=owners,
            property_committee=body,
            change=kind,
            on=date,
            actor=actor,
            subject=subject,
        )
    return made[0]


def deadline_done(
    *, deadline: CommitteeDeadline, actor: Actor, done_on: date, note: str = ""
) -> CommitteeDeadline:
    """Record the day the change was filed (or the member handed over)."""
    with transaction.atomic():
        fresh = CommitteeDeadline.objects.select_for_update().get(pk=deadline.pk)
        check_may_manage(actor, fresh.compound_id)
        if done_on > timezone.localdate():
            raise ElectionError(_("The day cannot be in the future."))
        if done_on < fresh.event_on:
            raise ElectionError(
                _("The day cannot be before the change (%(date)s).") % {"date": fresh.event_on.isoformat()}
            )
        if fresh.done_on is not None:
            raise ElectionError(
                _("This was already recorded as done on %(date)s.") % {"date": fresh.done_on.isoformat()}
            )
        fresh.done_on, fresh.done_by, fresh.note = done_on, person(actor), note.strip()[:200]
        fresh.save(update_fields=["done_on", "done_by", "note"])
        record(
            f"committee_deadline.{fresh.kind}_done",
            actor=actor,
            obj=fresh,
            compound_id=fresh.compound_id,
            summary=f"{fresh.kind} done on {done_on} (due {fresh.due_on})",
            data={"done_on": done_on.isoformat(), "late": done_on > fresh.due_on},
        )
    deadline.refresh_from_db()
    return deadline


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRow:
    """A tracked deadline as pages show it: a stored one, or a term's handover."""

    compound_id: int
    kind: str  # filing, member_handover, term_handover
    title: str
    event_on: date
    due_on: date
    done_on: date | None
    deadline: CommitteeDeadline | None = None
    committee: Committee | None = None

    def overdue(self, today: date) -> bool:
        return self.done_on is None and today > self.due_on

    def late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due_on


TERM_HANDOVER = "term_handover"


def deadline_title(deadline: CommitteeDeadline) -> str:
    if deadline.kind == Kind.MEMBER_HANDOVER:
        return _("Handover by departing member %(name)s") % {"name": deadline.subject}
    text = deadline.get_change_display()
    if deadline.subject and deadline.change != Change.PROPERTY_COMMITTEE:
        text = f"{text}：{deadline.subject}"
    return _("Change filing (变更备案): %(change)s") % {"change": text}


def term_handover_due(
    committee: Committee, profile: tl.Profile, calendar: tl.HolidayCalendar | None = None
) -> date:
    return due_within(committee.term_end, profile.handover_days.value, calendar)


def deadline_rows(
    compound_ids, *, today: date, open_only: bool = False, calendar: tl.HolidayCalendar | None = None
) -> list[DeadlineRow]:
    """The tracked deadlines of the compounds: filings and members' handovers, and the handover of
    records and seal of each compound's latest committee whose term has ended. Three queries (and
    the holiday table's, when no calendar is given). ``compound_ids``: ids, or a queryset of them
    (a subquery: a district's 5,000 ids as parameters cost more to build than the queries)."""
    ids = compound_ids if isinstance(compound_ids, QuerySet) else list(compound_ids)
    calendar = calendar if calendar is not None else db_calendar()
    query = CommitteeDeadline.objects.filter(compound_id__in=ids)
    if open_only:
        query = query.filter(done_on__isnull=True)
    rows = [
        DeadlineRow(
            compound_id=d.compound_id,
            kind=d.kind,
            title=deadline_title(d),
            event_on=d.event_on,
            due_on=d.due_on,
            done_on=d.done_on,
            deadline=d,
        )
        for d in query.order_by("due_on", "pk")
    ]
    latest: dict[int, Committee] = {}
    for c in (
        Committee.objects.filter(compound_id__in=ids, term_end__lt=today)
        .select_related("compound__community__street")
        .order_by("compound_id", "-term_end", "-pk")
    ):
        latest.setdefault(c.compound_id, c)
    newer = set(
        Committee.objects.filter(compound_id__in=ids, term_end__gte=today).values_list(
            "compound_id", flat=True
        )
    )
    for compound_id, c in latest.items():
        if compound_id in newer and c.handed_over_on is not None:
            continue
        if open_only and c.handed_over_on is not None:
            continue
        profile = _profile(c.compound)
        rows.append(
            DeadlineRow(
                compound_id=compound_id,
                kind=TERM_HANDOVER,
                title=_("Records and seal handed over (term ended %(date)s)")
                % {"date": c.term_end.isoformat()},
                event_on=c.term_end,
                due_on=term_handover_due(c, profile, calendar),
                done_on=c.handed_over_on,
                committee=c,
            )
        )
    rows.sort(key=lambda r: (r.due_on, r.compound_id, r.title))
    return rows
