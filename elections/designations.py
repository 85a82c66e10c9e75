"""Co-owners designate the one of them who votes for their home (共有人指定投票人).

Co-owners of a home (共有人) are one owner with one vote (RULES.md §1); without a designation any
of them may cast it, and the first valid ballot stands. The law leaves who speaks for co-owners to
the co-owners themselves (民法典 第301条 asks for the agreement of co-owners holding two-thirds for
major acts, 第300条 lets them agree how the thing is managed); Yezhu reads a designation as an
agreement of all of them, so that no co-owner loses the vote without consenting:

- **online**: a co-owner proposes one co-owner (themselves or another); every other co-owner
  confirms on their own account; the designation is in force when the last one has confirmed;
- **on paper**: staff record a written designation signed by every co-owner, with its scan.

While a designation is in force only the designee casts the home's ballot, online or through a
proxy they give; the others see who was designated. Any co-owner (their consent was needed) or
staff may withdraw it until the home has voted. Designations are made while proxies may be given
(the roll frozen, voting not closed), one live designation per home (the database holds it).

Every write locks the voter's row first (FOR NO KEY UPDATE, as the online cast does) and reads
after the lock, so a designation coming into force and a co-owner's cast cannot both succeed:
either the ballot stands and the designation is refused, or the designation holds and the cast is
refused (tests/elections/test_concurrency.py).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import Ballot, Designation, Election, Proxy, Voter
from elections.selectors import can_manage, frozen_owner_ids
from elections.voting import check_document, proxies_open
from grids.models import Owner
from yezhu.actors import Actor, person, require_person
from yezhu.audit.log import record

LIVE = (Designation.Status.PROPOSED, Designation.Status.ACTIVE)


# ---------------------------------------------------------------------------------------------
# Reads
# ---------------------------------------------------------------------------------------------


def co_owners(voter: Voter) -> list[Owner]:
    """The registered owners of a frozen voter, by name."""
    return list(
        Owner.objects.filter(pk__in=frozen_owner_ids(voter.key, voter.units_snapshot)).order_by("name", "pk")
    )


def live_designation(voter: Voter) -> Designation | None:
    return Designation.objects.filter(voter=voter, status__in=LIVE).select_related("designee").first()


def own_records(voter: Voter, user) -> set[int]:
    """The owner records of this user among the voter's co-owners (usually one)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    ids = frozen_owner_ids(voter.key, voter.units_snapshot)
    return set(Owner.objects.filter(pk__in=ids, user=user).values_list("pk", flat=True))


def waiting_for(designation: Designation) -> list[Owner]:
    """The co-owners who have not confirmed a proposed designation yet."""
    confirmed = set(designation.confirmed_by or ())
    return [o for o in co_owners(designation.voter) if o.pk not in confirmed]


# ---------------------------------------------------------------------------------------------
# Checks shared by the writes
# ---------------------------------------------------------------------------------------------


def _check_open(election: Election, now: datetime) -> None:
    if not proxies_open(election, now):
        raise ElectionError(
            _(
                "A designation can be made or withdrawn only while the roll is frozen and voting has not closed."
            )
        )


def _lock(voter: Voter) -> Voter:
    """The voter's row, locked as the online cast locks it; everything decided is read after."""
    return Voter.objects.select_for_update(no_key=True).get(pk=voter.pk)


def _check_may_take_effect(voter: Voter) -> None:
    """Under the voter's lock: the home has not voted and no proxy holds its vote."""
    if Ballot.objects.filter(voter=voter, status=Ballot.Status.VALID).exists():
        raise ElectionError(_("This home has already voted; a designation is no longer possible."))
    if Proxy.objects.filter(principal=voter, status=Proxy.Status.ACTIVE).exists():
        raise ElectionError(
            _("A proxy holds this home's vote. Revoke the proxy before designating a co-owner.")
        )


def _designee(voter: Voter, designee_id: int) -> Owner:
    owners = {o.pk: o for o in co_owners(voter)}
    if len(owners) < 2:
        raise ElectionError(_("Only a home with several co-owners designates one of them to vote."))
    if designee_id not in owners:
        raise ElectionError(_("The designated person must be one of the co-owners of this home."))
    return owners[designee_id]


def _activate(designation: Designation, voter: Voter, now: datetime) -> None:
    designation.status = Designation.Status.ACTIVE
    designation.activated_at = now
    designation.save(update_fields=["status", "activated_at", "confirmed_by"])
    Voter.objects.filter(pk=voter.pk).update(designated_owner=designation.designee_id)
    voter.designated_owner_id = designation.designee_id


def _audit(action: str, designation: Designation, *, actor: Actor, summary: str, **data) -> None:
    record(
        action,
        actor=actor,
        obj=designation,
        election_id=designation.election_id,
        compound_id=designation.election.compound_id,
        summary=summary,
        data={"voter": designation.voter_id, "designee": designation.designee_id, **data},
    )


def _create(
    *,
    election: Election,
    voter: Voter,
    designee: Owner,
    actor: Actor,
    via: str,
    confirmed: list[int],
    document=None,
) -> Designation:
    try:
        with transaction.atomic():
            return Designation.objects.create(
                election=election,
                voter=voter,
                designee=designee,
                via=via,
                confirmed_by=sorted(set(confirmed)),
                document=document or "",
                created_by=require_person(actor),
            )
    except IntegrityError:
        raise ElectionError(
            _("A designation for this home is already waiting or in force; withdraw it first.")
        ) from None


# ---------------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------------


