"""The services that perform the transitions of the table (:mod:`elections.lifecycle.table`), one
function each, named as its entry. Each is keyword-only with a required ``actor``, runs in one
transaction, checks the table's preconditions (:func:`~elections.lifecycle.table.check`), moves the
stage (:mod:`elections.lifecycle.moves`) and writes the audit row.

The close of voting (:func:`voting_close`) is what the scheduler calls at ``voting_closes_at``: it
is safe to run twice and late. It first moves ``voting → counting`` in its own transaction (no
ballot is accepted from then on), then tallies and moves ``counting → result_notice``; a crash in
between leaves ``counting``, and the next call finishes the count. The result is always posted
(``result_notice``), whether or not the election succeeded: owners must see a failed result too.
Staff then mark a failed election ``failed`` with the reason (:func:`election_fail`).

**Restart design.** A restart creates a *new* election and leaves the failed one untouched
(stage ``failed``, its frozen roll, ballots, chain head and result as they were). Voters and
ballots belong to an election, and the one-valid-ballot constraint, the hash chain and the
published bundle are per election, so a second round in the same row would either have to delete
ballots (the log must stay append-only) or mix two rounds in one chain and one roll. A new row keeps
each round recountable on its own. The new election copies the kind, rules and working group, is
titled "…（第N次）" (N = the attempt), carries ``restart_count`` + 1 and
``rule_overrides["_restart_of"]`` = the failed election's id (keys starting with ``_`` are
bookkeeping, never a timeline rule), and the failed one gets ``rule_overrides["_restarted_as"]``.
A restart at ``notice`` copies matters and races (editable again, the notice must be published
anew); a restart at ``nomination`` keeps the published matters, races, nominations and candidates
("withdraws nothing") and reopens nominations. Either way the new election starts without an
assembly notice: the failed election's notice announced the failed election's voting window, and a
new vote is a new meeting that owners must be told of at least 15 days ahead (物业管理条例 第14条).
After a restart at ``nomination`` staff publish the new notice while the election is at nomination,
vetting or the candidate notice (the stage stays); :func:`voting_open` refuses until it is out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.calendar import db_calendar
from elections.errors import ElectionError, P, Refused
from elections.lifecycle import table
from elections.lifecycle.documents import check_document
from elections.lifecycle.moves import (
    audit_election,
    check_may_manage,
    check_street_office,
    check_street_office_over,
    load_fresh,
    move_stage,
    reloaded,
    update_if_stage,
)
from elections.lifecycle.state import (
    Kind,
    committee_of,
    effective_profile,
    first_assembly_status,
    renotice,
    restart_title,
    result_problems,
    sitting_committee,
    working_group_makeup,
)
from elections.lifecycle.table import TRANSITIONS, check
from elections.lifecycle.vacancies import removals_decide
from elections.meeting import is_meeting, meeting_abstentions_record
from elections.models import (
    Candidate,
    Committee,
    CommitteeMember,
    Election,
    FirstAssemblyException,
    Matter,
    Nomination,
    Race,
    Stage,
    VettingFlag,
    WorkingGroupMember,
)
from elections.paper import paper_pending_count
from elections.rules import timeline as tl
from elections.rules.bundle import recount
from elections.services import bundle_for, city_platform_rule, election_tally, roll_freeze
from yezhu.actors import Actor, actor_label, defers_to_staff, is_person, person, require_person
from yezhu.jobs.models import Job
from yezhu.jobs.services import job_start


def start_approve(
    *,
    election: Election,
    actor,
    note: str = "",
) -> Election:
    """The street office approves the start of the election (三关, the first gate): who and when are
    kept on the election and in the log. Only where the street's settings ask for it."""
    with transaction.atomic():
        fresh = load_fresh(election)
        check_street_office(actor, fresh)
        check("start_approve", fresh)
        now = timezone.now()
        note = note.strip()[:300]
        update_if_stage(
            fresh,
            stage=Stage.STARTED,
            fields={
                "start_approved_at": now,
                "start_approved_by_id": actor.pk if is_person(actor) else None,
                "start_approval_note": note,
            },
            start_approved_at__isnull=True,
        )
        audit_election(
            "election.start_approved",
            fresh,
            actor=actor,
            summary=f"start approved by the street office at {timezone.localtime(now):%Y-%m-%d %H:%M}",
            data={"at": now.isoformat(), "note": note},
        )
    return reloaded(election)


