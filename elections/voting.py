"""Casting a ballot online, and proxies (委托投票).

Who may cast for a voter (RULES.md §1, §5):

- an owner or co-owner (共有人) of the voter's units, unless the voter has an ACTIVE proxy: the
  proxy then holds the vote until the owner revokes it;
- the proxy user of the voter's active proxy;
- where the co-owners designated one of them (`elections.designations`, `Voter.designated_owner`),
  only that co-owner, or the proxy they gave.

Where the city requires its own e-voting platform (the profile's `city_platform` rule, RULES.md
§7) nobody casts online here (`services.online_channel_refusal`).

Whoever casts first wins: the partial unique constraint on `Ballot` (one valid ballot per voter)
refuses the second, and `ballot_record` turns that into `AlreadyVoted`, whose message says when,
through which channel and by whom the vote was cast (never what was chosen).

Each voter's row is locked while a ballot is cast or a proxy is authorised or revoked, so an
owner casting and the same owner authorising a proxy in another tab cannot both succeed. The
lock is FOR NO KEY UPDATE: a paper ballot inserted at the same moment (which takes FOR KEY SHARE
on the voter through its foreign key while holding the election's chain lock) must not wait for
it, or the two would deadlock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from elections.errors import AlreadyVoted, ElectionError, OnlineChannelClosed, OutsideWindow
from elections.models import Ballot, Election, Proxy, Stage, Voter
from elections.selectors import can_manage, get_visible_election
from elections.services import (
    already_voted_error,
    already_voted_message,
    ballot_record,
    online_channel_refusal,
    valid_ballot_of,
    window_refusal,
)
from grids.models import Community, Compound, Owner, Ownership
from yezhu import sql as fastsql
from yezhu.accounts.models import User
from yezhu.accounts.phone import InvalidMobile, normalize_mobile
from yezhu.accounts.services import sms_queue
from yezhu.actors import Actor, person
from yezhu.audit.log import record
from yezhu.site import public_url

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_SIGNATURES = {  # extension → the bytes such a file starts with
    "pdf": (b"%PDF",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}

# Stages in which the roll is frozen and voting has not yet closed: proxies may still change.
PROXY_STAGES = (Stage.CANDIDATE_NOTICE, Stage.VOTING)


@dataclass(frozen=True)
class CastRight:
    """Why a user may cast for a voter: as the owner, a co-owner, or the voter's proxy."""

    voter: Voter
    cast_as: str
    proxy: Proxy | None = None


class CastRefused(ElectionError):
    """The user may not cast for this voter (not an owner, or a proxy holds the vote)."""


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def election_for_voting(user, pk: int) -> Election:
    """The election if the user may see it (`get_visible_election`) or holds a proxy in it.

    A proxy need not own a home in the compound, so the owners' scope alone would hide the
    election from them; any other user gets 404.
    """
    try:
        return get_visible_election(user, pk)
    except Http404:
        pass
    # Only an active proxy: a revoked one loses the election's pages and bundle at once.
    election = (
        Election.objects.filter(pk=pk, proxies__proxy_user=user, proxies__status=Proxy.Status.ACTIVE)
        .select_related("compound")
        .distinct()
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if election is None:
        raise Http404
    return election


def owner_count(voter: Voter) -> int:
    """The number of registered owners behind a voter (共有人 together are one voter)."""
    if voter.key.startswith("o"):
        return len(voter.key[1:].split("-"))
    return Owner.objects.filter(ownerships__unit__election_voters=voter).distinct().count() or 1


def active_proxy(voter: Voter) -> Proxy | None:
    return (
        Proxy.objects.filter(principal=voter, status=Proxy.Status.ACTIVE).select_related("proxy_user").first()
    )


def proxies_held(*, election: Election, user) -> list[Proxy]:
    """The active proxies this user holds in this election, each principal separately."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Proxy.objects.filter(election=election, proxy_user=user, status=Proxy.Status.ACTIVE)
        .select_related("principal")
        .order_by("principal__unit_codes")
    )


def owned_voter(*, election: Election, user, voter_id: int) -> Voter | None:
    """The voter with this id if the user is one of the registered owners of its units, else None.

    One query over the frozen roll's units."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Voter.objects.filter(election=election, pk=voter_id)
        .filter(RawSQL(_sql_user_owns(), (user.pk,), output_field=BooleanField()))  # noqa: S611
        .first()
    )