def designation_propose(
    *, election: Election, voter: Voter, actor: Actor, designee_id: int, now: datetime | None = None
) -> Designation:
    """A co-owner proposes the co-owner who will vote for the home (themselves or another); it is
    in force once every other co-owner has confirmed."""
    now = now or timezone.now()
    if voter.election_id != election.pk:
        raise ElectionError(_("This voter is not on the roll of this election."))
    _check_open(election, now)
    with transaction.atomic():
        locked = _lock(voter)
        mine = own_records(locked, actor)
        if not mine:
            raise ElectionError(_("Only a co-owner of this home can designate who votes for it."))
        designee = _designee(locked, designee_id)
        if live_designation(locked) is not None:
            raise ElectionError(
                _("A designation for this home is already waiting or in force; withdraw it first.")
            )
        _check_may_take_effect(locked)
        designation = _create(
            election=election,
            voter=locked,
            designee=designee,
            actor=actor,
            via=Designation.Via.ONLINE,
            confirmed=list(mine),
        )
        _audit(
            "designation.proposed",
            designation,
            actor=actor,
            summary=f"co-owner designation proposed for voter #{locked.pk}",
            confirmed=designation.confirmed_by,
        )
        if not waiting_for(designation):
            _activate(designation, locked, now)
            _audit(
                "designation.active",
                designation,
                actor=actor,
                summary=f"designation in force for voter #{locked.pk}",
            )
    return designation


def designation_confirm(
    *, designation: Designation, actor: Actor, now: datetime | None = None
) -> Designation:
    """Another co-owner agrees; the last agreement puts the designation in force, provided the
    home has not voted and no proxy holds its vote (checked under the voter's lock)."""
    now = now or timezone.now()
    election = designation.election
    _check_open(election, now)
    with transaction.atomic():
        voter = _lock(designation.voter)
        locked = Designation.objects.select_for_update().get(pk=designation.pk)
        if locked.status != Designation.Status.PROPOSED:
            raise ElectionError(_("This designation is no longer waiting for confirmation."))
        mine = own_records(voter, actor)
        if not mine:
            raise ElectionError(_("Only a co-owner of this home can confirm the designation."))
        if mine <= set(locked.confirmed_by or ()):
            raise ElectionError(_("You have already agreed to this designation."))
        locked.confirmed_by = sorted(set(locked.confirmed_by or ()) | mine)
        locked.save(update_fields=["confirmed_by"])
        _audit(
            "designation.confirmed",
            locked,
            actor=actor,
            summary=f"co-owner designation confirmed for voter #{voter.pk}",
            confirmed=locked.confirmed_by,
        )
        if not waiting_for(locked):
            _check_may_take_effect(voter)
            _activate(locked, voter, now)
            _audit(
                "designation.active",
                locked,
                actor=actor,
                summary=f"designation in force for voter #{voter.pk}",
            )
    designation.refresh_from_db()
    return designation


def designation_record_paper(
    *,
    election: Election,
    voter: Voter,
    actor: Actor,
    designee_id: int,
    document,
    now: datetime | None = None,
) -> Designation:
    """Staff record a written designation signed by every co-owner, with its scan: in force at once."""
    now = now or timezone.now()
    if not can_manage(actor, election):
        raise ElectionError(_("You may not manage this election."))
    if voter.election_id != election.pk:
        raise ElectionError(_("This voter is not on the roll of this election."))
    _check_open(election, now)
    check_document(document)
    with transaction.atomic():
        locked = _lock(voter)
        designee = _designee(locked, designee_id)
        if live_designation(locked) is not None:
            raise ElectionError(
                _("A designation for this home is already waiting or in force; withdraw it first.")
            )
        _check_may_take_effect(locked)
        designation = _create(
            election=election,
            voter=locked,
            designee=designee,
            actor=actor,
            via=Designation.Via.PAPER,
            confirmed=[o.pk for o in co_owners(locked)],
            document=document,
        )
        _activate(designation, locked, now)
        _audit(
            "designation.recorded",
            designation,
            actor=actor,
            summary=f"written co-owner designation recorded for voter #{locked.pk}",
        )
    return designation


def designation_withdraw(
    *, designation: Designation, actor: Actor, now: datetime | None = None
) -> Designation:
    """Any co-owner of the home, or staff who run the election, withdraws a designation (waiting
    or in force) while the home has not voted; the home is then "first valid ballot stands" again."""
    now = now or timezone.now()
    election = designation.election
    _check_open(election, now)
    with transaction.atomic():
        voter = _lock(designation.voter)
        locked = Designation.objects.select_for_update().get(pk=designation.pk)
        if not own_records(voter, actor) and not can_manage(actor, election):
            raise ElectionError(_("Only a co-owner of this home can withdraw the designation."))
        if locked.status not in LIVE:
            raise ElectionError(_("This designation was already withdrawn."))
        if Ballot.objects.filter(voter=voter, status=Ballot.Status.VALID).exists():
            raise ElectionError(_("This home has already voted; the designation stays as it was."))
        was = locked.status
        locked.status = Designation.Status.WITHDRAWN
        locked.withdrawn_by = person(actor)
        locked.withdrawn_at = now
        locked.save(update_fields=["status", "withdrawn_by", "withdrawn_at"])
        if was == Designation.Status.ACTIVE:
            Voter.objects.filter(pk=voter.pk).update(designated_owner=None)
        _audit(
            "designation.withdrawn",
            locked,
            actor=actor,
            summary=f"co-owner designation withdrawn for voter #{voter.pk} (was {was})",
            previous=was,
        )
    designation.refresh_from_db()
    return designation
