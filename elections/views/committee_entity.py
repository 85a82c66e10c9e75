"""The committee as a legal entity (/manage/committee/<pk>/entity/, namespace "manage"):
registration as a 民办非企业单位, unified social credit code, bank account, seal filing, and the
documents that prove them. Reached like the committee's own page (the compound's managing staff);
another street's staff get 404."""

from __future__ import annotations

import logging
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from elections import lifecycle
from elections.errors import ElectionError
from elections.forms.committee_entity import CommitteeDocumentForm, CommitteeEntityForm
from elections.lifecycle.committees import ENTITY_FIELDS
from elections.models import CommitteeDocument
from elections.views.manage import _managed_committee

log = logging.getLogger(__name__)


@login_required
@require_http_methods(["GET", "POST"])
def entity(request, pk: int):
    committee = _managed_committee(request.user, pk)
    form = CommitteeEntityForm(
        request.POST or None, initial={name: getattr(committee, name) for name in ENTITY_FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.committee_entity_update(committee=committee, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Saved."))
            return redirect("manage:committee_entity", pk=committee.pk)
    return render(
        request,
        "elections/manage/committee_entity.html",
        {
            "committee": committee,
            "form": form,
            "documents": list(committee.documents.select_related("uploaded_by")),
            "document_form": CommitteeDocumentForm(),
        },
    )


@login_required
@require_POST
def document_add(request, pk: int):
    committee = _managed_committee(request.user, pk)
    form = CommitteeDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            lifecycle.committee_document_add(committee=committee, actor=request.user, **form.cleaned_data)
        except ElectionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The document is kept with the committee."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("manage:committee_entity", pk=committee.pk)


@login_required
@require_GET
def document_file(request, pk: int, did: int):
    committee = _managed_committee(request.user, pk)
    document = get_object_or_404(CommitteeDocument, pk=did, committee=committee)
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError):
        log.warning(
            "committee document #%s: its file %s cannot be read",
            document.pk,
            document.file.name,
            exc_info=True,
        )
        raise Http404 from None
    name = document.file.name
    extension = name[name.rfind(".") :] if "." in name else ""
    response = FileResponse(
        handle,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        filename=f"committee-{committee.pk}-{document.kind}-{document.pk}{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def document_remove(request, pk: int, did: int):
    committee = _managed_committee(request.user, pk)
    document = get_object_or_404(CommitteeDocument, pk=did, committee=committee)
    lifecycle.committee_document_remove(document=document, actor=request.user)
    messages.success(request, _("Removed."))
    return redirect("manage:committee_entity", pk=committee.pk)


manage_urlpatterns = [
    path("committee/<int:pk>/entity/", entity, name="committee_entity"),
    path("committee/<int:pk>/documents/", document_add, name="committee_document_add"),
    path("committee/<int:pk>/documents/<int:did>/", document_file, name="committee_document"),
    path("committee/<int:pk>/documents/<int:did>/delete/", document_remove, name="committee_document_remove"),
]
