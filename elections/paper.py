"""Paper ballots (纸质选票): printing, double entry (双人录入), review, and the bulk import.

A paper ballot carries a serial `"<election>-<voter>-<check>"` (and the same serial as a QR
code). The check is four characters of an HMAC of the election and voter ids under the
election's own key (`Election.paper_key`, made when the roll is frozen), so a mistyped serial (a
wrong digit, two digits swapped) is refused instead of landing on another owner's ballot, and
rotating SECRET_KEY in the middle of a vote leaves the printed ballots valid.

Double entry, and the choices made where the rules leave room:

- A paper ballot counts only once two different staff members who manage the election have keyed
  it in and their two readings agree exactly. The first keying creates a `PaperEntry` waiting for
  the second; the second is made blind (the form never shows the first reading). Agreement
  records the ballot through `elections.services.ballot_record` (channel and `cast_as` paper,
  `cast_by` the second staff member); disagreement sends the entry to review, where a third
  staff member (neither of the two who keyed it) reads the paper and picks one of the readings
  or keys a new one; the ballot is then recorded with `cast_by` the reviewer.
- A reading is {signed, unreadable, choices}. An unsigned or unreadable ballot carries no
  choices (what is ticked on it does not matter), so two readings that agree it is unsigned
  agree. A matter left blank is an abstention (RULES.md §3) and is simply absent; every race is
  present with its ticks (possibly none), so a hand entry and an imported row compare equal.
- An unsigned ballot is recorded as a rejected ballot with the reason "未签名" (RULES.md §3); an
  unreadable one as rejected with "无法辨认" and the staff's note. A voter who already has a valid
  ballot (voted online first, or a proxy did) gets the paper ballot recorded as rejected with
  "该业主已通过其他渠道投票，以首张有效票为准": the first valid ballot stands. Rejected ballots are
  in the chain and the audit log, and do not participate.
- Reasons stored on a ballot are written in Chinese whatever the staff member's language: the
  ballot board and the bundle are public legal records of a Chinese election.
- When: paper ballots may be keyed in while the election is in the voting or counting stage and
  the tally has not run (`Election.result` is empty), and only ballots received before voting
  closed. Before the close that is evident; after it, the staff member must confirm that the
  paper was received before the close (the confirmation is in the audit row).
- Bulk import: an uploaded sheet (columns 序列号, 签名, M1…, R1…) is ONE keying of each of its
  rows, checked exactly like a hand entry. Each row becomes the first entry of its ballot, or the
  second entry when another staff member keyed that ballot first (by hand or by an earlier
  import). So the usual way is: two staff members key the same stack of ballots into two sheets
  independently and each uploads theirs; the second upload confirms the first, and rows that
  differ go to review. A sheet is all or nothing: every problem is reported as "第 N 行：…" and
  nothing is written unless the whole sheet is clean.
- Withdrawal (撤回): an entry that has not produced a ballot (waiting for its second entry, or in
  review) can be withdrawn with a reason, for a first entry keyed under the wrong serial or a
  paper that turns out not to be a ballot of this election or to have been received after the
  close. Any staff member who manages the election may withdraw it, not only the one who keyed
  it: the problem usually shows when the count is blocked after the close, and the clerk may be
  a volunteer who has gone home; the audit row names who withdrew it and why, and the entry
  stays on the review page. Withdrawal is possible while paper ballots can be keyed in (voting
  or counting, before the tally has run), with no confirmation of receipt. A recorded ballot is
  in the hash chain and is never withdrawn. The withdrawn entry keeps its row (status
  withdrawn, by whom, when, why) and frees its serial: the right paper is then keyed in afresh,
  twice, under that serial. The audit row holds the serial, voter, previous status and reason,
  never the readings.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from elections.choices import PAPER_LABELS, Choice
from elections.errors import AlreadyVoted, ElectionError
from elections.models import Ballot, Candidate, Election, Matter, PaperEntry, Race, Stage, Voter
from elections.selectors import can_manage
from elections.services import RECEIPT_ALPHABET, ballot_record, canonical_choices, valid_ballot_of
from yezhu.actors import Actor, person, require_person
from yezhu.audit.log import record

ENTRY_STAGES = (Stage.VOTING, Stage.COUNTING)
CHECK_LENGTH = 4
_SERIAL = re.compile(r"^(\d{1,12})-(\d{1,12})-([0-9A-Z]{4})$")  # 4 = CHECK_LENGTH
_FULL_WIDTH = {ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}
_FULL_WIDTH.update(
    {ord(c): ord("A") + i for i, c in enumerate("ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")}
)
_FULL_WIDTH.update(
    {ord(c): ord("a") + i for i, c in enumerate("ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ")}
)
_DASHES = re.compile(r"[－—–―‐_]")


# ---------------------------------------------------------------------------------------------
# Serials
# ---------------------------------------------------------------------------------------------


def paper_key(election_id: int) -> str:
    """The key of the election's serial checks: its own `Election.paper_key`, made when the roll is
    frozen and kept in the database, so rotating SECRET_KEY in the middle of a vote (a leaked key
    must be rotated at once) leaves the printed ballots valid. An election frozen before the key
    existed has none and keeps the old scheme, SECRET_KEY."""
    cache_key = f"yezhu:paper-key:{election_id}"
    key = cache.get(cache_key)
    if key is None:
        key = Election.objects.filter(pk=election_id).values_list("paper_key", flat=True).first() or ""
        if key:  # never cache the fallback: the roll may be frozen (and the key made) a moment later
            cache.set(cache_key, key, timeout=24 * 3600)
    return key or settings.SECRET_KEY


def serial_check(election_id: int, voter_id: int, key: str | None = None) -> str:
    """The four check characters of a serial (`key`: the election's `paper_key`, looked up if None)."""
    key = key if key is not None else paper_key(election_id)
    digest = hmac.new(key.encode(), f"yezhu-paper:{election_id}:{voter_id}".encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:4], "big")
    return "".join(RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in range(CHECK_LENGTH))