# Who may cast for a voter, as plain SQL over the outer voter row ("elections_voter"): each cast runs
# these, and building the same Exists() subqueries through the ORM cost more CPU than the rest of
# the cast together (docs/performance.md). Table names come from the models.
def _sql_user_owns() -> str:
    through, ownership, owner = (
        Voter.units.through._meta.db_table,
        Ownership._meta.db_table,
        Owner._meta.db_table,
    )
    return (
        f'EXISTS (SELECT 1 FROM "{through}" vu JOIN "{ownership}" os ON os.unit_id = vu.unit_id '  # noqa: S608
        f'JOIN "{owner}" ow ON ow.id = os.owner_id '
        f'WHERE vu.voter_id = "{Voter._meta.db_table}"."id" AND ow.user_id = %s)'
    )


def _sql_active_proxy(*, of_user: bool) -> str:
    who = " AND px.proxy_user_id = %s" if of_user else ""
    return (
        f'SELECT px.id FROM "{Proxy._meta.db_table}" px '  # noqa: S608
        f'WHERE px.principal_id = "{Voter._meta.db_table}"."id" '
        f"AND px.status = '{Proxy.Status.ACTIVE}'{who}"
    )


def _sql_valid_ballot() -> str:
    return (
        f'EXISTS (SELECT 1 FROM "{Ballot._meta.db_table}" b '  # noqa: S608
        f'WHERE b.voter_id = "{Voter._meta.db_table}"."id" '
        f"AND b.status = '{Ballot.Status.VALID}')"
    )


#: The largest id a bigint column holds: a larger id in a request matches nothing (as the ORM's
#: look-ups answer), rather than reaching PostgreSQL as an out-of-range number.
_MAX_ID = 2**63 - 1

_VOTER = f'"{Voter._meta.db_table}"'


@functools.cache
def _cast_target_statement(vendor: str) -> tuple[str, list]:
    """`cast_target`'s SELECT, built once per database vendor (docs/performance.md: the ORM's
    compile of it was a large part of a cast's CPU)."""
    select, fields = fastsql.columns(Voter, ("id", "election_id"), _VOTER)
    sql = (
        f"SELECT {select} FROM {_VOTER} "  # noqa: S608 -- names from the models; values are parameters
        f'WHERE {_VOTER}."election_id" = %s AND {_VOTER}."id" = %s '
        f"AND ({_sql_user_owns()} OR EXISTS ({_sql_active_proxy(of_user=True)}))"
    )
    return sql, fields


def cast_target(*, user, election_pk: int, voter_id: int) -> Voter | None:
    """The voter with this id if the user owns one of its units or holds its active proxy; else
    None. One query: the ballot path runs it on every cast. Only the voter's id and election are
    loaded (the cast needs nothing else of it; another field is read from the database on use).

    A voter reached this way implies the election is visible to the user (they own a home in the
    compound, or hold an active proxy in the election: `elections_for`), so the cast needs no
    separate lookup of the election."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not (0 < election_pk <= _MAX_ID and 0 < voter_id <= _MAX_ID):
        return None
    sql, fields = _cast_target_statement(connection.vendor)
    row = fastsql.fetch(sql, (election_pk, voter_id, user.pk, user.pk), fields)
    return None if row is None else fastsql.instance(Voter, fields, row)


def reachable_voter(*, election: Election, user, voter_id: int) -> Voter | None:
    """The voter with this id if the user owns it or holds (or held) its proxy; else None.

    This says whether the user may *see* the voter's ballot status; `cast_right` says whether
    they may cast now.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    voter = owned_voter(election=election, user=user, voter_id=voter_id)
    if voter is not None:
        return voter
    return Voter.objects.filter(election=election, pk=voter_id, proxies__proxy_user=user).distinct().first()


def cast_right(*, election: Election, voter: Voter, user) -> CastRight:
    """How this user may cast for this voter, or `ElectionError` saying why not.

    Raises `AlreadyVoted` when the voter has a valid ballot (whoever cast it).
    """
    return _right(voter, _facts(voter.pk, user), user)


class _VoterFacts(TypedDict):
    """What decides the right to cast for one voter, as seen by one user."""

    user_owns: bool
    active_proxy_id: int | None
    has_valid_ballot: bool
    designated_owner_id: int | None
    user_is_designee: bool


