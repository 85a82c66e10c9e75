"""Owners' proposals for a temporary assembly (临时业主大会会议; 指导规则 第二十一条; 物业管理条例
第十三条; RULES.md §7).

An owner of a compound writes a proposal (what the assembly is asked to decide) and signs it;
other owners sign it online, each signed in by SMS. A signature belongs to a voter of the
compound's current roll (``Unit.voter_key``, RULES.md §1): co-owners are one voter and sign once,
a buyer of several homes signs once for all of them. A signature may be withdrawn while the
proposal is open. After each signature the signers are counted against the roll as
``grids.roll.compute_roll`` counts it; when they hold 20 % of the area AND 20 % of the heads
(exact arithmetic, "以上" includes 20 %: :mod:`elections.rules.assembly`) the proposal is
*reached*: the committee in office is told it must convene (a notice through
:mod:`elections.notices`, to the street office where no committee sits), an audit row records the
figures, and no signature can be withdrawn any more. The street board shows the compound until
staff record the assembly convened: an election (by default a vote on matters only, marked a
temporary meeting) created from the proposal.

Every write here is one transaction with its audit row; the proposal's row is locked while it
is signed, so two signatures at once count each other and the threshold is reached once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from elections import lifecycle
from elections.errors import ElectionError
from elections.lifecycle.moves import check_may_manage
from elections.lifecycle.preconditions import share_text
from elections.lifecycle.state import sitting_committee
from elections.lifecycle.vacancies import removal_from_owners, removal_to_agenda
from elections.models import AssemblyProposal, CommitteeMember, Election, Matter, Notice, ProposalSignature
from elections.notices import notice_create, notice_send
from elections.rules.assembly import PROPOSAL_SHARE, PROPOSAL_SOURCE, ProposalSupport
from elections.vacancy_models import MemberRemoval
from grids.models import Compound, Unit
from grids.roll import compute_roll, counted_units
from yezhu.actors import Actor, require_person
from yezhu.audit.log import record

Status = AssemblyProposal.Status


class ProposalError(ElectionError):
    code = "proposal_refused"


@dataclass(frozen=True)
class SignerVoter:
    """A voter of the compound's roll that the signed-in person may sign for, with its homes."""

    key: str
    unit_codes: tuple[str, ...]

    @property
    def units_text(self) -> str:
        return ", ".join(self.unit_codes)[:500]


