"""Writes for elections that more than one feature needs: the frozen roll, casting a ballot into
the hash chain, and the live tally. Each writes its audit row in the same transaction.

Stage transitions live in `elections/lifecycle.py`; paper ballots and proxies in
`elections/voting.py`. All of them raise `ElectionError` with a message a person can act on.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.choices import VALUES
from elections.errors import AlreadyVoted, ElectionError, OutsideWindow
from elections.models import Ballot, Election, Matter, Race, Scrutineer, Stage, Voter
from elections.rules import tally as pure
from elections.rules import timeline as tl
from elections.rules.chain import GENESIS, chain_hash
from grids.models import Compound, RoleAssignment, Unit
from grids.roll import counted_units, developer_label, developer_owner_id
from yezhu import formats
from yezhu import sql as fastsql
from yezhu.accounts.models import User
from yezhu.actors import Actor, require_person
from yezhu.audit.log import audit_entries, record
from yezhu.audit.models import AuditEntry

RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over the phone


#: Stages after the close: no ballot is accepted whatever the clock says.
AFTER_VOTING = (Stage.COUNTING, Stage.RESULT_NOTICE, Stage.FILING, Stage.DONE, Stage.FAILED)


def window_refusal(election: Election, now: datetime) -> str:
    """Why voting is not possible at `now` (empty when the window is open).

    The server refuses outside the window whatever the stage machinery did: a stage left on
    "voting" after `voting_closes_at` still refuses.
    """
    if election.voting_is_open(now):
        return ""
    opens, closes = election.voting_opens_at, election.voting_closes_at
    if (closes is not None and now >= closes) or election.stage in AFTER_VOTING:
        if closes is None:
            return _("Voting has closed. No more ballots are accepted.")
        return _("Voting closed on %(when)s. No more ballots are accepted.") % {
            "when": formats.moment(closes)
        }
    if opens is not None and now < opens:
        return _("Voting has not opened yet. It opens on %(when)s.") % {"when": formats.moment(opens)}
    return _("Voting has not opened yet.")


def city_platform_rule(election: Election) -> tl.Rule[bool] | None:
    """The rule that sends this election's online votes to the city's e-voting platform (RULES.md
    §7: 北京 35, 杭州 20, 深圳, 广州), or None when Yezhu's own online channel is open. Reads only the
    election's profile and its overrides, no query: the online cast calls it under the voter lock."""
    base = tl.PROFILES.get(election.profile) or tl.PROFILES["national"]
    entry = (election.rule_overrides or {}).get("city_platform")
    if isinstance(entry, dict) and entry.get("value") and not base.city_platform.value:
        # The rules of procedure chose the platform where the city does not require it.
        return tl.Rule(True, f"议事规则: {entry.get('reason') or '—'}")
    return base.city_platform if base.city_platform.value else None


def online_channel_refusal(election: Election) -> str:
    """Why Yezhu's own online channel takes no ballot in this election ("" when it does)."""
    rule = city_platform_rule(election)
    if rule is None:
        return ""
    return _(
        "Online votes in this election are cast on the city's e-voting platform (%(source)s), not here: "
        "vote on the platform, or on the paper ballot delivered to your home."
    ) % {"source": rule.source}


# ---------------------------------------------------------------------------------------------
# The frozen roll
# ---------------------------------------------------------------------------------------------