def _sql_user_is_designee() -> str:
    """Whether the user is the co-owner designated for the outer voter (共有人指定): one index
    look-up of the owner the voter row names, no join over the units."""
    return (
        f'EXISTS (SELECT 1 FROM "{Owner._meta.db_table}" dw '  # noqa: S608
        f'WHERE dw.id = "{Voter._meta.db_table}"."designated_owner_id" AND dw.user_id = %s)'
    )


@functools.cache
def _facts_statement(vendor: str) -> str:
    """What decides the right to cast, in one statement written once (no ORM compile): whether
    the user owns one of the voter's units, its active proxy (if any), whether it has a valid
    ballot, the co-owner designated to vote for it (a column of the voter row) and whether the
    user is that co-owner."""
    return (
        f"SELECT {_sql_user_owns()}, ({_sql_active_proxy(of_user=False)} LIMIT 1), "  # noqa: S608
        f'{_sql_valid_ballot()}, {_VOTER}."designated_owner_id", {_sql_user_is_designee()} '
        f'FROM {_VOTER} WHERE {_VOTER}."id" = %s'
    )


def _facts(voter_pk: int, user) -> _VoterFacts:
    """The facts of `_facts_statement` for one voter as seen by one user."""
    row = fastsql.fetch(_facts_statement(connection.vendor), (user.pk, user.pk, voter_pk), (None,) * 5)
    if row is None:
        raise Voter.DoesNotExist
    user_owns, active_proxy_id, has_valid_ballot, designated_owner_id, user_is_designee = row
    return _VoterFacts(
        user_owns=bool(user_owns),
        active_proxy_id=active_proxy_id,
        has_valid_ballot=bool(has_valid_ballot),
        designated_owner_id=designated_owner_id,
        user_is_designee=bool(user_is_designee),
    )


def _right(voter: Voter, facts: _VoterFacts, user) -> CastRight:
    """`cast_right` from the voter's facts (rare cases fetch the proxy or ballot)."""
    is_owner = facts["user_owns"]
    proxy = (
        Proxy.objects.select_related("proxy_user").get(pk=facts["active_proxy_id"])
        if facts["active_proxy_id"]
        else None
    )
    is_proxy = proxy is not None and proxy.proxy_user_id == user.pk
    if not is_owner and not is_proxy:
        raise CastRefused(_("You are not an owner of these units and hold no proxy for them."))
    if facts["has_valid_ballot"]:
        existing = valid_ballot_of(voter)
        if existing is not None:
            raise AlreadyVoted(already_voted_message(existing), existing)
    if is_proxy:
        return CastRight(voter=voter, cast_as=Ballot.CastAs.PROXY, proxy=proxy)
    if proxy is not None:
        raise CastRefused(
            _(
                "You have authorised %(name)s to vote for these units. Revoke the proxy first "
                "if you want to vote yourself."
            )
            % {"name": proxy.proxy_name}
        )
    if facts["designated_owner_id"] is not None and not facts["user_is_designee"]:
        raise CastRefused(designation_refusal(facts["designated_owner_id"]))
    cast_as = Ballot.CastAs.OWNER if owner_count(voter) == 1 else Ballot.CastAs.CO_OWNER
    return CastRight(voter=voter, cast_as=cast_as)


def _is_designee(owner_id: int, actor: Actor) -> bool:
    """Whether the signed-in person behind ``actor`` is the owner record ``owner_id``."""
    user = person(actor)
    return user is not None and Owner.objects.filter(pk=owner_id, user=user).exists()


def designation_refusal(designee_id: int) -> str:
    """Why a co-owner who is not the designee may not cast or give a proxy (rare: one query)."""
    name = Owner.objects.filter(pk=designee_id).values_list("name", flat=True).first() or ""
    return _(
        "The co-owners of this home designated %(name)s to vote for it: only %(name)s can cast its "
        "ballot or give a proxy. Any co-owner can withdraw the designation before the home votes."
    ) % {"name": name}


# ---------------------------------------------------------------------------------------------
# Casting online
# ---------------------------------------------------------------------------------------------