def serial_for(voter: Voter, key: str | None = None) -> str:
    """The serial printed on this voter's paper ballot."""
    return f"{voter.election_id}-{voter.pk}-{serial_check(voter.election_id, voter.pk, key)}"


def normalize_serial(raw: str) -> str:
    text = (raw or "").translate(_FULL_WIDTH)
    text = _DASHES.sub("-", text)
    return "".join(text.split()).upper()


def voter_for_serial(*, election: Election, serial: str) -> Voter:
    """The voter whose ballot bears this serial; ElectionError for a mistyped or foreign serial."""
    text = normalize_serial(serial)
    match = _SERIAL.match(text)
    if not match:
        raise ElectionError(
            _("“%(serial)s” is not a ballot serial: it looks like 12-3456-ABCD.") % {"serial": serial}
        )
    election_id, voter_id, check = int(match[1]), int(match[2]), match[3]
    if not hmac.compare_digest(check, serial_check(election_id, voter_id)):
        raise ElectionError(
            _("The serial %(serial)s does not check out: it was probably mistyped. Please type it again.")
            % {"serial": text}
        )
    if election_id != election.pk:
        raise ElectionError(_("The serial %(serial)s belongs to another election.") % {"serial": text})
    voter = Voter.objects.filter(election=election, pk=voter_id).first()
    if voter is None:
        raise ElectionError(_("No voter of this election has the serial %(serial)s.") % {"serial": text})
    return voter


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedBallot:
    voter: Voter
    serial: str
    qr_svg: str


def ballot_paper(election: Election) -> tuple[list[Matter], list[Race]]:
    """The matters and races (with candidates) printed on every ballot: three queries."""
    matters = list(Matter.objects.filter(election=election).order_by("position", "id"))
    races = list(
        Race.objects.filter(election=election)
        .order_by("position", "id")
        .prefetch_related(Prefetch("candidates", queryset=Candidate.objects.order_by("position", "id")))
    )
    return matters, races


def qr_svg(serial: str) -> str:
    """The serial as an inline SVG QR code (no style attribute: the CSP forbids inline style)."""
    import segno

    return segno.make(serial, error="m", micro=False).svg_inline(scale=3, border=2)


def printed_ballots(voters: Sequence[Voter]) -> list[PrintedBallot]:
    result = []
    keys: dict[int, str] = {}
    for voter in voters:
        if voter.election_id not in keys:
            keys[voter.election_id] = paper_key(voter.election_id)
        serial = serial_for(voter, keys[voter.election_id])
        result.append(PrintedBallot(voter=voter, serial=serial, qr_svg=qr_svg(serial)))
    return result


