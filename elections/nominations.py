"""Nominations (候选人推荐/自荐), vetting (资格审查), the composition advisory, objections (异议).

How a nomination moves (each step a service below, each with its audit row):

- An owner of the compound nominates themself (自荐) or another owner (业主推荐) online while the
  election is in the nomination stage. A self-nomination is the nominee's own wish (个人意愿), so it
  is accepted at once. An owners' nomination needs ``election.nominations_required`` distinct
  supporting owners (联名推荐; the nominator counts as the first) before it reaches the nominee.
- The working group (筹备组推荐) or the party organisation (组织推荐) nominates, or staff key in a
  paper form (纸质推荐表); these reach the nominee at once. A paper form needs no online supporters:
  staff have checked the signatures on paper.
- The nominee accepts or declines (个人意愿). Staff may record an acceptance or a refusal the
  nominee gave on paper, for owners who do not use the site. Only accepted nominations are vetted.
- Vetting: negative-list flags with evidence (负面清单), the three opinions (组织意图、业主意见、个人意愿)
  and positive notes (正面清单) may be written while nominations are still coming in (staff vet
  as they go); the decision itself (approve or reject) is taken only in the vetting stage, once
  the list of nominations is closed. Approving creates the candidate (C1, C2, … in approval
  order); rejecting after approval removes the candidate, which is possible only until the
  candidate notice is published (the stage leaves vetting).
- The composition advisory (党员比例、交叉任职、一肩挑、年龄、职业) never blocks anything.
- Objections (异议) are filed by owners during the candidate notice or the result notice and
  answered by staff.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.models import (
    Candidate,
    Election,
    Nomination,
    Objection,
    Race,
    Stage,
    VettingFlag,
)
from elections.selectors import can_manage
from grids.models import Compound, Owner, PartyMember, PartyOrg, Unit
from yezhu.actors import Actor, person, require_person
from yezhu.audit.log import record

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
LIVE = (Nomination.Status.AWAITING_ACCEPTANCE, Nomination.Status.ACCEPTED, Nomination.Status.APPROVED)
OWNER_SOURCES = (Nomination.Source.SELF, Nomination.Source.OWNERS)
STAFF_SOURCES = (Nomination.Source.WORKING_GROUP, Nomination.Source.PARTY, Nomination.Source.PAPER)
VETTING_STAGES = (Stage.NOMINATION, Stage.VETTING)  # flags and opinions: staff may vet as they go
ACCEPT_STAGES = (Stage.NOMINATION, Stage.VETTING)

# What an upload may be, told by its first bytes (the name and the browser's type can lie).
_SIGNATURES = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
_EXTENSIONS = {
    "pdf": {".pdf"},
    "png": {".png"},
    "jpeg": {".jpg", ".jpeg"},
    "gif": {".gif"},
    "webp": {".webp"},
}


#: Salt of the share link that lets people support a nomination.
SUPPORT_SALT = "elections.nomination.support"
PUBLISHED_STAGES = (
    Stage.CANDIDATE_NOTICE,
    Stage.VOTING,
    Stage.COUNTING,
    Stage.RESULT_NOTICE,
    Stage.FILING,
    Stage.DONE,
)


def support_token(nomination: Nomination) -> str:
    """The share link's secret: only people the nominator sends it to can find the nomination."""
    return signing.Signer(salt=SUPPORT_SALT).sign(str(nomination.pk))


def candidate_notice_published(election: Election) -> bool:
    return election.stage in PUBLISHED_STAGES or (
        election.stage == Stage.FAILED and election.candidate_notice_start is not None
    )


# ---------------------------------------------------------------------------------------------
# Who is an owner here
# ---------------------------------------------------------------------------------------------


def eligible_owners(compound: Compound) -> QuerySet[Owner]:
    """Owners registered on a delivered unit of the compound: they may nominate and be nominated."""
    return Owner.objects.filter(
        ownerships__unit__compound=compound, ownerships__unit__status=Unit.Status.DELIVERED
    ).distinct()


