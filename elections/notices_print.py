"""Printable A4 notices (公告): the assembly notice, the candidate notice and the result notice.

Staff print them and post them in the compound (张贴), stamp them (盖章) and photograph them for the
record. Each carries a QR code to the election's page, drawn by segno as inline SVG (no image
request, nothing a Content-Security-Policy refuses).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Candidate, Election, Matter, Race
from yezhu import formats

KINDS = ("assembly", "candidate", "result")


def election_public_url(election: Election) -> str:
    """The absolute address of the election's page, for the QR code and the printed line."""
    return settings.SITE_URL.rstrip("/") + reverse("elections:detail", args=[election.pk])


def qr_svg(url: str) -> SafeString:
    """A QR code as an inline <svg> element (segno writes no style attribute and no script)."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=4, border=2, title=url, svgclass="qr", lineclass="qr-line")
    return mark_safe(svg)  # segno escapes the URL in <title>; nothing else comes from outside


_DIGITS = "零一二三四五六七八九十"


def chinese_fraction(numerator: int, denominator: int) -> str:
    """2/3 → 三分之二, as statutes write it; beyond ten, plain digits."""
    if 0 < numerator <= 10 and 0 < denominator <= 10:
        return f"{_DIGITS[denominator]}分之{_DIGITS[numerator]}"
    return f"{numerator}/{denominator}"


def chinese_date(day: dt.date | None) -> str:
    """As a notice writes a date: 2026年12月15日 (in English, the site's one date format)."""
    return formats.written_day(day)


def chinese_datetime(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{formats.written_day(local.date())} {local:%H:%M}"


@dataclass
class ResultRow:
    key: str
    title: str
    yes_area: str = ""
    yes_heads: int = 0
    no_area: str = ""
    no_heads: int = 0
    abstain_area: str = ""
    abstain_heads: int = 0
    passed: bool = False


@dataclass
class RaceResultView:
    key: str
    title: str
    seats: int
    invalid_ballots: int
    elected: list[dict] = field(default_factory=list)
    tied: list[dict] = field(default_factory=list)
    others: list[dict] = field(default_factory=list)


def _candidates_by_race(election: Election) -> list[tuple[Race, list[Candidate]]]:
    races = Race.objects.filter(election=election).prefetch_related("candidates")
    return [(race, list(race.candidates.all())) for race in races]


def _result_context(election: Election) -> dict:
    result = election.result
    if not result:
        raise ElectionError(_("There is no result yet: the result notice can be printed after the count."))
    titles = dict(Matter.objects.filter(election=election).values_list("key", "title"))
    matters = []
    for key, row in (result.get("matters") or {}).items():
        matters.append(
            ResultRow(
                key=key,
                title=titles.get(key, key),
                yes_area=row["yes"]["area"],
                yes_heads=row["yes"]["heads"],
                no_area=row["no"]["area"],
                no_heads=row["no"]["heads"],
                abstain_area=row["abstain"]["area"],
                abstain_heads=row["abstain"]["heads"],
                passed=bool(row.get("passed")),
            )
        )
    races = []
    race_rows = {race.key: (race, cands) for race, cands in _candidates_by_race(election)}
    for key, row in (result.get("races") or {}).items():
        race, cands = race_rows.get(key, (None, []))
        names = {c.key: c.name for c in cands}
        scores = row.get("candidates") or {}

        def line(ckey, names=names, scores=scores):
            score = scores.get(ckey) or {"yes": {"area": "0.00", "heads": 0}, "qualified": False}
            return {
                "key": ckey,
                "name": names.get(ckey, ckey),
                "area": score["yes"]["area"],
                "heads": score["yes"]["heads"],
                "qualified": score.get("qualified", False),
            }

        elected = [line(k) for k in row.get("elected", [])]
        tied = [line(k) for k in row.get("tied", [])]
        placed = set(row.get("elected", [])) | set(row.get("tied", []))
        others = [line(k) for k in scores if k not in placed]
        others.sort(key=lambda r: (-r["heads"], -Decimal(r["area"])))
        races.append(
            RaceResultView(
                key=key,
                title=race.title if race else key,
                seats=row.get("seats", race.seats if race else 0),
                invalid_ballots=row.get("invalid_ballots", 0),
                elected=elected,
                tied=tied,
                others=others,
            )
        )
    totals = result.get("totals") or {}
    participation = result.get("participation") or {}
    return {
        "totals": totals,
        "participation": participation,
        "quorum_met": bool(participation.get("quorum_met")),
        "result_matters": matters,
        "result_races": races,
    }


def notice_issuer(election: Election) -> str:
    """Who signs a notice: a first assembly's preparatory group (筹备组), else the committee's
    election working group (换届小组), as the rules name them (指导规则 第十条、第五十五条)."""
    name = election.compound.name
    if election.kind == Election.Kind.FIRST_ASSEMBLY:
        return _("Preparatory group of the first owners' assembly of %(compound)s") % {"compound": name}
    return _("Election working group of %(compound)s") % {"compound": name}


def notice_context(election: Election, kind: str, *, today: dt.date | None = None) -> dict:
    """Everything a printed notice shows. `kind` is assembly, candidate or result."""
    if kind not in KINDS:
        raise ElectionError(_("Unknown kind of notice."))
    today = today or timezone.localdate()
    # A notice is dated the day it was posted, once that day is recorded: a copy printed again
    # later (a torn one replaced) must not look posted later than it was, since the owners' notice
    # periods run from that day. Printed before it is posted, it carries today's date.
    posted = {
        "assembly": election.notice_published_on,
        "candidate": election.candidate_notice_start,
        "result": election.result_published_on,
    }[kind]
    compound = election.compound
    url = election_public_url(election)
    titles = {
        "assembly": _("Notice of the owners' assembly"),
        "candidate": _("Notice of the candidates"),
        "result": _("Notice of the result"),
    }
    context = {
        "kind": kind,
        "election": election,
        "compound": compound,
        "notice_title": titles[kind],
        "public_url": url,
        "qr_svg": qr_svg(url),
        "today": chinese_date(posted or today),
        "issuer": notice_issuer(election),
        "matters": list(Matter.objects.filter(election=election).prefetch_related("documents")),
        "races": _candidates_by_race(election),
        "voting_opens": chinese_datetime(election.voting_opens_at),
        "voting_closes": chinese_datetime(election.voting_closes_at),
        "notice_from": chinese_date(election.candidate_notice_start),
        "notice_until": chinese_date(election.candidate_notice_end),
        "objection_until": chinese_date(election.objection_window_end),
        "quorum": chinese_fraction(election.quorum_numerator, election.quorum_denominator),
        "ordinary": chinese_fraction(election.ordinary_numerator, election.ordinary_denominator),
        "special": chinese_fraction(election.special_numerator, election.special_denominator),
    }
    if kind == "result":
        context.update(_result_context(election))
    return context
