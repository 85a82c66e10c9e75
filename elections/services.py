"""Writes for elections that more than one feature needs: the frozen roll, casting a ballot into
the hash chain, and the live tally. Each writes its audit row in the same transaction.

Stage transitions live in `elections/lifecycle.py`; paper ballots and proxies in
`elections/voting.py`. All of them raise `ElectionError` with a message a person can act on.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from elections import tally as pure
from elections.models import Ballot, Election, Matter, Race, Stage, Voter
from grids.models import Unit
from grids.roll import counted_units
from yezhu.audit.log import record

GENESIS = "0" * 64
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


class ElectionError(Exception):
    """A refused action; the message says why, in the user's language."""


class OutsideWindow(ElectionError):
    """The ballot came outside the voting window (before it opened, or after the close)."""


class AlreadyVoted(ElectionError):
    """The voter already has a valid ballot; `ballot` is that ballot (who and when, never what)."""

    def __init__(self, message: str, ballot: Ballot):
        super().__init__(message)
        self.ballot = ballot


# ---------------------------------------------------------------------------------------------
# The frozen roll
# ---------------------------------------------------------------------------------------------


def roll_freeze(*, election: Election, actor=None) -> int:
    """Copy the compound's statutory roll into the election's voters (RULES.md §1).

    Done once, when voting opens, so that a change to the housing roll during the vote cannot
    move the thresholds. Costs a fixed number of queries whatever the size of the compound.
    """
    with transaction.atomic():
        locked = Election.objects.select_for_update().get(pk=election.pk)
        if locked.roll_frozen_at is not None:
            raise ElectionError(_("The roll of this election is already frozen."))
        units = list(
            counted_units(locked.compound)
            .order_by("code")
            .values_list("pk", "code", "area", "status", "voter_key")
        )
        if not units:
            raise ElectionError(_("The compound has no units on its roll: import the housing roll first."))
        names: dict[str, list[str]] = {}
        owner_rows = (
            Unit.objects.filter(compound=locked.compound, status=Unit.Status.DELIVERED)
            .values_list("voter_key", "ownerships__owner__name")
            .order_by("voter_key", "ownerships__owner__name")
        )
        for key, name in owner_rows:
            if name and name not in names.setdefault(key, []):
                names[key].append(name)
        grouped: dict[str, list[tuple[int, str, Decimal, str]]] = {}
        for pk, code, area, status, key in units:
            if not key:
                raise ElectionError(
                    _("Unit %(code)s is delivered but has no registered owner; correct the roll first.")
                    % {"code": code}
                )
            grouped.setdefault(key, []).append((pk, code, area, status))
        voters = []
        for key, members in grouped.items():
            label = _("Developer") if key == Unit.DEVELOPER_KEY else "、".join(names.get(key, []))[:200]
            codes = ", ".join(code for _, code, _, _ in members)
            voters.append(
                Voter(
                    election=locked,
                    key=key,
                    area=sum((area for _, _, area, _ in members), Decimal("0.00")),
                    unit_codes=codes[:500],
                    label=label or key,
                )
            )
        Voter.objects.bulk_create(voters, batch_size=2000)
        by_key = dict(Voter.objects.filter(election=locked).values_list("key", "pk"))
        through = Voter.units.through
        through.objects.bulk_create(
            [
                through(voter_id=by_key[key], unit_id=pk)
                for key, members in grouped.items()
                for pk, *_ in members
            ],
            batch_size=5000,
        )
        locked.roll_frozen_at = timezone.now()
        locked.total_area = sum((v.area for v in voters), Decimal("0.00"))
        locked.total_heads = len(voters)
        locked.paper_key = locked.paper_key or secrets.token_hex(32)
        locked.save(update_fields=["roll_frozen_at", "total_area", "total_heads", "paper_key"])
        record(
            "election.roll_frozen",
            actor=actor,
            obj=locked,
            election_id=locked.pk,
            compound_id=locked.compound_id,
            summary=f"roll frozen: {len(voters)} voters, {locked.total_area} m2",
            data={"voters": len(voters), "area": str(locked.total_area), "units": len(units)},
        )
    election.refresh_from_db()
    return len(voters)


def voters_of_user(*, election: Election, user) -> list[Voter]:
    """The voters whose ballot this user may cast as owner or co-owner (共有人)."""
    keys = (
        Unit.objects.filter(compound_id=election.compound_id, ownerships__owner__user=user)
        .values_list("voter_key", flat=True)
        .distinct()
    )
    return list(Voter.objects.filter(election=election, key__in=list(keys)).order_by("unit_codes"))