def working_group_approve(
    *,
    election: Election,
    actor,
    note: str = "",
) -> Election:
    """The street office has vetted the working group's make-up and approves it (the second gate).
    The make-up it approved (members, party members, affiliations) is kept in the log; changing the
    members before the notice lets the approval lapse (``setup.working_group_member_add``)."""
    with transaction.atomic():
        fresh = load_fresh(election)
        check_street_office(actor, fresh)
        check("working_group_approve", fresh)
        now = timezone.now()
        note = note.strip()[:300]
        makeup = working_group_makeup(fresh)
        update_if_stage(
            fresh,
            stage=Stage.WORKING_GROUP,
            fields={
                "working_group_approved_at": now,
                "working_group_approved_by_id": actor.pk if is_person(actor) else None,
                "working_group_approval_note": note,
            },
            working_group_approved_at__isnull=True,
        )
        audit_election(
            "election.working_group_approved",
            fresh,
            actor=actor,
            summary=(
                f"working group approved by the street office: {makeup.members} members, "
                f"{makeup.party_members} party members"
            ),
            data={
                "at": now.isoformat(),
                "note": note,
                "members": makeup.members,
                "party_members": makeup.party_members,
                "affiliations": makeup.by_affiliation,
                "names": makeup.names,
            },
        )
    return reloaded(election)


def first_assembly_exception(
    *,
    election: Election,
    actor: Actor,
    reason: str,
    document: UploadedFile | None,
    on: date | None = None,
) -> Election:
    """The street office decides that a first assembly whose conditions are not met is called all
    the same: who (the street staff member recording it), when (the day of the decision), why, and
    the decision itself (a PDF or a photo, checked by its content). The stage does not change; the
    working group may then be formed."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = Election.objects.select_for_update().select_related("compound").get(pk=election.pk)
        check_street_office_over(actor, fresh.compound_id)
        check("first_assembly_exception", fresh, on=on, reason=reason, document=document)
        checked = check_document(document)
        status = first_assembly_status(fresh, on)
        exception = FirstAssemblyException(
            election=fresh,
            decided_on=on,
            reason=reason.strip()[:300],
            content_type=checked.kind.content_type,
            sha256=checked.sha256,
            recorded_by=require_person(actor),
        )
        exception._extension = checked.kind.extension  # type: ignore[attr-defined]
        exception.document.save(f"decision{checked.kind.extension}", checked.upload, save=False)
        exception.save()
        audit_election(
            "election.first_assembly_exception",
            fresh,
            actor=actor,
            summary=f"street office's exception to the first assembly's conditions, decided on {on}",
            data={
                "decided_on": on.isoformat(),
                "reason": exception.reason,
                "content_type": checked.kind.content_type,
                "sha256": checked.sha256,
                "delivered_area": str(status.delivered_area),
                "total_area": str(status.total_area),
                "first_delivery": status.first_delivery.isoformat() if status.first_delivery else None,
            },
        )
    return reloaded(election)


def working_group_form(
    *,
    election: Election,
    actor: Actor,
    on: date | None = None,
) -> Election:
    """The working group (筹备组/换届小组) is formed on ``on``: started → working_group."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("working_group_form", fresh, on=on)
        move_stage(
            fresh,
            to=Stage.WORKING_GROUP,
            actor=actor,
            fields={"working_group_formed_on": on},
            data={"formed_on": on.isoformat()},
        )
    return reloaded(election)


