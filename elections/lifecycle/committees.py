"""The committee register (:class:`~elections.models.Committee`): entering a committee elected
before Yezhu, its dates and its members. The committee elected here is put on the register by the
transition ``committee_from_result`` (:mod:`elections.lifecycle.stages`)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.lifecycle.interim import property_committee_dissolve_if_succeeded
from elections.lifecycle.moves import check_may_manage, refuse_if_any
from elections.models import (
    Committee,
    CommitteeDocument,
    CommitteeMember,
)
from elections.rules import credit_code
from grids.models import Compound
from yezhu.actors import Actor
from yezhu.audit.log import record


def committee_audit(action: str, committee: Committee, *, actor: Actor, summary: str, data: dict) -> None:
    record(
        action,
        actor=actor,
        obj=committee,
        compound_id=committee.compound_id,
        election_id=committee.election_id,
        summary=summary,
        data=data,
    )


def committee_register(
    *,
    compound: Compound,
    actor: Actor,
    term_start: date,
    term_end: date,
    filed_on: date | None = None,
    first_meeting_on: date | None = None,
    officers_published_on: date | None = None,
) -> Committee:
    """Register a committee already sitting (elected before Yezhu was used) by hand.

    Refused while another committee of the compound is in office, or for a term over five years.
    """
    check_may_manage(actor, compound.pk)
    with transaction.atomic():
        # One registration at a time per compound, so two clerks cannot both add a committee.
        Compound.objects.select_for_update().filter(pk=compound.pk).values_list("pk").first()
        committee = Committee(
            compound=compound,
            term_start=term_start,
            term_end=term_end,
            filed_on=filed_on,
            first_meeting_on=first_meeting_on,
            officers_published_on=officers_published_on,
        )
        if term_end <= term_start:
            raise ElectionError(_("The term must end after it starts."))
        refuse_if_any(committee.term_problems())
        committee.full_clean()
        committee.save()
        committee_audit(
            "committee.registered",
            committee,
            actor=actor,
            summary=f"committee registered by hand: {term_start} – {term_end}",
            data={"term_start": term_start.isoformat(), "term_end": term_end.isoformat()},
        )
        # A committee that took office after the compound's 物管会 was formed ends the 物管会.
        property_committee_dissolve_if_succeeded(compound_id=compound.pk, actor=actor)
    return committee


COMMITTEE_DATES = (
    "term_start",
    "term_end",
    "first_meeting_on",
    "officers_published_on",
    "filed_on",
    "ended_on",
    "handed_over_on",
)


def committee_update(*, committee: Committee, actor: Actor, **dates: date | None) -> Committee:
    """Record the first meeting, the officers' notice, the filing, leaving office or the handover.

    The filing of a committee elected here is recorded by :func:`election_file`; its term is set
    by the election and changes only by hand-registered committees.
    """
    unknown = set(dates) - set(COMMITTEE_DATES)
    if unknown:
        raise TypeError(f"unknown committee dates: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        check_may_manage(actor, fresh.compound_id)
        if fresh.election_id is not None:
            for name in ("term_start", "term_end", "filed_on"):
                if name in dates and dates[name] != getattr(fresh, name):
                    raise ElectionError(
                        _("The term and the filing of a committee elected here follow its election.")
                    )
        changed = {}
        for name, value in dates.items():
            if getattr(fresh, name) != value:
                changed[name] = value.isoformat() if value else None
                setattr(fresh, name, value)
        if fresh.term_end <= fresh.term_start:
            raise ElectionError(_("The term must end after it starts."))
        if not changed:
            return fresh
        if "ended_on" in changed and fresh.ended_on is None:
            # Back in office: one at a time per compound (the lock as in committee_register).
            Compound.objects.select_for_update().filter(pk=fresh.compound_id).values_list("pk").first()
        refuse_if_any(fresh.term_problems())
        fresh.full_clean()
        fresh.save()
        committee_audit(
            "committee.updated",
            fresh,
            actor=actor,
            summary="committee dates: " + ", ".join(changed),
            data=changed,
        )
    committee.refresh_from_db()
    return committee


def committee_member_save(
    *,
    committee: Committee,
    actor: Actor,
    member: CommitteeMember | None = None,
    name: str,
    role: str = CommitteeMember.Role.MEMBER,
    party_member: bool = False,
    cross_post: bool = False,
    branch_secretary: bool = False,
) -> CommitteeMember:
    """Add or change a member: one chair at most (主任), officers elected at the first meeting."""
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        check_may_manage(actor, fresh.compound_id)
        if member is not None and member.committee_id != fresh.pk:
            raise ElectionError(_("This member belongs to another committee."))
        if role == CommitteeMember.Role.CHAIR:
            others = CommitteeMember.objects.filter(committee=fresh, role=CommitteeMember.Role.CHAIR)
            if member is not None:
                others = others.exclude(pk=member.pk)
            if others.exists():
                raise ElectionError(
                    _("The committee already has a chair; make the present chair a member first.")
                )
        if member is None:
            position = (fresh.members.aggregate(m=Max("position"))["m"] or 0) + 1
            member = CommitteeMember(committee=fresh, position=position)
        member.name, member.role = name.strip(), role
        member.party_member, member.cross_post = party_member, cross_post
        member.branch_secretary = branch_secretary
        member.full_clean()
        member.save()
        committee_audit(
            "committee.member_saved",
            fresh,
            actor=actor,
            summary=f"committee member {member.name}: {role}",
            data={
                "member": member.pk,
                "name": member.name,
                "role": role,
                "party": party_member,
                "cross_post": cross_post,
                "branch_secretary": branch_secretary,
            },
        )
    return member


def committee_member_remove(
    *,
    member: CommitteeMember,
    actor: Actor,
) -> None:
    with transaction.atomic():
        committee = Committee.objects.select_for_update().get(pk=member.committee_id)
        check_may_manage(actor, committee.compound_id)
        committee_audit(
            "committee.member_removed",
            committee,
            actor=actor,
            summary=f"committee member removed: {member.name}",
            data={"member": member.pk, "name": member.name, "role": member.role},
        )
        member.delete()


# ---------------------------------------------------------------------------------------------
# The committee as a legal entity (民办非企业单位: registration, credit code, bank account, seal)
# ---------------------------------------------------------------------------------------------

ENTITY_FIELDS = (
    "registration_number",
    "credit_code",
    "registered_on",
    "bank_name",
    "bank_account",
    "seal_filed_on",
    "seal_filing_number",
)
CREDIT_CODE_PROBLEMS = {
    "length": _("A unified social credit code has 18 characters."),
    "characters": _(
        "A unified social credit code has digits and capital letters other than I, O, S, V and Z."
    ),
    "check": _(
        "This unified social credit code's last character does not match: check it against the certificate."
    ),
}
#: Documents: PDF or pictures, at most 10 MB, recognised by their first bytes (not by name alone).
DOCUMENT_SIGNATURES = {
    ".pdf": b"%PDF",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".png": b"\x89PNG\r\n\x1a\n",
}
DOCUMENT_TYPES = tuple(DOCUMENT_SIGNATURES)
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def _document_problem(file) -> str:
    name = (getattr(file, "name", "") or "").lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    if extension not in DOCUMENT_SIGNATURES:
        return _("Upload a PDF or a picture (JPG or PNG).")
    if (getattr(file, "size", 0) or 0) > DOCUMENT_MAX_BYTES:
        return _("The file is larger than 10 MB.")
    head = file.read(16)
    file.seek(0)
    if not head.startswith(DOCUMENT_SIGNATURES[extension]):
        return _("This file is not the PDF or picture its name says: upload the scanned document itself.")
    return ""


def _masked(account: str) -> str:
    return f"…{account[-4:]}" if account else ""


def committee_entity_update(*, committee: Committee, actor, **values) -> Committee:
    """Record the committee's registration as a legal entity, its bank account and its seal filing.
    The audit row names what changed (the account number only by its last four digits)."""
    unknown = set(values) - set(ENTITY_FIELDS)
    if unknown:
        raise TypeError(f"unknown entity fields: {sorted(unknown)}")
    for name in ("registration_number", "bank_name", "seal_filing_number"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "credit_code" in values:
        values["credit_code"] = credit_code.normalise(values["credit_code"] or "")
        found = credit_code.problem(values["credit_code"]) if values["credit_code"] else None
        if found:
            raise ElectionError(str(CREDIT_CODE_PROBLEMS[found]), code="bad_credit_code")
    if "bank_account" in values:
        account = "".join((values["bank_account"] or "").split())
        if account and (not account.isdigit() or not 6 <= len(account) <= 32):
            raise ElectionError(_("A bank account number has 6 to 32 digits."), code="bad_bank_account")
        values["bank_account"] = account
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        check_may_manage(actor, fresh.compound_id)
        changed = {}
        for name, value in values.items():
            if getattr(fresh, name) != value:
                setattr(fresh, name, value)
                shown = _masked(value) if name == "bank_account" else value
                changed[name] = shown.isoformat() if hasattr(shown, "isoformat") else shown
        if not changed:
            return fresh
        fresh.full_clean()
        fresh.save(update_fields=list(changed))
        committee_audit(
            "committee.entity_updated",
            fresh,
            actor=actor,
            summary="committee as a legal entity: " + ", ".join(changed),
            data=changed,
        )
    committee.refresh_from_db()
    return committee


def committee_document_add(
    *, committee: Committee, actor, kind: str, file, title: str = ""
) -> CommitteeDocument:
    if kind not in CommitteeDocument.Kind.values:
        raise ElectionError(_("Choose what the document is."))
    problem = _document_problem(file)
    if problem:
        raise ElectionError(problem)
    with transaction.atomic():
        fresh = Committee.objects.select_for_update().get(pk=committee.pk)
        check_may_manage(actor, fresh.compound_id)
        document = CommitteeDocument(
            committee=fresh,
            kind=kind,
            title=title.strip()[:100],
            file=file,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        document.full_clean()
        document.save()
        committee_audit(
            "committee.document_added",
            fresh,
            actor=actor,
            summary=f"document added: {document.get_kind_display()} {document.title}",
            data={"document": document.pk, "kind": kind},
        )
    return document


def committee_document_remove(*, document: CommitteeDocument, actor) -> None:
    with transaction.atomic():
        committee = Committee.objects.select_for_update().get(pk=document.committee_id)
        check_may_manage(actor, committee.compound_id)
        committee_audit(
            "committee.document_removed",
            committee,
            actor=actor,
            summary=f"document removed: {document.get_kind_display()} {document.title}",
            data={"document": document.pk, "kind": document.kind},
        )
        document.file.delete(save=False)
        document.delete()