def paper_ballots_print(
    *, election: Election, voters: Sequence[Voter], actor: Actor, what: str
) -> list[PrintedBallot]:
    """The ballots to print for these voters, with the audit row `paper.printed`: who printed
    which serials. Each printed ballot is a keyable ballot for a named voter, so a second print
    of the same serial (a lost paper, or one too many) is on the record too."""
    if not can_manage(actor, election):
        raise ElectionError(_("You may not manage this election."))
    ballots = printed_ballots(voters)
    record(
        "paper.printed",
        actor=actor,
        obj=election,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary=f"{len(ballots)} paper ballot(s) printed: {what}"[:300],
        data={"what": what, "serials": [b.serial for b in ballots], "voters": [b.voter.pk for b in ballots]},
    )
    return ballots


def voters_printed_with_building(*, election: Election, building_id: int) -> QuerySet[Voter]:
    """The voters whose ballot is printed with this building.

    A voter with units in several buildings gets ONE ballot, printed with the building of its
    first unit code; printing it again with another building would put two papers with the same
    serial in circulation.
    """
    through = Voter.units.through
    first_unit: dict[int, tuple[str, int]] = {}
    for voter_id, code, b_id in (
        through.objects.filter(voter__election=election)
        .values_list("voter_id", "unit__code", "unit__building_id")
        .order_by("voter_id", "unit__code")
    ):
        first_unit.setdefault(voter_id, (code, b_id))
    ids = [voter_id for voter_id, (_code, b_id) in first_unit.items() if b_id == building_id]
    return Voter.objects.filter(election=election, pk__in=ids).order_by("unit_codes")


# ---------------------------------------------------------------------------------------------
# Readings and the rules of when
# ---------------------------------------------------------------------------------------------


def reading(
    *, election: Election, signed: bool, unreadable: bool = False, choices: dict | None = None
) -> dict:
    """The canonical form of one keying of a paper ballot, for exact comparison."""
    if unreadable or not signed:
        return {"signed": bool(signed), "unreadable": bool(unreadable), "choices": {}}
    raw = dict(choices or {})
    races = dict(raw.get("races") or {})
    for key in Race.objects.filter(election=election).values_list("key", flat=True):
        races.setdefault(key, [])
    clean = canonical_choices(
        election=election, choices={"matters": raw.get("matters") or {}, "races": races}
    )
    return {"signed": True, "unreadable": False, "choices": clean}


def _stored_reason(message: str) -> str:
    """Reasons on a ballot are kept in the election's language (Chinese), not the clerk's."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message)


REASON_UNSIGNED = gettext_noop("Not signed")  # 未签名 (RULES.md §3)
REASON_ALREADY_VOTED = gettext_noop(
    "The owner has already voted through another channel; the first valid ballot stands"
)  # 该业主已通过其他渠道投票，以首张有效票为准
REASON_UNREADABLE = gettext_noop("Unreadable")  # 无法辨认


def reason_unsigned() -> str:
    return _stored_reason(REASON_UNSIGNED)


def reason_already_voted() -> str:
    return _stored_reason(REASON_ALREADY_VOTED)


def reason_unreadable(note: str = "") -> str:
    base = _stored_reason(REASON_UNREADABLE)
    return f"{base}：{note}"[:200] if note else base


def entry_refusal(election: Election, *, received_before_close: bool, now: datetime) -> str:
    """Why paper ballots cannot be keyed in now ("" when they can)."""
    if election.roll_frozen_at is None:
        return _(
            "The roll of this election has not been frozen yet: paper ballots are keyed in once voting opens."
        )
    if election.stage not in ENTRY_STAGES or election.result is not None:
        return _(
            "Paper ballots can be keyed in only while voting is open or being counted, before the tally has run."
        )
    closed = election.voting_closes_at is not None and now >= election.voting_closes_at
    if closed and not received_before_close:
        return _(
            "Voting has closed: confirm that this paper ballot was received before the close. "
            "Ballots received after the close are not counted."
        )
    return ""


def _check_staff(election: Election, user, message: str = "") -> None:
    if not can_manage(user, election):
        raise ElectionError(message or _("Only staff who run this election may key in paper ballots."))


def live_entries(election: Election) -> QuerySet[PaperEntry]:
    """The entries of an election that are not withdrawn: at most one per serial."""
    return PaperEntry.objects.filter(election=election).exclude(status=PaperEntry.Status.WITHDRAWN)


# ---------------------------------------------------------------------------------------------
# Double entry
# ---------------------------------------------------------------------------------------------


def _finish(
    *,
    election: Election,
    entry: PaperEntry,
    final: dict,
    actor: Actor,
    status: str,
    now,
) -> PaperEntry:
    """Record the ballot of an entry whose reading is settled; sets the entry's final status."""
    voter = Voter.objects.select_for_update().get(pk=entry.voter_id)
    reason = ""
    if final["unreadable"]:
        reason = reason_unreadable(entry.note)
    elif not final["signed"]:
        reason = reason_unsigned()
    elif valid_ballot_of(voter) is not None:
        reason = reason_already_voted()
    kwargs = {
        "election": election,
        "voter": voter,
        "actor": actor,
        "cast_as": Ballot.CastAs.PAPER,
        "channel": Ballot.Channel.PAPER,
        "paper_serial": entry.serial,
        "now": now,
    }
    if reason:
        ballot = ballot_record(choices={}, status=Ballot.Status.REJECTED, reject_reason=reason, **kwargs)
    else:
        try:
            with transaction.atomic():
                ballot = ballot_record(choices=final["choices"], **kwargs)
        except AlreadyVoted:
            reason = reason_already_voted()
            ballot = ballot_record(choices={}, status=Ballot.Status.REJECTED, reject_reason=reason, **kwargs)
    entry.ballot = ballot
    entry.status = PaperEntry.Status.REJECTED if reason else status
    if reason:
        entry.note = reason[:300]
    entry.save(update_fields=["ballot", "status", "note"])
    return entry