def is_eligible_owner(owner: Owner, compound: Compound) -> bool:
    return eligible_owners(compound).filter(pk=owner.pk).exists()


def owners_of_user(user, compound: Compound) -> list[Owner]:
    """The owner records of a signed-in user in this compound (usually one)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(eligible_owners(compound).filter(user=user).order_by("pk"))


def normalise_unit_code(code: str) -> str:
    """Unit numbers as people type them: full-width digits and dashes become plain ones."""
    code = (code or "").strip()
    table = str.maketrans("０１２３４５６７８９－—–―", "0123456789----")
    return code.translate(table).replace(" ", "")


def find_owner(compound: Compound, *, unit_code: str, name: str) -> Owner | None:
    """The owner with exactly this name registered on this unit of the compound, or None.

    The nominator names a unit and a person; the owner list of the compound is never shown.
    """
    code = normalise_unit_code(unit_code)
    name = (name or "").strip()
    if not code or not name:
        return None
    return (
        eligible_owners(compound)
        .filter(ownerships__unit__code=code, ownerships__unit__compound=compound, name=name)
        .first()
    )


def supporters_needed(nomination: Nomination) -> int:
    """How many more supporting owners an owners' nomination needs before it reaches the nominee."""
    if nomination.source != Nomination.Source.OWNERS:
        return 0
    return max(0, nomination.election.nominations_required - nomination.supporters.count())


def reaches_nominee(nomination: Nomination) -> bool:
    return nomination.status == Nomination.Status.AWAITING_ACCEPTANCE and supporters_needed(nomination) == 0


def party_roll_hint(nominee: Owner, compound: Compound) -> dict[str, bool]:
    """What the party roll (党员名册) says about a nominee, for the working group to confirm."""
    rows = list(
        PartyMember.objects.filter(owner=nominee).values_list("org__level", "org__compound_id", "role")
    )
    branch = [
        role
        for level, compound_id, role in rows
        if level == PartyOrg.Level.COMPOUND and compound_id == compound.pk
    ]
    return {
        "party_member": bool(rows),
        "branch_member": bool(branch),
        "branch_secretary": PartyMember.Role.SECRETARY in branch,
    }


# ---------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------


def _sniff(upload: UploadedFile) -> str | None:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def check_upload(upload: UploadedFile | None, *, allow_pdf: bool) -> None:
    """Refuse anything but a JPEG, PNG, GIF or WebP image (or a PDF where allowed) of at most 5 MB."""
    if not upload:
        return
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ElectionError(
            _("The file is %(size)s MB; at most 5 MB is accepted. Take a smaller photo or scan.")
            % {"size": (Decimal(upload.size) / Decimal(1024 * 1024)).quantize(Decimal("0.1"))}
        )
    kind = _sniff(upload)
    name = (upload.name or "").lower()
    ext = name[name.rfind(".") :] if "." in name else ""
    allowed = {"png", "jpeg", "gif", "webp"} | ({"pdf"} if allow_pdf else set())
    if kind not in allowed or ext not in _EXTENSIONS[kind]:
        if allow_pdf:
            raise ElectionError(_("Only photos (JPG, PNG, GIF, WebP) or PDF files are accepted."))
        raise ElectionError(_("Only photos (JPG, PNG, GIF, WebP) are accepted."))


# ---------------------------------------------------------------------------------------------
# Nominating
# ---------------------------------------------------------------------------------------------


def _require_stage(election: Election, stages: tuple[str, ...], message: str) -> None:
    if election.stage not in stages:
        raise ElectionError(message)


def _require_manager(actor: Actor, election: Election) -> None:
    if not can_manage(actor, election):
        raise ElectionError(_("Only the working group or staff in charge of this election may do this."))


def _duplicate_message(nominee: Owner) -> str:
    return _(
        "%(name)s already has a nomination for this race. A second one is not needed: "
        "ask the nominator for the link to support it, or wait for the nominee's answer."
    ) % {"name": nominee.name}


