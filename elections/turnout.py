"""Turnout (参与率) and canvassing (催票): who has taken part, never how.

Turnout is the participating area and heads (voters with a valid ballot, RULES.md §3) against
the quorum (`election.quorum` × the frozen totals), overall, by building and by grid, as exact
numbers. Each view costs a fixed number of queries whatever the size of the compound: one
aggregate for the whole election, one grouped by building, one grouped by grid.

A voter with units in two buildings (or grids) counts, with its whole area and one head, in
each building it has units in, but once overall: the building rows need not add up to the
total. Areas come from the frozen roll (`Voter.area`), so the numbers do not move when the
housing roll changes during the vote.

Canvassing: a grid leader sees the voters with units in their grids who have not voted yet,
with contacts (the full mobile number, since they go door to door and call; each opening of the
list is written to the audit log) and the visit log (走访记录). Nothing here reads a ballot's
choices: only whether a valid ballot exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Ballot, Election, Stage, Visit, Voter
from elections.selectors import grid_voters, staff_elections
from grids.models import Building, Grid, Ownership, RoleAssignment, Unit
from grids.selectors import roles_of
from yezhu import formats
from yezhu.accounts.phone import mask_mobile
from yezhu.actors import Actor, person
from yezhu.audit.log import record
from yezhu.natural import natural_key

TWO_PLACES = Decimal("0.01")
SHOWN_STAGES = (Stage.VOTING, Stage.COUNTING, Stage.RESULT_NOTICE, Stage.FILING, Stage.DONE, Stage.FAILED)


def _decimal(value) -> Decimal:
    """A database sum as an exact two-place Decimal (SQLite may hand back a float)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(TWO_PLACES)


def format_area(value: Decimal) -> str:
    """1204.50 → "1,204.5", 1204.00 → "1,204" (yezhu.formats.area, the one format of an area)."""
    return formats.area(value)


@dataclass(frozen=True)
class Progress:
    """Participation of one group of voters (the election, a building, a grid) against the quorum."""

    label: str
    total_area: Decimal
    total_heads: int
    area: Decimal
    heads: int
    quorum: Fraction
    key: int | None = None

    # exact thresholds
    @property
    def needed_area(self) -> Fraction:
        return self.quorum * Fraction(self.total_area)

    @property
    def needed_heads(self) -> Fraction:
        return self.quorum * self.total_heads

    @property
    def area_met(self) -> bool:
        return Fraction(self.area) >= self.needed_area

    @property
    def heads_met(self) -> bool:
        return self.heads >= self.needed_heads

    @property
    def met(self) -> bool:
        return self.area_met and self.heads_met

    @property
    def gap_area_exact(self) -> Fraction:
        return max(Fraction(0), self.needed_area - Fraction(self.area))

    @property
    def gap_heads_exact(self) -> Fraction:
        return max(Fraction(0), self.needed_heads - self.heads)

    @property
    def gap_area(self) -> Decimal:
        """The area still needed, rounded UP to the cent (areas come in whole cents)."""
        cents = math.ceil(self.gap_area_exact * 100)
        return (Decimal(cents) / 100).quantize(TWO_PLACES)

    @property
    def gap_heads(self) -> int:
        return math.ceil(self.gap_heads_exact)

    @property
    def binding(self) -> str | None:
        """Which side is further from the quorum: "area", "heads", "both" (equally), or None (met)."""
        if self.met:
            return None
        area_share = self.gap_area_exact / Fraction(self.total_area) if self.total_area else Fraction(0)
        heads_share = self.gap_heads_exact / self.total_heads if self.total_heads else Fraction(0)
        if area_share > heads_share:
            return "area"
        if heads_share > area_share:
            return "heads"
        return "both"

    # display
    @staticmethod
    def _percent(part, whole) -> int:
        if not whole:
            return 0
        return min(100, math.floor(Fraction(part) * 100 / Fraction(whole)))

    @property
    def area_percent(self) -> int:
        return self._percent(self.area, self.total_area)

    @property
    def heads_percent(self) -> int:
        return self._percent(self.heads, self.total_heads)

    @property
    def quorum_percent(self) -> int:
        return min(100, math.floor(self.quorum * 100))

    @property
    def area_share_text(self) -> str:
        return _share(self.area, self.total_area)

    @property
    def heads_share_text(self) -> str:
        return _share(self.heads, self.total_heads)

    @property
    def total_area_text(self) -> str:
        return format_area(self.total_area)

    @property
    def area_text(self) -> str:
        return format_area(self.area)

    @property
    def needed_area_text(self) -> str:
        cents = math.ceil(self.needed_area * 100)
        return format_area(Decimal(cents) / 100)

    @property
    def needed_heads_ceil(self) -> int:
        return math.ceil(self.needed_heads)

    @property
    def gap_words(self) -> str:
        return gap_words(self)