def _key_in(
    *,
    election: Election,
    voter: Voter,
    serial: str,
    actor: Actor,
    entry_reading: dict,
    note: str,
    now,
    source: str,
) -> PaperEntry:
    """One keying of one ballot, inside the caller's transaction. Raises ElectionError."""
    entry = live_entries(election).select_for_update().filter(serial=serial).first()
    if entry is None:
        entry = PaperEntry.objects.create(
            election=election,
            voter=voter,
            serial=serial,
            first_by=require_person(actor),
            first_entry=entry_reading,
            note=note[:300],
        )
        record(
            "paper.first_entry",
            actor=actor,
            obj=entry,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"paper ballot {serial} keyed in once ({source})",
            data={"serial": serial, "voter": voter.pk, "source": source},
        )
        return entry
    if entry.status == PaperEntry.Status.MISMATCH:
        raise ElectionError(
            _("The two entries of ballot %(serial)s differ; it is waiting in the review queue.")
            % {"serial": serial}
        )
    if entry.status != PaperEntry.Status.AWAITING_SECOND:
        raise ElectionError(_("Ballot %(serial)s has already been entered and counted.") % {"serial": serial})
    if entry.first_by_id == actor.pk:
        raise ElectionError(
            _(
                "You keyed in ballot %(serial)s the first time: the second entry must be made by another staff member."
            )
            % {"serial": serial}
        )
    entry.second_by = require_person(actor)
    entry.second_entry = entry_reading
    if note and not entry.note:
        entry.note = note[:300]
    matched = entry.first_entry == entry_reading
    if not matched:
        entry.status = PaperEntry.Status.MISMATCH
        entry.save(update_fields=["second_by", "second_entry", "status", "note"])
    else:
        entry.save(update_fields=["second_by", "second_entry", "note"])
        _finish(
            election=election,
            entry=entry,
            final=entry_reading,
            actor=actor,
            status=PaperEntry.Status.MATCHED,
            now=now,
        )
    record(
        "paper.second_entry",
        actor=actor,
        obj=entry,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary=f"paper ballot {serial} keyed in twice: {entry.status} ({source})",
        # Never the readings themselves: staff read the audit log while voting is open.
        data={"serial": serial, "voter": voter.pk, "status": entry.status, "source": source},
    )
    return entry