@functools.cache
def _lock_statement(vendor: str) -> tuple[str, list, list]:
    """The cast's voter lock, which also reads what the cast needs of the voter (its key), of its
    election as stored now (the window, the ballot paper's key, the profile for the online
    channel; not the dozen timestamps the cast does not need) and the election's street for the
    audit row. Built once per vendor; SQLite has no row locks (it serialises writers)."""
    voter_select, voter_fields = fastsql.columns(Voter, ("id", "election_id", "key"), "v")
    election_select, election_fields = fastsql.columns(
        Election,
        (
            "id",
            "compound_id",
            "stage",
            "voting_opens_at",
            "voting_closes_at",
            "roll_frozen_at",
            "profile",  # whether the city's e-voting platform replaces the online channel
            "rule_overrides",
        ),
        "e",
    )
    quote = connection.ops.quote_name
    lock = " FOR NO KEY UPDATE OF v" if connection.features.has_select_for_no_key_update else ""
    sql = (
        f"SELECT {voter_select}, {election_select}, cm.{quote(Community._meta.get_field('street').column)} "  # noqa: S608
        f"FROM {_VOTER} v "
        f"JOIN {quote(Election._meta.db_table)} e ON e.{quote(Election._meta.pk.column)} = v.{quote(Voter._meta.get_field('election').column)} "
        f"JOIN {quote(Compound._meta.db_table)} c ON c.{quote(Compound._meta.pk.column)} = e.{quote(Election._meta.get_field('compound').column)} "
        f"JOIN {quote(Community._meta.db_table)} cm ON cm.{quote(Community._meta.pk.column)} = c.{quote(Compound._meta.get_field('community').column)} "
        f"WHERE v.{quote(Voter._meta.pk.column)} = %s{lock}"
    )
    return sql, voter_fields, election_fields


def _lock_voter(voter_pk: int) -> tuple[Voter, int]:
    """Lock the voter (FOR NO KEY UPDATE) and read it with its election: the voter (its election
    attached) and the election's street."""
    sql, voter_fields, election_fields = _lock_statement(connection.vendor)
    row = fastsql.fetch(sql, (voter_pk,), (*voter_fields, *election_fields, None))
    if row is None:
        raise Voter.DoesNotExist
    split = len(voter_fields)
    locked = fastsql.instance(Voter, voter_fields, row[:split])
    locked.election = fastsql.instance(Election, election_fields, row[split:-1])
    return locked, row[-1]


def ballot_cast_online(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    choices: dict,
    now: datetime | None = None,
) -> Ballot:
    """Cast the online ballot of `voter` by `user` (owner, co-owner or proxy).

    Refused outside the voting window whatever the stage says, for a user with no right to cast
    for the voter, and for a voter who already voted (`AlreadyVoted`: when, channel, who).
    Only `election.pk` is read from the argument: the election is read again under the lock.
    """
    now = now or timezone.now()
    if voter.election_id != election.pk:
        raise ElectionError(_("This voter is not on the roll of this election."))
    try:
        return _cast_online(voter=voter, actor=actor, choices=choices, now=now)
    except IntegrityError:
        # A second valid ballot for the voter (the database's unique constraint), answered now that
        # the transaction has rolled back; anything else is raised as it is.
        error = already_voted_error(election_id=election.pk, voter_id=voter.pk)
        if error is None:
            raise
        raise error from None


def _cast_online(*, voter: Voter, actor: Actor, choices: dict, now: datetime) -> Ballot:
    """The transaction of `ballot_cast_online`; a refused second ballot leaves as IntegrityError."""
    with transaction.atomic():
        # Serialise with proxy changes for this voter (see the module docstring). The same query
        # reads the election as stored now (not as the caller saw it) and its street.
        locked, street_id = _lock_voter(voter.pk)
        refusal = window_refusal(locked.election, now)
        if refusal:
            raise OutsideWindow(refusal)
        closed = online_channel_refusal(locked.election)
        if closed:
            raise OnlineChannelClosed(closed)
        # The facts of the right to cast are read once the lock is held, by a statement of their
        # own. Read in the locking statement they would come from the snapshot it took before it
        # waited for the lock (PostgreSQL, READ COMMITTED): a proxy revoked by the owner a moment
        # earlier would still look active, and the revoked proxy's ballot would stand
        # (tests/elections/test_concurrency.py::test_it_never_lets_a_revoked_proxys_ballot_stand).
        right = _right(locked, _facts(voter.pk, actor), actor)
        # ballot_record checks the window again under the election's lock, so no ballot joins
        # the chain after voting_close has moved the election on.
        return ballot_record(
            election=locked.election,
            voter=locked,
            actor=actor,
            cast_as=right.cast_as,
            channel=Ballot.Channel.ONLINE,
            choices=choices,
            proxy=right.proxy,
            now=now,
            window_at=now,
            street_id=street_id,
            savepoint=False,  # two round trips fewer; the IntegrityError is answered above
        )


# ---------------------------------------------------------------------------------------------
# Proxies
# ---------------------------------------------------------------------------------------------