# ---------------------------------------------------------------------------------------------
# Ballots
# ---------------------------------------------------------------------------------------------


def _load_ballot_paper(election: Election) -> tuple[frozenset[str], dict[str, list[str]]]:
    """The keys of the election's matters, and each race's candidate keys in ballot order."""
    matters = frozenset(Matter.objects.filter(election=election).values_list("key", flat=True))
    # One query for the races and their candidates (a race with none still appears, with None).
    races: dict[str, list[str]] = {}
    for race_key, candidate_key in (
        Race.objects.filter(election=election)
        .order_by("position", "pk", "candidates__position", "candidates__pk")
        .values_list("key", "candidates__key")
    ):
        races.setdefault(race_key, [])
        if candidate_key is not None:
            races[race_key].append(candidate_key)
    return matters, races


def ballot_paper_keys(election: Election) -> tuple[frozenset[str], dict[str, list[str]]]:
    """`_load_ballot_paper`, kept in the cache while voting is open.

    Matters and races are fixed once the assembly notice is out and candidates once the candidate
    notice is: by the time voting opens the ballot paper cannot change (lifecycle refuses it), so
    the thousands of casts of the last evening need not read it again. The key carries the instant
    the roll was frozen, so a restarted or re-frozen election never meets an old entry.
    """
    frozen = election.roll_frozen_at.isoformat() if election.roll_frozen_at else "none"
    key = f"yezhu:ballot-paper:{election.pk}:{frozen}"
    paper = cache.get(key)
    if paper is None:
        paper = _load_ballot_paper(election)
        cache.set(key, paper, timeout=6 * 3600)
    return paper


def canonical_choices(
    *, election: Election, choices: dict, paper: tuple[frozenset[str], dict[str, list[str]]] | None = None
) -> dict:
    """Check a ballot's choices against the election and return them in a canonical form.

    Unknown matters, races, candidates or answers are refused. Ticking more candidates than a
    race has seats is accepted here and made void for that race by the tally (RULES.md §3).
    `paper` is the election's `ballot_paper_keys` when the caller has it; else it is read here.
    """
    matters, races = paper if paper is not None else _load_ballot_paper(election)
    raw_matters = choices.get("matters") or {}
    raw_races = choices.get("races") or {}
    if not isinstance(raw_matters, dict) or not isinstance(raw_races, dict):
        raise ElectionError(_("The ballot is malformed."))
    clean_matters: dict[str, str] = {}
    for key, answer in raw_matters.items():
        if key not in matters:
            raise ElectionError(
                _("The ballot names a matter that is not on this election: %(key)s") % {"key": key}
            )
        if answer in (None, ""):
            continue
        if answer not in ("yes", "no", "abstain"):
            raise ElectionError(
                _("Unknown answer %(answer)s for matter %(key)s.") % {"answer": answer, "key": key}
            )
        clean_matters[key] = answer
    clean_races: dict[str, list[str]] = {}
    for key, ticks in raw_races.items():
        known = races.get(key)
        if known is None:
            raise ElectionError(
                _("The ballot names a race that is not on this election: %(key)s") % {"key": key}
            )
        if not isinstance(ticks, list):
            raise ElectionError(_("The ballot is malformed."))
        if len(set(ticks)) != len(ticks):
            raise ElectionError(_("A candidate is ticked twice."))
        for tick in ticks:
            if tick not in known:
                raise ElectionError(_("Unknown candidate %(key)s.") % {"key": tick})
        clean_races[key] = [c for c in known if c in ticks]  # ballot order
    return {"matters": dict(sorted(clean_matters.items())), "races": dict(sorted(clean_races.items()))}