def paper_entry_submit(
    *,
    election: Election,
    serial: str,
    actor: Actor,
    signed: bool,
    unreadable: bool = False,
    choices: dict | None = None,
    note: str = "",
    received_before_close: bool = False,
    now: datetime | None = None,
) -> PaperEntry:
    """Key in one paper ballot (first or second entry). Returns the entry in its new state."""
    now = now or timezone.now()
    _check_staff(election, actor)
    refusal = entry_refusal(election, received_before_close=received_before_close, now=now)
    if refusal:
        raise ElectionError(refusal)
    voter = voter_for_serial(election=election, serial=serial)
    canonical_serial = serial_for(voter)
    entry_reading = reading(election=election, signed=signed, unreadable=unreadable, choices=choices)
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(fields=["stage", "result"])
        refusal = entry_refusal(election, received_before_close=received_before_close, now=now)
        if refusal:
            raise ElectionError(refusal)
        entry = _key_in(
            election=election,
            voter=voter,
            serial=canonical_serial,
            actor=actor,
            entry_reading=entry_reading,
            note=note.strip() if unreadable else "",
            now=now,
            source="form",
        )
        if received_before_close:
            record(
                "paper.received_before_close",
                actor=actor,
                obj=entry,
                election_id=election.pk,
                compound_id=election.compound_id,
                summary=f"paper ballot {canonical_serial} confirmed received before the close",
            )
    return entry


def paper_entry_resolve(
    *,
    entry: PaperEntry,
    actor: Actor,
    pick: str,
    signed: bool = True,
    unreadable: bool = False,
    choices: dict | None = None,
    note: str = "",
    now: datetime | None = None,
) -> PaperEntry:
    """Settle an entry whose two readings differ: `pick` is "first", "second" or "new" (then the
    reviewer's own reading is given). The reviewer must be neither of the two who keyed it."""
    now = now or timezone.now()
    election = entry.election
    _check_staff(election, actor)
    if pick not in ("first", "second", "new"):
        raise ElectionError(_("Choose one of the two readings or enter the correct reading."))
    new_reading = None
    if pick == "new":
        new_reading = reading(election=election, signed=signed, unreadable=unreadable, choices=choices)
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(fields=["stage", "result"])
        locked = PaperEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status != PaperEntry.Status.MISMATCH:
            raise ElectionError(_("This ballot is no longer waiting for review."))
        if actor.pk in (locked.first_by_id, locked.second_by_id):
            raise ElectionError(
                _("You keyed in this ballot yourself: the review must be made by a third staff member.")
            )
        if election.stage not in ENTRY_STAGES or election.result is not None:
            raise ElectionError(
                _(
                    "Paper ballots can be keyed in only while voting is open or being counted, before the tally has run."
                )
            )
        final = {"first": locked.first_entry, "second": locked.second_entry, "new": new_reading}[pick]
        if pick == "new" and unreadable and note.strip():
            locked.note = note.strip()[:300]
        _finish(
            election=election,
            entry=locked,
            final=final,
            actor=actor,
            status=PaperEntry.Status.RESOLVED,
            now=now,
        )
        record(
            "paper.resolved",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"paper ballot {locked.serial} resolved in review ({pick}): {locked.status}",
            data={"serial": locked.serial, "voter": locked.voter_id, "pick": pick, "status": locked.status},
        )
    entry.refresh_from_db()
    return entry


WITHDRAWABLE = (PaperEntry.Status.AWAITING_SECOND, PaperEntry.Status.MISMATCH)


