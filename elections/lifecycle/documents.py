"""Documents owners read before they vote: a matter's drafts, quotes and budgets (PDF or images),
and the decision the street office records with an exception. Each upload is checked by its
content (its first bytes, :mod:`elections.rules.documents`), never by its name, and by its size
(``settings.DOCUMENT_MAX_MB``); it is stored under a random name with the extension of the kind
found, its SHA-256 kept so a printed copy can be matched to the file."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from elections.errors import ElectionError
from elections.lifecycle.moves import audit_election, check_may_manage, load_fresh
from elections.lifecycle.setup import check_setup_open
from elections.models import Matter, MatterDocument
from elections.rules.documents import HEAD_BYTES, DocumentKind, human_size, sniff
from yezhu.actors import Actor, person


@dataclass(frozen=True)
class CheckedUpload:
    upload: UploadedFile
    kind: DocumentKind
    size: int
    sha256: str


def max_bytes() -> int:
    return int(settings.DOCUMENT_MAX_MB) * 1024 * 1024


def check_document(upload: UploadedFile | None) -> CheckedUpload:
    """The upload if it is a PDF, JPG, PNG or WebP file within the size limit; refused otherwise."""
    if not upload:
        raise ElectionError(_("Choose a file to upload."))
    size = upload.size or 0
    if size > max_bytes():
        raise ElectionError(
            _(
                "The file is %(size)s; at most %(limit)s MB is accepted. Scan at a lower resolution or split it."
            )
            % {"size": human_size(size), "limit": settings.DOCUMENT_MAX_MB}
        )
    if size == 0:
        raise ElectionError(_("The file is empty."))
    upload.seek(0)
    kind = sniff(upload.read(HEAD_BYTES))
    if kind is None:
        raise ElectionError(
            _(
                "Only PDF files and images (JPG, PNG, WebP) are accepted; this file is neither, whatever its name."
            )
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(upload=upload, kind=kind, size=size, sha256=digest.hexdigest())


def clean_original_name(name: str | None) -> str:
    """The uploaded name for display only: its last path part, without control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200]


def matter_document_add(
    *,
    matter: Matter,
    actor: Actor,
    upload: UploadedFile | None,
    title: str = "",
) -> MatterDocument:
    """Attach a document to a matter while the matters may still change (before the notice: only
    what is published may be voted on, 北京 第35条、杭州 第19条)."""
    checked = check_document(upload)
    with transaction.atomic():
        fresh = load_fresh(matter.election)
        check_may_manage(actor, fresh.compound_id)
        check_setup_open(fresh)
        if not Matter.objects.filter(pk=matter.pk, election=fresh).exists():
            raise ElectionError(_("This matter belongs to another election."))
        original = clean_original_name(checked.upload.name)
        title = (title or "").strip() or original.rsplit(".", 1)[0] or _("Document")
        position = (MatterDocument.objects.filter(matter=matter).aggregate(m=Max("position"))["m"] or 0) + 1
        document = MatterDocument(
            matter=matter,
            title=title[:200],
            content_type=checked.kind.content_type,
            size=checked.size,
            sha256=checked.sha256,
            original_name=original,
            position=position,
            uploaded_by=person(actor),
        )
        document._extension = checked.kind.extension  # type: ignore[attr-defined]
        document.file.save(f"document{checked.kind.extension}", checked.upload, save=False)
        document.save()
        audit_election(
            "election.matter_document_added",
            fresh,
            actor=actor,
            summary=f"document {document.title} ({checked.kind.label}, {human_size(checked.size)}) on {matter.key}",
            data={
                "matter": matter.pk,
                "key": matter.key,
                "document": document.pk,
                "title": document.title,
                "content_type": checked.kind.content_type,
                "size": checked.size,
                "sha256": checked.sha256,
            },
        )
    return document


def matter_document_remove(
    *,
    document: MatterDocument,
    actor: Actor,
) -> None:
    """Remove a document while the matters may still change. The stored file stays (the audit row
    names its hash); only the link from the matter goes."""
    with transaction.atomic():
        fresh = load_fresh(document.matter.election)
        check_may_manage(actor, fresh.compound_id)
        check_setup_open(fresh)
        audit_election(
            "election.matter_document_removed",
            fresh,
            actor=actor,
            summary=f"document {document.title} removed from {document.matter.key}",
            data={"document": document.pk, "title": document.title, "sha256": document.sha256},
        )
        document.delete()