def signer_voters(compound: Compound, user) -> list[SignerVoter]:
    """The voters of the compound's current roll whose homes are registered to the person: the
    delivered homes that count toward the roll (the developer's unsold and undelivered homes are
    not signed for online)."""
    if not getattr(user, "is_authenticated", False):
        return []
    rows = (
        counted_units(compound)
        .filter(status=Unit.Status.DELIVERED, ownerships__owner__user=user)
        .exclude(voter_key="")
        .values_list("voter_key", "code")
        .order_by("voter_key", "code")
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for key, code in rows:
        found.setdefault(key, []).append(code)
    return [SignerVoter(key, tuple(codes)) for key, codes in found.items()]


def active_signatures(proposal: AssemblyProposal) -> QuerySet[ProposalSignature]:
    return ProposalSignature.objects.filter(proposal=proposal, withdrawn_at__isnull=True)


def proposal_support(proposal: AssemblyProposal) -> ProposalSupport:
    """The signers against the compound's current roll (two queries whatever the roll's size): a
    signature whose voter is no longer on the roll (the home changed hands) does not count."""
    roll = compute_roll(proposal.compound)
    areas = {v.key: v.area for v in roll.voters}
    keys = set(active_signatures(proposal).values_list("voter_key", flat=True))
    signed = [areas[k] for k in keys if k in areas]
    return ProposalSupport(
        signed_area=sum(signed, Decimal("0.00")),
        signed_heads=len(signed),
        total_area=roll.area,
        total_heads=roll.heads,
    )


def _audit(action: str, proposal: AssemblyProposal, *, actor: Actor, summary: str, data: dict) -> None:
    record(action, actor=actor, obj=proposal, compound_id=proposal.compound_id, summary=summary, data=data)


def removable_members(compound: Compound) -> list[CommitteeMember]:
    """The members owners may propose to remove: the seated members of the committee in office."""
    committee = sitting_committee(compound.pk)
    if committee is None:
        return []
    return list(
        CommitteeMember.objects.filter(committee=committee)
        .exclude(role=CommitteeMember.Role.ALTERNATE)
        .order_by("position", "pk")
    )


def proposal_create(
    *,
    compound: Compound,
    actor: Actor,
    title: str,
    text: str,
    removal_of: CommitteeMember | None = None,
) -> AssemblyProposal:
    """An owner of the compound proposes a temporary assembly and signs the proposal.

    ``removal_of``: the assembly is asked to remove this member of the committee in office (罢免,
    RULES.md §7); reaching 20 % records the removal for an assembly's agenda."""
    person = require_person(actor)
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise ProposalError(_("Say what the assembly is asked to decide, and write the proposal in full."))
    if removal_of is not None and removal_of.pk not in {m.pk for m in removable_members(compound)}:
        raise ProposalError(_("Choose a member in office of this compound's committee."))
    if not signer_voters(compound, person):
        raise ProposalError(_("Only owners of homes on this compound's roll may propose an assembly here."))
    with transaction.atomic():
        if AssemblyProposal.objects.filter(compound=compound, created_by=person, status=Status.OPEN).exists():
            raise ProposalError(
                _("You already have a proposal collecting signatures in this compound: share that one.")
            )
        proposal = AssemblyProposal(
            compound=compound, title=title[:200], text=text, created_by=person, removal_of=removal_of
        )
        proposal.full_clean()
        proposal.save()
        _audit(
            "proposal.created",
            proposal,
            actor=actor,
            summary=f"proposal for a temporary assembly: {proposal.title}",
            data={"title": proposal.title, "removal_of": proposal.removal_of_id},
        )
        _sign(proposal, person, actor=actor)
    return proposal


def proposal_sign(*, proposal: AssemblyProposal, actor: Actor) -> AssemblyProposal:
    """Sign for every voter of the roll the person may sign for and that has not signed yet."""
    person = require_person(actor)
    with transaction.atomic():
        locked = AssemblyProposal.objects.select_for_update().select_related("compound").get(pk=proposal.pk)
        _sign(locked, person, actor=actor)
    proposal.refresh_from_db()
    return proposal


def _sign(proposal: AssemblyProposal, person, *, actor: Actor) -> None:
    if proposal.status != Status.OPEN:
        raise ProposalError(
            _("This proposal has already reached its threshold; no more signatures are needed.")
        )
    voters = signer_voters(proposal.compound, person)
    if not voters:
        raise ProposalError(_("Only owners of homes on this compound's roll may sign its proposals."))
    signed = set(active_signatures(proposal).values_list("voter_key", flat=True))
    new = [v for v in voters if v.key not in signed]
    if not new:
        raise ProposalError(_("Your homes have already signed this proposal."))
    created = []
    for voter in new:
        try:
            with transaction.atomic():
                ProposalSignature.objects.create(
                    proposal=proposal, voter_key=voter.key, unit_codes=voter.units_text, signed_by=person
                )
        except IntegrityError:  # a co-owner signed for the same home a moment ago
            continue
        created.append(voter)
    if not created:
        raise ProposalError(_("Your homes have already signed this proposal."))
    _audit(
        "proposal.signed",
        proposal,
        actor=actor,
        summary=f"signed for {', '.join(v.units_text for v in created)}",
        data={"units": [list(v.unit_codes) for v in created]},
    )
    support = proposal_support(proposal)
    if support.met:
        _reach(proposal, support, actor=actor)


def proposal_withdraw(*, proposal: AssemblyProposal, actor: Actor) -> AssemblyProposal:
    """Withdraw the person's own signatures while the proposal is open (not once it has reached
    its threshold: the committee has been told, and its duty does not depend on later minds)."""
    person = require_person(actor)
    with transaction.atomic():
        locked = AssemblyProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != Status.OPEN:
            raise ProposalError(
                _(
                    "The proposal has reached its threshold and the committee has been told: it can no longer be withdrawn."
                )
            )
        mine = active_signatures(locked).filter(signed_by=person)
        units = list(mine.values_list("unit_codes", flat=True))
        if not units:
            raise ProposalError(_("You have not signed this proposal."))
        mine.update(withdrawn_at=timezone.now())
        _audit(
            "proposal.withdrawn",
            locked,
            actor=actor,
            summary=f"signature withdrawn for {', '.join(units)}",
            data={"units": units},
        )
    proposal.refresh_from_db()
    return proposal


def _reach(proposal: AssemblyProposal, support: ProposalSupport, *, actor: Actor) -> None:
    """The threshold is reached: record the figures, tell the committee (or the street office where
    none sits) through a notice, and write the audit row. Runs once: the row is locked and open."""
    committee = sitting_committee(proposal.compound_id)
    audience = Notice.Audience.COMMITTEE if committee is not None else Notice.Audience.STREET_STAFF
    figures = {
        "compound": proposal.compound.name,
        "title": proposal.title,
        "area": f"{support.signed_area:.2f}",
        "area_share": share_text(support.area_share),
        "heads": support.signed_heads,
        "heads_share": share_text(support.heads_share),
        "total_area": f"{support.total_area:.2f}",
        "total_heads": support.total_heads,
        "source": PROPOSAL_SOURCE,
    }
    with translation.override("zh-hans"):
        title = _("Owners propose a temporary assembly: %(title)s") % figures
        body = (
            _(
                "Owners of %(compound)s propose a temporary owners' assembly to decide: %(title)s.\n"
                "The owners who signed hold %(area)s ㎡ of %(total_area)s ㎡ (%(area_share)s) and are %(heads)s of "
                "%(total_heads)s owners (%(heads_share)s): both at least 20 %% (%(source)s). The owners' committee "
                "must convene the temporary assembly."
            )
            % figures
        )
        if committee is None:
            body += "\n" + _(
                "The compound has no committee in office: the street office organises the assembly."
            )
        body += "\n\n" + _("The proposal in full:") + "\n" + proposal.text
    notice = notice_create(
        compound=proposal.compound,
        kind=Notice.Kind.PROPOSAL,
        audience=audience,
        channels=["sms", "inbox"],
        title=title,
        body=body,
        dedupe_key=f"proposal:{proposal.pk}",
        actor=actor,
    )
    notice_send(notice=notice, actor=actor)
    now = timezone.now()
    touched = AssemblyProposal.objects.filter(pk=proposal.pk, status=Status.OPEN).update(
        status=Status.REACHED,
        reached_at=now,
        signed_area=support.signed_area,
        signed_heads=support.signed_heads,
        roll_area=support.total_area,
        roll_heads=support.total_heads,
        notice=notice,
    )
    if touched != 1:  # the caller holds the row lock: this cannot race
        raise ProposalError(_("Someone else changed this proposal a moment ago. Reload the page."))
    removal_from_owners(proposal=proposal, actor=actor)
    _audit(
        "proposal.reached",
        proposal,
        actor=actor,
        summary=(
            f"threshold reached: {figures['area']} ㎡ ({figures['area_share']}) and {support.signed_heads} "
            f"owners ({figures['heads_share']}); {audience} told by notice #{notice.pk}"
        ),
        data={
            "signed_area": figures["area"],
            "signed_heads": support.signed_heads,
            "roll_area": figures["total_area"],
            "roll_heads": support.total_heads,
            "notice": notice.pk,
            "audience": str(audience),
        },
    )


#: The kinds of election staff may create from a proposal (not a first assembly: a compound with
#: owners' proposals has had its assembly).
CONVENE_KINDS = (Election.Kind.MATTERS_ONLY, Election.Kind.REELECTION, Election.Kind.BY_ELECTION)


def proposal_convene(
    *,
    proposal: AssemblyProposal,
    actor: Actor,
    title: str = "",
    kind: str = Election.Kind.MATTERS_ONLY,
) -> Election:
    """Staff record that the temporary assembly is convened: an election created from the proposal
    (a temporary meeting; a vote on matters only carries the proposal as its first matter). The
    street board stops showing the compound."""
    with transaction.atomic():
        locked = AssemblyProposal.objects.select_for_update().select_related("compound").get(pk=proposal.pk)
        check_may_manage(actor, locked.compound_id)
        if locked.status == Status.CONVENED:
            raise ProposalError(_("An assembly has already been convened from this proposal."))
        if locked.status != Status.REACHED:
            raise ProposalError(
                _(
                    "The proposal has not reached %(share)s of the area and of the owners yet: nothing to convene."
                )
                % {"share": share_text(PROPOSAL_SHARE)}
            )
        if kind not in CONVENE_KINDS:
            raise ProposalError(_("Choose a vote on matters, a re-election or a by-election."))
        election = lifecycle.election_create(
            compound=locked.compound,
            title=(title or "").strip()
            or _("Temporary owners' assembly: %(title)s") % {"title": locked.title},
            kind=kind,
            actor=actor,
            # Convening the owners' temporary assembly is the committee's duty once the proposal
            # reached its share (指导规则 第二十一条): a vote under way does not hold it back. A second
            # election of members is still refused.
            concurrent=True,
        )
        election = lifecycle.election_update_settings(election=election, actor=actor, temporary_meeting=True)
        removal = MemberRemoval.objects.filter(proposal=locked, status=MemberRemoval.Status.PROPOSED).first()
        if removal is not None and kind != Election.Kind.REELECTION:
            removal_to_agenda(removal=removal, election=election, actor=actor)
        elif kind == Election.Kind.MATTERS_ONLY:
            lifecycle.matter_save(
                election=election, actor=actor, title=locked.title, text=locked.text, item=Matter.Item.OTHER
            )
        AssemblyProposal.objects.filter(pk=locked.pk).update(
            status=Status.CONVENED,
            election=election,
            convened_at=timezone.now(),
            convened_by=require_person(actor) if getattr(actor, "is_authenticated", False) else None,
        )
        _audit(
            "proposal.convened",
            locked,
            actor=actor,
            summary=f"temporary assembly convened as election #{election.pk}",
            data={"election": election.pk, "kind": kind},
        )
    proposal.refresh_from_db()
    return election
