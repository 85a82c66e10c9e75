"""The city e-voting platform's per-unit result, imported as ballots (RULES.md §7).

Where a city requires its own platform for online votes (北京 第35条, 杭州 第20条, 深圳, 广州: the
profile's ``city_platform`` rule), Yezhu's own online channel is off (`services.online_channel_refusal`)
and owners vote on the platform or on paper. After the close staff import the platform's per-unit
result; the count and the bundle treat those ballots like paper ones.

The file (.xlsx or .csv, the paper sheet's reader) has the columns 房号, then one per matter and one
per race, as the template: matters 同意/反对/弃权/空, races the ticked candidates' numbers or names.
One row per unit that voted on the platform. Choices made here, where the rules leave room:

- **All or nothing.** Every problem is reported as "第 N 行：…" and nothing is written unless the
  whole file is clean: an unknown unit, a unit twice, a bad answer or candidate, a home with several
  units whose rows differ (rows of one voter must agree; one ballot per voter), a home already
  imported from the platform.
- **Source recorded.** Each ballot has channel ``platform`` and names its import (file name, SHA-256
  digest, platform, who imported it) and its row; the audit row holds the digest and the counts.
- **The first valid ballot stands**, as for paper: a home that also has a valid paper ballot gets the
  platform's ballot recorded as rejected with the paper module's reason, and the count says how many.
- **When.** After voting has closed (stage counting) and before the count; the count waits until
  the platform's result has been imported (a file with the header only says "no platform votes").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import AlreadyVoted, ElectionError
from elections.models import Ballot, Election, PlatformImport, Stage, Voter
from elections.paper import ballot_paper, choices_from_cells, read_sheet, reason_already_voted
from elections.selectors import can_manage
from elections.services import ballot_record, canonical_choices, city_platform_rule, valid_ballot_of
from grids.idcard import FULL_WIDTH_TO_ASCII
from yezhu.actors import Actor, require_person
from yezhu.audit.log import record

UNIT_COLUMN = "房号"
MAX_ERRORS = 500


class PlatformImportError(ElectionError):
    """The file cannot be imported; `errors` lists every problem, one line each."""

    code = "platform_import_invalid"

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors), fields={"file": list(errors)})
        self.errors = errors


@dataclass(frozen=True)
class PlatformRow:
    row: int
    voter: Voter
    choices: dict


def template_header(election: Election) -> list[str]:
    matters, races = ballot_paper(election)
    return [UNIT_COLUMN, *(m.key for m in matters), *(r.key for r in races)]


def import_refusal(election: Election) -> str:
    """Why the platform's result cannot be imported now ("" when it can)."""
    if city_platform_rule(election) is None:
        return _("This election does not use a city e-voting platform: its online ballots are cast here.")
    if election.roll_frozen_at is None or election.stage != Stage.COUNTING or election.result is not None:
        return _("The platform's result is imported after voting has closed and before the count.")
    return ""


def platform_imported(election: Election) -> bool:
    return PlatformImport.objects.filter(election=election).exists()


def _unit_code(text: str) -> str:
    return "".join(text.translate(FULL_WIDTH_TO_ASCII).split()).replace("－", "-")