def nomination_create(
    *,
    election: Election,
    race: Race,
    nominee: Owner,
    source: str,
    actor: Actor,
    statement: str = "",
    bio: str = "",
    photo: UploadedFile | None = None,
    party_member: bool = False,
    birth_year: int | None = None,
    occupation: str = "",
) -> Nomination:
    """Record a nomination. Owners nominate online (self/owners); staff for the working group,
    the party organisation or from a paper form. One live nomination per nominee per race."""
    if source not in Nomination.Source.values:
        raise ElectionError(_("Unknown kind of nomination."))
    if race.election_id != election.pk:
        raise ElectionError(_("This race is not part of this election."))
    nominator_owner = None
    if source in OWNER_SOURCES:
        mine = owners_of_user(actor, election.compound)
        if not mine:
            raise ElectionError(
                _(
                    "Only owners of %(compound)s may nominate online. Ask the working group if your home is missing."
                )
                % {"compound": election.compound.name}
            )
        nominator_owner = mine[0]
        is_self = nominee.pk in {o.pk for o in mine}
        if source == Nomination.Source.SELF and not is_self:
            raise ElectionError(_("A self-nomination must name yourself."))
        if source == Nomination.Source.OWNERS and is_self:
            source = Nomination.Source.SELF
    else:
        _require_manager(actor, election)
    _require_stage(
        election,
        (Stage.NOMINATION,),
        _("Nominations are not open: this election is at the stage “%(stage)s”.")
        % {"stage": Stage(election.stage).label},
    )
    if not is_eligible_owner(nominee, election.compound):
        raise ElectionError(
            _("%(name)s is not an owner of a delivered home in %(compound)s and cannot be nominated.")
            % {"name": nominee.name, "compound": election.compound.name}
        )
    check_upload(photo, allow_pdf=False)
    if birth_year is not None and not (1900 <= birth_year <= timezone.localdate().year):
        raise ElectionError(_("The year of birth does not look right."))
    now = timezone.now()
    try:
        with transaction.atomic():
            if Nomination.objects.filter(race=race, nominee=nominee, status__in=LIVE).exists():
                raise ElectionError(_duplicate_message(nominee))
            nomination = Nomination(
                election=election,
                race=race,
                nominee=nominee,
                source=source,
                nominated_by=person(actor),
                statement=statement.strip(),
                bio=bio.strip(),
                party_member=party_member,
                birth_year=birth_year,
                occupation=occupation.strip(),
            )
            if photo:
                nomination.photo = photo
            if source == Nomination.Source.SELF:
                # The nominee's own act is their wish (个人意愿).
                nomination.status = Nomination.Status.ACCEPTED
                nomination.accepted_at = now
                nomination.opinion_self = _("Self-nominated online.")
            nomination.full_clean(exclude=["photo"], validate_constraints=False)
            nomination.save()
            if source == Nomination.Source.OWNERS and nominator_owner is not None:
                nomination.supporters.add(nominator_owner)
            record(
                "nomination.created",
                actor=actor,
                obj=nomination,
                election_id=election.pk,
                compound_id=election.compound_id,
                summary=f"{nomination.get_source_display()}: {nominee.name} for {race.key}",
                data={"source": source, "nominee": nominee.pk, "race": race.key, "status": nomination.status},
            )
    except IntegrityError:
        raise ElectionError(_duplicate_message(nominee)) from None
    return nomination


