"""Serving a stored document (a matter's draft, a street office's decision) to someone already
allowed to see it: with the content type its content was found to be when it was uploaded (never
guessed from a name), inline so a phone opens it, and not cached by anything shared."""

from __future__ import annotations

from django.http import FileResponse, Http404


def document_response(
    field_file, *, content_type: str, filename: str, download: bool = False
) -> FileResponse:
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=download, filename=filename)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