def _receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def chain_hash(*, prev_hash: str, seq: int, receipt: str, status: str, choices: dict) -> str:
    """The hash of one ballot on the board: it covers the previous hash, so no ballot can be
    changed, removed or slipped in without changing every hash after it (and the published head)."""
    payload = json.dumps(
        {"prev": prev_hash, "seq": seq, "receipt": receipt, "status": status, "choices": choices},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def ballot_record(
    *,
    election: Election,
    voter: Voter,
    user,
    cast_as: str,
    channel: str,
    choices: dict,
    status: str = Ballot.Status.VALID,
    reject_reason: str = "",
    proxy=None,
    paper_serial: str = "",
    now: datetime | None = None,
    request=None,
    window_at: datetime | None = None,
) -> Ballot:
    """Append one ballot to the election's chain. The caller has checked who may cast it.

    The election row is locked for the append (the chain needs the previous hash), and the
    partial unique constraint refuses a second valid ballot for the voter: the loser of a race
    between two co-owners, a proxy and the owner, or two browser tabs gets `AlreadyVoted`.

    With `window_at` (an online ballot) the voting window is checked again under that lock: closing
    the vote takes the same lock, so no online ballot joins the chain once the stage has moved on.
    """
    now = now or timezone.now()
    if window_at is not None and election.voting_is_open(window_at):
        # The ballot paper cannot change once voting is open: it may come from the cache.
        clean = canonical_choices(election=election, choices=choices, paper=ballot_paper_keys(election))
    elif status == Ballot.Status.VALID:
        clean = canonical_choices(election=election, choices=choices)
    else:
        clean = {}
    try:
        with transaction.atomic():
            head = (
                Election.objects.select_for_update()
                .values("chain_head", "ballot_count", "stage", "voting_opens_at", "voting_closes_at")
                .get(pk=election.pk)
            )
            if window_at is not None:
                stored = Election(
                    pk=election.pk,
                    stage=head["stage"],
                    voting_opens_at=head["voting_opens_at"],
                    voting_closes_at=head["voting_closes_at"],
                )
                if not stored.voting_is_open(window_at):
                    from elections.voting import window_refusal

                    raise OutsideWindow(window_refusal(stored, window_at))
            seq = head["ballot_count"] + 1
            prev = head["chain_head"] or GENESIS
            receipt = _receipt()
            ballot = Ballot.objects.create(
                election=election,
                voter=voter,
                channel=channel,
                status=status,
                reject_reason=reject_reason,
                choices=clean,
                cast_at=now,
                cast_by=user,
                cast_as=cast_as,
                proxy=proxy,
                paper_serial=paper_serial,
                receipt=receipt,
                seq=seq,
                prev_hash=prev,
                hash=chain_hash(prev_hash=prev, seq=seq, receipt=receipt, status=status, choices=clean),
            )
            Election.objects.filter(pk=election.pk).update(
                chain_head=ballot.hash, ballot_count=F("ballot_count") + 1
            )
            record(
                "ballot.cast" if status == Ballot.Status.VALID else "ballot.rejected",
                actor=user,
                obj=ballot,
                request=request,
                election_id=election.pk,
                compound_id=election.compound_id,
                summary=f"{channel} ballot {status} for voter #{voter.pk} as {cast_as}",
                # Never the choices: the audit log is read by staff while voting is open.
                data={"voter": voter.pk, "channel": channel, "cast_as": cast_as, "reason": reject_reason},
            )
    except IntegrityError:
        existing = Ballot.objects.filter(election=election, voter=voter, status=Ballot.Status.VALID).first()
        if existing is None:
            raise
        raise AlreadyVoted(already_voted_message(existing), existing) from None
    return ballot


def _closed_for(channel: str, head: dict, now: datetime) -> str:
    """Why the election takes no ballot on this channel now ("" if it does)."""
    if channel == Ballot.Channel.ONLINE:
        opens, closes = head["voting_opens_at"], head["voting_closes_at"]
        if head["stage"] != Stage.VOTING or opens is None or closes is None or not (opens <= now < closes):
            return _("Voting is not open.")
        return ""
    # Paper ballots received before the close may be keyed in until the count has run.
    if head["stage"] not in (Stage.VOTING, Stage.COUNTING) or head["result"] is not None:
        return _("The count has been made; no more paper ballots can be entered.")
    return ""


def already_voted_message(ballot: Ballot) -> str:
    local = timezone.localtime(ballot.cast_at)
    return _("This vote was already cast on %(when)s, %(channel)s, by %(who)s.") % {
        "when": local.strftime("%Y-%m-%d %H:%M"),
        "channel": ballot.get_channel_display(),
        "who": ballot.get_cast_as_display(),
    }


def valid_ballot_of(voter: Voter) -> Ballot | None:
    return Ballot.objects.filter(voter=voter, status=Ballot.Status.VALID).select_related("cast_by").first()


# ---------------------------------------------------------------------------------------------
# The live tally and the bundle
# ---------------------------------------------------------------------------------------------


def tally_input(election: Election) -> pure.TallyInput:
    """Load everything the pure tally needs in a fixed number of queries (four)."""
    matters = [
        pure.MatterSpec(key=key, category=pure.Category(category))
        for key, category in Matter.objects.filter(election=election).values_list("key", "category")
    ]
    races = []
    for race in Race.objects.filter(election=election).prefetch_related("candidates"):
        races.append(
            pure.RaceSpec(
                key=race.key, seats=race.seats, candidates=tuple(c.key for c in race.candidates.all())
            )
        )
    ballots = [
        pure.BallotInput(
            voter=key,
            area=area,
            valid=status == Ballot.Status.VALID,
            matters={k: pure.Choice(v) for k, v in (choices.get("matters") or {}).items()},
            races={k: tuple(v) for k, v in (choices.get("races") or {}).items()},
        )
        for key, area, status, choices in Ballot.objects.filter(election=election)
        .order_by("seq")
        .values_list("voter__key", "voter__area", "status", "choices")
    ]
    return pure.TallyInput(
        quorum=election.quorum,
        total_area=election.total_area or Decimal("0"),
        total_heads=election.total_heads or 0,
        matters=matters,
        races=races,
        ballots=ballots,
    )


def election_tally(election: Election) -> dict:
    """The `yezhu-result/1` result of the stored election (the same code `recount` runs)."""
    if election.roll_frozen_at is None:
        raise ElectionError(_("The roll of this election has not been frozen; voting has not opened."))
    return pure.result_to_dict(pure.tally(tally_input(election)))


def _owner_pseudonyms(key: str, election: Election) -> list[str]:
    """Owner ids in the bundle: stable pseudonyms, never names or identity numbers."""
    ids = key[1:].split("-") if key.startswith("o") else [key]
    secret = settings.SECRET_KEY.encode()
    return [
        "P" + hmac.new(secret, f"{election.pk}:{i}".encode(), hashlib.sha256).hexdigest()[:10].upper()
        for i in ids
    ]


def bundle_for(election: Election) -> dict:
    """The `yezhu-bundle/1` export of an election: anyone can recount it with `manage.py recount`."""
    if election.roll_frozen_at is None:
        raise ElectionError(_("The roll of this election has not been frozen; there is nothing to export."))
    voters = list(Voter.objects.filter(election=election).order_by("pk").values_list("pk", "key"))
    voter_key = dict(voters)
    unit_rows = (
        Voter.units.through.objects.filter(voter__election=election)
        .order_by("unit__code")
        .values_list("voter_id", "unit__code", "unit__area", "unit__status")
    )
    first_unit: dict[int, str] = {}
    units = []
    for voter_id, code, area, status in unit_rows:
        key = voter_key[voter_id]
        first_unit.setdefault(voter_id, code)
        if key == Unit.DEVELOPER_KEY:
            unit_status = status if status != Unit.Status.DELIVERED else Unit.Status.UNSOLD
            units.append({"id": code, "area": f"{area:.2f}", "status": unit_status})
        else:
            units.append(
                {
                    "id": code,
                    "area": f"{area:.2f}",
                    "status": "delivered",
                    "owners": _owner_pseudonyms(key, election),
                }
            )
    matters = [
        {"key": key, "title": title, "category": category}
        for key, title, category in Matter.objects.filter(election=election).values_list(
            "key", "title", "category"
        )
    ]
    races = [
        {
            "key": race.key,
            "title": race.title,
            "seats": race.seats,
            "candidates": [{"key": c.key, "name": c.name} for c in race.candidates.all()],
        }
        for race in Race.objects.filter(election=election).prefetch_related("candidates")
    ]
    ballots = []
    for voter_id, status, choices, receipt in (
        Ballot.objects.filter(election=election)
        .order_by("seq")
        .values_list("voter_id", "status", "choices", "receipt")
    ):
        entry = {"unit": first_unit[voter_id], "status": status, "receipt": receipt}
        if status == Ballot.Status.VALID:
            entry["matters"] = choices.get("matters") or {}
            entry["races"] = choices.get("races") or {}
        ballots.append(entry)
    return {
        "format": "yezhu-bundle/1",
        "election": {
            "compound": election.compound.code,
            "title": election.title,
            "chain_head": election.chain_head,
        },
        "rules": {"quorum": f"{election.quorum_numerator}/{election.quorum_denominator}"},
        "units": units,
        "matters": matters,
        "races": races,
        "ballots": ballots,
    }