def working_group_publish(
    *,
    election: Election,
    actor: Actor,
    on: date | None = None,
) -> Election:
    """The list of the working group's members is published on ``on`` (stage unchanged)."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("working_group_publish", fresh)
        if fresh.working_group_formed_on and on < fresh.working_group_formed_on:
            raise ElectionError(_("The list cannot be published before the working group was formed."))
        update_if_stage(
            fresh,
            stage=Stage.WORKING_GROUP,
            fields={"working_group_published_on": on},
            working_group_published_on__isnull=True,
        )
        audit_election(
            "election.working_group_published",
            fresh,
            actor=actor,
            summary=f"working group published on {on}",
            data={"on": on.isoformat(), "members": fresh.working_group.count()},
        )
    return reloaded(election)


def notice_publish(
    *,
    election: Election,
    actor: Actor,
    on: date | None = None,
) -> Election:
    """The assembly notice (会议公告) with every matter and the seats is out: → notice.

    The new notice of an election restarted at nomination is published at nomination, vetting or
    the candidate notice and leaves the stage as it is. A restarted election's notice must be
    dated after the notice of the election it restarts.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("notice_publish", fresh)
        restart_of = (fresh.rule_overrides or {}).get("_restart_of")
        previous = (
            Election.objects.filter(pk=restart_of).values_list("notice_published_on", flat=True).first()
            if restart_of
            else None
        )
        if previous is not None and on <= previous:
            raise ElectionError(
                _(
                    "The new assembly notice must be dated after the notice of the failed election "
                    "(%(day)s): enter the day the new notice is posted."
                )
                % {"day": previous.isoformat()}
            )
        if renotice(fresh):
            update_if_stage(
                fresh,
                stage=fresh.stage,
                fields={"notice_published_on": on},
                notice_published_on__isnull=True,
            )
            audit_election(
                "election.notice_published",
                fresh,
                actor=actor,
                summary=f"new assembly notice of the restarted election published on {on}",
                data={"on": on.isoformat(), "stage": fresh.stage, "restart_of": restart_of},
            )
            return reloaded(election)
        move_stage(
            fresh,
            to=Stage.NOTICE,
            actor=actor,
            fields={"notice_published_on": on},
            data={"on": on.isoformat()},
        )
    return reloaded(election)


def nominations_open(
    *,
    election: Election,
    actor: Actor,
) -> Election:
    """Owners may recommend and put themselves forward: notice → nomination."""
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("nominations_open", fresh)
        move_stage(fresh, to=Stage.NOMINATION, actor=actor)
    return reloaded(election)


def vetting_start(
    *,
    election: Election,
    actor: Actor,
) -> Election:
    """Nominations close and vetting (资格审查) starts: nomination → vetting."""
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("vetting_start", fresh)
        move_stage(fresh, to=Stage.VETTING, actor=actor)
    return reloaded(election)


def candidate_notice_publish(
    *,
    election: Election,
    actor: Actor,
    start: date | None = None,
    end: date | None = None,
) -> Election:
    """The candidate list is posted (候选人公示) from ``start`` to ``end``: vetting → candidate_notice.

    ``end`` defaults to the shortest notice the profile allows. Every race needs a candidate.
    """
    start = start or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("candidate_notice_publish", fresh, start=start)
        profile = effective_profile(fresh)
        shortest = profile.candidate_notice_min_days
        if end is None:
            end = _candidate_notice_default_end(fresh, start, shortest.value)
        if end <= start:
            raise ElectionError(_("The candidate notice must end after it starts."))
        if shortest.value is not None and (end - start).days < shortest.value:
            raise ElectionError(
                _("The candidate notice must run at least %(days)s days (%(source)s).")
                % {"days": shortest.value, "source": shortest.source}
            )
        move_stage(
            fresh,
            to=Stage.CANDIDATE_NOTICE,
            actor=actor,
            fields={"candidate_notice_start": start, "candidate_notice_end": end},
            data={"start": start.isoformat(), "end": end.isoformat()},
        )
    return reloaded(election)


def _candidate_notice_default_end(election: Election, start: date, shortest: int | None) -> date:
    """The shortest notice the rules allow; where they set no length (nationally the list is posted
    with the assembly notice), until the day before voting opens, else a week."""
    if shortest is not None:
        return start + timedelta(days=shortest)
    if election.voting_opens_at is not None:
        day_before = timezone.localtime(election.voting_opens_at).date() - timedelta(days=1)
        if day_before > start:
            return day_before
    return start + timedelta(days=7)