def parse_platform_sheet(
    *, election: Election, data: bytes, filename: str, progress: Callable[[int, int], None] | None = None
) -> tuple[list[PlatformRow], int]:
    """Read and check a platform result file: (one row per voter, data rows read). Raises
    PlatformImportError with every "第 N 行：…" problem."""
    try:
        rows = read_sheet(data, filename)
    except ElectionError as exc:
        raise PlatformImportError(getattr(exc, "errors", [str(exc)])) from None
    if not rows:
        raise PlatformImportError([_("The sheet has no rows.")])
    matters, races = ballot_paper(election)
    matter_keys = [m.key for m in matters]
    expected = template_header(election)
    header_row, header = rows[0]
    header = [h if h == UNIT_COLUMN else h.upper() for h in header]
    while header and not header[-1]:
        header.pop()
    if header != expected:
        raise PlatformImportError(
            [
                _("Row %(row)s: the header must be exactly %(expected)s.")
                % {"row": header_row, "expected": "，".join(expected)}
            ]
        )
    errors: list[str] = []

    def error(row: int, message: str) -> None:
        errors.append(_("Row %(row)s: %(message)s") % {"row": row, "message": message})

    voter_of_unit = dict(
        Voter.units.through.objects.filter(voter__election=election).values_list("unit__code", "voter_id")
    )
    voters = {v.pk: v for v in Voter.objects.filter(election=election)}
    imported = set(
        Ballot.objects.filter(election=election, channel=Ballot.Channel.PLATFORM).values_list(
            "voter_id", flat=True
        )
    )
    all_races: dict[str, list[str]] = {r.key: [] for r in races}
    seen_unit: dict[str, int] = {}
    seen_voter: dict[int, tuple[int, str, dict]] = {}
    parsed: list[PlatformRow] = []
    total = len(rows) - 1
    for index, (number, cells) in enumerate(rows[1:], start=1):
        if progress is not None and (index % 200 == 0 or index == total):
            progress(index, total)
        cells = cells + [""] * (len(expected) - len(cells))
        if any(cells[len(expected) :]):
            error(number, _("there is something beyond the last column."))
            continue
        code = _unit_code(cells[0])
        if not code:
            error(number, _("房号 is empty."))
            continue
        voter_id = voter_of_unit.get(code)
        if voter_id is None:
            error(number, _("unit %(unit)s is not on the roll of this election.") % {"unit": code})
            continue
        if code in seen_unit:
            error(
                number,
                _("unit %(unit)s is also on row %(first)s.") % {"unit": code, "first": seen_unit[code]},
            )
            continue
        seen_unit[code] = number
        if voter_id in imported:
            error(
                number,
                _("the home of unit %(unit)s was already imported from the platform.") % {"unit": code},
            )
            continue
        answers, ticks, problems = choices_from_cells(cells, 1, matter_keys, races)
        if problems:
            for message in problems:
                error(number, message)
            continue
        choices = canonical_choices(
            election=election, choices={"matters": answers, "races": {**all_races, **ticks}}
        )
        if voter_id in seen_voter:
            first_row, first_unit, first_choices = seen_voter[voter_id]
            if first_choices != choices:
                error(
                    number,
                    _(
                        "unit %(unit)s belongs to the same owner as unit %(other)s on row %(first)s, and "
                        "the two rows differ: one owner casts one ballot."
                    )
                    % {"unit": code, "other": first_unit, "first": first_row},
                )
            continue
        seen_voter[voter_id] = (number, code, choices)
        parsed.append(PlatformRow(row=number, voter=voters[voter_id], choices=choices))
    if errors:
        if len(errors) > MAX_ERRORS:
            extra = len(errors) - MAX_ERRORS
            errors = [*errors[:MAX_ERRORS], _("and %(count)s more problems.") % {"count": extra}]
        raise PlatformImportError(errors)
    return parsed, total


def platform_result_import(
    *,
    election: Election,
    actor: Actor,
    data: bytes,
    filename: str,
    platform: str,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Import the platform's per-unit result, all or nothing, as ballots of channel ``platform``.
    Returns {"rows", "valid", "rejected"} (rejected: homes that already had a valid ballot)."""
    now = now or timezone.now()
    if not can_manage(actor, election):
        raise ElectionError(_("Only staff who run this election may import the platform's result."))
    platform = " ".join((platform or "").split())
    if not platform:
        raise PlatformImportError([_("Name the platform the result comes from.")])
    refusal = import_refusal(election)
    if refusal:
        raise PlatformImportError([refusal])
    # Checked outside the transaction so the progress bar (another connection) sees the progress.
    rows, read = parse_platform_sheet(election=election, data=data, filename=filename, progress=progress)
    counts = {"rows": read, "valid": 0, "rejected": 0}
    with transaction.atomic():
        Election.objects.select_for_update().filter(pk=election.pk).values("pk").get()
        election.refresh_from_db(fields=["stage", "result", "roll_frozen_at"])
        refusal = import_refusal(election)
        if refusal:
            raise PlatformImportError([refusal])
        batch = PlatformImport.objects.create(
            election=election,
            platform=platform[:100],
            filename=(filename or "")[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            rows=read,
            imported_by=require_person(actor),
        )
        again: list[str] = []
        for row in rows:
            voter = Voter.objects.select_for_update().get(pk=row.voter.pk)
            if voter.ballots.filter(channel=Ballot.Channel.PLATFORM).exists():
                again.append(
                    _("Row %(row)s: %(message)s")
                    % {"row": row.row, "message": _("this home was imported from the platform a moment ago.")}
                )
                continue
            kwargs: dict[str, Any] = {
                "election": election,
                "voter": voter,
                "actor": actor,
                "cast_as": Ballot.CastAs.PLATFORM,
                "channel": Ballot.Channel.PLATFORM,
                "now": now,
                "platform_import": batch,
                "source_row": row.row,
            }
            rejected = valid_ballot_of(voter) is not None
            if not rejected:
                try:
                    with transaction.atomic():
                        ballot_record(choices=row.choices, **kwargs)
                except AlreadyVoted:
                    rejected = True
            if rejected:
                ballot_record(
                    choices={}, status=Ballot.Status.REJECTED, reject_reason=reason_already_voted(), **kwargs
                )
                counts["rejected"] += 1
            else:
                counts["valid"] += 1
        if again:
            raise PlatformImportError(again)  # rolls everything back: all or nothing
        batch.counts = {"valid": counts["valid"], "rejected": counts["rejected"]}
        batch.save(update_fields=["counts"])
        record(
            "platform.imported",
            actor=actor,
            obj=batch,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"city platform result {filename}: {read} rows, {counts['valid']} ballots",
            data={**counts, "sha256": batch.sha256, "platform": batch.platform, "file": batch.filename},
        )
    return counts