def proxies_open(election: Election, now: datetime) -> bool:
    """Proxies may be given or revoked once the roll is frozen and until voting closes."""
    closes = election.voting_closes_at
    return (
        election.stage in PROXY_STAGES
        and election.roll_frozen_at is not None
        and (closes is None or now < closes)
    )


def _check_proxy_stage(election: Election, now: datetime) -> None:
    if not proxies_open(election, now):
        raise ElectionError(
            _("Proxies can be given or revoked only while the roll is frozen and voting has not closed.")
        )


def _proxy_user_for(mobile: str, name: str) -> User:
    try:
        phone = normalize_mobile(mobile)
    except InvalidMobile:
        raise ElectionError(_("Please enter the proxy's 11-digit mainland mobile number.")) from None
    user, _created = User.objects.get_or_create(phone=phone, defaults={"name": name[:50]})
    if _created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not user.is_active:
        raise ElectionError(_("The account of this mobile number is disabled."))
    return user


def _create_proxy(
    *,
    owner_user: Actor | None = None,
    election: Election,
    voter: Voter,
    proxy_mobile: str,
    proxy_name: str,
    authorised_by,
    on_paper: bool,
    document=None,
) -> Proxy:
    name = (proxy_name or "").strip()
    if not name:
        raise ElectionError(_("Please enter the proxy's name."))
    with transaction.atomic():
        locked = Voter.objects.select_for_update(no_key=True).get(pk=voter.pk)
        if valid_ballot_of(locked) is not None:
            raise ElectionError(_("These units have already voted; a proxy is no longer possible."))
        # A designation in force (read under the lock): only the designee gives a proxy online; a
        # paper authorisation recorded by staff must be the designee's (the staff page says so).
        if (
            owner_user is not None
            and locked.designated_owner_id is not None
            and not _is_designee(locked.designated_owner_id, owner_user)
        ):
            raise ElectionError(designation_refusal(locked.designated_owner_id))
        current = active_proxy(locked)
        if current is not None:
            raise ElectionError(
                _("%(name)s already holds the proxy for these units; revoke it first.")
                % {"name": current.proxy_name}
            )
        proxy_user = _proxy_user_for(proxy_mobile, name)
        # Lock the proxy's account so two owners naming the same proxy cannot both pass the limit.
        proxy_user = User.objects.select_for_update(no_key=True).get(pk=proxy_user.pk)
        if owned_voter(election=election, user=proxy_user, voter_id=locked.pk) is not None:
            raise ElectionError(
                _("The proxy is an owner of these units already and can vote without a proxy.")
            )
        held = Proxy.objects.filter(
            election=election, proxy_user=proxy_user, status=Proxy.Status.ACTIVE
        ).count()
        if held >= election.proxy_limit:
            raise ElectionError(
                _("%(name)s already holds %(count)s proxies, the most this election allows.")
                % {"name": name, "count": held}
            )
        try:
            with transaction.atomic():
                proxy = Proxy.objects.create(
                    election=election,
                    principal=locked,
                    proxy_user=proxy_user,
                    proxy_name=name[:60],
                    authorised_by=authorised_by,
                    on_paper=on_paper,
                    document=document or "",
                )
        except IntegrityError:
            raise ElectionError(_("Someone else gave a proxy for these units a moment ago.")) from None
        record(
            "proxy.authorised",
            actor=authorised_by,
            obj=proxy,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"proxy for voter #{locked.pk} to user #{proxy_user.pk} ({'paper' if on_paper else 'online'})",
            data={"voter": locked.pk, "proxy_user": proxy_user.pk, "on_paper": on_paper},
        )
        tell_proxy(proxy, election=election, principal=locked)
    return proxy


def tell_proxy(proxy: Proxy, *, election: Election, principal: Voter) -> None:
    """Text the proxy that they were appointed, through the SMS outbox in the proxy's transaction.

    It goes by the registered "notice" template (compound, kind, title, link), so no new template
    needs registering with the providers (docs/decisions.md, "The proxy is told by SMS")."""
    with translation.override("zh-hans"):  # to the proxy's phone, whatever the staff's language
        params = {
            "compound": election.compound.name,
            "kind": _("proxy appointment"),
            "title": _("the owners of %(units)s appointed you to vote for them in %(election)s")
            % {"units": principal.unit_codes, "election": election.title},
            "url": public_url(reverse("elections:detail", args=[election.pk])),
        }
    sms_queue(
        phone=proxy.proxy_user.phone,
        kind="notice",
        params=params,
        purpose=f"proxy:{proxy.pk}",
    )