def voting_schedule(
    *,
    election: Election,
    actor: Actor,
    opens_at: datetime,
    closes_at: datetime,
) -> Election:
    """Set the voting window; its length must be within the profile's limits (杭州 第20条: 5–60 days)."""
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("voting_schedule", fresh, opens_at=opens_at, closes_at=closes_at)
        before = (fresh.voting_opens_at, fresh.voting_closes_at)
        update_if_stage(
            fresh, stage=fresh.stage, fields={"voting_opens_at": opens_at, "voting_closes_at": closes_at}
        )
        audit_election(
            "election.voting_scheduled",
            fresh,
            actor=actor,
            summary=f"voting window {opens_at:%Y-%m-%d %H:%M} – {closes_at:%Y-%m-%d %H:%M}",
            data={
                "opens_at": opens_at.isoformat(),
                "closes_at": closes_at.isoformat(),
                "before": [b.isoformat() if b else None for b in before],
            },
        )
    return reloaded(election)


def voting_open(
    *,
    election: Election,
    actor: Actor,
    now: datetime | None = None,
) -> Election:
    """Voting opens: the roll is frozen and the stage moves to ``voting``.

    Refused before the opening day, after the scheduled close, and when the recorded dates break
    a notice period of the profile (with the election's overrides): the timeline's violations.
    """
    now = now or timezone.now()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("voting_open", fresh, now=now)
        move_stage(fresh, to=Stage.VOTING, actor=actor, data={"at": now.isoformat()})
        voters = roll_freeze(election=fresh, actor=actor)
        audit_election(
            "election.voting_opened",
            fresh,
            actor=actor,
            summary=f"voting opened with {voters} voters",
            data={"voters": voters},
        )
    return reloaded(election)


def voting_close(
    *,
    election: Election,
    actor: Actor,
    now: datetime | None = None,
    reason: str = "",
) -> Election:
    """Close voting (voting → counting) and start the count as a background job. Safe to run twice
    and late: on an election already closed it does nothing.

    Before the scheduled close it needs ``reason`` (a street-office or court decision). The count
    (:func:`election_count`) starts at once, except where the scheduler closes an election with
    paper ballots: staff start it when every paper ballot received before the close is keyed in.
    """
    now = now or timezone.now()
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        if fresh.stage in (Stage.COUNTING, Stage.RESULT_NOTICE, Stage.FILING, Stage.DONE):
            return reloaded(election)
        check_may_manage(actor, fresh.compound_id)
        check("voting_close", fresh, now=now, reason=reason)
        fields: dict = {}
        early = fresh.voting_closes_at is not None and now < fresh.voting_closes_at
        if early and fresh.voting_opens_at is not None and now > fresh.voting_opens_at:
            fields["voting_closes_at"] = now
        move_stage(
            fresh,
            to=Stage.COUNTING,
            actor=actor,
            fields=fields,
            data={
                "at": now.isoformat(),
                "early": early,
                "reason": reason.strip(),
                "scheduled_close": fresh.voting_closes_at.isoformat() if fresh.voting_closes_at else None,
            },
        )
        # Staff say when every paper ballot is keyed in, and import the city platform's result
        # where online votes went there (its result arrives after the close).
        waits_for_staff = defers_to_staff(actor) and (
            fresh.paper_entries.exists() or city_platform_rule(fresh) is not None or is_meeting(fresh)
        )
        if not waits_for_staff and not table.transition("election_count").problems(fresh, now):
            count_queue(fresh, actor=actor, now=now)
    return reloaded(election)


COUNT_JOB = "count"


def count_queue(election: Election, *, actor: Actor, now: datetime) -> Job:
    """Queue the count of a closed election as a job (the progress bar on the overview reads it)."""
    job = job_start(
        kind=COUNT_JOB,
        user=person(actor),
        task="elections.tasks.count_election",
        params={"now": now.isoformat(), "actor": actor_label(actor)},
        compound_id=election.compound_id,
        election_id=election.pk,
    )
    audit_election(
        "election.count_queued",
        election,
        actor=actor,
        summary=f"count queued as job #{job.pk}",
        data={"job": job.pk},
    )
    return job