def nomination_support(
    *,
    nomination: Nomination,
    actor: Actor,
) -> Nomination:
    """An owner of the compound adds their support to an owners' nomination (联名推荐)."""
    election = nomination.election
    with transaction.atomic():
        locked = (
            Nomination.objects.select_for_update(of=("self",))
            .select_related("election", "nominee")
            .get(pk=nomination.pk)
        )
        election = locked.election
        _require_stage(
            election, (Stage.NOMINATION,), _("Nominations are closed; support can no longer be added.")
        )
        if locked.source != Nomination.Source.OWNERS:
            raise ElectionError(_("Only nominations by owners collect supporters."))
        if locked.status != Nomination.Status.AWAITING_ACCEPTANCE:
            raise ElectionError(
                _("This nomination is no longer open for support (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        mine = owners_of_user(actor, election.compound)
        if not mine:
            raise ElectionError(
                _("Only owners of %(compound)s may support a nomination.")
                % {"compound": election.compound.name}
            )
        if locked.nominee_id in {o.pk for o in mine}:
            raise ElectionError(_("You cannot support your own nomination; other owners need to."))
        if locked.supporters.filter(pk__in=[o.pk for o in mine]).exists():
            raise ElectionError(_("You already support this nomination."))
        locked.supporters.add(mine[0])
        count = locked.supporters.count()
        record(
            "nomination.supported",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"support {count}/{election.nominations_required} for {locked.nominee.name}",
            data={"supporter": mine[0].pk, "count": count, "required": election.nominations_required},
        )
    nomination.refresh_from_db()
    return nomination


def _may_answer_for(actor: Actor, nomination: Nomination) -> bool:
    """The nominee's own account, or staff recording an answer the nominee gave on paper."""
    if nomination.nominee.user_id and nomination.nominee.user_id == getattr(actor, "pk", None):
        return True
    return can_manage(actor, nomination.election)


def _answer(
    *,
    nomination: Nomination,
    actor: Actor,
    accept: bool,
    note: str,
    details: dict,
) -> Nomination:
    with transaction.atomic():
        locked = (
            Nomination.objects.select_for_update(of=("self",))
            .select_related("election", "nominee")
            .get(pk=nomination.pk)
        )
        election = locked.election
        if not _may_answer_for(actor, locked):
            raise ElectionError(_("Only the nominee may accept or decline this nomination."))
        _require_stage(
            election,
            ACCEPT_STAGES,
            _(
                "Nominations are closed; the answer can no longer be changed online. Contact the working group."
            ),
        )
        if locked.status != Nomination.Status.AWAITING_ACCEPTANCE:
            raise ElectionError(
                _("This nomination is not waiting for an answer (%(status)s).")
                % {"status": locked.get_status_display()}
            )
        needed = supporters_needed(locked)
        if needed:
            raise ElectionError(
                _("This nomination still needs %(n)s more supporting owners before it can be answered.")
                % {"n": needed}
            )
        on_paper = locked.nominee.user_id != getattr(actor, "pk", None)
        if accept:
            for name, value in details.items():
                if value not in (None, ""):
                    setattr(locked, name, value)
            locked.status = Nomination.Status.ACCEPTED
            locked.accepted_at = timezone.now()
            locked.opinion_self = note.strip() or (
                _("Accepted on paper, recorded by staff.") if on_paper else _("Accepted online.")
            )
        else:
            locked.status = Nomination.Status.DECLINED
            locked.opinion_self = note.strip() or (
                _("Declined on paper, recorded by staff.") if on_paper else _("Declined online.")
            )
        locked.full_clean(exclude=["photo"], validate_constraints=False)
        locked.save()
        record(
            "nomination.accepted" if accept else "nomination.declined",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"{locked.nominee.name} {'accepted' if accept else 'declined'}{' (on paper)' if on_paper else ''}",
            data={"on_paper": on_paper},
        )
    nomination.refresh_from_db()
    return nomination


def nomination_accept(
    *,
    nomination: Nomination,
    actor: Actor,
    note: str = "",
    bio: str = "",
    photo: UploadedFile | None = None,
    birth_year: int | None = None,
    occupation: str = "",
    party_member: bool | None = None,
) -> Nomination:
    """The nominee agrees to stand (个人意愿) and may complete the details shown to owners."""
    check_upload(photo, allow_pdf=False)
    if birth_year is not None and not (1900 <= birth_year <= timezone.localdate().year):
        raise ElectionError(_("The year of birth does not look right."))
    details = {
        "bio": bio.strip(),
        "photo": photo or None,
        "birth_year": birth_year,
        "occupation": occupation.strip(),
        "party_member": party_member,
    }
    return _answer(nomination=nomination, actor=actor, accept=True, note=note, details=details)


def nomination_decline(
    *,
    nomination: Nomination,
    actor: Actor,
    note: str = "",
) -> Nomination:
    """The nominee does not wish to stand; the nomination ends."""
    return _answer(nomination=nomination, actor=actor, accept=False, note=note, details={})


# ---------------------------------------------------------------------------------------------
# Vetting (资格审查)
# ---------------------------------------------------------------------------------------------


def _vettable(nomination: Nomination, actor: Actor) -> Election:
    election = nomination.election
    _require_manager(actor, election)
    _require_stage(
        election,
        VETTING_STAGES,
        _("Vetting is possible only during nominations and vetting; this election is at “%(stage)s”.")
        % {"stage": Stage(election.stage).label},
    )
    return election


def vetting_flag_add(
    *,
    nomination: Nomination,
    actor: Actor,
    kind: str,
    note: str = "",
    evidence: UploadedFile | None = None,
) -> VettingFlag:
    """Note a negative-list finding (负面清单) against a nomination, with optional evidence."""
    election = _vettable(nomination, actor)
    if kind not in VettingFlag.Kind.values:
        raise ElectionError(_("Unknown kind of finding."))
    if kind == VettingFlag.Kind.OTHER and not note.strip():
        raise ElectionError(_("Say what the finding is."))
    check_upload(evidence, allow_pdf=True)
    with transaction.atomic():
        flag = VettingFlag(nomination=nomination, kind=kind, note=note.strip(), created_by=person(actor))
        if evidence:
            flag.evidence = evidence
        flag.save()
        record(
            "nomination.flagged",
            actor=actor,
            obj=flag,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"{flag.get_kind_display()} on nomination #{nomination.pk}",
            data={"nomination": nomination.pk, "kind": kind, "evidence": bool(evidence)},
        )
    return flag


def vetting_update(
    *,
    nomination: Nomination,
    actor: Actor,
    opinion_party: str,
    opinion_owners: str,
    opinion_self: str,
    positive_notes: str,
    party_member: bool,
    branch_member: bool,
    branch_secretary: bool,
) -> Nomination:
    """Write the three opinions (组织意图、业主意见、个人意愿), the positive notes (正面清单) and the
    party membership as the working group confirmed it (shown on the candidate notice)."""
    election = _vettable(nomination, actor)
    with transaction.atomic():
        locked = Nomination.objects.select_for_update().get(pk=nomination.pk)
        before = {
            "party_member": locked.party_member,
            "branch_member": locked.branch_member,
            "branch_secretary": locked.branch_secretary,
        }
        locked.opinion_party = opinion_party.strip()
        locked.opinion_owners = opinion_owners.strip()
        locked.opinion_self = opinion_self.strip()
        locked.positive_notes = positive_notes.strip()
        locked.party_member = party_member or branch_member or branch_secretary
        locked.branch_member = branch_member or branch_secretary
        locked.branch_secretary = branch_secretary
        locked.save()
        after = {
            "party_member": locked.party_member,
            "branch_member": locked.branch_member,
            "branch_secretary": locked.branch_secretary,
        }
        # An approved candidate keeps the working group's latest word until the notice is out.
        Candidate.objects.filter(nomination=locked).update(**after)
        record(
            "nomination.vetted",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"vetting notes for {locked.nominee}",
            data={"before": before, "after": after},
        )
    nomination.refresh_from_db()
    return nomination


def _renumber(race: Race) -> None:
    """Keys C1, C2, … in approval order without gaps (before the notice, nothing is published).

    Two passes through temporary keys, so that no step trips the unique key of the race.
    """
    rows = list(
        Candidate.objects.filter(race=race).order_by("position", "pk").values_list("pk", "key", "position")
    )
    wanted = {pk: (f"C{n}", n) for n, (pk, _key, _pos) in enumerate(rows, start=1)}
    changed = [pk for pk, key, pos in rows if (key, pos) != wanted[pk]]
    for pk in changed:
        Candidate.objects.filter(pk=pk).update(key=f"~{pk}"[:10])
    for pk in changed:
        key, position = wanted[pk]
        Candidate.objects.filter(pk=pk).update(key=key, position=position)


def nomination_decide(
    *,
    nomination: Nomination,
    actor: Actor,
    approve: bool,
    reason: str = "",
) -> Nomination:
    """Approve a vetted nomination as a candidate, or reject it with a reason the nominee reads."""
    election = nomination.election
    _require_manager(actor, election)
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ElectionError(
            _(
                "Give the reason for not approving: the nominee will read it, so write it plainly and politely."
            )
        )
    try:
        with transaction.atomic():
            locked_election = Election.objects.select_for_update().get(pk=election.pk)
            if locked_election.stage != Stage.VETTING:
                if locked_election.stage in (
                    Stage.NOMINATION,
                    Stage.STARTED,
                    Stage.WORKING_GROUP,
                    Stage.NOTICE,
                ):
                    raise ElectionError(
                        _(
                            "Decisions are taken in the vetting stage, after nominations close. Flags and opinions can be written now."
                        )
                    )
                raise ElectionError(
                    _(
                        "The candidate notice is already published; the list of candidates can no longer be changed here."
                    )
                )
            locked = (
                Nomination.objects.select_for_update(of=("self",))
                .select_related("race", "nominee")
                .get(pk=nomination.pk)
            )
            previous = locked.status
            if approve:
                if previous not in (Nomination.Status.ACCEPTED, Nomination.Status.REJECTED):
                    raise ElectionError(
                        _("Only a nomination the nominee accepted can be approved (this one is: %(status)s).")
                        % {"status": locked.get_status_display()}
                    )
                if previous == Nomination.Status.REJECTED and locked.accepted_at is None:
                    raise ElectionError(_("The nominee never accepted this nomination."))
                race = locked.race
                last = Candidate.objects.filter(race=race).order_by("-position").first()
                position = (last.position if last else 0) + 1
                Candidate.objects.create(
                    race=race,
                    key=f"~n{locked.pk}"[:10],
                    name=locked.nominee.name,
                    owner=locked.nominee,
                    nomination=locked,
                    bio=locked.bio,
                    photo=locked.photo.name if locked.photo else "",
                    party_member=locked.party_member,
                    branch_member=locked.branch_member,
                    branch_secretary=locked.branch_secretary,
                    birth_year=locked.birth_year,
                    occupation=locked.occupation,
                    position=position,
                )
                _renumber(race)
                locked.status = Nomination.Status.APPROVED
            else:
                if previous not in (Nomination.Status.ACCEPTED, Nomination.Status.APPROVED):
                    raise ElectionError(
                        _(
                            "Only an accepted or approved nomination can be rejected (this one is: %(status)s)."
                        )
                        % {"status": locked.get_status_display()}
                    )
                if previous == Nomination.Status.APPROVED:
                    Candidate.objects.filter(nomination=locked).delete()
                    _renumber(locked.race)
                locked.status = Nomination.Status.REJECTED
            locked.decision_reason = reason
            locked.decided_by = person(actor)
            locked.decided_at = timezone.now()
            locked.save()
            candidate = Candidate.objects.filter(nomination=locked).first()
            record(
                "nomination.approved" if approve else "nomination.rejected",
                actor=actor,
                obj=locked,
                election_id=election.pk,
                compound_id=election.compound_id,
                summary=f"{locked.nominee.name}: {previous} → {locked.status}"
                + (f" as {candidate.key}" if candidate else ""),
                data={
                    "previous": previous,
                    "reason": reason,
                    "candidate": candidate.key if candidate else None,
                },
            )
    except IntegrityError:
        raise ElectionError(_duplicate_message(nomination.nominee)) from None
    nomination.refresh_from_db()
    return nomination


# ---------------------------------------------------------------------------------------------
# The composition advisory (结构建议, never blocking)
# ---------------------------------------------------------------------------------------------


def _age_buckets() -> tuple[tuple[int, int, str], ...]:
    return (
        (0, 39, _("under 40")),
        (40, 49, _("40–49")),
        (50, 59, _("50–59")),
        (60, 69, _("60–69")),
        (70, 200, _("70 and over")),
    )


@dataclass(frozen=True)
class Spread:
    label: str
    count: int


@dataclass(frozen=True)
class CompositionAdvisory:
    candidates: int
    seats: int
    party_members: int
    party_share: Fraction | None  # None when there are no candidates
    party_share_percent: int | None
    target: Decimal
    target_percent: int
    meets_target: bool
    more_party_members_needed: int  # among the same number of candidates
    branch_members: int  # 交叉任职
    secretary_stands: bool  # 一肩挑
    ages: tuple[Spread, ...] = field(default_factory=tuple)
    occupations: tuple[Spread, ...] = field(default_factory=tuple)
    verdict: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _percent(value: Fraction) -> int:
    return int(
        (Decimal(value.numerator) * 100 / Decimal(value.denominator)).quantize(Decimal(1), ROUND_HALF_UP)
    )


def composition_advisory(election: Election, *, today: dt.date | None = None) -> CompositionAdvisory:
    """How the approved candidates compare with the street's advice. Advisory only."""
    today = today or timezone.localdate()
    street = election.compound.community.street
    target = street.party_share_target
    target_fraction = Fraction(target)
    candidates = list(Candidate.objects.filter(race__election=election))
    seats = sum(Race.objects.filter(election=election).values_list("seats", flat=True))
    n = len(candidates)
    party = sum(1 for c in candidates if c.party_member)
    branch = sum(1 for c in candidates if c.branch_member or c.branch_secretary)
    secretary = any(c.branch_secretary for c in candidates)
    share = Fraction(party, n) if n else None
    meets = share is not None and share >= target_fraction
    needed = 0 if not n else max(0, math.ceil(target_fraction * n) - party)
    buckets = _age_buckets()
    ages: Counter[str] = Counter()
    for c in candidates:
        if not c.birth_year:
            ages[_("not given")] += 1
            continue
        age = today.year - c.birth_year
        for low, high, label in buckets:
            if low <= age <= high:
                ages[label] += 1
                break
    age_order = [label for _low, _high, label in buckets] + [_("not given")]
    occupations = Counter((c.occupation.strip() or _("not given")) for c in candidates)
    target_percent = _percent(target_fraction)
    if share is None:
        verdict = _("No candidate has been approved yet.")
    elif share >= target_fraction:  # meets
        verdict = _(
            "%(party)s of %(n)s candidates are party members (%(share)s%%); the street's target is "
            "%(target)s%%: the target is met."
        ) % {"party": party, "n": n, "share": _percent(share), "target": target_percent}
    else:
        verdict = _(
            "%(party)s of %(n)s candidates are party members (%(share)s%%); the street's target is "
            "%(target)s%%: %(more)s more party members among the candidates would meet it."
        ) % {"party": party, "n": n, "share": _percent(share), "target": target_percent, "more": needed}
    notes = []
    if n and seats:
        if n < seats:
            notes.append(_("Fewer candidates (%(n)s) than seats (%(seats)s).") % {"n": n, "seats": seats})
        elif n == seats:
            notes.append(_("As many candidates as seats (等额选举)."))
        else:
            notes.append(_("%(extra)s more candidates than seats (差额选举).") % {"extra": n - seats})
    if n:
        if branch:
            notes.append(
                _("%(n)s candidates are also on the compound party branch (交叉任职).") % {"n": branch}
            )
        else:
            notes.append(_("No candidate is on the compound party branch (交叉任职)."))
        if secretary:
            notes.append(_("The party branch secretary stands (一肩挑 possible)."))
    return CompositionAdvisory(
        candidates=n,
        seats=seats,
        party_members=party,
        party_share=share,
        party_share_percent=_percent(share) if share is not None else None,
        target=target,
        target_percent=target_percent,
        meets_target=meets,
        more_party_members_needed=needed,
        branch_members=branch,
        secretary_stands=secretary,
        ages=tuple(Spread(label, ages[label]) for label in age_order if ages[label]),
        occupations=tuple(Spread(label, count) for label, count in occupations.most_common()),
        verdict=verdict,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# Objections (异议)
# ---------------------------------------------------------------------------------------------


def objection_window(election: Election, today: dt.date) -> str | None:
    """Which objection window is open today: "candidate", "result", or None.

    A date the working group left empty does not bound the window on that side.
    """
    if election.stage == Stage.CANDIDATE_NOTICE:
        start, end = election.candidate_notice_start, election.candidate_notice_end
        if (start is None or start <= today) and (end is None or today <= end):
            return Objection.Kind.CANDIDATE
    if election.stage == Stage.RESULT_NOTICE:
        end = election.objection_window_end
        if end is None or today <= end:
            return Objection.Kind.RESULT
    return None


def objection_file(
    *,
    election: Election,
    actor: Actor,
    text: str,
    candidate: Candidate | None = None,
    today: dt.date | None = None,
) -> Objection:
    """An owner objects to a candidate (候选人公示) or to the result (结果公示), inside the window."""
    today = today or timezone.localdate()
    if not owners_of_user(actor, election.compound):
        raise ElectionError(
            _("Only owners of %(compound)s may file an objection.") % {"compound": election.compound.name}
        )
    kind = objection_window(election, today)
    if kind is None:
        raise ElectionError(
            _("Objections can be filed only while the candidate notice or the result notice is up.")
        )
    text = (text or "").strip()
    if len(text) < 5:
        raise ElectionError(_("Write what your objection is and why, so the working group can look into it."))
    if candidate is not None:
        if candidate.race.election_id != election.pk:
            raise ElectionError(_("This candidate is not on this election."))
        if kind != Objection.Kind.CANDIDATE:
            candidate = None
    with transaction.atomic():
        objection = Objection.objects.create(
            election=election,
            kind=kind,
            candidate=candidate,
            filed_by=require_person(actor),
            text=text[:5000],
        )
        record(
            "objection.filed",
            actor=actor,
            obj=objection,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"{objection.get_kind_display()}" + (f" about {candidate.key}" if candidate else ""),
            data={"kind": kind, "candidate": candidate.key if candidate else None},
        )
    return objection


def objection_answer(
    *,
    objection: Objection,
    actor: Actor,
    answer: str,
) -> Objection:
    """Staff answer an objection; the owner who filed it reads the answer."""
    election = objection.election
    _require_manager(actor, election)
    answer = (answer or "").strip()
    if not answer:
        raise ElectionError(_("Write the answer to the objection."))
    with transaction.atomic():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        previous = locked.answer
        locked.answer = answer
        locked.answered_by = person(actor)
        locked.answered_at = timezone.now()
        locked.save(update_fields=["answer", "answered_by", "answered_at"])
        record(
            "objection.answered",
            actor=actor,
            obj=locked,
            election_id=election.pk,
            compound_id=election.compound_id,
            summary=f"objection #{locked.pk} answered" + (" again" if previous else ""),
            data={"previous": previous},
        )
    objection.refresh_from_db()
    return objection


def my_pending_nominations(user, election: Election) -> list[Nomination]:
    """Nominations of this user waiting for their answer (after enough supporters)."""
    rows = (
        Nomination.objects.filter(
            election=election, nominee__user=user, status=Nomination.Status.AWAITING_ACCEPTANCE
        )
        .select_related("race", "nominee", "election")
        .order_by("created_at")
    )
    return [n for n in rows if reaches_nominee(n)]


def nominations_of_user(user, election: Election) -> QuerySet[Nomination]:
    """Nominations the user made, of the user, or supported: what their own page lists."""
    mine = owners_of_user(user, election.compound)
    return (
        Nomination.objects.filter(election=election)
        .filter(Q(nominee__in=mine) | Q(nominated_by=user) | Q(supporters__in=mine))
        .select_related("race", "nominee", "election")
        .distinct()
        .order_by("created_at")
    )