def _share(part, whole) -> str:
    """A share as a percentage with one decimal, rounded half up as the results show it
    (yezhu.formats.percent); whether the quorum is met is decided on the exact share."""
    return formats.percent(part, whole, empty="0%")


def gap_words(progress: Progress) -> str:
    """ "还差 37 户、1,204.5 平方米": heads and area still needed to reach the quorum (0 when met)."""
    return _("Still needed: %(heads)s households, %(area)s m²") % {
        "heads": f"{progress.gap_heads:,}",
        "area": format_area(progress.gap_area),
    }


def turnout_shown(election: Election) -> bool:
    """Turnout is shown from the opening of voting on (before: a notice)."""
    return election.roll_frozen_at is not None and election.stage in SHOWN_STAGES


def turnout_overall(election: Election) -> Progress:
    """The whole election: one query."""
    row = Ballot.objects.filter(election=election, status=Ballot.Status.VALID).aggregate(
        heads=Count("voter", distinct=True), area=Sum("voter__area")
    )
    return Progress(
        label="",
        total_area=_decimal(election.total_area),
        total_heads=election.total_heads or 0,
        area=_decimal(row["area"]),
        heads=row["heads"] or 0,
        quorum=election.quorum,
    )


def _grouped(
    election: Election, group_sql: str, group_join: str
) -> dict[int, tuple[int, Decimal, int, Decimal]]:
    """{group id: (heads, area, voted heads, voted area)}, each voter once per group: one query."""
    through = Voter.units.through._meta.db_table
    sql = f"""
        SELECT p.gid, COUNT(*), SUM(p.area),
               SUM(CASE WHEN p.voted THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.voted THEN p.area ELSE 0 END)
        FROM (
            SELECT DISTINCT {group_sql} AS gid, v.id AS vid, v.area AS area,
                   EXISTS (SELECT 1 FROM {Ballot._meta.db_table} b
                           WHERE b.voter_id = v.id AND b.status = %s) AS voted
            FROM {through} vu
            JOIN {Voter._meta.db_table} v ON v.id = vu.voter_id
            JOIN {Unit._meta.db_table} u ON u.id = vu.unit_id
            {group_join}
            WHERE v.election_id = %s
        ) p
        GROUP BY p.gid
    """  # noqa: S608 - table names from the models' metadata; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [Ballot.Status.VALID, election.pk])
        return {
            gid: (int(heads), _decimal(area), int(voted or 0), _decimal(voted_area))
            for gid, heads, area, voted, voted_area in cursor.fetchall()
        }