def election_count(*, election: Election, actor: Actor, now: datetime | None = None) -> Election:
    """Start the count of a closed election (counting → result_notice) as a background job, with
    the progress bar; the worker runs :func:`election_count_run`."""
    now = now or timezone.now()
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        check_may_manage(actor, fresh.compound_id)
        check("election_count", fresh, now=now)
        count_queue(fresh, actor=actor, now=now)
    return reloaded(election)


def election_count_run(
    *,
    election: Election,
    actor: Actor,
    now: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Election:
    """Count the ballots and post the result (counting → result_notice): what the count job does.

    The result is the pure tally of the stored election, and before it is posted it is checked
    against a recount of the election's own bundle (the same `yezhu-bundle/1` anyone may recount
    with `manage.py recount`): if the two differ, nothing is posted and the count fails loudly.
    Paper ballots still waiting for their second entry or review stop the count. Safe to run twice.
    """
    now = now or timezone.now()
    step = progress or (lambda done, total, message: None)
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        if fresh.stage != Stage.COUNTING:
            return reloaded(election)
        check_may_manage(actor, fresh.compound_id)
        pending = paper_pending_count(fresh)
        if pending:
            raise Refused(
                [
                    P(
                        "paper_pending",
                        _(
                            "%(n)s paper ballots are still waiting for their second entry or review; "
                            "finish them first."
                        )
                        % {"n": pending},
                    )
                ]
            )
        # A meeting held as 集体讨论: attendees whose vote was not keyed in abstain (they took part).
        if is_meeting(fresh):
            meeting_abstentions_record(election=fresh, actor=actor, now=now)
            fresh.refresh_from_db(fields=["chain_head", "ballot_count"])
        step(1, 3, _("Counting the ballots"))
        result = election_tally(fresh)
        step(2, 3, _("Checking the count against a recount of the bundle"))
        recounted = recount(bundle_for(fresh))
        if recounted == result:
            decided = timezone.localdate(now)
            fresh.result = result
            problems = result_problems(fresh)
            move_stage(
                fresh,
                to=Stage.RESULT_NOTICE,
                actor=actor,
                fields={"result": result, "decided_on": decided},
                data={
                    "decided_on": decided.isoformat(),
                    "quorum_met": result["participation"]["quorum_met"],
                    "ballots": fresh.ballot_count,
                    "chain_head": fresh.chain_head,
                    "problems": problems,
                    "recount": "identical",
                },
            )
            step(3, 3, _("The result is posted"))
            return reloaded(election)
    # Outside the transaction, so the row stays though the count is refused.
    audit_election(
        "election.count_mismatch",
        fresh,
        actor=actor,
        summary="the live count and the recount of the bundle differ; nothing posted",
        data={"live": result, "recount": recounted},
    )
    raise ElectionError(
        _("The count and the recount of the exported ballots differ; nothing was posted. Call support.")
    )


def result_publish(
    *,
    election: Election,
    actor: Actor,
    on: date | None = None,
) -> Election:
    """The result is posted on ``on``; the objection window (询异公示) runs from that day."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("result_publish", fresh)
        if fresh.decided_on and on < fresh.decided_on:
            raise ElectionError(_("The result cannot be published before it was counted."))
        profile = effective_profile(fresh)
        deadline = tl.period_end(on, profile.objection_window_days.value, db_calendar())
        update_if_stage(
            fresh,
            stage=Stage.RESULT_NOTICE,
            fields={"result_published_on": on, "objection_window_end": deadline.due},
            result_published_on__isnull=True,
        )
        audit_election(
            "election.result_published",
            fresh,
            actor=actor,
            summary=f"result published on {on}, objections until {deadline.due}",
            data={
                "on": on.isoformat(),
                "objection_window_end": deadline.due.isoformat(),
                "warnings": list(deadline.warnings),
            },
        )
        removals_decide(fresh, actor=actor, on=on)  # a passed removal matter removes the member
    return reloaded(election)


def result_finalise(
    *,
    election: Election,
    actor: Actor,
    on: date | None = None,
) -> Election:
    """After the objection window the result is final: result_notice → filing."""
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("result_finalise", fresh, on=on)
        move_stage(
            fresh,
            to=Stage.FILING,
            actor=actor,
            fields={"result_final": True},
            data={"on": on.isoformat()},
        )
    return reloaded(election)


def ranked_alternates(entry: dict, candidates: list[Candidate], count: int) -> list[Candidate]:
    """Qualified candidates not elected, by yes-heads then yes-area, then ballot order (RULES §5)."""
    if count <= 0:
        return []
    elected = set(entry.get("elected", []))
    scored = []
    for c in candidates:
        tally = entry.get("candidates", {}).get(c.key)
        if not tally or not tally.get("qualified") or c.key in elected:
            continue
        yes = tally["yes"]
        scored.append((-int(yes["heads"]), -Fraction(yes["area"]), c.position, c.pk, c))
    scored.sort(key=lambda row: row[:4])
    return [row[-1] for row in scored[:count]]


def committee_from_result(
    *,
    election: Election,
    actor: Actor,
) -> Committee:
    """Put the elected committee on the register (业主委员会名册).

    Elected candidates become members in rank order, the next qualified ones alternates (up to the
    race's number of alternates). The term starts on the day of the count and runs the profile's
    longest term. The previous committee stays in office until this one is filed. A by-election
    adds its elected members to the committee in office instead.
    """
    with transaction.atomic():
        fresh = Election.objects.select_for_update().get(pk=election.pk)
        check_may_manage(actor, fresh.compound_id)
        check("committee_from_result", fresh)
        profile = effective_profile(fresh)
        races = list(Race.objects.filter(election=fresh).prefetch_related("candidates"))
        if fresh.kind == Kind.BY_ELECTION:
            sitting = sitting_committee(fresh.compound_id)
            if sitting is None:  # the table's precondition refused this already
                raise ElectionError(
                    _("The compound has no committee in office to add the elected members to.")
                )
            committee = sitting
            position = (committee.members.aggregate(m=Max("position"))["m"] or 0) + 1
        else:
            start = fresh.decided_on or timezone.localdate()
            committee = Committee(
                compound_id=fresh.compound_id,
                election=fresh,
                term_start=start,
                term_end=tl.add_years(start, profile.term),
            )
            committee.full_clean()
            committee.save()
            position = 1
        members = []
        for race in races:
            entry = (fresh.result or {}).get("races", {}).get(race.key, {})
            candidates = list(race.candidates.all())
            by_key = {c.key: c for c in candidates}
            chosen = [
                (by_key[k], CommitteeMember.Role.MEMBER) for k in entry.get("elected", []) if k in by_key
            ]
            chosen += [
                (c, CommitteeMember.Role.ALTERNATE)
                for c in ranked_alternates(entry, candidates, race.alternates)
            ]
            for candidate, role in chosen:
                members.append(
                    CommitteeMember(
                        committee=committee,
                        name=candidate.name,
                        owner_id=candidate.owner_id,
                        role=role,
                        party_member=candidate.party_member,
                        cross_post=candidate.branch_member or candidate.branch_secretary,
                        branch_secretary=candidate.branch_secretary,
                        position=position,
                    )
                )
                position += 1
        CommitteeMember.objects.bulk_create(members)
        if fresh.kind == Kind.BY_ELECTION:
            rules = dict(fresh.rule_overrides or {})
            rules["_committee_updated"] = committee.pk
            Election.objects.filter(pk=fresh.pk).update(rule_overrides=rules)
        audit_election(
            "election.committee_registered",
            fresh,
            actor=actor,
            summary=f"committee #{committee.pk} from the result: {len(members)} members and alternates",
            data={"committee": committee.pk, "members": [m.name for m in members]},
        )
    election.refresh_from_db()
    return committee


def election_file(
    *,
    election: Election,
    actor: Actor,
    on: date | None = None,
) -> Election:
    """Filed (备案) with the district housing office and the street: filing → done.

    The new committee is then in office and the previous one leaves office on the filing day.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("election_file", fresh)
        if fresh.decided_on and on < fresh.decided_on:
            raise ElectionError(_("The filing cannot be before the election."))
        move_stage(
            fresh,
            to=Stage.DONE,
            actor=actor,
            fields={"filed_on": on},
            data={"on": on.isoformat()},
        )
        committee = committee_of(fresh)
        ended: list[int] = []
        if committee is not None:
            Committee.objects.filter(pk=committee.pk).update(filed_on=on)
            previous = Committee.objects.filter(compound_id=fresh.compound_id, ended_on__isnull=True).exclude(
                pk=committee.pk
            )
            ended = list(previous.values_list("pk", flat=True))
            previous.update(ended_on=on)
        if ended:
            audit_election(
                "committee.ended",
                fresh,
                actor=actor,
                summary=f"previous committee(s) {ended} left office on {on}",
                data={"committees": ended, "on": on.isoformat()},
            )
    return reloaded(election)


def election_fail(
    *,
    election: Election,
    actor: Actor,
    reason: str,
    on: date | None = None,
) -> Election:
    """Mark the election not successful (quorum not met, seats unfilled, a street or court decision).

    A committee put on the register from this election but never filed is removed (the audit row
    keeps its members); the previous committee stays in office.
    """
    on = on or timezone.localdate()
    with transaction.atomic():
        fresh = load_fresh(election)
        check_may_manage(actor, fresh.compound_id)
        check("election_fail", fresh, reason=reason)
        committee = committee_of(fresh)
        removed = None
        if committee is not None and committee.filed_on is None:
            removed = {
                "committee": committee.pk,
                "members": list(committee.members.values_list("name", flat=True)),
            }
            committee.delete()
        move_stage(
            fresh,
            to=Stage.FAILED,
            actor=actor,
            fields={"failed_reason": reason.strip()[:300]},
            data={"reason": reason.strip(), "on": on.isoformat(), "removed_committee": removed},
        )
    return reloaded(election)


def election_restart(
    *,
    election: Election,
    actor: Actor,
    at: str = "notice",
) -> Election:
    """Run a failed election again as a new election (see the module docstring for why new).

    ``at="notice"``: a new notice is needed (stage ``working_group``, matters and races copied and
    editable). ``at="nomination"``: the published matters and races stand and nominations reopen
    with every nomination and candidate kept (stage ``nomination``); the new voting window still
    needs a new assembly notice (:func:`notice_publish`) before voting opens. Returns the new
    election.
    """
    with transaction.atomic():
        old = Election.objects.select_for_update().get(pk=election.pk)
        check_may_manage(actor, old.compound_id)
        check("election_restart", old, at=at)
        attempt = old.restart_count + 2  # the first run is attempt 1
        kept_rules = {k: v for k, v in (old.rule_overrides or {}).items() if not k.startswith("_")}
        new = Election.objects.create(
            compound_id=old.compound_id,
            title=restart_title(old.title, attempt),
            kind=old.kind,
            stage=Stage.NOMINATION if at == "nomination" else Stage.WORKING_GROUP,
            quorum_numerator=old.quorum_numerator,
            quorum_denominator=old.quorum_denominator,
            profile=old.profile,
            rule_overrides={**kept_rules, "_restart_of": old.pk},
            proxy_limit=old.proxy_limit,
            nominations_required=old.nominations_required,
            silent_majority=old.silent_majority,
            temporary_meeting=old.temporary_meeting,
            working_group_formed_on=old.working_group_formed_on,
            working_group_published_on=old.working_group_published_on,
            # The same street office approved the same start and working group: they carry over.
            start_approved_at=old.start_approved_at,
            start_approved_by_id=old.start_approved_by_id,
            start_approval_note=old.start_approval_note,
            working_group_approved_at=old.working_group_approved_at,
            working_group_approved_by_id=old.working_group_approved_by_id,
            working_group_approval_note=old.working_group_approval_note,
            # The old notice announced the old voting window; the new one is announced anew.
            notice_published_on=None,
            restart_count=old.restart_count + 1,
            created_by=person(actor),
        )
        WorkingGroupMember.objects.bulk_create(
            [
                WorkingGroupMember(
                    election=new,
                    name=m.name,
                    user_id=m.user_id,
                    owner_id=m.owner_id,
                    affiliation=m.affiliation,
                    role=m.role,
                    party_member=m.party_member,
                )
                for m in old.working_group.all()
            ]
        )
        Matter.objects.bulk_create(
            [
                Matter(
                    election=new,
                    key=m.key,
                    title=m.title,
                    text=m.text,
                    item=m.item,
                    category=m.category,
                    position=m.position,
                )
                for m in old.matters.all()
            ]
        )
        copied = {"nominations": 0, "candidates": 0}
        for race in old.races.all():
            new_race = Race.objects.create(
                election=new,
                key=race.key,
                title=race.title,
                seats=race.seats,
                alternates=race.alternates,
                position=race.position,
            )
            if at == "nomination":
                copied_now = copy_candidates(race, new_race, new)
                copied["nominations"] += copied_now[0]
                copied["candidates"] += copied_now[1]
        rules = dict(old.rule_overrides or {})
        rules["_restarted_as"] = new.pk
        Election.objects.filter(pk=old.pk, stage=Stage.FAILED).update(rule_overrides=rules)
        audit_election(
            "election.restarted",
            old,
            actor=actor,
            summary=f"restarted at {at} as election #{new.pk}",
            data={"new": new.pk, "at": at, **copied},
        )
        audit_election(
            "election.created",
            new,
            actor=actor,
            summary=f"restart of election #{old.pk} at {at}",
            data={"restart_of": old.pk, "at": at, "stage": new.stage, **copied},
        )
    election.refresh_from_db()
    return new


def copy_candidates(race: Race, new_race: Race, new: Election) -> tuple[int, int]:
    """Copy a race's nominations (with supporters and vetting flags) and candidates."""
    by_old: dict[int, Nomination] = {}
    nominations = list(Nomination.objects.filter(race=race).prefetch_related("supporters", "flags"))
    for n in nominations:
        copy = Nomination.objects.create(
            election=new,
            race=new_race,
            nominee_id=n.nominee_id,
            source=n.source,
            nominated_by_id=n.nominated_by_id,
            statement=n.statement,
            bio=n.bio,
            photo=n.photo,
            party_member=n.party_member,
            branch_member=n.branch_member,
            branch_secretary=n.branch_secretary,
            birth_year=n.birth_year,
            occupation=n.occupation,
            status=n.status,
            accepted_at=n.accepted_at,
            opinion_party=n.opinion_party,
            opinion_owners=n.opinion_owners,
            opinion_self=n.opinion_self,
            positive_notes=n.positive_notes,
            decision_reason=n.decision_reason,
            decided_by_id=n.decided_by_id,
            decided_at=n.decided_at,
        )
        copy.supporters.set(n.supporters.all())
        VettingFlag.objects.bulk_create(
            [
                VettingFlag(
                    nomination=copy,
                    kind=f.kind,
                    note=f.note,
                    evidence=f.evidence,
                    created_by_id=f.created_by_id,
                )
                for f in n.flags.all()
            ]
        )
        by_old[n.pk] = copy
    candidates = list(Candidate.objects.filter(race=race))
    Candidate.objects.bulk_create(
        [
            Candidate(
                race=new_race,
                key=c.key,
                name=c.name,
                owner_id=c.owner_id,
                nomination=by_old.get(c.nomination_id) if c.nomination_id else None,
                bio=c.bio,
                photo=c.photo,
                party_member=c.party_member,
                branch_member=c.branch_member,
                branch_secretary=c.branch_secretary,
                birth_year=c.birth_year,
                occupation=c.occupation,
                position=c.position,
            )
            for c in candidates
        ]
    )
    return len(nominations), len(candidates)


#: The service of each transition in the table, by its name (an entry without one fails at import).
SERVICES = {t.name: globals()[t.name] for t in TRANSITIONS}