def paper_entry_withdraw(
    *, entry: PaperEntry, actor: Actor, reason: str, now: datetime | None = None
) -> PaperEntry:
    """Withdraw an entry that has not produced a ballot; its serial can then be keyed in afresh.

    Any staff member who manages the election may do it (see the module docstring), with a
    reason, while paper ballots can still be keyed in. The row stays, marked withdrawn.
    """
    now = now or timezone.now()
    election = entry.election
    _check_staff(election, actor, _("Only staff who run this election may withdraw paper ballot entries."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ElectionError(
            _("Write why this entry is withdrawn, for example “keyed in under the wrong serial”.")
        )
    with transaction.atomic():
        # Same lock order as keying in (election, then entry): a withdrawal racing a second
        # entry or a review waits for it, then sees the entry's new state.
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(fields=["stage", "result", "roll_frozen_at"])
        if entry_refusal(election, received_before_close=True, now=now):
            raise ElectionError(
                _(
                    "Paper ballot entries can be withdrawn only while voting is open or being counted, "
                    "before the tally has run."
                )
            )
        locked = PaperEntry.objects.select_for_update().get(pk=entry.pk)
        if locked.status == PaperEntry.Status.WITHDRAWN:
            raise ElectionError(_("This entry has already been withdrawn."))
        if locked.status not in WITHDRAWABLE:
            raise ElectionError(
                _(
                    "Ballot %(serial)s has already been recorded: a recorded ballot stays in the count "
                    "and cannot be withdrawn."
                )
                % {"serial": locked.serial}
            )
        previous = locked.status
        locked.status = PaperEntry.Status.WITHDRAWN
        locked.withdrawn_by = person(actor)
        locked.withdrawn_at = now
        locked.withdrawn_reason = reason[:300]
        locked.save(update_fields=["status", "withdrawn_by", "withdrawn_at", "withdrawn_reason"])
        record(
            "paper.withdrawn",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"paper ballot {locked.serial}: entry withdrawn (was {previous})",
            # Never the readings: staff read the audit log while voting is open.
            data={
                "serial": locked.serial,
                "voter": locked.voter_id,
                "previous_status": previous,
                "reason": locked.withdrawn_reason,
                "first_by": locked.first_by_id,
                "second_by": locked.second_by_id,
            },
        )
    entry.refresh_from_db()
    return entry


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def paper_counts(election: Election) -> dict[str, int]:
    """How many paper entries are in each state (withdrawn ones under their own key): one query."""
    counts = {status: 0 for status in PaperEntry.Status.values}
    for row in PaperEntry.objects.filter(election=election).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def paper_pending_count(election: Election) -> int:
    """Entries not yet settled (waiting for a second entry or in review): the tally should wait.
    Withdrawn entries are settled: they wait for nothing."""
    return PaperEntry.objects.filter(
        election=election, status__in=[PaperEntry.Status.AWAITING_SECOND, PaperEntry.Status.MISMATCH]
    ).count()


def describe_reading(election: Election, value: dict, matters: list[Matter], races: list[Race]) -> dict:
    """A reading spelled out for the reviewer: matter titles with answers, race ticks by name."""
    choices = value.get("choices") or {}
    answers = choices.get("matters") or {}
    ticks = choices.get("races") or {}
    return {
        "signed": value.get("signed"),
        "unreadable": value.get("unreadable"),
        "matters": [(m, PAPER_LABELS.get(answers.get(m.key, ""), _("Left blank"))) for m in matters],
        "races": [
            (r, [c.name for c in r.candidates.all() if c.key in (ticks.get(r.key) or [])]) for r in races
        ],
    }


# ---------------------------------------------------------------------------------------------
# Bulk import
# ---------------------------------------------------------------------------------------------

SERIAL_COLUMN = "序列号"
SIGNED_COLUMN = "签名"
YES_NO = {"是": True, "已签": True, "已签名": True, "否": False, "未签": False, "未签名": False}
MATTER_WORDS = {
    "同意": Choice.YES.value,
    "反对": Choice.NO.value,
    "弃权": Choice.ABSTAIN.value,
    "空": "",
    "": "",
}
TICK_SEPARATORS = re.compile(r"[、，,;；\s]+")
MAX_IMPORT_ROWS = 50_000
MAX_IMPORT_ERRORS = 500


class PaperImportError(ElectionError):
    """The sheet cannot be imported; `errors` lists every problem, one line each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def read_sheet(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of an .xlsx (first worksheet) or .csv file, with Excel's row numbers."""
    ext = os.path.splitext(filename or "")[1].lower()
    if ext not in (".csv", ".xlsx"):
        raise PaperImportError([_("Upload an .xlsx or .csv file.")])
    if not data:
        raise PaperImportError([_("The file is empty.")])
    rows: list[tuple[int, list[str]]] = []
    if ext == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise PaperImportError([_("The CSV file is neither UTF-8 nor GBK.")]) from None
        reader = csv.reader(io.StringIO(text, newline=""))
        start = 1
        try:
            for values in reader:
                cells = [_cell_text(v) for v in values]
                if any(cells):
                    rows.append((start, cells))
                start = reader.line_num + 1
        except csv.Error:
            raise PaperImportError([_("The CSV file cannot be read.")]) from None
    else:
        import openpyxl

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if sum(info.file_size for info in archive.infolist()) > 64 * 1024 * 1024:
                    raise PaperImportError([_("The Excel file is too large.")])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
                try:
                    sheet = book.worksheets[0]
                    sheet.reset_dimensions()
                    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                        cells = [_cell_text(v) for v in row]
                        if any(cells):
                            rows.append((number, cells))
                        if len(rows) > MAX_IMPORT_ROWS + 1:
                            break
                finally:
                    book.close()
        except PaperImportError:
            raise
        except Exception:
            raise PaperImportError([_("The Excel file cannot be read: save it again as .xlsx.")]) from None
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise PaperImportError([_("The sheet has more than %(max)s rows.") % {"max": MAX_IMPORT_ROWS}])
    return rows


def choices_from_cells(
    cells: list[str], start: int, matter_keys: list[str], races: list[Race]
) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """The answers and ticks of one sheet row whose matter columns begin at ``start``, followed by
    one column per race: (answers, ticks, problems). Shared by the paper sheet and the city
    platform's result file, so both read 同意/反对/弃权/空 and candidates the same way."""
    problems: list[str] = []
    answers: dict[str, str] = {}
    for i, key in enumerate(matter_keys, start=start):
        word = cells[i]
        if word not in MATTER_WORDS:
            problems.append(
                _("%(key)s must be 同意, 反对, 弃权 or 空, not “%(value)s”.") % {"key": key, "value": word}
            )
        elif MATTER_WORDS[word]:
            answers[key] = MATTER_WORDS[word]
    ticks: dict[str, list[str]] = {}
    for j, race in enumerate(races, start=start + len(matter_keys)):
        by_name = {c.name: c.key for c in race.candidates.all()}
        keys = {c.key.upper(): c.key for c in race.candidates.all()}
        chosen: list[str] = []
        for token in [t for t in TICK_SEPARATORS.split(cells[j]) if t]:
            candidate = keys.get(token.upper()) or by_name.get(token)
            if candidate is None:
                problems.append(
                    _("%(race)s: “%(value)s” is not a candidate of this race.")
                    % {"race": race.key, "value": token}
                )
            elif candidate in chosen:
                problems.append(
                    _("%(race)s: candidate “%(value)s” is ticked twice.") % {"race": race.key, "value": token}
                )
            else:
                chosen.append(candidate)
        ticks[race.key] = chosen
    return answers, ticks, problems


def template_header(election: Election) -> list[str]:
    matters, races = ballot_paper(election)
    return [SERIAL_COLUMN, SIGNED_COLUMN, *(m.key for m in matters), *(r.key for r in races)]


@dataclass(frozen=True)
class ImportRow:
    row: int
    voter: Voter
    serial: str
    reading: dict


def parse_sheet(
    *,
    election: Election,
    data: bytes,
    filename: str,
    user,
    progress: Callable[[int, int], None] | None = None,
) -> list[ImportRow]:
    """Read and check a keyed-in sheet; PaperImportError with every "第 N 行：…" problem."""
    rows = read_sheet(data, filename)
    if not rows:
        raise PaperImportError([_("The sheet has no rows.")])
    matters, races = ballot_paper(election)
    matter_keys = [m.key for m in matters]
    expected = template_header(election)
    header_row, header = rows[0]
    header = [h.upper() if h not in (SERIAL_COLUMN, SIGNED_COLUMN) else h for h in header]
    while header and not header[-1]:
        header.pop()
    if header != expected:
        raise PaperImportError(
            [
                _("Row %(row)s: the header must be exactly %(expected)s.")
                % {"row": header_row, "expected": "，".join(expected)}
            ]
        )
    errors: list[str] = []

    def error(row: int, message: str) -> None:
        errors.append(_("Row %(row)s: %(message)s") % {"row": row, "message": message})

    voters = {v.pk: v for v in Voter.objects.filter(election=election)}
    serial_key = paper_key(election.pk)
    entries = {e.serial: e for e in live_entries(election).only("serial", "status", "first_by_id")}
    seen: dict[str, int] = {}
    parsed: list[ImportRow] = []
    total = len(rows) - 1
    for index, (number, cells) in enumerate(rows[1:], start=1):
        if progress is not None and (index % 200 == 0 or index == total):
            progress(index, total)
        cells = cells + [""] * (len(expected) - len(cells))
        if any(cells[len(expected) :]):
            error(number, _("there is something beyond the last column."))
            continue
        serial_text = cells[0]
        match = _SERIAL.match(normalize_serial(serial_text))
        if not serial_text:
            error(number, _("the serial is empty."))
            continue
        if not match or not hmac.compare_digest(
            match[3],
            serial_check(int(match[1]), int(match[2]), serial_key if int(match[1]) == election.pk else None),
        ):
            error(
                number, _("the serial “%(serial)s” does not check out (mistyped?).") % {"serial": serial_text}
            )
            continue
        if int(match[1]) != election.pk or int(match[2]) not in voters:
            error(
                number,
                _("the serial “%(serial)s” is not a ballot of this election.") % {"serial": serial_text},
            )
            continue
        voter = voters[int(match[2])]
        serial = serial_for(voter, serial_key)
        if serial in seen:
            error(
                number,
                _("ballot %(serial)s is also on row %(first)s.") % {"serial": serial, "first": seen[serial]},
            )
            continue
        seen[serial] = number
        existing = entries.get(serial)
        if existing is not None:
            if existing.status == PaperEntry.Status.MISMATCH:
                error(number, _("ballot %(serial)s is waiting in the review queue.") % {"serial": serial})
                continue
            if existing.status != PaperEntry.Status.AWAITING_SECOND:
                error(
                    number, _("ballot %(serial)s has already been entered and counted.") % {"serial": serial}
                )
                continue
            if existing.first_by_id == user.pk:
                error(
                    number,
                    _(
                        "you keyed in ballot %(serial)s the first time; the second entry must be another staff member's."
                    )
                    % {"serial": serial},
                )
                continue
        signed_text = cells[1]
        if signed_text not in YES_NO:
            error(number, _("签名 must be 是 or 否, not “%(value)s”.") % {"value": signed_text})
            continue
        signed = YES_NO[signed_text]
        answers, ticks, row_errors = choices_from_cells(cells, 2, matter_keys, races)
        if row_errors:
            for message in row_errors:
                error(number, message)
            continue
        parsed.append(
            ImportRow(
                row=number,
                voter=voter,
                serial=serial,
                reading=reading(
                    election=election, signed=signed, choices={"matters": answers, "races": ticks}
                ),
            )
        )
    if not parsed and not errors:
        errors.append(_("The sheet has no ballots, only the header."))
    if errors:
        if len(errors) > MAX_IMPORT_ERRORS:
            extra = len(errors) - MAX_IMPORT_ERRORS
            errors = [*errors[:MAX_IMPORT_ERRORS], _("and %(count)s more problems.") % {"count": extra}]
        raise PaperImportError(errors)
    return parsed


def paper_import(
    *,
    election: Election,
    actor: Actor,
    data: bytes,
    filename: str,
    received_before_close: bool = False,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Import a keyed-in sheet as one keying of each row, all or nothing. Returns counts by state."""
    now = now or timezone.now()
    _check_staff(election, actor)
    refusal = entry_refusal(election, received_before_close=received_before_close, now=now)
    if refusal:
        raise PaperImportError([refusal])
    # Progress is reported while the rows are checked, outside the transaction, so that the
    # progress bar (another connection) sees it; writing the checked rows is quick.
    rows = parse_sheet(election=election, data=data, filename=filename, user=actor, progress=progress)
    counts = {"first": 0, "matched": 0, "mismatch": 0, "rejected": 0}
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(fields=["stage", "result"])
        refusal = entry_refusal(election, received_before_close=received_before_close, now=now)
        if refusal:
            raise PaperImportError([refusal])
        errors: list[str] = []
        for row in rows:
            try:
                with transaction.atomic():
                    entry = _key_in(
                        election=election,
                        voter=row.voter,
                        serial=row.serial,
                        actor=actor,
                        entry_reading=row.reading,
                        note="",
                        now=now,
                        source="import",
                    )
            except ElectionError as exc:  # a concurrent entry since the sheet was checked
                errors.append(_("Row %(row)s: %(message)s") % {"row": row.row, "message": str(exc)})
                continue
            if entry.second_by_id is None:
                counts["first"] += 1
            elif entry.status == PaperEntry.Status.MISMATCH:
                counts["mismatch"] += 1
            elif entry.status == PaperEntry.Status.REJECTED:
                counts["rejected"] += 1
            else:
                counts["matched"] += 1
        if errors:
            raise PaperImportError(errors)  # rolls back every row: all or nothing
        record(
            "paper.imported",
            actor=actor,
            obj=election,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"paper ballot sheet {filename}: {len(rows)} rows",
            data={"rows": len(rows), **counts, "received_before_close": received_before_close},
        )
    return counts