def turnout_by_building(election: Election) -> list[Progress]:
    """One row per building with voters: two queries (the aggregate, the building names)."""
    rows = _grouped(election, "u.building_id", "")
    names = dict(Building.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
    return [
        Progress(
            label=str(Building(name=names.get(gid, "?"))),
            key=gid,
            total_heads=heads,
            total_area=area,
            heads=voted,
            area=voted_area,
            quorum=election.quorum,
        )
        for gid, (heads, area, voted, voted_area) in sorted(
            rows.items(), key=lambda row: natural_key(names.get(row[0], ""))
        )
    ]


def turnout_by_grid(election: Election, grid_ids: list[int] | None = None) -> list[Progress]:
    """One row per grid of the compound (optionally only these grids): two queries."""
    gb = Grid.buildings.through._meta.db_table
    rows = _grouped(election, "gb.grid_id", f"JOIN {gb} gb ON gb.building_id = u.building_id")
    grids = Grid.objects.filter(compound_id=election.compound_id)
    if grid_ids is not None:
        grids = grids.filter(pk__in=grid_ids)
    result = []
    for grid_id, name in grids.order_by("name", "pk").values_list("pk", "name"):
        heads, area, voted, voted_area = rows.get(grid_id, (0, Decimal("0.00"), 0, Decimal("0.00")))
        result.append(
            Progress(
                label=name,
                key=grid_id,
                total_heads=heads,
                total_area=area,
                heads=voted,
                area=voted_area,
                quorum=election.quorum,
            )
        )
    return result


# ---------------------------------------------------------------------------------------------
# Canvassing (grid leaders)
# ---------------------------------------------------------------------------------------------


def led_grid_ids(user) -> list[int]:
    return [
        ra.grid_id
        for ra in roles_of(user)
        if ra.role == RoleAssignment.Role.GRID_LEADER and ra.grid_id is not None
    ]


def canvass_elections(user) -> QuerySet[Election]:
    """The elections in voting of the compounds of the grids the user leads."""
    led = led_grid_ids(user)
    if not led:
        return Election.objects.none()
    return (
        staff_elections(user)
        .filter(compound__grids__id__in=led, stage=Stage.VOTING)
        .distinct()
        .order_by("voting_closes_at", "pk")
    )


def get_canvass_election(user, pk: int) -> Election:
    from django.http import Http404

    led = led_grid_ids(user)
    if not led:
        raise Http404
    election = staff_elections(user).filter(compound__grids__id__in=led, pk=pk).distinct().first()
    if election is None:
        raise Http404
    return election


@dataclass(frozen=True)
class Contact:
    name: str
    mobile: str


@dataclass(frozen=True)
class CanvassRow:
    voter: Voter
    contacts: list[Contact]
    last_outcome: str
    last_visit_at: datetime | None

    @property
    def area_text(self) -> str:
        return format_area(self.voter.area)

    @property
    def last_outcome_display(self) -> str:
        return str(Visit.Outcome(self.last_outcome).label) if self.last_outcome else ""


def _has_valid_ballot():
    return Exists(Ballot.objects.filter(voter=OuterRef("pk"), status=Ballot.Status.VALID))


def voter_contacts(voter_ids: list[int], *, full: bool) -> dict[int, list[Contact]]:
    """Owners' names and mobiles per voter: full for the grid leaders of the voter's grid, masked
    for everyone else. One query."""
    wanted = set(voter_ids)
    result: dict[int, list[Contact]] = {}
    seen: set[tuple[int, int]] = set()
    rows = (
        Ownership.objects.filter(unit__election_voters__in=voter_ids)
        .values_list("unit__election_voters", "owner_id", "owner__name", "owner__mobile")
        .order_by("unit__election_voters", "owner__name", "owner_id")
    )
    for voter_id, owner_id, name, mobile in rows:
        if voter_id not in wanted or (voter_id, owner_id) in seen:
            continue
        seen.add((voter_id, owner_id))
        shown = mobile if full else (mask_mobile(mobile) if mobile else "")
        result.setdefault(voter_id, []).append(Contact(name=name, mobile=shown))
    return result


def canvass_list(*, election: Election, user) -> list[CanvassRow]:
    """The voters of the user's grids who have not voted, the ones that close most of the gap first.

    Whichever side (area or heads) is binding, the order is by area, largest first: on the area
    side that closes the gap fastest; on the heads side every voter closes one head, so area only
    breaks the tie. Three queries.
    """
    latest = Visit.objects.filter(voter=OuterRef("pk")).order_by("-created_at", "-pk")
    voters = list(
        grid_voters(user, election)
        .filter(~_has_valid_ballot())
        .annotate(
            last_outcome=Subquery(latest.values("outcome")[:1]),
            last_visit_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("-area", "unit_codes", "pk")
    )
    contacts = voter_contacts([v.pk for v in voters], full=True)
    return [
        CanvassRow(
            voter=v,
            contacts=contacts.get(v.pk, []),
            last_outcome=v.last_outcome or "",
            last_visit_at=v.last_visit_at,
        )
        for v in voters
    ]


def grid_voter(*, election: Election, user, voter_id: int) -> Voter:
    """A voter of the user's grids in this election; 404 otherwise."""
    from django.http import Http404

    voter = grid_voters(user, election).filter(pk=voter_id).annotate(has_voted=_has_valid_ballot()).first()
    if voter is None:
        raise Http404
    return voter


def canvass_contacts_viewed(
    *, election: Election, actor: Actor, voters: int, voter_id: int | None = None
) -> None:
    """Write the audit row for each opening of a list or page that shows owners' contacts."""
    with transaction.atomic():
        record(
            "grid.contacts_viewed",
            actor=actor,
            obj=election,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"canvassing contacts viewed: {voters} voter(s)"
            + (f", voter #{voter_id}" if voter_id else ""),
            data={"voters": voters, "voter": voter_id},
        )


def visit_record(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    outcome: str,
    note: str = "",
) -> Visit:
    """Log a door-to-door visit (走访) of a voter of the user's grids."""
    if election.stage != Stage.VOTING:
        raise ElectionError(_("Visits are logged while voting is open."))
    if outcome not in Visit.Outcome.values:
        raise ElectionError(_("Choose how the visit went."))
    if not grid_voters(actor, election).filter(pk=voter.pk).exists():
        raise ElectionError(_("This owner is not in a grid you lead."))
    with transaction.atomic():
        visit = Visit(
            election=election, voter=voter, visited_by=person(actor), outcome=outcome, note=note.strip()[:300]
        )
        visit.full_clean()
        visit.save()
        record(
            "grid.visit",
            actor=actor,
            obj=visit,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"visit to voter #{voter.pk}: {outcome}",
            data={"voter": voter.pk, "outcome": outcome},
        )
    return visit