def roll_freeze(*, election: Election, actor: Actor) -> int:
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
        owner_ids: dict[str, set[int]] = {}
        owner_rows = (
            Unit.objects.filter(compound=locked.compound, status=Unit.Status.DELIVERED)
            .values_list("voter_key", "ownerships__owner", "ownerships__owner__name")
            .order_by("voter_key", "ownerships__owner__name")
        )
        for key, owner_id, name in owner_rows:
            if name and name not in names.setdefault(key, []):
                names[key].append(name)
            if owner_id is not None:
                owner_ids.setdefault(key, set()).add(owner_id)
        grouped: dict[str, list[tuple[int, str, Decimal, str]]] = {}
        for pk, code, area, status, key in units:
            if not key:
                raise ElectionError(
                    _("Unit %(code)s is delivered but has no registered owner; correct the roll first.")
                    % {"code": code}
                )
            grouped.setdefault(key, []).append((pk, code, area, status))
        developer = developer_owner_id(locked.compound)
        voters = []
        for key, members in grouped.items():
            if key == Unit.DEVELOPER_KEY:
                label = developer_label(locked.compound)[:200]
            else:
                label = "、".join(names.get(key, []))[:200]
            codes = ", ".join(code for _, code, _, _ in members)
            voters.append(
                Voter(
                    election=locked,
                    key=key,
                    area=sum((area for _, _, area, _ in members), Decimal("0.00")),
                    unit_codes=codes[:500],
                    label=label or key,
                    units_snapshot=_units_snapshot(key, members, owner_ids.get(key, ()), developer),
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


def _units_snapshot(
    key: str, members: list[tuple[int, str, Decimal, str]], owner_ids, developer: int | None = None
) -> list[dict]:
    """A voter's units at the freeze, as the bundle writes them (`Voter.units_snapshot`).

    The owners of a buyer are the owner ids its key was made of (`grids.roll.voter_key_for`), so
    the bundle groups units into exactly the voters the live tally counted; a hashed key (a very
    long list of co-owners) takes the owners registered at the freeze. The developer's unsold and
    undelivered units carry no owners (RULES §4 ignores them); a delivered unit of the developer's
    voter is registered to the developer itself (自持) and carries its owner id, `developer`, which
    the bundle names (RULES §4 `developer`). Without a developer on record such a unit (a stale key
    from before the developer was known) counts as unsold, as it did at the freeze.
    """
    owners: list[int] = []
    if key != Unit.DEVELOPER_KEY:
        parts = key[1:].split("-") if key.startswith("o") else []
        owners = [int(i) for i in parts] if parts and all(i.isdigit() for i in parts) else sorted(owner_ids)
    snapshot = []
    for pk, code, area, status in members:
        unit_owners = owners
        unit_status: str
        if key != Unit.DEVELOPER_KEY:
            unit_status = Unit.Status.DELIVERED
        elif status == Unit.Status.DELIVERED and developer is not None:
            unit_status, unit_owners = Unit.Status.DELIVERED, [developer]
        else:
            unit_status = status if status != Unit.Status.DELIVERED else Unit.Status.UNSOLD
        snapshot.append(
            {"pk": pk, "code": code, "area": f"{area:.2f}", "status": str(unit_status), "owners": unit_owners}
        )
    return snapshot


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
        if answer not in VALUES:
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


def _loaded_street(election: Election) -> int | None:
    """The election's street if the caller loaded it with the election (the online cast does, in
    its voter-lock query); else None and the audit log looks it up."""
    if Election.compound.is_cached(election) and Compound.community.is_cached(election.compound):
        return election.compound.community.street_id
    return None


_CHAIN_HEAD_FIELDS = ("chain_head", "ballot_count", "stage", "voting_opens_at", "voting_closes_at")


@functools.cache
def _chain_statements(vendor: str) -> tuple[str, list, str]:
    """The chain append's lock of the election row and its update, written once per vendor: the
    ORM compiling them on every ballot cost more CPU than PostgreSQL running them."""
    quote = connection.ops.quote_name
    table = quote(Election._meta.db_table)
    select, fields = fastsql.columns(Election, _CHAIN_HEAD_FIELDS, table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    pk = quote(Election._meta.pk.column)
    head, count = (
        quote(Election._meta.get_field("chain_head").column),
        quote(Election._meta.get_field("ballot_count").column),
    )
    return (
        f"SELECT {select} FROM {table} WHERE {table}.{pk} = %s{lock}",  # noqa: S608
        fields,
        f"UPDATE {table} SET {head} = %s, {count} = {count} + 1 WHERE {pk} = %s",  # noqa: S608
    )


def _lock_chain_head(election_pk: int) -> dict:
    """Lock the election row (FOR UPDATE) and read its chain head, count and window."""
    sql, fields, _update = _chain_statements(connection.vendor)
    row = fastsql.fetch(sql, (election_pk,), fields)
    if row is None:
        raise Election.DoesNotExist
    return {field.attname: value for field, value in zip(fields, row, strict=True)}


def _append(ballot: Ballot, audit: list[AuditEntry]) -> None:
    """Write the ballot, move the election's chain head and count to it, and write its audit row:
    on PostgreSQL in one statement (one round trip), elsewhere in three. The same rows either way;
    the caller holds the election's lock."""
    _sql, _fields, update = _chain_statements(connection.vendor)
    advance = (update, (ballot.hash, ballot.election_id))
    if fastsql.can_write_together() and len(audit) == 1:
        fastsql.insert_together(ballot, advance, audit[0])
        return
    fastsql.insert_row(ballot)
    with connection.cursor() as cursor:
        cursor.execute(*advance)
    for entry in audit:
        fastsql.insert_row(entry)


def ballot_record(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    cast_as: str,
    channel: str,
    choices: dict,
    status: str = Ballot.Status.VALID,
    reject_reason: str = "",
    proxy=None,
    paper_serial: str = "",
    now: datetime | None = None,
    window_at: datetime | None = None,
    platform_import=None,
    source_row: int | None = None,
    cast_by: User | None = None,
    street_id: int | None = None,
    savepoint: bool = True,
) -> Ballot:
    """Append one ballot to the election's chain. The caller has checked who may cast it.

    ``savepoint=False`` (the online cast, which calls this inside its own transaction) saves the
    savepoint's two round trips: the second valid ballot's IntegrityError then leaves this
    function as it is, and the caller turns it into `AlreadyVoted` once its transaction has rolled
    back (`already_voted_error`).

    ``street_id`` is the election's street for the audit row when the caller has read it (the
    online cast reads it with the voter's lock); else it comes from the loaded election or the
    audit log looks it up.

    ``cast_by`` is the person the ballot is recorded for when the actor is not one (the count's
    job records a meeting attendee's abstention for the staff member who recorded the attendance).

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
        with transaction.atomic(savepoint=savepoint):
            head = _lock_chain_head(election.pk)
            if window_at is not None:
                stored = Election(
                    pk=election.pk,
                    stage=head["stage"],
                    voting_opens_at=head["voting_opens_at"],
                    voting_closes_at=head["voting_closes_at"],
                )
                if not stored.voting_is_open(window_at):
                    raise OutsideWindow(window_refusal(stored, window_at))
            seq = head["ballot_count"] + 1
            prev = head["chain_head"] or GENESIS
            receipt = _receipt()
            ballot = Ballot(
                election=election,
                voter=voter,
                channel=channel,
                status=status,
                reject_reason=reject_reason,
                choices=clean,
                cast_at=now,
                cast_by=cast_by or require_person(actor),
                cast_as=cast_as,
                proxy=proxy,
                paper_serial=paper_serial,
                platform_import=platform_import,
                source_row=source_row,
                receipt=receipt,
                seq=seq,
                prev_hash=prev,
                hash=chain_hash(prev_hash=prev, seq=seq, receipt=receipt, status=status, choices=clean),
            )
            audit = audit_entries(
                "ballot.cast" if status == Ballot.Status.VALID else "ballot.rejected",
                actor=actor,
                # The voter, not the ballot: a ballot's id runs in the order of casting, and the
                # audit log must give nobody a key to line its rows up with the ballots (docs/security.md).
                obj=voter,
                election_id=election.pk,
                compound_id=election.compound_id,
                street_id=street_id if street_id is not None else _loaded_street(election),
                summary=f"{channel} ballot {status} for voter #{voter.pk} as {cast_as}",
                # Never the choices: the audit log is read by staff while voting is open.
                data={"voter": voter.pk, "channel": channel, "cast_as": cast_as, "reason": reject_reason},
            )
            _append(ballot, audit)
    except IntegrityError:
        if not savepoint:
            raise  # the caller's transaction is broken: it answers once it has rolled back
        error = already_voted_error(election_id=election.pk, voter_id=voter.pk)
        if error is None:
            raise
        raise error from None
    return ballot


def already_voted_error(*, election_id: int, voter_id: int) -> AlreadyVoted | None:
    """`AlreadyVoted` for the voter's valid ballot after a refused insert, or None when the
    voter has none (the IntegrityError was something else and must be raised as it is)."""
    existing = Ballot.objects.filter(
        election_id=election_id, voter_id=voter_id, status=Ballot.Status.VALID
    ).first()
    if existing is None:
        return None
    return AlreadyVoted(already_voted_message(existing), existing)


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
    return _("This vote was already cast on %(when)s, %(channel)s, by %(who)s.") % {
        "when": formats.moment(ballot.cast_at),
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
    # The ballots' choices come as two JSON texts, matters and races, decoded once per distinct
    # text rather than once per ballot: an election has a few dozen distinct answers to its
    # matters and a few thousand distinct sets of ticks, so 100,000 ballots decode a few thousand
    # small documents instead of 100,000 whole ones (and build 3 × 100,000 `Choice`s fewer).
    # Decoding JSON was most of the tally's time (docs/performance.md, issue 19). No ORDER BY:
    # a tally is a sum, the ballots' order changes nothing in it.
    matter_cache: dict[str | None, dict[str, pure.Choice]] = {}
    race_cache: dict[str | None, dict[str, tuple[str, ...]]] = {}
    ballots = []
    valid = Ballot.Status.VALID
    rows = (
        Ballot.objects.filter(election=election)
        .order_by()
        .values_list("voter__key", "voter__area", "status", KT("choices__matters"), KT("choices__races"))
    )
    for key, area, status, matters_text, races_text in rows:
        choices = matter_cache.get(matters_text)
        if choices is None:
            decoded = json.loads(matters_text) if matters_text else None
            choices = matter_cache[matters_text] = {k: pure.Choice(v) for k, v in (decoded or {}).items()}
        ticks = race_cache.get(races_text)
        if ticks is None:
            decoded = json.loads(races_text) if races_text else None
            ticks = race_cache[races_text] = {k: tuple(v) for k, v in (decoded or {}).items()}
        ballots.append(
            pure.BallotInput(voter=key, area=area, valid=status == valid, matters=choices, races=ticks)
        )
    return pure.TallyInput(
        quorum=election.quorum,
        total_area=election.total_area or Decimal("0"),
        total_heads=election.total_heads or 0,
        matters=matters,
        races=races,
        ballots=ballots,
        ordinary=election.ordinary_threshold,
        special=election.special_threshold,
    )


def election_tally(election: Election) -> dict:
    """The `yezhu-result/1` result of the stored election (the same code `recount` runs)."""
    if election.roll_frozen_at is None:
        raise ElectionError(_("The roll of this election has not been frozen; voting has not opened."))
    return pure.result_to_dict(pure.tally(tally_input(election)))


def _bundle_secret(election: Election) -> bytes:
    """The key of the bundle's pseudonyms: the election's own key (made at the freeze, kept in the
    database, so a SECRET_KEY rotation changes no pseudonym), else SECRET_KEY for an election frozen
    before the key existed."""
    return (election.paper_key or settings.SECRET_KEY).encode()


def _owner_pseudonym(election: Election, ident: object) -> str:
    digest = hmac.new(_bundle_secret(election), f"{election.pk}:{ident}".encode(), hashlib.sha256).hexdigest()
    return "P" + digest[:10].upper()


def _owner_pseudonyms(key: str, election: Election) -> list[str]:
    """Owner ids in the bundle: stable pseudonyms, never names or identity numbers."""
    ids = key[1:].split("-") if key.startswith("o") else [key]
    return [_owner_pseudonym(election, i) for i in ids]


def _unit_pseudonyms(election: Election, unit_pks: list[int]) -> dict[int, str]:
    """Unit ids of the public bundle: "U" and ten base32 characters of an HMAC of (election, unit)
    under the election's own key, stable from one download to the next. Nobody without the key
    can tell which home a pseudonym stands for; on the (unlikely) collision of two units the
    ids are made longer rather than merged."""
    secret = _bundle_secret(election)
    digests = {
        pk: base64.b32encode(
            hmac.new(secret, f"bundle-unit:{election.pk}:{pk}".encode(), hashlib.sha256).digest()
        ).decode()
        for pk in unit_pks
    }
    for length in (10, 16):
        ids = {pk: "U" + digest[:length] for pk, digest in digests.items()}
        if len(set(ids.values())) == len(ids):
            return ids
    return {pk: "U" + digest.rstrip("=") for pk, digest in digests.items()}


def _frozen_units(election: Election, voters: list[tuple[int, str, list]]) -> list[tuple]:
    """(voter pk, unit pk, code, area, status, owner ids) of every unit on the frozen roll.

    From each voter's `units_snapshot`, never from the grids tables: a roll changed after the
    freeze must not change the bundle. Voters frozen before the snapshot existed fall back to
    their units as they are now (one more query, only then).
    """
    rows = []
    legacy: dict[int, str] = {}
    owner_cache: dict[int, str] = {}

    def owner_ids(ids: list[int], key: str) -> list[str]:
        if not ids:
            return _owner_pseudonyms(key, election)
        for i in ids:
            if i not in owner_cache:
                owner_cache[i] = _owner_pseudonym(election, i)
        return [owner_cache[i] for i in ids]

    for voter_id, key, snapshot in voters:
        if not snapshot:
            legacy[voter_id] = key
            continue
        for unit in snapshot:
            status = unit["status"]
            owners = owner_ids(unit["owners"], key) if status == Unit.Status.DELIVERED else None
            rows.append((voter_id, unit["pk"], unit["code"], unit["area"], status, owners))
    if legacy:
        live = (
            Voter.units.through.objects.filter(voter__election=election)
            .order_by("unit__code")
            .values_list("voter_id", "unit_id", "unit__code", "unit__area", "unit__status")
        )
        for voter_id, unit_pk, code, area, unit_status in live:
            voter_key = legacy.get(voter_id)
            if voter_key is None:
                continue  # a voter with a snapshot: already listed
            if voter_key == Unit.DEVELOPER_KEY:
                shown = unit_status if unit_status != Unit.Status.DELIVERED else Unit.Status.UNSOLD
                rows.append((voter_id, unit_pk, code, f"{area:.2f}", shown, None))
            else:
                rows.append(
                    (
                        voter_id,
                        unit_pk,
                        code,
                        f"{area:.2f}",
                        "delivered",
                        _owner_pseudonyms(voter_key, election),
                    )
                )
    return rows


def bundle_for(election: Election, *, named: bool = True) -> dict:
    """The `yezhu-bundle/1` export of an election: anyone can recount it with `manage.py recount`.

    `named`: units are identified by their real codes ("1-1-101"): the per-ballot record, for the
    scrutineers and the street office of a secret vote, for everyone in a named vote, and for
    `manage.py export_bundle`. Otherwise by pseudonyms (`_unit_pseudonyms`), listed in the
    pseudonyms' order; that variant is no longer given to anyone, because each ballot's area
    still singles most homes out: a secret vote's public record is the board (`board_document`).
    Ballots are in chain order with their hashes, so `recount` rebuilds the chain to its head.
    Pages and the API go through `bundle_export`, which picks the record for the user.
    """
    if election.roll_frozen_at is None:
        raise ElectionError(_("The roll of this election has not been frozen; there is nothing to export."))
    voters = list(
        Voter.objects.filter(election=election).order_by("pk").values_list("pk", "key", "units_snapshot")
    )
    rows = _frozen_units(election, voters)
    developer_keys = {voter_id for voter_id, key, _snapshot in voters if key == Unit.DEVELOPER_KEY}
    # The developer's own units (自持) name it as their owner: the bundle says who that is, so a
    # recount puts them in the developer's voter as the live tally did (RULES §4 `developer`).
    developer = next(
        (
            owners[0]
            for voter_id, _pk, _code, _area, _status, owners in rows
            if voter_id in developer_keys and owners
        ),
        None,
    )
    pseudonyms = {} if named else _unit_pseudonyms(election, [row[1] for row in rows])
    entries = []
    for voter_id, unit_pk, code, area, status, owners in rows:
        unit_id = code if named else pseudonyms[unit_pk]
        entry = {"id": unit_id, "area": area, "status": status}
        if owners is not None:
            entry["owners"] = owners
        entries.append((unit_id, voter_id, entry))
    entries.sort(key=lambda item: item[0])
    first_unit: dict[int, str] = {}
    for unit_id, voter_id, _entry in entries:
        first_unit.setdefault(voter_id, unit_id)
    units = [entry for _unit_id, _voter_id, entry in entries]
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
    for voter_id, status, choices, receipt, chained in (
        Ballot.objects.filter(election=election)
        .order_by("seq")
        .values_list("voter_id", "status", "choices", "receipt", "hash")
    ):
        entry = {"unit": first_unit[voter_id], "status": status, "receipt": receipt}
        if status == Ballot.Status.VALID:
            entry["matters"] = choices.get("matters") or {}
            entry["races"] = choices.get("races") or {}
        entry["hash"] = chained  # in chain order: `recount` rebuilds the chain to chain_head
        ballots.append(entry)
    bundle = {
        "format": "yezhu-bundle/1",
        "election": {
            "compound": election.compound.code,
            "title": election.title,
            "chain_head": election.chain_head,
        },
        "rules": {
            "quorum": f"{election.quorum_numerator}/{election.quorum_denominator}",
            "ordinary": f"{election.ordinary_numerator}/{election.ordinary_denominator}",
            "special": f"{election.special_numerator}/{election.special_denominator}",
        },
        **({"developer": developer} if developer is not None else {}),
        "units": units,
        "matters": matters,
        "races": races,
        "ballots": ballots,
    }
    return bundle


BUNDLE_NAMED = "named"
BUNDLE_PUBLIC = "public"
BUNDLE_BOARD = "board"


def may_have_ballot_record(*, election: Election, user) -> bool:
    """Whether this person receives the per-ballot record (the named bundle) of a secret vote: its
    scrutineers (监票人、计票人) and the street office of its compound (street staff). Nobody
    else, superusers and auditors included: with the record and the turnout (who voted when) or
    a roll (which home has which area) anyone could read how a home voted."""
    if not getattr(user, "is_authenticated", False):
        return False
    if Scrutineer.objects.filter(election=election, user=user).exists():
        return True
    street_id = (
        Compound.objects.filter(pk=election.compound_id)
        .values_list("community__street_id", flat=True)
        .first()
    )
    if street_id is None:
        return False
    return RoleAssignment.objects.filter(
        user=user, role=RoleAssignment.Role.STREET_STAFF, street_id=street_id
    ).exists()


def bundle_variant(*, election: Election, user) -> str:
    """Which record of the ballots a user may download (the caller has checked the election is
    visible to them and its result public):

    - a named vote (记名): the named bundle, for everyone who may see the election;
    - a secret vote (不记名): the named bundle for the scrutineers and the street office
      (`may_have_ballot_record`); for everyone else the board (`board_document`): the result and
      every ballot's receipt and choices in receipt order, with no home, no area and no order or
      time of casting, so that nobody pairs a home with its choices."""
    if not election.is_secret or may_have_ballot_record(election=election, user=user):
        return BUNDLE_NAMED
    return BUNDLE_BOARD


def ballot_board(election: Election):
    """The ballot board's rows (page and API). Secret vote: receipt, status and choices, in receipt
    order (random codes: no trace of the order of casting), no hash or position (either would give
    the order back). Named vote: in chain order with the position, the hashes and the home."""
    ballots = Ballot.objects.filter(election=election)
    if election.is_secret:
        return ballots.order_by("receipt").values("receipt", "status", "choices")
    return ballots.order_by("seq").values(
        "seq", "receipt", "status", "choices", "hash", "prev_hash", "voter__unit_codes"
    )


BOARD_FORMAT = "yezhu-board/1"


def board_document(election: Election) -> dict:
    """The public record of a secret vote (`yezhu-board/1`): the result, the chain head and the
    board. An owner finds their receipt in it; the scrutineers check it against the named bundle,
    which `manage.py recount` verifies with the hash chain."""
    ballots = []
    for row in ballot_board(election):
        entry = {"receipt": row["receipt"], "status": row["status"]}
        if row["status"] == Ballot.Status.VALID:
            entry["matters"] = row["choices"].get("matters") or {}
            entry["races"] = row["choices"].get("races") or {}
        ballots.append(entry)
    return {
        "format": BOARD_FORMAT,
        "election": {
            "compound": election.compound.code,
            "title": election.title,
            "chain_head": election.chain_head,
            "voting": election.ballot_secrecy,
        },
        "result": election.result,
        "ballots": ballots,
    }


def bundle_export(
    *,
    election: Election,
    actor: Actor,
) -> tuple[dict, str]:
    """The record this user may download and its variant ("named" or "board"), with the
    `bundle.exported` audit row. The caller has checked that the election is visible to the user
    and that its result is public."""
    variant = bundle_variant(election=election, user=actor)
    data = bundle_for(election, named=True) if variant == BUNDLE_NAMED else board_document(election)
    record(
        "bundle.exported",
        actor=actor,
        obj=election,
        election_id=election.pk,
        compound_id=election.compound_id,
        summary=f"bundle downloaded ({variant})",
        data={"variant": variant, "ballots": election.ballot_count},
    )
    return data, variant