def proxy_authorise(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    proxy_mobile: str,
    proxy_name: str,
    now: datetime | None = None,
) -> Proxy:
    """An owner names a proxy by mobile number; the proxy's account is created if needed."""
    now = now or timezone.now()
    _check_proxy_stage(election, now)
    if owned_voter(election=election, user=actor, voter_id=voter.pk) is None:
        raise ElectionError(_("Only an owner of these units can give a proxy for them."))
    return _create_proxy(
        owner_user=actor,
        election=election,
        voter=voter,
        proxy_mobile=proxy_mobile,
        proxy_name=proxy_name,
        authorised_by=actor,
        on_paper=False,
    )


def check_document(document) -> None:
    """A scanned authorisation: an image (JPEG, PNG) or a PDF of at most 5 MB."""
    if document is None:
        raise ElectionError(_("Please attach the scanned authorisation (photo or PDF)."))
    size = getattr(document, "size", None) or 0
    if size > MAX_DOCUMENT_BYTES:
        raise ElectionError(_("The scan is larger than 5 MB; please send a smaller photo or PDF."))
    extension = (document.name or "").rsplit(".", 1)[-1].lower()
    signatures = DOCUMENT_SIGNATURES.get(extension)
    document.seek(0)
    head = document.read(8)
    document.seek(0)
    if not signatures or not any(head.startswith(sig) for sig in signatures) or size == 0:
        raise ElectionError(_("The scan must be a JPEG or PNG photo or a PDF file."))


def proxy_record_paper(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    proxy_mobile: str,
    proxy_name: str,
    document,
    now: datetime | None = None,
) -> Proxy:
    """Staff record a paper authorisation (委托书) with its scan."""
    now = now or timezone.now()
    if not can_manage(actor, election):
        raise ElectionError(_("You may not manage this election."))
    _check_proxy_stage(election, now)
    if voter.election_id != election.pk:
        raise ElectionError(_("This voter is not on the roll of this election."))
    check_document(document)
    return _create_proxy(
        election=election,
        voter=voter,
        proxy_mobile=proxy_mobile,
        proxy_name=proxy_name,
        authorised_by=actor,
        on_paper=True,
        document=document,
    )


def proxy_revoke(*, proxy: Proxy, actor: Actor, now: datetime | None = None) -> Proxy:
    """An owner of the principal (or staff running the election) revokes a proxy before it voted."""
    now = now or timezone.now()
    election = proxy.election
    is_owner = owned_voter(election=election, user=actor, voter_id=proxy.principal_id) is not None
    if not is_owner and not can_manage(actor, election):
        raise ElectionError(_("Only an owner of these units can revoke their proxy."))
    _check_proxy_stage(election, now)
    with transaction.atomic():
        principal = Voter.objects.select_for_update(no_key=True).get(pk=proxy.principal_id)
        if (
            principal.designated_owner_id is not None
            and not can_manage(actor, election)
            and not _is_designee(principal.designated_owner_id, actor)
        ):
            raise ElectionError(designation_refusal(principal.designated_owner_id))
        locked = Proxy.objects.select_for_update().get(pk=proxy.pk)
        if locked.status != Proxy.Status.ACTIVE:
            raise ElectionError(_("This proxy was already revoked."))
        if Ballot.objects.filter(proxy=locked, status=Ballot.Status.VALID).exists():
            raise ElectionError(_("The proxy has already voted; the vote stands and cannot be revoked."))
        locked.status = Proxy.Status.REVOKED
        locked.revoked_at = now
        locked.save(update_fields=["status", "revoked_at"])
        record(
            "proxy.revoked",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"proxy for voter #{locked.principal_id} revoked",
            data={"voter": locked.principal_id, "proxy_user": locked.proxy_user_id},
        )
    return locked


# ---------------------------------------------------------------------------------------------
# After the close
# ---------------------------------------------------------------------------------------------


def board_public(election: Election) -> bool:
    """The result, the ballot board and the bundle are public once the result is (never before)."""
    return election.results_public()


def bundle_exportable(election: Election, now: datetime | None = None) -> bool:
    """The bundle may leave the database once voting has closed: counting, or the result public."""
    now = now or timezone.now()
    if election.voting_is_open(now) or election.roll_frozen_at is None:
        return False
    return board_public(election) or election.stage == Stage.COUNTING
